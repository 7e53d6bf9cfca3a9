#include "core/rand.h"
#include "kb/vector.h"
#include "fg_test.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* A deterministic generator so failures reproduce. */
static uint64_t rng = 88172645463325252ull;
static float unit_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 9007199254740992.0) * 2 - 1;
}

static float *centers;
static size_t ncenters;

/* A query from the data's distribution: near a cluster centre, or uniform. */
static void make_query(float *q, size_t dim)
{
    size_t c = ncenters ? (size_t)((unit_rand() + 1) / 2 * (float)ncenters) % ncenters : 0;
    for (size_t d = 0; d < dim; d++)
        q[d] = ncenters ? centers[c * dim + d] + 0.15f * unit_rand() : unit_rand();
}

static fg_kb_vectors *random_store(size_t n, size_t dim, size_t clusters)
{
    fg_kb_vectors *v = fg_kb_vectors_new(dim);
    free(centers);
    ncenters = clusters;
    centers = calloc(clusters ? clusters * dim : 1, sizeof(float));
    for (size_t i = 0; i < clusters * dim; i++)
        centers[i] = unit_rand();
    float x[256];
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < dim; d++)
            x[d] = clusters ? centers[(i % clusters) * dim + d] + 0.15f * unit_rand() : unit_rand();
        fg_kb_vectors_add(v, x, NULL);
    }
    return v;
}

FG_TEST(dot_matches_scalar_for_any_length)
{
    float a[37], b[37];
    for (int i = 0; i < 37; i++) {
        a[i] = unit_rand();
        b[i] = unit_rand();
    }
    for (size_t n = 0; n <= 37; n++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += (double)a[i] * b[i];
        FG_CHECK(fabs(fg_kb_dot(a, b, n) - s) < 1e-4);
    }
}

FG_TEST(exact_search_finds_nearest_and_filters)
{
    fg_kb_vectors *v = random_store(500, 24, 0);
    fg_kb_hit hits[5];
    size_t n;
    const float *q = fg_kb_vectors_get(v, 123);
    FG_REQUIRE(fg_kb_vectors_search(v, q, 5, NULL, NULL, hits, &n) == 0);
    FG_REQUIRE(n == 5);
    FG_CHECK_INT(hits[0].doc, 123);
    FG_CHECK(fabs(hits[0].score - 1.0f) < 1e-5);
    for (size_t i = 1; i < n; i++)
        FG_CHECK(hits[i].score <= hits[i - 1].score);
    float zero[24] = {0};
    FG_CHECK_INT(fg_kb_vectors_add(v, zero, NULL), FG_EINVAL);
    FG_CHECK_INT(fg_kb_vectors_count(v), 500);
    fg_kb_vectors_free(v);
    free(centers);
    centers = NULL;
}

static bool even_only(uint32_t id, void *ctx)
{
    (void)ctx;
    return id % 2 == 0;
}

/* recall@10 of HNSW against exact search over 100 queries */
static double recall10(fg_kb_vectors *v, size_t dim, fg_kb_filter_fn filter)
{
    fg_kb_hnsw_opts o = {16, 100, 7};
    fg_kb_hnsw *h = fg_kb_hnsw_new(v, &o);
    for (uint32_t i = 0; i < fg_kb_vectors_count(v); i++)
        if (fg_kb_hnsw_add(h, i) != 0)
            return -1;
    size_t found = 0, total = 0;
    float q[256];
    for (int t = 0; t < 100; t++) {
        make_query(q, dim);
        fg_kb_hit exact[10], approx[10];
        size_t ne, na;
        fg_kb_vectors_search(v, q, 10, filter, NULL, exact, &ne);
        fg_kb_hnsw_search(h, q, 10, 64, filter, NULL, approx, &na);
        for (size_t i = 0; i < ne; i++) {
            total++;
            for (size_t j = 0; j < na; j++)
                if (approx[j].doc == exact[i].doc) {
                    found++;
                    break;
                }
        }
    }
    fg_kb_hnsw_free(h);
    return (double)found / (double)total;
}

FG_TEST(hnsw_recall_on_random_vectors)
{
    fg_kb_vectors *v = random_store(3000, 32, 0);
    double r = recall10(v, 32, NULL);
    printf("  recall@10 random: %.3f\n", r);
    FG_CHECK(r >= 0.95);
    fg_kb_vectors_free(v);
    free(centers);
    centers = NULL;
}

FG_TEST(hnsw_recall_on_clustered_vectors_with_filter)
{
    fg_kb_vectors *v = random_store(3000, 32, 25);
    double r = recall10(v, 32, NULL);
    double rf = recall10(v, 32, even_only);
    printf("  recall@10 clustered: %.3f, filtered: %.3f\n", r, rf);
    FG_CHECK(r >= 0.95);
    FG_CHECK(rf >= 0.95);
    fg_kb_vectors_free(v);
    free(centers);
    centers = NULL;
}

FG_TEST(rrf_fuses_by_weighted_reciprocal_rank)
{
    fg_kb_hit bm25[] = {{1, 9}, {2, 8}, {3, 7}};
    fg_kb_hit vec[] = {{3, 0.9f}, {4, 0.8f}, {1, 0.7f}};
    fg_kb_ranking r[] = {{bm25, 3, 1.0}, {vec, 3, 1.0}};
    fg_kb_hit out[4];
    size_t n;
    FG_REQUIRE(fg_kb_rrf(r, 2, 60, 4, out, &n) == 0);
    FG_REQUIRE(n == 4);
    /* 1: 1/61 + 1/63; 3: 1/63 + 1/61 (tie, lower id first); then 2 (1/62) and 4 (1/62) */
    FG_CHECK_INT(out[0].doc, 1);
    FG_CHECK_INT(out[1].doc, 3);
    FG_CHECK_INT(out[2].doc, 2);
    FG_CHECK_INT(out[3].doc, 4);
    fg_kb_ranking heavy[] = {{bm25, 3, 0.1}, {vec, 3, 1.0}};
    FG_REQUIRE(fg_kb_rrf(heavy, 2, 60, 1, out, &n) == 0);
    FG_CHECK_INT(out[0].doc, 3); /* the vector ranking dominates */
}

