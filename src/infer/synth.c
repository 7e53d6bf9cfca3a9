/* Synthetic GGUF models with random weights, written from scratch: for tests,
 * fuzz seeds and the benchmark's memory-bound model. The vocabulary is the
 * three SentencePiece control tokens, the 256 byte tokens and short words. */
#include "infer/infer_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int put(fg_buf *b, const void *p, size_t n)
{
    return fg_buf_append(b, p, n);
}

static int put_u32(fg_buf *b, uint32_t v) { return put(b, &v, 4); }
static int put_u64(fg_buf *b, uint64_t v) { return put(b, &v, 8); }

static int put_str(fg_buf *b, const char *s)
{
    size_t n = strlen(s);
    return put_u64(b, n) || put(b, s, n);
}

static int kv_u32(fg_buf *b, const char *key, uint32_t v)
{
    return put_str(b, key) || put_u32(b, FG__GV_U32) || put_u32(b, v);
}

static int kv_f32(fg_buf *b, const char *key, float v)
{
    return put_str(b, key) || put_u32(b, FG__GV_F32) || put(b, &v, 4);
}

static int kv_str(fg_buf *b, const char *key, const char *v)
{
    return put_str(b, key) || put_u32(b, FG__GV_STRING) || put_str(b, v);
}

static void token_text(uint32_t i, char *out, size_t n)
{
    static const char *ctl[] = {"<unk>", "<s>", "</s>"};
    if (i < 3)
        snprintf(out, n, "%s", ctl[i]);
    else if (i < 259)
        snprintf(out, n, "<0x%02X>", i - 3);
    else if (i < 259 + 26)
        snprintf(out, n, "\xe2\x96\x81%c", 'a' + (int)(i - 259));
    else if (i < 259 + 52)
        snprintf(out, n, "%c", 'a' + (int)(i - 285));
    else
        snprintf(out, n, "\xe2\x96\x81%c%c%u", 'a' + (int)(i % 26), 'a' + (int)(i / 26 % 26), i);
}

static int vocab(fg_buf *b, uint32_t n)
{
    char t[32];
    int rc = put_str(b, "tokenizer.ggml.tokens") || put_u32(b, FG__GV_ARRAY) ||
             put_u32(b, FG__GV_STRING) || put_u64(b, n);
    for (uint32_t i = 0; !rc && i < n; i++) {
        token_text(i, t, sizeof t);
        rc = put_str(b, t);
    }
    rc = rc || put_str(b, "tokenizer.ggml.scores") || put_u32(b, FG__GV_ARRAY) ||
         put_u32(b, FG__GV_F32) || put_u64(b, n);
    for (uint32_t i = 0; !rc && i < n; i++) {
        float sc = i < 259 ? 0.0f : -(float)i;
        rc = put(b, &sc, 4);
    }
    rc = rc || put_str(b, "tokenizer.ggml.token_type") || put_u32(b, FG__GV_ARRAY) ||
         put_u32(b, FG__GV_I32) || put_u64(b, n);
    for (uint32_t i = 0; !rc && i < n; i++) {
        int32_t k = i == 0 ? FG__TOK_UNKNOWN : i < 3 ? FG__TOK_CONTROL : i < 259 ? FG__TOK_BYTE
                                                                              : FG__TOK_NORMAL;
        rc = put(b, &k, 4);
    }
    return rc;
}

typedef struct tdesc {
    char name[48];
    uint64_t cols, rows;
    int type;
    uint64_t offset, bytes;
} tdesc;

static size_t tensor_list(const fg__synth *s, tdesc *t)
{
    size_t n = 0;
    uint64_t kvd = (uint64_t)s->dim / s->heads * s->kv_heads;
#define ADD(nm, c, r, ty) (snprintf(t[n].name, sizeof t[n].name, "%s", nm), t[n].cols = (c), \
                           t[n].rows = (r), t[n].type = (ty), n++)
    ADD("token_embd.weight", s->dim, s->vocab, s->type);
    ADD("output_norm.weight", s->dim, 1, FG__T_F32);
    if (!s->tied)
        ADD("output.weight", s->dim, s->vocab, s->type);
    for (uint32_t l = 0; l < s->layers; l++) {
        static const char *names[] = {"attn_norm", "ffn_norm", "attn_q", "attn_k", "attn_v",
                                      "attn_output", "ffn_gate", "ffn_down", "ffn_up"};
        uint64_t cols[] = {s->dim, s->dim, s->dim, s->dim, s->dim, s->dim, s->dim, s->hidden, s->dim};
        uint64_t rows[] = {1, 1, s->dim, kvd, kvd, s->dim, s->hidden, s->dim, s->hidden};
        for (size_t i = 0; i < 9; i++) {
            char nm[48];
            snprintf(nm, sizeof nm, "blk.%u.%s.weight", l, names[i]);
            ADD(nm, cols[i], rows[i], i < 2 ? FG__T_F32 : s->type);
        }
    }
