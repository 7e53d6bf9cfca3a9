/* Retrieval evaluation on a BEIR-format dataset (corpus.jsonl, queries.jsonl,
 * qrels TSV): indexes the corpus ("title\ntext" as one field), runs every
 * judged query and reports nDCG@10 and Recall@100 with trec_eval's conventions
 * (graded gains, log2 discount, ties broken by descending document id). */
#ifndef FG_KB_EVAL_H
#define FG_KB_EVAL_H

#include "core/error.h"
#include "kb/index.h"

#include <stddef.h>

typedef struct fg_kb_eval_opts {
    const char *corpus, *queries, *qrels;
    fg_kb_bm25_params bm25;
    size_t max_line;      /* ceiling on one line, bytes (default 16 MiB, at most 1 GiB) */
    int progress;         /* print progress on stderr */
} fg_kb_eval_opts;

typedef struct fg_kb_eval_result {
    size_t docs, queries;
    uint64_t total_terms;
    double ndcg10, recall100;
    double index_ms, search_ms; /* wall time indexing, and searching all queries */
    double query_p50_us, query_p99_us;
} fg_kb_eval_result;

/* A ranked document for the evaluation: its id and score. */
typedef struct fg_kb_ranked {
    const char *doc;  /* valid until the next search call */
    float score;
} fg_kb_ranked;

/* A retrieval engine under evaluation (flowgate's BM25, or a peer in a benchmark). */
typedef struct fg_kb_engine {
    void *ctx;
    /* Indexes one corpus document ("title\ntext"). */
    int (*add)(void *ctx, const char *id, const char *text, size_t len, fg_errbuf *eb);
    /* Called once after the last document (may be NULL). */
    int (*commit)(void *ctx, fg_errbuf *eb);
    /* Writes up to k results, best first. */
    int (*search)(void *ctx, const char *query, size_t k, fg_kb_ranked *out, size_t *n,
                  fg_errbuf *eb);
} fg_kb_engine;

int fg_kb_eval_engine(const fg_kb_eval_opts *o, const fg_kb_engine *e, fg_kb_eval_result *res,
                      fg_errbuf *eb);
/* The evaluation with flowgate's index and BM25 (o->bm25). */
int fg_kb_eval_bm25(const fg_kb_eval_opts *o, fg_kb_eval_result *res, fg_errbuf *eb);

/* nDCG@k of a ranking: rel[i] is the judged gain of the document at rank i
 * (0 if unjudged); ideal holds every judged gain of the query (any order). */
double fg_kb_ndcg(const int *rel, size_t n, const int *ideal, size_t nideal, size_t k);

#endif
