/* A llama-architecture model from a parsed GGUF file: hyperparameters, RoPE and
 * norm settings from the metadata, every tensor found by name and its shape
 * and type checked, and the tokenizer from the metadata. */
#include "infer/infer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_dim(const fg__gguf *g, const char *key, uint64_t dflt, uint64_t max,
                   uint32_t *out, fg_errbuf *eb)
{
    uint64_t v = dflt;
    if (!fg__gguf_get_u64(g, key, &v) && dflt == 0)
        return fg_failf(eb, FG_EPARSE, "GGUF: metadata key '%s' is missing or not an integer",
                        key);
    if (v == 0 || v > max)
        return fg_failf(eb, FG_EPARSE, "GGUF: %s = %llu is out of range (1..%llu)", key,
                        (unsigned long long)v, (unsigned long long)max);
    *out = (uint32_t)v;
    return FG_OK;
}

static int hyperparams(fg_infer_model *m, fg_errbuf *eb)
{
    const fg__gguf *g = &m->gguf;
    const fg__limits *l = &m->lim;
    fg_infer_info *in = &m->info;
    const char *arch = NULL;
    size_t alen = 0;
    if (!fg__gguf_get_str(g, "general.architecture", &arch, &alen) || alen != 5 ||
        memcmp(arch, "llama", 5) != 0)
        return fg_failf(eb, FG_EUNSUPPORTED,
                        "GGUF: general.architecture is '%.*s'; only 'llama' models are supported",
                        arch ? (int)alen : 0, arch ? arch : "");
    int rc;
    if ((rc = get_dim(g, "llama.embedding_length", 0, l->max_dim, &in->dim, eb)) ||
        (rc = get_dim(g, "llama.feed_forward_length", 0, l->max_dim * 16u, &in->hidden_dim, eb)) ||
        (rc = get_dim(g, "llama.block_count", 0, l->max_layers, &in->n_layers, eb)) ||
        (rc = get_dim(g, "llama.attention.head_count", 0, in->dim, &in->n_heads, eb)) ||
        (rc = get_dim(g, "llama.attention.head_count_kv", in->n_heads, in->n_heads,
                      &in->n_kv_heads, eb)) ||
        (rc = get_dim(g, "llama.context_length", 2048, 1u << 24, &in->context, eb)))
        return rc;
    in->head_size = in->dim / in->n_heads;
    if (in->dim % in->n_heads || in->n_heads % in->n_kv_heads || in->head_size % 2)
        return fg_failf(eb, FG_EPARSE,
                        "GGUF: embedding %u, heads %u and kv heads %u do not fit (the embedding "
                        "must split into heads of even size, heads into kv groups)",
                        in->dim, in->n_heads, in->n_kv_heads);
    if ((rc = get_dim(g, "llama.rope.dimension_count", in->head_size, in->head_size,
                      &in->rope_dim, eb)))
        return rc;
    in->rope_dim &= ~1u;
    in->rope_base = 10000.0f;
    in->rms_eps = 1e-5f;
    fg__gguf_get_f32(g, "llama.rope.freq_base", &in->rope_base);
    fg__gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &in->rms_eps);
    if (!(in->rope_base > 1.0f && in->rope_base < 1e12f) || !(in->rms_eps > 0 && in->rms_eps < 1))
        return fg_failf(eb, FG_EPARSE, "GGUF: rope.freq_base %g or rms epsilon %g is absurd",
                        (double)in->rope_base, (double)in->rms_eps);
    return FG_OK;
}

static int tensor(fg_infer_model *m, const char *name, uint64_t rows, uint64_t cols,
                  fg__tensor *out, fg_errbuf *eb)
{
    const fg__gguf_tensor *t = fg__gguf_tensor_find(&m->gguf, name);
    if (!t)
        return fg_failf(eb, FG_EPARSE, "GGUF: tensor '%s' is missing", name);
    if (t->ne[0] != cols || t->ne[1] != rows || t->ne[2] != 1 || t->ne[3] != 1)
        return fg_failf(eb, FG_EPARSE,
                        "GGUF: tensor '%s' has shape [%llu, %llu, %llu, %llu]; the metadata says "
                        "[%llu, %llu]",
                        name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                        (unsigned long long)t->ne[2], (unsigned long long)t->ne[3],
                        (unsigned long long)cols, (unsigned long long)rows);
    uint64_t row_bytes;
    fg__type_row_bytes((int)t->type, cols, &row_bytes);
    *out = (fg__tensor){(int)t->type, t->data, rows, cols, (size_t)row_bytes};
    return FG_OK;
}

