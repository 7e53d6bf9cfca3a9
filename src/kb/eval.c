#include "kb/eval.h"

#include "core/clock.h"
#include "core/json.h"
#include "kb/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRIEVE_K 1000

typedef struct judgment {
    uint32_t query;   /* query slot in the queries map */
    char *doc;
    int rel;
} judgment;

typedef struct dataset {
    fg_kb_strmap qids;     /* query id -> slot */
    char **qtext;          /* slot -> text (NULL if no such query in queries.jsonl) */
    judgment *j;
    size_t nj, capj;
} dataset;

typedef int (*line_fn)(const char *line, size_t len, size_t lineno, void *ctx);

/* Reads path line by line into a buffer of max_line bytes: a longer line is
 * an error, not a bigger allocation. */
static int read_lines(const char *path, size_t max_line, line_fn fn, void *ctx, fg_errbuf *eb)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fg_failf(eb, FG_EIO, "%s: %s", path, strerror(errno));
    char *line = malloc(max_line + 2);
    if (!line) {
        fclose(f);
        return fg_failf(eb, FG_ENOMEM, "%s: out of memory", path);
    }
    size_t lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, (int)(max_line + 2), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n > max_line && line[n - 1] != '\n') {
            rc = fg_failf(eb, FG_ELIMIT, "%s:%zu: line longer than %zu bytes", path, lineno, max_line);
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n > 0)
            rc = fn(line, n, lineno, ctx);
    }
    free(line);
    fclose(f);
    return rc;
}

typedef struct corpus_ctx {
    const fg_kb_engine *e;
    const char *path;
    fg_buf text;
    fg_errbuf *eb;
} corpus_ctx;

static int on_corpus_line(const char *line, size_t len, size_t lineno, void *ctx)
{
    corpus_ctx *c = ctx;
    json_error_t jerr;
    json_t *doc = fg_json_parse(line, len, &jerr);
    if (!doc)
        return fg_failf(c->eb, FG_EPARSE, "%s:%zu: %s", c->path, lineno, jerr.text);
    const char *id = fg_json_str(doc, "_id", NULL);
    int rc = 0;
    if (!id) {
        rc = fg_failf(c->eb, FG_EPARSE, "%s:%zu: no string \"_id\"", c->path, lineno);
    } else {
        fg_buf_reset(&c->text);
        fg_buf_puts(&c->text, fg_json_str(doc, "title", ""));
        fg_buf_putc(&c->text, '\n');
        fg_buf_puts(&c->text, fg_json_str(doc, "text", ""));
        rc = c->e->add(c->e->ctx, id, c->text.data, c->text.len, c->eb);
    }
    json_decref(doc);
    return rc;
}

/* The slot of a query id, adding it (with no text yet) if new. */
static uint32_t query_slot(dataset *ds, const char *id, size_t len)
{
    uint32_t before = ds->qids.count;
    uint32_t s = fg_kb_strmap_intern(&ds->qids, id, len, NULL);
    if (s == FG_KB_NO_ID || ds->qids.count == before)
        return s;
    char **t = realloc(ds->qtext, ds->qids.count * sizeof *t);
    if (!t)
        return FG_KB_NO_ID;
    ds->qtext = t;
    t[s] = NULL;
    return s;
}

typedef struct file_ctx {
    dataset *ds;
    const char *path;
    fg_errbuf *eb;
} file_ctx;

static int on_query_line(const char *line, size_t len, size_t lineno, void *ctx)
{
    file_ctx *c = ctx;
    json_error_t jerr;
    json_t *q = fg_json_parse(line, len, &jerr);
    if (!q)
        return fg_failf(c->eb, FG_EPARSE, "%s:%zu: %s", c->path, lineno, jerr.text);
    const char *id = fg_json_str(q, "_id", NULL), *text = fg_json_str(q, "text", NULL);
    int rc = 0;
    uint32_t s;
    if (!id || !text)
        rc = fg_failf(c->eb, FG_EPARSE, "%s:%zu: needs string \"_id\" and \"text\"", c->path, lineno);
    else if ((s = fg_kb_strmap_find(&c->ds->qids, id, strlen(id))) != FG_KB_NO_ID &&
             !c->ds->qtext[s] && !(c->ds->qtext[s] = strdup(text)))
        rc = fg_failf(c->eb, FG_ENOMEM, "%s:%zu: out of memory", c->path, lineno);
    json_decref(q);
    return rc;
}

