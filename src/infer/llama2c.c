/* llama2.c checkpoints: seven int32 header fields (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means the
 * classifier is stored after the weights instead of shared with the token
 * embedding), then f32 weights in a fixed order. And their tokenizer.bin:
 * int32 max_token_length, then per token a float score, an int32 length and
 * the bytes. */
#include "infer/infer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const uint8_t *base;
    uint64_t off, len;
} cursor;

/* Takes rows x cols floats from the cursor into t. */
static int take(cursor *c, fg__tensor *t, uint64_t rows, uint64_t cols, const char *what,
                fg_errbuf *eb)
{
    uint64_t bytes;
    if (__builtin_mul_overflow(rows, cols, &bytes) || __builtin_mul_overflow(bytes, 4, &bytes) ||
        bytes > c->len - c->off)
        return fg_failf(eb, FG_EPARSE,
                        "llama2.c checkpoint: the file ends inside %s (offset %llu, need %llu "
                        "more bytes than the %llu left); the file is truncated or not a "
                        "checkpoint",
                        what, (unsigned long long)c->off, (unsigned long long)rows * cols * 4,
                        (unsigned long long)(c->len - c->off));
    *t = (fg__tensor){FG__T_F32, c->base + c->off, rows, cols, (size_t)cols * 4};
    c->off += bytes;
    return FG_OK;
}

static int check_header(const int32_t h[7], const fg__limits *lim, fg_errbuf *eb)
{
    static const char *names[7] = {"dim", "hidden_dim", "n_layers", "n_heads",
                                   "n_kv_heads", "vocab_size", "seq_len"};
    for (int i = 0; i < 7; i++) {
        int64_t v = i == 5 ? (h[i] < 0 ? -(int64_t)h[i] : h[i]) : h[i];
        uint64_t max = i == 2 ? lim->max_layers : i == 5 ? lim->max_vocab
                     : i == 6 ? (uint64_t)1 << 24 : lim->max_dim;
        if (v <= 0 || (uint64_t)v > max)
            return fg_failf(eb, FG_EPARSE,
                            "llama2.c checkpoint: header field %s = %d is out of range "
                            "(1..%llu); the file is not a llama2.c checkpoint",
                            names[i], h[i], (unsigned long long)max);
    }
    if (h[0] % h[3] != 0 || (h[0] / h[3]) % 2 != 0 || h[3] % h[4] != 0)
        return fg_failf(eb, FG_EPARSE,
                        "llama2.c checkpoint: dim %d, n_heads %d and n_kv_heads %d do not fit "
                        "(dim must split into heads of even size, heads into kv groups)",
                        h[0], h[3], h[4]);
    return FG_OK;
}

static int take_norms(cursor *c, float *dst, uint64_t count, uint64_t dim, const char *what,
                      fg_errbuf *eb)
{
    fg__tensor t = {0};
    int rc = take(c, &t, count, dim, what, eb);
    if (rc == FG_OK)
        memcpy(dst, t.data, count * dim * 4);
    return rc;
}

static int take_layers(cursor *c, fg_infer_model *m, size_t field, uint64_t rows, uint64_t cols,
                       const char *what, fg_errbuf *eb)
{
    for (uint32_t l = 0; l < m->info.n_layers; l++) {
        fg__tensor *t = (fg__tensor *)((char *)&m->layers[l] + field);
        int rc = take(c, t, rows, cols, what, eb);
        if (rc)
            return rc;
    }
    return FG_OK;
}

static int take_weights(fg_infer_model *m, cursor *c, bool shared, fg_errbuf *eb)
{
    fg_infer_info *in = &m->info;
    uint64_t dim = in->dim, hid = in->hidden_dim, L = in->n_layers;
    uint64_t qd = (uint64_t)in->n_heads * in->head_size, kvd = (uint64_t)in->n_kv_heads * in->head_size;
    float *att_norm = m->norms, *ffn_norm = m->norms + L * dim, *out_norm = ffn_norm + L * dim;
    int rc;
    if ((rc = take(c, &m->embed, in->vocab_size, dim, "token_embedding", eb)) ||
        (rc = take_norms(c, att_norm, L, dim, "rms_att_weight", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, wq), qd, dim, "wq", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, wk), kvd, dim, "wk", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, wv), kvd, dim, "wv", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, wo), dim, qd, "wo", eb)) ||
        (rc = take_norms(c, ffn_norm, L, dim, "rms_ffn_weight", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, w1), hid, dim, "w1", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, w2), dim, hid, "w2", eb)) ||
        (rc = take_layers(c, m, offsetof(fg__layer, w3), hid, dim, "w3", eb)) ||
        (rc = take_norms(c, out_norm, 1, dim, "rms_final_weight", eb)))
        return rc;
    fg__tensor freqs;
    if ((rc = take(c, &freqs, in->context, in->head_size, "freq_cis (unused)", eb)))
        return rc;
    if (shared)
        m->output = m->embed;
    else if ((rc = take(c, &m->output, in->vocab_size, dim, "wcls", eb)))
        return rc;
    for (uint32_t l = 0; l < L; l++) {
        m->layers[l].attn_norm = att_norm + l * dim;
        m->layers[l].ffn_norm = ffn_norm + l * dim;
    }
    m->out_norm = out_norm;
    return FG_OK;
}

