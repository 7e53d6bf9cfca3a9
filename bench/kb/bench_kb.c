/* BM25 on a BEIR dataset: flowgate's index against SQLite FTS5 bm25() with its
 * porter tokenizer, on the same corpus and queries in the same run. Prints the
 * median over runs of indexing time, query latency p50/p99 and nDCG@10.
 * Usage: bench_kb DATASET_DIR [RUNS] */
#include "core/clock.h"
#include "kb/eval.h"
#include "kb/vector.h"
#include "service_engine.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fts {
    sqlite3 *db;
    sqlite3_stmt *ins, *q;
    char **ids;
    size_t n, cap;
    char match[65536];
} fts;

static int fts_add(void *ctx, const char *id, const char *text, size_t len, fg_errbuf *eb)
{
    fts *f = ctx;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1024;
        f->ids = realloc(f->ids, f->cap * sizeof *f->ids);
    }
    f->ids[f->n] = strdup(id);
    sqlite3_bind_int64(f->ins, 1, (sqlite3_int64)f->n + 1);
    sqlite3_bind_text(f->ins, 2, text, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(f->ins);
    sqlite3_reset(f->ins);
    f->n++;
    return rc == SQLITE_DONE ? 0 : fg_failf(eb, FG_EIO, "fts5: %s", sqlite3_errmsg(f->db));
}

static int fts_commit(void *ctx, fg_errbuf *eb)
{
    fts *f = ctx;
    return sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
               ? 0 : fg_failf(eb, FG_EIO, "fts5: %s", sqlite3_errmsg(f->db));
}

/* The query's words, each quoted, joined with OR (FTS5 query syntax). */
static void to_match(const char *q, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = q; *p && o + 80 < cap;) {
        if (!isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) {
            p++;
            continue;
        }
        if (o)
            o += (size_t)snprintf(out + o, cap - o, " OR ");
        out[o++] = '"';
        while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80) && o + 4 < cap)
            out[o++] = *p++;
        out[o++] = '"';
    }
    out[o] = 0;
}

