/* In-process cache lookups over a large cache: exact hits and semantic hits
 * (HNSW and exact scan) against a peer that keeps the same entries only in
 * SQLite and reads one row per lookup by its primary key (what a cache without
 * a memory index does). Prints p50/p99 per lookup in microseconds, medians of
 * RUNS runs, wall clock and on-CPU time (the thread's CPU clock: what a
 * lookup costs without the time the machine's scheduler gave to others).
 * Semantic lookups are asked twice: with a cached prompt's own embedding, and
 * with a paraphrase of it (the embedding plus noise, cosine about 0.97); the
 * HNSW hits are compared with the exact scan's on the same queries (recall).
 *
 *   bench_cache ENTRIES RUNS DIM */
#include "cache/cache.h"
#include "core/clock.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOOKUPS 20000
#define SCANS 500

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return (double)v[(size_t)(p * (double)(n - 1))] / 1000.0;
}

#define TOPICS 1000

/* Embeddings of real questions cluster by topic: a vector is one of TOPICS
 * random centroids plus noise (uniform random vectors, the worst case for a
 * graph index, are not what a cache sees). */
static void random_vec(float *v, size_t dim, unsigned *seed)
{
    static float *centroids;
    static size_t cdim;
    if (!centroids || cdim != dim) {
        free(centroids);
        centroids = malloc(TOPICS * dim * sizeof *centroids);
        cdim = dim;
        unsigned cs = 1;
        for (size_t i = 0; i < TOPICS * dim; i++)
            centroids[i] = (float)(rand_r(&cs) % 20001 - 10000) / 10000.0f;
    }
    const float *c = centroids + (size_t)(rand_r(seed) % TOPICS) * dim;
    for (size_t d = 0; d < dim; d++)
        v[d] = c[d] + 0.5f * (float)(rand_r(seed) % 20001 - 10000) / 10000.0f;
}

static void key_of(char *out, size_t n, size_t i)
{
    snprintf(out, n, "node-%zuWhat is the answer to question number %zu?", i % 100, i);
}

static int fill(fg_cache *c, size_t entries, size_t dim, float *vecs)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    unsigned seed = 42;
    char key[128];
    if (fg_cache_batch_begin(c, &eb))
        return fprintf(stderr, "batch: %s\n", eb.msg), -1;
    for (size_t i = 0; i < entries; i++) {
        key_of(key, sizeof key, i);
        fg_cache_entry e = {.account_id = "default", .mode = FG_CACHE_EXACT, .ns = "", .key = key,
                            .key_len = strlen(key), .response = "An answer of a realistic length, a "
                            "sentence or two that the model produced once.", .response_len = 80,
                            .model = "m", .gen_ms = 800};
        if (fg_cache_put(c, &e, &eb))
            return fprintf(stderr, "put: %s\n", eb.msg), -1;
        random_vec(vecs + i * dim, dim, &seed);
        e.mode = FG_CACHE_SEMANTIC;
        e.ns = "geo";
        e.vec = vecs + i * dim;
        e.dim = dim;
        if (fg_cache_put(c, &e, &eb))
            return fprintf(stderr, "put: %s\n", eb.msg), -1;
    }
    return fg_cache_batch_end(c, &eb);
}

typedef struct peer_row {
    int found;
} peer_row;

static int peer_cb(void *ctx, int ncols, const char *const *names, const fg_sval *cols)
{
    ((peer_row *)ctx)->found = cols[0].type == FG_SV_TEXT && cols[0].v.s.n > 0;
    return 0;
}

static void run_exact(fg_cache *c, size_t entries, uint64_t *lat)
{
    char key[128];
    unsigned seed = 7;
    for (size_t i = 0; i < LOOKUPS; i++) {
        key_of(key, sizeof key, (size_t)rand_r(&seed) % entries);
        uint64_t t = fg_clock_mono_ns();
        fg_cache_hit h;
        if (fg_cache_get(c, "default", FG_CACHE_EXACT, "", key, strlen(key), &h))
            fg_cache_hit_free(&h);
        else
            abort();
        lat[i] = fg_clock_mono_ns() - t;
    }
}