/* qrels: "query-id<TAB>corpus-id<TAB>score", with an optional header line. */
static int on_qrels_line(const char *line, size_t len, size_t lineno, void *ctx)
{
    file_ctx *c = ctx;
    dataset *ds = c->ds;
    const char *t1 = memchr(line, '\t', len);
    const char *t2 = t1 ? memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - line)) : NULL;
    if (!t2)
        return fg_failf(c->eb, FG_EPARSE, "%s:%zu: expected query-id, corpus-id and score "
                        "separated by tabs", c->path, lineno);
    char *end;
    long rel = strtol(t2 + 1, &end, 10);
    if (end == t2 + 1) {
        if (lineno == 1)
            return 0; /* the header */
        return fg_failf(c->eb, FG_EPARSE, "%s:%zu: score is not an integer", c->path, lineno);
    }
    if (ds->nj == ds->capj) {
        size_t cap = ds->capj ? ds->capj * 2 : 256;
        judgment *j = realloc(ds->j, cap * sizeof *j);
        if (!j)
            return fg_failf(c->eb, FG_ENOMEM, "out of memory");
        ds->j = j;
        ds->capj = cap;
    }
    uint32_t q = query_slot(ds, line, (size_t)(t1 - line));
    char *doc = strndup(t1 + 1, (size_t)(t2 - t1 - 1));
    if (q == FG_KB_NO_ID || !doc) {
        free(doc);
        return fg_failf(c->eb, FG_ENOMEM, "out of memory");
    }
    ds->j[ds->nj++] = (judgment){q, doc, (int)rel};
    return 0;
}

static void dataset_free(dataset *ds)
{
    for (uint32_t i = 0; i < ds->qids.count; i++)
        free(ds->qtext[i]);
    free(ds->qtext);
    for (size_t i = 0; i < ds->nj; i++)
        free(ds->j[i].doc);
    free(ds->j);
    fg_kb_strmap_free(&ds->qids);
}

typedef fg_kb_ranked ranked;

/* trec_eval's order: higher score first, ties by descending document id. */
static int trec_order(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(y->doc, x->doc);
}

static int judged_gain(const dataset *ds, uint32_t q, const char *doc)
{
    for (size_t i = 0; i < ds->nj; i++)
        if (ds->j[i].query == q && strcmp(ds->j[i].doc, doc) == 0)
            return ds->j[i].rel;
    return 0;
}