#undef ADD
    return n;
}

static int tensor_data(fg_buf *b, const tdesc *t, uint64_t *rng)
{
    float row[4096];
    if (t->cols > 4096)
        return FG_EINVAL;
    float scale = 1.0f / sqrtf((float)t->cols);
    for (uint64_t r = 0; r < t->rows; r++) {
        for (uint64_t i = 0; i < t->cols; i++)
            row[i] = t->rows == 1 ? 1.0f : (fg__rng_unit(rng) * 2 - 1) * scale * 1.7f;
        uint8_t q[4096 * 4];
        size_t n = 0;
        if (t->type == FG__T_F32) {
            n = t->cols * 4;
            memcpy(q, row, n);
        } else if (t->type == FG__T_F16 || t->type == FG__T_BF16) {
            for (uint64_t i = 0; i < t->cols; i++) {
                uint32_t bits;
                memcpy(&bits, &row[i], 4);
                uint16_t h = t->type == FG__T_F16 ? fg__f32_to_f16(row[i]) : (uint16_t)(bits >> 16);
                memcpy(q + 2 * i, &h, 2);
            }
            n = t->cols * 2;
        } else if (t->type == FG__T_Q8_0) {
            fg__quantize_q8_0(row, (fg__block_q8_0 *)q, t->cols);
            n = t->cols / FG__QK * sizeof(fg__block_q8_0);
        } else {
            fg__quantize_q4_0(row, (fg__block_q4_0 *)q, t->cols);
            n = t->cols / FG__QK * sizeof(fg__block_q4_0);
        }
        if (put(b, q, n))
            return FG_ELIMIT;
    }
    return FG_OK;
}

static int pad(fg_buf *b)
{
    static const char zeros[32];
    return put(b, zeros, (32 - b->len % 32) % 32);
}

int fg__synth_gguf(const fg__synth *s, fg_buf *b)
{
    if (!s->heads || !s->kv_heads || s->dim % s->heads || s->heads % s->kv_heads ||
        s->vocab < 312 || s->dim > 4096 || s->hidden > 4096 || s->layers > 256)
        return FG_EINVAL;
    tdesc t[3 + 9 * 256];
    size_t nt = tensor_list(s, t);
    int rc = put_u32(b, 0x46554747u) || put_u32(b, 3) || put_u64(b, nt) || put_u64(b, 17) ||
             kv_str(b, "general.architecture", "llama") || kv_str(b, "general.name", "synthetic") ||
             kv_u32(b, "llama.context_length", s->context) ||
             kv_u32(b, "llama.embedding_length", s->dim) ||
             kv_u32(b, "llama.feed_forward_length", s->hidden) ||
             kv_u32(b, "llama.block_count", s->layers) ||
             kv_u32(b, "llama.attention.head_count", s->heads) ||
             kv_u32(b, "llama.attention.head_count_kv", s->kv_heads) ||
             kv_f32(b, "llama.attention.layer_norm_rms_epsilon", 1e-5f) ||
             kv_f32(b, "llama.rope.freq_base", 10000.0f) ||
             kv_str(b, "tokenizer.ggml.model", "llama") || vocab(b, s->vocab) ||
             kv_u32(b, "tokenizer.ggml.bos_token_id", 1) ||
             kv_u32(b, "tokenizer.ggml.eos_token_id", 2) ||
             kv_str(b, "tokenizer.chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}");
    uint64_t off = 0;
    for (size_t i = 0; !rc && i < nt; i++) {
        uint64_t row;
        fg__type_row_bytes(t[i].type, t[i].cols, &row);
        t[i].offset = off;
        t[i].bytes = row * t[i].rows;
        off += (t[i].bytes + 31) / 32 * 32;
        uint32_t nd = t[i].rows == 1 ? 1 : 2;
        rc = put_str(b, t[i].name) || put_u32(b, nd) || put_u64(b, t[i].cols) ||
             (nd == 2 && put_u64(b, t[i].rows)) || put_u32(b, (uint32_t)t[i].type) ||
             put_u64(b, t[i].offset);
    }
    uint64_t rng = s->seed;
    rc = rc || pad(b);
    for (size_t i = 0; !rc && i < nt; i++)
        rc = tensor_data(b, &t[i], &rng) || pad(b);
    return rc ? FG_ELIMIT : FG_OK;
}
