/* One token through the transformer: RMSNorm, attention with RoPE and grouped
 * KV heads over the session's cache, a SwiGLU feed-forward, and the logits. */
#include "infer/infer_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int fg__state_init(fg__state *st, const fg_infer_model *m, uint32_t context)
{
    const fg_infer_info *in = &m->info;
    size_t dim = in->dim, kvd = (size_t)in->n_kv_heads * in->head_size;
    size_t hid = in->hidden_dim, cache = (size_t)in->n_layers * context * kvd;
    size_t maxcols = hid > dim ? hid : dim;
    memset(st, 0, sizeof *st);
    st->context = context;
    st->x = calloc(FG__BATCH * dim, sizeof(float));
    st->xb = calloc(FG__BATCH * dim, sizeof(float));
    st->xb2 = calloc(FG__BATCH * dim, sizeof(float));
    st->q = calloc(FG__BATCH * dim, sizeof(float));
    st->hb = calloc(FG__BATCH * hid, sizeof(float));
    st->hb2 = calloc(FG__BATCH * hid, sizeof(float));
    st->att = calloc((size_t)in->n_heads * context, sizeof(float));
    st->logits = calloc(in->vocab_size, sizeof(float));
    st->kcache = calloc(cache, sizeof(float));
    st->vcache = calloc(cache, sizeof(float));
    st->xq = calloc(FG__BATCH * (maxcols / FG__QK + 1), sizeof *st->xq);
    if (!st->x || !st->xb || !st->xb2 || !st->q || !st->hb || !st->hb2 || !st->att ||
        !st->logits || !st->kcache || !st->vcache || !st->xq) {
        fg__state_free(st);
        return FG_ENOMEM;
    }
    return FG_OK;
}

void fg__state_free(fg__state *st)
{
    free(st->x);
    free(st->xb);
    free(st->xb2);
    free(st->q);
    free(st->hb);
    free(st->hb2);
    free(st->att);
    free(st->logits);
    free(st->kcache);
    free(st->vcache);
    free(st->xq);
    memset(st, 0, sizeof *st);
}

typedef struct attn_job {
    const fg_infer_info *in;
    fg__state *st;
    const float *kc, *vc;  /* this layer's cache */
    const float *q;        /* this token's queries */
    float *out;            /* this token's attention output */
    uint32_t pos;
} attn_job;

static void attend_heads(void *ctx, size_t begin, size_t end)
{
    const attn_job *j = ctx;
    const fg_infer_info *in = j->in;
    size_t hs = in->head_size, kvd = (size_t)in->n_kv_heads * hs;
    size_t group = in->n_heads / in->n_kv_heads;
    float scale = 1.0f / sqrtf((float)hs);
    for (size_t h = begin; h < end; h++) {
        const float *q = j->q + h * hs;
        float *att = j->st->att + h * j->st->context;
        size_t kvh = h / group;
        for (uint32_t t = 0; t <= j->pos; t++)
            att[t] = fg__dot_f32(q, j->kc + t * kvd + kvh * hs, hs) * scale;
        fg__softmax(att, j->pos + 1);
        float *out = j->out + h * hs;
        memset(out, 0, hs * sizeof(float));
        for (uint32_t t = 0; t <= j->pos; t++) {
            const float *v = j->vc + t * kvd + kvh * hs;
            float a = att[t];
            for (size_t i = 0; i < hs; i++)
                out[i] += a * v[i];
        }
    }
}

static void add_into(float *x, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
}

static void attention(const fg_infer_model *m, fg__state *st, uint32_t l, uint32_t n,
                      uint32_t pos)
{
    const fg_infer_info *in = &m->info;
    const fg__layer *ly = &m->layers[l];
    size_t dim = in->dim, kvd = (size_t)in->n_kv_heads * in->head_size;
    float *kc = st->kcache + (size_t)l * st->context * kvd;
    float *vc = st->vcache + (size_t)l * st->context * kvd;
    for (uint32_t b = 0; b < n; b++)
        fg__rmsnorm(st->xb + b * dim, st->x + b * dim, ly->attn_norm, dim, in->rms_eps);
    /* Keys and values of consecutive positions are consecutive cache rows. */
    const fg__tensor *qkv[3] = {&ly->wq, &ly->wk, &ly->wv};
    float *const outs[3] = {st->q, kc + pos * kvd, vc + pos * kvd};
    fg__matmul_multi(m->pool, qkv, outs, 3, st->xb, n, st->xq);
    for (uint32_t b = 0; b < n; b++) {
        fg__rope(st->q + b * dim, in->n_heads, in->head_size, in->rope_dim, pos + b,
                 in->rope_base);
        fg__rope(kc + (pos + b) * kvd, in->n_kv_heads, in->head_size, in->rope_dim, pos + b,
                 in->rope_base);
    }
    for (uint32_t b = 0; b < n; b++) {
        attn_job j = {in, st, kc, vc, st->q + b * dim, st->xb + b * dim, pos + b};
        /* Spread over the pool only when the context makes it worth a hand-off. */
        if ((uint64_t)(pos + b + 1) * dim < m->lim.attn_parallel_min)
            attend_heads(&j, 0, in->n_heads);
        else
            fg__pool_run(m->pool, in->n_heads, attend_heads, &j);
    }
    fg__matmul(m->pool, &ly->wo, st->xb, n, st->xq, st->xb2);
    add_into(st->x, st->xb2, n * dim);
}

static void feed_forward(const fg_infer_model *m, fg__state *st, uint32_t l, uint32_t n)
{
    const fg_infer_info *in = &m->info;
    const fg__layer *ly = &m->layers[l];
    size_t dim = in->dim, hid = in->hidden_dim;
    for (uint32_t b = 0; b < n; b++)
        fg__rmsnorm(st->xb + b * dim, st->x + b * dim, ly->ffn_norm, dim, in->rms_eps);
    const fg__tensor *gate_up[2] = {&ly->w1, &ly->w3};
    float *const outs[2] = {st->hb, st->hb2};
    fg__matmul_multi(m->pool, gate_up, outs, 2, st->xb, n, st->xq);
    for (size_t i = 0; i < n * hid; i++)
        st->hb[i] = fg__silu(st->hb[i]) * st->hb2[i];
    fg__matmul(m->pool, &ly->w2, st->hb, n, st->xq, st->xb);
    add_into(st->x, st->xb, n * dim);
}

void fg__forward(const fg_infer_model *m, fg__state *st, const int32_t *tokens, uint32_t n,
                 uint32_t pos, bool want_logits)
{
    const fg_infer_info *in = &m->info;
    size_t dim = in->dim;
    for (uint32_t b = 0; b < n; b++)
        fg__tensor_row(&m->embed, (uint64_t)tokens[b], st->x + b * dim);
    for (uint32_t l = 0; l < in->n_layers; l++) {
        attention(m, st, l, n, pos);
        feed_forward(m, st, l, n);
    }
    if (!want_logits)
        return;
    float *last = st->x + (n - 1) * dim;
    fg__rmsnorm(last, last, m->out_norm, dim, in->rms_eps);
    fg__matvec(m->pool, &m->output, last, st->xq, st->logits);
}