int fg__model_from_llama2c(fg_infer_model *m, fg_errbuf *eb)
{
    if (m->map.len < 28)
        return fg_failf(eb, FG_EPARSE,
                        "llama2.c checkpoint: %zu bytes is shorter than the 28-byte header",
                        m->map.len);
    int32_t h[7];
    memcpy(h, m->map.data, sizeof h);
    int rc = check_header(h, &m->lim, eb);
    if (rc)
        return rc;
    fg_infer_info *in = &m->info;
    *in = (fg_infer_info){.format = FG_INFER_LLAMA2C, .arch = "llama", .weight_type = "F32",
                          .dim = (uint32_t)h[0], .hidden_dim = (uint32_t)h[1],
                          .n_layers = (uint32_t)h[2], .n_heads = (uint32_t)h[3],
                          .n_kv_heads = (uint32_t)h[4],
                          .vocab_size = (uint32_t)(h[5] < 0 ? -h[5] : h[5]),
                          .context = (uint32_t)h[6], .rope_base = 10000.0f, .rms_eps = 1e-5f,
                          .bos = 1, .eos = 2, .tokenizer = "llama"};
    in->head_size = in->dim / in->n_heads;
    in->rope_dim = in->head_size;
    m->layers = calloc(in->n_layers, sizeof *m->layers);
    m->norms = calloc(((size_t)in->n_layers * 2 + 1) * in->dim, sizeof(float));
    if (!m->layers || !m->norms)
        return fg_failf(eb, FG_ENOMEM, "llama2.c checkpoint: out of memory");
    cursor c = {m->map.data, 28, m->map.len};
    return take_weights(m, &c, h[5] > 0, eb);
}

static int tok_entry(fg__tokenizer *t, fg__rd *r, uint32_t i, uint32_t max_len, fg_errbuf *eb)
{
    uint32_t sbits = fg__rd_u32(r), len = fg__rd_u32(r);
    if (r->bad || len > max_len || !fg__rd_need(r, len))
        return fg_failf(eb, FG_EPARSE,
                        "tokenizer.bin: token %u at offset %zu is truncated or longer than the "
                        "declared maximum %u; the file does not match this format",
                        i, r->off, max_len);
    memcpy(&t->score[i], &sbits, 4);
    t->text[i] = malloc((size_t)len + 1);
    if (!t->text[i])
        return fg_failf(eb, FG_ENOMEM, "tokenizer.bin: out of memory");
    memcpy(t->text[i], r->p + r->off, len);
    t->text[i][len] = '\0';
    t->len[i] = len;
    r->off += len;
    unsigned byte;
    char tail;
    if (i == 0)
        t->kind[i] = FG__TOK_UNKNOWN;
    else if (i == 1 || i == 2)
        t->kind[i] = FG__TOK_CONTROL;
    else if (len == 6 && sscanf(t->text[i], "<0x%2X>%c", &byte, &tail) == 1)
        t->kind[i] = FG__TOK_BYTE;
    else
        t->kind[i] = FG__TOK_NORMAL;
    return FG_OK;
}

int fg__tok_from_llama2c(fg__tokenizer *t, const uint8_t *data, size_t len, uint32_t vocab,
                         fg_errbuf *eb)
{
    fg__rd r = {data, len, 0, false};
    uint32_t max_len = fg__rd_u32(&r);
    if (r.bad || max_len == 0 || max_len > 65536)
        return fg_failf(eb, FG_EPARSE,
                        "tokenizer.bin: max_token_length %u is out of range (1..65536)", max_len);
    int rc = fg__tok_alloc(t, vocab);
    for (uint32_t i = 0; rc == FG_OK && i < vocab; i++)
        rc = tok_entry(t, &r, i, max_len, eb);
    if (rc)
        return rc == FG_ENOMEM ? fg_failf(eb, rc, "tokenizer.bin: out of memory") : rc;
    t->bos = 1;
    t->eos = 2;
    t->unk = 0;
    t->space_prefix = true;
    t->add_bos = true;
    return fg__tok_finish(t, eb);
}