FG_TEST(vectors_and_hnsw_round_trip_through_blobs)
{
    fg_kb_vectors *v = random_store(600, 16, 6);
    fg_kb_hnsw *h = fg_kb_hnsw_new(v, NULL);
    for (uint32_t i = 0; i < 600; i++)
        FG_REQUIRE(fg_kb_hnsw_add(h, i) == 0);
    fg_buf vb, hb;
    fg_buf_init(&vb, 0);
    fg_buf_init(&hb, 0);
    FG_REQUIRE(fg_kb_vectors_save(v, &vb) == 0);
    FG_REQUIRE(fg_kb_hnsw_save(h, &hb) == 0);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_kb_vectors *v2 = fg_kb_vectors_load(vb.data, vb.len, &eb);
    FG_REQUIRE(v2 != NULL);
    fg_kb_hnsw *h2 = fg_kb_hnsw_load(v2, hb.data, hb.len, &eb);
    FG_REQUIRE(h2 != NULL);
    float q[16];
    for (int t = 0; t < 20; t++) {
        make_query(q, 16);
        fg_kb_hit a[10], b[10];
        size_t na, nb;
        fg_kb_hnsw_search(h, q, 10, 64, NULL, NULL, a, &na);
        fg_kb_hnsw_search(h2, q, 10, 64, NULL, NULL, b, &nb);
        FG_REQUIRE(na == nb);
        for (size_t i = 0; i < na; i++)
            FG_CHECK(a[i].doc == b[i].doc && a[i].score == b[i].score);
    }
    float x[16] = {1};
    uint32_t id;
    FG_CHECK(fg_kb_vectors_add(v2, x, &id) == 0 && fg_kb_hnsw_add(h2, id) == 0); /* still growable */
    /* damaged blobs are refused with a message */
    for (size_t cut = 0; cut < hb.len; cut += 97) {
        fg_errbuf_clear(&eb);
        FG_CHECK(fg_kb_hnsw_load(v2, hb.data, cut, &eb) == NULL && eb.msg[0]);
    }
    hb.data[hb.len - 2] = 0x7f; /* a link far out of range */
    FG_CHECK(fg_kb_hnsw_load(v2, hb.data, hb.len, &eb) == NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(fg_kb_vectors_load(vb.data, vb.len - 1, &eb) == NULL && strstr(eb.msg, "vector blob"));
    fg_kb_hnsw_free(h);
    fg_kb_hnsw_free(h2);
    fg_kb_vectors_free(v);
    fg_kb_vectors_free(v2);
    fg_buf_free(&vb);
    fg_buf_free(&hb);
    free(centers);
    centers = NULL;
}

/* Searches from several threads at once (each takes its own visited marks
 * from the graph's pool) give what one thread alone gives, and a search after
 * the graph grew past the marks' size finds the new vectors. */
typedef struct search_job {
    const fg_kb_hnsw *h;
    const float *queries;
    size_t n, dim;
    uint32_t *best;
} search_job;

static void *search_all(void *arg)
{
    search_job *j = arg;
    for (int round = 0; round < 5; round++)
        for (size_t i = 0; i < j->n; i++) {
            fg_kb_hit hits[5];
            size_t nh = 0;
            fg_kb_hnsw_search(j->h, j->queries + i * j->dim, 5, 32, NULL, NULL, hits, &nh);
            j->best[i] = nh ? hits[0].doc : UINT32_MAX;
        }
    return NULL;
}

FG_TEST(hnsw_concurrent_searches_agree_and_see_growth)
{
    enum { DIM = 16, N = 2000, Q = 200, THREADS = 4 };
    fg_kb_vectors *v = random_store(N, DIM, 20);
    fg_kb_hnsw *h = fg_kb_hnsw_new(v, NULL);
    for (uint32_t i = 0; i < N; i++)
        FG_REQUIRE(fg_kb_hnsw_add(h, i) == 0);
    static float queries[Q * DIM];
    for (size_t i = 0; i < Q; i++)
        make_query(queries + i * DIM, DIM);
    static uint32_t alone[Q], together[THREADS][Q];
    search_job one = {h, queries, Q, DIM, alone};
    search_all(&one);
    pthread_t t[THREADS];
    search_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (search_job){h, queries, Q, DIM, together[i]};
        FG_REQUIRE(pthread_create(&t[i], NULL, search_all, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        FG_CHECK(memcmp(alone, together[i], sizeof alone) == 0);
    /* grow well past the marks' size: the new vectors are found */
    float x[DIM];
    for (int i = 0; i < N; i++) {
        for (int d = 0; d < DIM; d++)
            x[d] = unit_rand();
        uint32_t id;
        FG_REQUIRE(fg_kb_vectors_add(v, x, &id) == 0 && fg_kb_hnsw_add(h, id) == 0);
    }
    int found = 0;
    for (uint32_t id = N; id < 2 * N; id += 20) {
        fg_kb_hit hits[1];
        size_t nh = 0;
        FG_REQUIRE(fg_kb_hnsw_search(h, fg_kb_vectors_get(v, id), 1, 64, NULL, NULL, hits, &nh) == 0);
        found += nh == 1 && hits[0].doc == id;
    }
    FG_CHECK(found >= 95); /* of 100 */
    fg_kb_hnsw_free(h);
    fg_kb_vectors_free(v);
    free(centers);
    centers = NULL;
}