static int fts_search(void *ctx, const char *query, size_t k, fg_kb_ranked *out, size_t *n,
                      fg_errbuf *eb)
{
    fts *f = ctx;
    *n = 0;
    to_match(query, f->match, sizeof f->match);
    if (!f->match[0])
        return 0;
    sqlite3_bind_text(f->q, 1, f->match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(f->q, 2, (sqlite3_int64)k);
    int rc;
    while ((rc = sqlite3_step(f->q)) == SQLITE_ROW && *n < k)
        out[(*n)++] = (fg_kb_ranked){f->ids[sqlite3_column_int64(f->q, 0) - 1],
                                     (float)-sqlite3_column_double(f->q, 1)};
    sqlite3_reset(f->q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fg_failf(eb, FG_EIO, "fts5: %s", sqlite3_errmsg(f->db));
}

static int fts_open(fts *f)
{
    memset(f, 0, sizeof *f);
    if (sqlite3_open(":memory:", &f->db) != SQLITE_OK ||
        sqlite3_exec(f->db, "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61');"
                            "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(f->db, "INSERT INTO t(rowid, body) VALUES (?1, ?2)", -1, &f->ins, NULL) ||
        sqlite3_prepare_v2(f->db, "SELECT rowid, bm25(t) FROM t WHERE t MATCH ?1 ORDER BY bm25(t) LIMIT ?2",
                           -1, &f->q, NULL)) {
        fprintf(stderr, "fts5: %s\n", sqlite3_errmsg(f->db));
        return -1;
    }
    return 0;
}

static void fts_close(fts *f)
{
    sqlite3_finalize(f->ins);
    sqlite3_finalize(f->q);
    sqlite3_close(f->db);
    for (size_t i = 0; i < f->n; i++)
        free(f->ids[i]);
    free(f->ids);
}

enum { MAX_RUNS = 15 };

typedef struct series {
    const char *name;
    double index_ms[MAX_RUNS], p50[MAX_RUNS], p99[MAX_RUNS], ndcg;
} series;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void record(series *s, int run, const fg_kb_eval_result *r)
{
    s->index_ms[run] = r->index_ms;
    s->p50[run] = r->query_p50_us;
    s->p99[run] = r->query_p99_us;
    s->ndcg = r->ndcg10;
}

/* Vector search at SciFact's size with embedding-like dimensions: random
 * clustered vectors (no embedding model runs here), exact scan vs HNSW. */
static float frand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (float)((double)(*s >> 11) / 9007199254740992.0) * 2 - 1;
}

static void vector_bench(size_t n, size_t dim, size_t nq)
{
    uint64_t seed = 12345;
    fg_kb_vectors *v = fg_kb_vectors_new(dim);
    float *centers = malloc(50 * dim * sizeof *centers), *x = malloc(dim * sizeof *x);
    for (size_t i = 0; i < 50 * dim; i++)
        centers[i] = frand(&seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < dim; d++)
            x[d] = centers[(i % 50) * dim + d] + 0.5f * frand(&seed);
        fg_kb_vectors_add(v, x, NULL);
    }
    uint64_t t0 = fg_clock_mono_ns();
    fg_kb_hnsw *h = fg_kb_hnsw_new(v, NULL);
    for (uint32_t i = 0; i < n; i++)
        fg_kb_hnsw_add(h, i);
    double build_ms = (double)(fg_clock_mono_ns() - t0) / 1e6;
    double *te = malloc(nq * sizeof *te), *ta = malloc(nq * sizeof *ta);
    size_t found = 0;
    for (size_t q = 0; q < nq; q++) {
        for (size_t d = 0; d < dim; d++)
            x[d] = centers[(q * 7 % 50) * dim + d] + 0.5f * frand(&seed);
        fg_kb_hit e[10], a[10];
        size_t ne, na;
        uint64_t q0 = fg_clock_mono_ns();
        fg_kb_vectors_search(v, x, 10, NULL, NULL, e, &ne);
        uint64_t q1 = fg_clock_mono_ns();
        fg_kb_hnsw_search(h, x, 10, 64, NULL, NULL, a, &na);
        uint64_t q2 = fg_clock_mono_ns();
        te[q] = (double)(q1 - q0) / 1e3;
        ta[q] = (double)(q2 - q1) / 1e3;
        for (size_t i = 0; i < ne; i++)
            for (size_t j = 0; j < na; j++)
                found += e[i].doc == a[j].doc;
    }
    printf("\n| vectors (%zu x %zu-d, clustered) | query p50 µs | query p99 µs | recall@10 |\n"
           "|---|---|---|---|\n", n, dim);
    double e50 = median(te, (int)nq), a50 = median(ta, (int)nq);
    printf("| exact cosine (SIMD scan) | %.0f | %.0f | 1.000 |\n", e50, te[nq * 99 / 100]);
    printf("| HNSW (M 16, efC 200, ef 64; build %.0f ms) | %.0f | %.0f | %.3f |\n", build_ms, a50,
           ta[nq * 99 / 100], (double)found / (double)(nq * 10));
    fg_kb_hnsw_free(h);
    fg_kb_vectors_free(v);
    free(centers);
    free(x);
    free(te);
    free(ta);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_kb DATASET_DIR [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > MAX_RUNS)
        runs = 5;
    char corpus[4096], queries[4096], qrels[4096];
    snprintf(corpus, sizeof corpus, "%s/corpus.jsonl", argv[1]);
    snprintf(queries, sizeof queries, "%s/queries.jsonl", argv[1]);
    snprintf(qrels, sizeof qrels, "%s/qrels/test.tsv", argv[1]);
    series s[7] = {{.name = "flowgate BM25 (k1 1.2, b 0.75)"},
                   {.name = "flowgate BM25 (k1 0.9, b 0.4)"},
                   {.name = "SQLite FTS5 bm25() porter"},
                   {.name = "service: BM25 (store + chunks + index; search API)"},
                   {.name = "service: vector, mock hash embeddings (256-d)"},
                   {.name = "service: hybrid (RRF), mock hash embeddings"},
                   {0}};
    static const struct {
        const char *model, *mode;
    } svc[3] = {{NULL, "bm25"}, {"hash-embed", "vector"}, {"hash-embed", "hybrid"}};
    double k10_p50[3][MAX_RUNS], k10_p99[3][MAX_RUNS];
    double load_ms[MAX_RUNS];
    fg_errbuf eb;
    for (int run = 0; run < runs; run++) {
        fg_kb_eval_result r;
        fg_kb_eval_opts o = {corpus, queries, qrels, {1.2f, 0.75f, false}, 0, 0};
        fg_errbuf_clear(&eb);
        if (fg_kb_eval_bm25(&o, &r, &eb)) {
            fprintf(stderr, "%s\n", eb.msg);
            return 1;
        }
        record(&s[0], run, &r);
        o.bm25 = (fg_kb_bm25_params){0.9f, 0.4f, false};
        if (fg_kb_eval_bm25(&o, &r, &eb)) {
            fprintf(stderr, "%s\n", eb.msg);
            return 1;
        }
        record(&s[1], run, &r);
        fts f;
        if (fts_open(&f))
            return 1;
        fg_kb_engine e = {&f, fts_add, fts_commit, fts_search};
        int rc = fg_kb_eval_engine(&o, &e, &r, &eb);
        fts_close(&f);
        if (rc) {
            fprintf(stderr, "%s\n", eb.msg);
            return 1;
        }
        record(&s[2], run, &r);
        for (int m = 0; m < 3; m++) {
            service_engine *se = service_engine_open(svc[m].model, svc[m].mode);
            if (!se)
                return 1;
            service_engine_bind(se, &e);
            o.bm25 = (fg_kb_bm25_params){1.2f, 0.75f, false};
            rc = fg_kb_eval_engine(&o, &e, &r, &eb);
            if (m == 0)
                load_ms[run] = service_engine_load_ms(se);
            if (!rc)
                service_engine_latency(se, queries, 300, 10, &k10_p50[m][run], &k10_p99[m][run]);
            service_engine_close(se);
            if (rc) {
                fprintf(stderr, "%s\n", eb.msg);
                return 1;
            }
            record(&s[3 + m], run, &r);
        }
    }
    printf("| engine | index ms | query p50 µs | query p99 µs | nDCG@10 |\n|---|---|---|---|---|\n");
    double idx[6], p50[6];
    for (int i = 0; i < 6; i++) {
        idx[i] = median(s[i].index_ms, runs);
        p50[i] = median(s[i].p50, runs);
        printf("| %s | %.0f | %.0f | %.0f | %.4f |\n", s[i].name, idx[i], p50[i],
               median(s[i].p99, runs), s[i].ndcg);
    }
    printf("\nmedians of %d runs; FTS5 / flowgate (defaults): indexing %.2fx, query p50 %.2fx\n",
           runs, idx[2] / idx[0], p50[2] / p50[0]);
    printf("knowledge service: loading the ingested base at start %.0f ms (median); "
           "FTS5 / service query p50 (k 1000) %.2fx\n", median(load_ms, runs), p50[2] / p50[3]);
    printf("\n| service search API, numberOfResults 10 | query p50 µs | query p99 µs |\n|---|---|---|\n");
    for (int m = 0; m < 3; m++)
        printf("| %s | %.0f | %.0f |\n", svc[m].mode, median(k10_p50[m], runs),
               median(k10_p99[m], runs));
    fflush(stdout);
    vector_bench(5183, 384, 300);
    vector_bench(50000, 384, 300);
    return 0;
}