/* Query i: a cached prompt's embedding, or (paraphrase) that embedding plus
 * noise of amplitude 0.25 per dimension (cosine about 0.97 to it). */
static void query_of(const float *vecs, size_t entries, size_t dim, bool paraphrase, unsigned *seed,
                     float *q)
{
    const float *v = vecs + ((size_t)rand_r(seed) % entries) * dim;
    for (size_t d = 0; d < dim; d++)
        q[d] = v[d] + (paraphrase ? 0.25f * (float)(rand_r(seed) % 20001 - 10000) / 10000.0f : 0.0f);
}

/* Latencies (wall, on-CPU) and each lookup's score (0: no hit). */
static void run_semantic(fg_cache *c, size_t entries, size_t dim, const float *vecs, bool paraphrase,
                         uint64_t *lat, uint64_t *cpu, float *scores, size_t n)
{
    unsigned seed = 9;
    float *q = malloc(dim * sizeof *q);
    for (size_t i = 0; i < n; i++) {
        query_of(vecs, entries, dim, paraphrase, &seed, q);
        uint64_t t = fg_clock_mono_ns(), tc = cpu_ns();
        fg_cache_hit h;
        scores[i] = 0;
        if (fg_cache_get_similar(c, "default", "geo", q, dim, &h)) {
            scores[i] = h.score;
            fg_cache_hit_free(&h);
        }
        cpu[i] = cpu_ns() - tc;
        lat[i] = fg_clock_mono_ns() - t;
    }
    free(q);
}

/* Share of the exact scan's hits that HNSW found with the same score. */
static double recall(const float *hnsw, const float *exact, size_t n)
{
    size_t want = 0, got = 0;
    for (size_t i = 0; i < n; i++)
        if (exact[i] > 0) {
            want++;
            got += hnsw[i] >= exact[i] - 1e-5f;
        }
    return want ? (double)got / (double)want : 1.0;
}