/* Scores one query's ranking; adds to *ndcg and *recall. */
static void score_query(const dataset *ds, uint32_t q, const ranked *r, size_t n, double *ndcg,
                        double *recall)
{
    int rel[RETRIEVE_K] = {0}, ideal[256] = {0};
    size_t nideal = 0, relevant = 0, found = 0;
    for (size_t i = 0; i < ds->nj; i++)
        if (ds->j[i].query == q && ds->j[i].rel > 0) {
            relevant++;
            if (nideal < FG_ARRAY_LEN(ideal))
                ideal[nideal++] = ds->j[i].rel;
        }
    if (n > 100)
        n = 100; /* nothing below rank 100 is measured */
    for (size_t i = 0; i < n; i++) {
        rel[i] = judged_gain(ds, q, r[i].doc);
        if (i < 100 && rel[i] > 0)
            found++;
    }
    *ndcg += fg_kb_ndcg(rel, n, ideal, nideal, 10);
    *recall += relevant ? (double)found / (double)relevant : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_queries(const dataset *ds, const fg_kb_engine *e, const fg_kb_eval_opts *o,
                       fg_kb_eval_result *res, fg_errbuf *eb)
{
    ranked *r = malloc(RETRIEVE_K * sizeof *r);
    double *lat = malloc((ds->qids.count + 1) * sizeof *lat);
    int rc = (!r || !lat) ? fg_failf(eb, FG_ENOMEM, "out of memory") : 0;
    double ndcg = 0, recall = 0;
    size_t nq = 0;
    uint64_t t0 = fg_clock_mono_ns();
    for (uint32_t q = 0; q < ds->qids.count && !rc; q++) {
        size_t idlen;
        const char *qid = fg_kb_strmap_key(&ds->qids, q, &idlen);
        if (!ds->qtext[q]) {
            rc = fg_failf(eb, FG_EPARSE, "%s: judged query '%.*s' is not in %s", o->qrels,
                          (int)idlen, qid, o->queries);
            break;
        }
        size_t n = 0;
        uint64_t q0 = fg_clock_mono_ns();
        rc = e->search(e->ctx, ds->qtext[q], RETRIEVE_K, r, &n, eb);
        lat[nq] = (double)(fg_clock_mono_ns() - q0) / 1e3;
        qsort(r, n, sizeof *r, trec_order);
        score_query(ds, q, r, n, &ndcg, &recall);
        nq++;
    }
    res->search_ms = (double)(fg_clock_mono_ns() - t0) / 1e6;
    res->queries = nq;
    res->ndcg10 = nq ? ndcg / (double)nq : 0;
    res->recall100 = nq ? recall / (double)nq : 0;
    if (nq) {
        qsort(lat, nq, sizeof *lat, cmp_double);
        res->query_p50_us = lat[nq / 2];
        res->query_p99_us = lat[(nq * 99) / 100 < nq ? (nq * 99) / 100 : nq - 1];
    }
    free(r);
    free(lat);
    return rc;
}

int fg_kb_eval_engine(const fg_kb_eval_opts *o, const fg_kb_engine *e, fg_kb_eval_result *res,
                      fg_errbuf *eb)
{
    memset(res, 0, sizeof *res);
    size_t max_line = o->max_line ? o->max_line : 16u << 20;
    if (max_line > (1u << 30))
        max_line = 1u << 30;
    dataset ds = {0};
    fg_kb_strmap_init(&ds.qids);
    corpus_ctx cc = {e, o->corpus, {0}, eb};
    fg_buf_init(&cc.text, max_line * 2);
    file_ctx qc = {&ds, o->qrels, eb};
    int rc = read_lines(o->qrels, max_line, on_qrels_line, &qc, eb);
    qc.path = o->queries;
    if (!rc)
        rc = read_lines(o->queries, max_line, on_query_line, &qc, eb);
    uint64_t t0 = fg_clock_mono_ns();
    if (!rc)
        rc = read_lines(o->corpus, max_line, on_corpus_line, &cc, eb);
    if (!rc && e->commit)
        rc = e->commit(e->ctx, eb);
    res->index_ms = (double)(fg_clock_mono_ns() - t0) / 1e6;
    if (!rc)
        rc = run_queries(&ds, e, o, res, eb);
    fg_buf_free(&cc.text);
    dataset_free(&ds);
    return rc;
}

/* ---- flowgate's BM25 as an engine ---- */

typedef struct bm25_engine {
    fg_kb_index *ix;
    fg_kb_analyzer *an;
    fg_kb_bm25_params params;
    fg_kb_hit *hits;
} bm25_engine;

static int bm25_add(void *ctx, const char *id, const char *text, size_t len, fg_errbuf *eb)
{
    bm25_engine *b = ctx;
    return fg_kb_index_add(b->ix, b->an, id, text, len, NULL, eb);
}

static int bm25_search(void *ctx, const char *query, size_t k, fg_kb_ranked *out, size_t *n,
                       fg_errbuf *eb)
{
    bm25_engine *b = ctx;
    int rc = fg_kb_bm25_search(b->ix, b->an, query, strlen(query), &b->params, k, NULL, NULL,
                               b->hits, n);
    if (rc)
        return fg_failf(eb, rc, "bm25: search failed");
    for (size_t i = 0; i < *n; i++)
        out[i] = (fg_kb_ranked){fg_kb_index_doc_id(b->ix, b->hits[i].doc), b->hits[i].score};
    return 0;
}

int fg_kb_eval_bm25(const fg_kb_eval_opts *o, fg_kb_eval_result *res, fg_errbuf *eb)
{
    bm25_engine b = {fg_kb_index_new(), fg_kb_analyzer_new(NULL, eb), o->bm25,
                     malloc(RETRIEVE_K * sizeof(fg_kb_hit))};
    fg_kb_engine e = {&b, bm25_add, NULL, bm25_search};
    int rc = (!b.ix || !b.an || !b.hits) ? fg_failf(eb, FG_ENOMEM, "out of memory")
                                         : fg_kb_eval_engine(o, &e, res, eb);
    if (!rc) {
        res->docs = fg_kb_index_doc_count(b.ix);
        res->total_terms = fg_kb_index_total_terms(b.ix);
    }
    free(b.hits);
    fg_kb_analyzer_free(b.an);
    fg_kb_index_free(b.ix);
    return rc;
}
