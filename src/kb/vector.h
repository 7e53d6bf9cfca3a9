/* Dense-vector search: a flat store of float32 vectors (normalised on the way
 * in, so cosine similarity is a dot product), exact top-k with SIMD dot
 * products, an HNSW graph for approximate top-k on large stores, and
 * reciprocal rank fusion to merge rankings (hybrid search). Vector ids are
 * dense (0, 1, 2... in order of addition); callers map them to chunks. */
#ifndef FG_KB_VECTOR_H
#define FG_KB_VECTOR_H

#include "core/buf.h"
#include "core/error.h"
#include "kb/index.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fg_kb_vectors fg_kb_vectors;

fg_kb_vectors *fg_kb_vectors_new(size_t dim);
void fg_kb_vectors_free(fg_kb_vectors *v);
size_t fg_kb_vectors_dim(const fg_kb_vectors *v);
size_t fg_kb_vectors_count(const fg_kb_vectors *v);
/* Copies and normalises vec (dim floats); a zero or non-finite vector is
 * refused with FG_EINVAL. *id receives its id. */
int fg_kb_vectors_add(fg_kb_vectors *v, const float *vec, uint32_t *id);
const float *fg_kb_vectors_get(const fg_kb_vectors *v, uint32_t id);

/* Dot product of two dim-float arrays (AVX2/FMA when the CPU has it, else SSE). */
float fg_kb_dot(const float *a, const float *b, size_t dim);
/* Normalises in place; returns false for a zero or non-finite vector. */
bool fg_kb_normalize(float *x, size_t dim);

/* Exact cosine top-k over every vector passing filter (may be NULL); hits
 * carry the vector id in .doc and the cosine in .score, best first. */
int fg_kb_vectors_search(const fg_kb_vectors *v, const float *query, size_t k,
                         fg_kb_filter_fn filter, void *ctx, fg_kb_hit *hits, size_t *nhits);

typedef struct fg_kb_hnsw fg_kb_hnsw;

typedef struct fg_kb_hnsw_opts {
    size_t m;               /* links per node above layer 0 (2m on layer 0); default 16 */
    size_t ef_construction; /* default 200 */
    uint64_t seed;          /* level draws; default 42 */
} fg_kb_hnsw_opts;

/* An HNSW graph over the vectors of v (which must outlive it). */
fg_kb_hnsw *fg_kb_hnsw_new(const fg_kb_vectors *v, const fg_kb_hnsw_opts *opts);
void fg_kb_hnsw_free(fg_kb_hnsw *h);
/* Links vector id (already in the store) into the graph. */
int fg_kb_hnsw_add(fg_kb_hnsw *h, uint32_t id);
/* Approximate top-k; ef (>= k, default 64 when 0) trades speed for recall.
 * Filtered-out nodes are walked through but not returned. */
int fg_kb_hnsw_search(const fg_kb_hnsw *h, const float *query, size_t k, size_t ef,
                      fg_kb_filter_fn filter, void *ctx, fg_kb_hit *hits, size_t *nhits);

/* Persistence: versioned little-endian blobs. A graph is loaded over the
 * store it was built on (same vectors, same order). */
int fg_kb_vectors_save(const fg_kb_vectors *v, fg_buf *out);
fg_kb_vectors *fg_kb_vectors_load(const void *data, size_t len, fg_errbuf *eb);
int fg_kb_hnsw_save(const fg_kb_hnsw *h, fg_buf *out);
fg_kb_hnsw *fg_kb_hnsw_load(const fg_kb_vectors *v, const void *data, size_t len, fg_errbuf *eb);

/* One ranking to fuse: hits best first, and its weight. */
typedef struct fg_kb_ranking {
    const fg_kb_hit *hits;
    size_t n;
    double weight;
} fg_kb_ranking;

/* Reciprocal rank fusion: score(d) = sum over rankings of weight / (k_rrf +
 * rank), rank from 1 (k_rrf 60 when 0). Writes the k best into out. */
int fg_kb_rrf(const fg_kb_ranking *rankings, size_t nrankings, double k_rrf, size_t k,
              fg_kb_hit *out, size_t *nout);

#endif
