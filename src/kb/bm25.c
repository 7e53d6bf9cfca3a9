/* BM25 as Lucene's BM25Similarity computes it: idf = ln(1 + (N - n + 0.5) /
 * (n + 0.5)), score = w - w / (1 + tf / (k1 * (1 - b + b * dl / avgdl))) with
 * w = idf times the term's count in the query, summed over query terms. The
 * (k1 + 1) factor of textbook BM25 is left out, as in Lucene 8 and later;
 * rankings are the same. */
#include "kb/index_int.h"
#include "kb/topk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct qterm {
    uint32_t term;
    uint32_t count;
} qterm;

typedef struct qcollect {
    const fg_kb_index *ix;
    qterm *q;
    size_t n, cap;
} qcollect;

static int on_query_term(const char *term, size_t len, unsigned pos, void *ctx)
{
    (void)pos;
    qcollect *c = ctx;
    uint32_t t = fg_kb_strmap_find(&c->ix->terms, term, len);
    if (t == FG_KB_NO_ID)
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->q[i].term == t) {
            c->q[i].count++;
            return 0;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        qterm *q = realloc(c->q, cap * sizeof *q);
        if (!q)
            return FG_ENOMEM;
        c->q = q;
        c->cap = cap;
    }
    c->q[c->n++] = (qterm){t, 1};
    return 0;
}

/* 1 / (k1 * (1 - b + b * len / avgdl)) for each of the 256 quantised lengths. */
static void norm_cache(const fg_kb_index *ix, const fg_kb_bm25_params *p, float cache[256])
{
    float avgdl = ix->live_docs ? (float)((double)ix->total_terms / ix->live_docs) : 1.0f;
    if (avgdl <= 0)
        avgdl = 1.0f;
    for (int i = 0; i < 256; i++)
        cache[i] = 1.0f / (p->k1 * ((1 - p->b) + p->b * (float)fg_kb_norm_to_length((uint8_t)i) / avgdl));
}

static float doc_norm(const fg_kb_index *ix, const fg_kb_bm25_params *p, const float cache[256],
                      float avgdl, uint32_t doc)
{
    if (!p->exact_lengths)
        return cache[ix->norm[doc]];
    return 1.0f / (p->k1 * ((1 - p->b) + p->b * (float)ix->len[doc] / avgdl));
}

static void score_term(const fg_kb_index *ix, const fg_kb_bm25_params *p, const float cache[256],
                       const qterm *q, double *acc, uint32_t *touched, size_t *ntouched)
{
    const fg_kb_postings *pl = &ix->post[q->term];
    if (!pl->df)
        return;
    double n = pl->df, N = ix->live_docs;
    float w = (float)log(1 + (N - n + 0.5) / (n + 0.5)) * (float)q->count;
    float avgdl = ix->live_docs ? (float)((double)ix->total_terms / ix->live_docs) : 1.0f;
    for (uint32_t i = 0; i < pl->n; i++) {
        uint32_t d = pl->p[i].doc;
        if (!ix->live[d])
            continue;
        float inv = doc_norm(ix, p, cache, avgdl, d);
        float s = w - w / (1.0f + (float)pl->p[i].tf * inv);
        if (acc[d] == 0)
            touched[(*ntouched)++] = d;
        acc[d] += s;
    }
}

int fg_kb_bm25_search(const fg_kb_index *ix, fg_kb_analyzer *an, const char *query, size_t qlen,
                      const fg_kb_bm25_params *params, size_t k, fg_kb_filter_fn filter,
                      void *filter_ctx, fg_kb_hit *hits, size_t *nhits)
{
    fg_kb_bm25_params p = params ? *params : FG_KB_BM25_DEFAULTS;
    *nhits = 0;
    qcollect qc = {.ix = ix};
    int rc = fg_kb_analyze(an, query, qlen, on_query_term, &qc);
    if (rc || qc.n == 0 || ix->ndocs == 0 || k == 0) {
        free(qc.q);
        return rc;
    }
    double *acc = calloc(ix->ndocs, sizeof *acc);
    uint32_t *touched = malloc(ix->ndocs * sizeof *touched);
    if (!acc || !touched) {
        rc = FG_ENOMEM;
        goto out;
    }
    float cache[256];
    norm_cache(ix, &p, cache);
    size_t ntouched = 0;
    for (size_t i = 0; i < qc.n; i++)
        score_term(ix, &p, cache, &qc.q[i], acc, touched, &ntouched);
    fg_kb_topk top;
    fg_kb_topk_init(&top, hits, k);
    for (size_t i = 0; i < ntouched; i++) {
        uint32_t d = touched[i];
        if (!filter || filter(d, filter_ctx))
            fg_kb_topk_push(&top, d, (float)acc[d]);
    }
    *nhits = fg_kb_topk_finish(&top);
out:
    free(acc);
    free(touched);
    free(qc.q);
    return rc;
}