static void run_peer(fg_store *s, size_t entries, uint64_t *lat)
{
    char key[128];
    unsigned seed = 7;
    fg_errbuf eb;
    for (size_t i = 0; i < LOOKUPS; i++) {
        key_of(key, sizeof key, (size_t)rand_r(&seed) % entries);
        uint64_t t = fg_clock_mono_ns();
        fg_sval p[4] = {FG_STEXT("default"), FG_STEXT("exact"), FG_STEXT(""), FG_STEXT(key)};
        peer_row row = {0};
        fg_store_query(s, "SELECT response FROM cache_entries WHERE account_id = $1 AND mode = $2 AND "
                          "namespace = $3 AND cache_key = $4", p, 4, peer_cb, &row, &eb);
        if (!row.found)
            abort();
        lat[i] = fg_clock_mono_ns() - t;
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    size_t entries = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    size_t dim = argc > 3 ? strtoul(argv[3], NULL, 10) : 256;
    char dir[] = "/tmp/fg-bench-cache-XXXXXX";
    if (!mkdtemp(dir) || runs < 1 || runs > 50)
        return 1;
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *store = NULL;
    fg_cache *cache = NULL, *scan = NULL;
    fg_cache_opts o = {.threshold = 0.95, .hnsw_min_entries = 20000, .max_entries = 4 * entries};
    fg_cache_opts so = o;
    so.hnsw_min_entries = 0; /* the exact scan, for comparison */
    float *vecs = malloc(entries * dim * sizeof *vecs);
    if (!vecs || fg_store_open(url, &store, &eb) || fg_cache_open(store, &o, &cache, &eb))
        return fprintf(stderr, "open: %s\n", eb.msg), 1;
    uint64_t t0 = fg_clock_mono_ns();
    if (fill(cache, entries, dim, vecs))
        return 1;
    double fill_s = (double)(fg_clock_mono_ns() - t0) / 1e9;
    if (fg_cache_open(NULL, &so, &scan, &eb) || fill(scan, entries, dim, vecs))
        return 1;
    uint64_t *lat = malloc(LOOKUPS * sizeof *lat), *cpu = malloc(LOOKUPS * sizeof *cpu);
    float *hs = malloc(LOOKUPS * sizeof *hs), *xs = malloc(SCANS * sizeof *xs);
    double ex50[50], ex99[50], pe50[50], pe99[50];
    /* se[paraphrase][p50, p99, cpu p50, cpu p99, p99.9, cpu p99.9][run]; sc: the scan's first four */
    double se[2][6][50], sc[2][4][50], rec[2][50], hitr[2][50];
    for (int r = 0; r < runs; r++) {
        run_exact(cache, entries, lat);
        ex50[r] = pct(lat, LOOKUPS, 0.5), ex99[r] = pct(lat, LOOKUPS, 0.99);
        for (int p = 0; p < 2; p++) {
            run_semantic(cache, entries, dim, vecs, p, lat, cpu, hs, LOOKUPS);
            size_t hits = 0;
            for (size_t i = 0; i < LOOKUPS; i++)
                hits += hs[i] > 0;
            hitr[p][r] = (double)hits / LOOKUPS;
            se[p][0][r] = pct(lat, LOOKUPS, 0.5), se[p][1][r] = pct(lat, LOOKUPS, 0.99);
            se[p][4][r] = pct(lat, LOOKUPS, 0.999);
            se[p][2][r] = pct(cpu, LOOKUPS, 0.5), se[p][3][r] = pct(cpu, LOOKUPS, 0.99);
            se[p][5][r] = pct(cpu, LOOKUPS, 0.999);
            run_semantic(scan, entries, dim, vecs, p, lat, cpu, xs, SCANS); /* the same first queries */
            rec[p][r] = recall(hs, xs, SCANS);
            sc[p][0][r] = pct(lat, SCANS, 0.5), sc[p][1][r] = pct(lat, SCANS, 0.99);
            sc[p][2][r] = pct(cpu, SCANS, 0.5), sc[p][3][r] = pct(cpu, SCANS, 0.99);
        }
        run_peer(store, entries, lat);
        pe50[r] = pct(lat, LOOKUPS, 0.5), pe99[r] = pct(lat, LOOKUPS, 0.99);
    }
    printf("entries %zu exact + %zu semantic (dim %d, %d topics), %d runs, %d lookups each (scan: %d); filled "
           "(with store writes, HNSW build) in %.1f s\n", entries, entries, (int)dim, TOPICS, runs, LOOKUPS,
           SCANS, fill_s);
    printf("| lookup | p50 µs | p99 µs | p99.9 µs | on-CPU p50 / p99 / p99.9 µs | hits | recall vs scan |\n"
           "|---|---|---|---|---|---|---|\n");
    printf("| exact, memory index | %.1f | %.1f | | | | |\n", median(ex50, runs), median(ex99, runs));
    printf("| exact, peer: one SQLite row by primary key | %.1f | %.1f | | | | |\n", median(pe50, runs),
           median(pe99, runs));
    static const char *const what[2] = {"a cached prompt's embedding", "a paraphrase (cosine ~0.97)"};
    for (int p = 0; p < 2; p++) {
        printf("| semantic, HNSW, %s | %.1f | %.1f | %.1f | %.1f / %.1f / %.1f | %.4f | %.4f |\n", what[p],
               median(se[p][0], runs), median(se[p][1], runs), median(se[p][4], runs), median(se[p][2], runs),
               median(se[p][3], runs), median(se[p][5], runs), median(hitr[p], runs), median(rec[p], runs));
        printf("| semantic, exact SIMD scan, %s | %.1f | %.1f | | %.1f / %.1f | | |\n", what[p],
               median(sc[p][0], runs), median(sc[p][1], runs), median(sc[p][2], runs), median(sc[p][3], runs));
    }
    fg_cache_free(scan);
    fg_cache_free(cache);
    fg_store_close(store);
    free(lat);
    free(cpu);
    free(hs);
    free(xs);
    free(vecs);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
