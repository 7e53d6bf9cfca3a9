/* The knowledge service as a BEIR engine for bench_kb: documents go through an
 * ingestion job (store, chunking, index), queries through fg_knowledge_search. */
#ifndef BENCH_KB_SERVICE_ENGINE_H
#define BENCH_KB_SERVICE_ENGINE_H

#include "kb/eval.h"

typedef struct service_engine service_engine;

/* model: an embedding model of the mock provider ("hash-embed") or NULL for a
 * lexical base; mode: "bm25", "vector" or "hybrid". */
service_engine *service_engine_open(const char *model, const char *mode);
/* Closes and removes its data folder. */
void service_engine_close(service_engine *s);
void service_engine_bind(service_engine *s, fg_kb_engine *e);
/* Time to reopen the store and load the base into memory, after commit (ms). */
double service_engine_load_ms(const service_engine *s);
/* Query latency at a RAG-sized k through the search API: p50 and p99 in µs
 * over the first nq queries of queries.jsonl. */
int service_engine_latency(service_engine *s, const char *queries_path, size_t nq, size_t k,
                           double *p50, double *p99);

#endif
