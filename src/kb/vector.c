#include "kb/vector.h"

#include "kb/blob.h"
#include "kb/topk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

struct fg_kb_vectors {
    size_t dim, n, cap;
    float *data;
};

fg_kb_vectors *fg_kb_vectors_new(size_t dim)
{
    if (dim == 0 || dim > 65536)
        return NULL;
    fg_kb_vectors *v = calloc(1, sizeof *v);
    if (v)
        v->dim = dim;
    return v;
}

void fg_kb_vectors_free(fg_kb_vectors *v)
{
    if (!v)
        return;
    free(v->data);
    free(v);
}

size_t fg_kb_vectors_dim(const fg_kb_vectors *v)
{
    return v->dim;
}

size_t fg_kb_vectors_count(const fg_kb_vectors *v)
{
    return v->n;
}

const float *fg_kb_vectors_get(const fg_kb_vectors *v, uint32_t id)
{
    return id < v->n ? v->data + (size_t)id * v->dim : NULL;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    s0 = _mm256_add_ps(s0, s1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    float s = _mm_cvtss_f32(h);
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static float dot_sse(const float *a, const float *b, size_t n)
{
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
        s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
    }
    s0 = _mm_add_ps(s0, s1);
    s0 = _mm_add_ps(s0, _mm_movehl_ps(s0, s0));
    s0 = _mm_add_ss(s0, _mm_shuffle_ps(s0, s0, 1));
    float s = _mm_cvtss_f32(s0);
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

float fg_kb_dot(const float *a, const float *b, size_t dim)
{
    /* the CPU features are read once by the compiler's start-up code */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return dot_avx2(a, b, dim);
    return dot_sse(a, b, dim);
}
#else
float fg_kb_dot(const float *a, const float *b, size_t dim)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= dim; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < dim; i++)
        s0 += a[i] * b[i];
    return s0 + s1 + s2 + s3;
}
#endif

bool fg_kb_normalize(float *x, size_t dim)
{
    double ss = 0;
    for (size_t i = 0; i < dim; i++)
        ss += (double)x[i] * x[i];
    if (!(ss > 0) || !isfinite(ss))
        return false;
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t i = 0; i < dim; i++)
        x[i] *= inv;
    return true;
}

int fg_kb_vectors_add(fg_kb_vectors *v, const float *vec, uint32_t *id)
{
    if (v->n >= UINT32_MAX - 1)
        return FG_ELIMIT;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        float *d = realloc(v->data, cap * v->dim * sizeof *d);
        if (!d)
            return FG_ENOMEM;
        v->data = d;
        v->cap = cap;
    }
    float *dst = v->data + v->n * v->dim;
    memcpy(dst, vec, v->dim * sizeof *dst);
    if (!fg_kb_normalize(dst, v->dim))
        return FG_EINVAL;
    if (id)
        *id = (uint32_t)v->n;
    v->n++;
    return 0;
}

int fg_kb_vectors_search(const fg_kb_vectors *v, const float *query, size_t k,
                         fg_kb_filter_fn filter, void *ctx, fg_kb_hit *hits, size_t *nhits)
{
    *nhits = 0;
    float *q = malloc(v->dim * sizeof *q);
    if (!q)
        return FG_ENOMEM;
    memcpy(q, query, v->dim * sizeof *q);
    if (!fg_kb_normalize(q, v->dim)) {
        free(q);
        return FG_EINVAL;
    }
    fg_kb_topk top;
    fg_kb_topk_init(&top, hits, k);
    for (size_t i = 0; i < v->n; i++)
        if (!filter || filter((uint32_t)i, ctx))
            fg_kb_topk_push(&top, (uint32_t)i, fg_kb_dot(q, v->data + i * v->dim, v->dim));
    *nhits = fg_kb_topk_finish(&top);
    free(q);
    return 0;
}

typedef struct fused {
    uint32_t doc;
    double score;
} fused;

static int by_doc(const void *a, const void *b)
{
    uint32_t x = ((const fused *)a)->doc, y = ((const fused *)b)->doc;
    return (x > y) - (x < y);
}

int fg_kb_rrf(const fg_kb_ranking *rankings, size_t nrankings, double k_rrf, size_t k,
              fg_kb_hit *out, size_t *nout)
{
    *nout = 0;
    if (k_rrf <= 0)
        k_rrf = 60;
    size_t total = 0;
    for (size_t r = 0; r < nrankings; r++)
        total += rankings[r].n;
    fused *all = malloc((total ? total : 1) * sizeof *all);
    if (!all)
        return FG_ENOMEM;
    size_t n = 0;
    for (size_t r = 0; r < nrankings; r++)
        for (size_t i = 0; i < rankings[r].n; i++)
            all[n++] = (fused){rankings[r].hits[i].doc, rankings[r].weight / (k_rrf + (double)i + 1)};
    qsort(all, n, sizeof *all, by_doc);
    fg_kb_topk top;
    fg_kb_topk_init(&top, out, k);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double s = 0;
        while (j < n && all[j].doc == all[i].doc)
            s += all[j++].score;
        fg_kb_topk_push(&top, all[i].doc, (float)s);
        i = j;
    }
    *nout = fg_kb_topk_finish(&top);
    free(all);
    return 0;
}

/* "FGKBVE" u16 version | u32 dim | u32 n | n x dim float32 (IEEE, little-endian) */
int fg_kb_vectors_save(const fg_kb_vectors *v, fg_buf *out)
{
    int rc = fg_buf_append(out, "FGKBVE\x01\x00", 8);
    if (!rc)
        rc = fg_kb_put_u32(out, (uint32_t)v->dim);
    if (!rc)
        rc = fg_kb_put_u32(out, (uint32_t)v->n);
    for (size_t i = 0; i < v->n * v->dim && !rc; i++) {
        uint32_t bits;
        memcpy(&bits, &v->data[i], 4);
        rc = fg_kb_put_u32(out, bits);
    }
    return rc;
}

fg_kb_vectors *fg_kb_vectors_load(const void *data, size_t len, fg_errbuf *eb)
{
    fg_kb_reader r = {data, len, 8, "vector blob", eb};
    uint32_t dim = 0, n = 0;
    if (len < 8 || memcmp(data, "FGKBVE\x01\x00", 8) != 0) {
        fg_failf(eb, FG_EPARSE, "vector blob: not a flowgate vector store of version 1");
        return NULL;
    }
    if (fg_kb_get_u32(&r, &dim) || fg_kb_get_u32(&r, &n))
        return NULL;
    if (dim == 0 || dim > 65536 || (len - r.pos) / 4 / dim != n || (len - r.pos) != (size_t)n * dim * 4) {
        fg_failf(eb, FG_EPARSE, "vector blob: %u vectors of %u dimensions do not fill %zu bytes",
                 n, dim, len - r.pos);
        return NULL;
    }
    fg_kb_vectors *v = fg_kb_vectors_new(dim);
    float *d = v ? malloc(((size_t)n ? n : 1) * dim * sizeof *d) : NULL;
    if (!d) {
        fg_kb_vectors_free(v);
        fg_failf(eb, FG_ENOMEM, "vector blob: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < (size_t)n * dim; i++) {
        uint32_t bits;
        fg_kb_get_u32(&r, &bits);
        memcpy(&d[i], &bits, 4);
        if (!isfinite(d[i])) {
            free(d);
            fg_kb_vectors_free(v);
            fg_failf(eb, FG_EPARSE, "vector blob: value %zu is not finite", i);
            return NULL;
        }
    }
    v->data = d;
    v->n = v->cap = n;
    return v;
}