static int norm(fg_infer_model *m, const char *name, float *dst, fg_errbuf *eb)
{
    fg__tensor t;
    int rc = tensor(m, name, 1, m->info.dim, &t, eb);
    if (rc)
        return rc;
    fg__tensor_row(&t, 0, dst);
    return FG_OK;
}

static int layer(fg_infer_model *m, uint32_t l, fg_errbuf *eb)
{
    const fg_infer_info *in = &m->info;
    uint64_t dim = in->dim, hid = in->hidden_dim, kvd = (uint64_t)in->n_kv_heads * in->head_size;
    fg__layer *ly = &m->layers[l];
    float *an = m->norms + (size_t)l * dim, *fn = m->norms + ((size_t)in->n_layers + l) * dim;
    char name[64];
    int rc;
#define T(suffix, rows, cols, dst)                                                   \
    (snprintf(name, sizeof name, "blk.%u.%s.weight", l, suffix),                    \
     (rc = tensor(m, name, rows, cols, dst, eb)) != 0)
#define N(suffix, dst)                                                               \
    (snprintf(name, sizeof name, "blk.%u.%s.weight", l, suffix), (rc = norm(m, name, dst, eb)) != 0)
    if (N("attn_norm", an) || N("ffn_norm", fn) || T("attn_q", dim, dim, &ly->wq) ||
        T("attn_k", kvd, dim, &ly->wk) || T("attn_v", kvd, dim, &ly->wv) ||
        T("attn_output", dim, dim, &ly->wo) || T("ffn_gate", hid, dim, &ly->w1) ||
        T("ffn_down", dim, hid, &ly->w2) || T("ffn_up", hid, dim, &ly->w3))
        return rc;
#undef T
#undef N
    ly->attn_norm = an;
    ly->ffn_norm = fn;
    return FG_OK;
}

static int weights(fg_infer_model *m, fg_errbuf *eb)
{
    fg_infer_info *in = &m->info;
    m->layers = calloc(in->n_layers, sizeof *m->layers);
    m->norms = calloc(((size_t)in->n_layers * 2 + 1) * in->dim, sizeof(float));
    if (!m->layers || !m->norms)
        return fg_failf(eb, FG_ENOMEM, "GGUF: out of memory");
    float *on = m->norms + (size_t)in->n_layers * 2 * in->dim;
    int rc = tensor(m, "token_embd.weight", in->vocab_size, in->dim, &m->embed, eb);
    if (rc || (rc = norm(m, "output_norm.weight", on, eb)))
        return rc;
    m->out_norm = on;
    if (fg__gguf_tensor_find(&m->gguf, "output.weight"))
        rc = tensor(m, "output.weight", in->vocab_size, in->dim, &m->output, eb);
    else
        m->output = m->embed;
    for (uint32_t l = 0; rc == FG_OK && l < in->n_layers; l++)
        rc = layer(m, l, eb);
    if (rc == FG_OK)
        in->weight_type = fg__type_name(m->layers[0].wq.type);
    return rc;
}

int fg__model_from_gguf(fg_infer_model *m, fg_errbuf *eb)
{
    int rc = fg__gguf_parse(&m->gguf, m->map.data, m->map.len, eb);
    if (rc || (rc = hyperparams(m, eb)) || (rc = fg__tok_from_gguf(&m->tok, &m->gguf, &m->lim, eb)))
        return rc;
    m->info.format = FG_INFER_GGUF;
    m->info.arch = "llama";
    m->info.vocab_size = m->tok.n;
    m->info.tokenizer = m->tok.gpt2 ? "gpt2" : "llama";
    const char *s;
    size_t n;
    if (fg__gguf_get_str(&m->gguf, "general.name", &s, &n) && (m->name = strndup(s, n)))
        m->info.name = m->name;
    if (fg__gguf_get_str(&m->gguf, "tokenizer.chat_template", &s, &n)) {
        m->chat_template = strndup(s, n);
        m->info.chat = fg_infer_chat_detect(s, n);
    }
    return weights(m, eb);
}
