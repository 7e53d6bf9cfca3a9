/* The knowledge service as a BEIR engine for bench_kb: documents go through an
 * ingestion job (store, chunking, index), queries through fg_knowledge_search. */
#ifndef BENCH_KB_SERVICE_ENGINE_H
#define BENCH_KB_SERVICE_ENGINE_H

#include "kb/eval.h"

typedef struct service_engine service_engine;

service_engine *service_engine_open(void);
/* Closes and removes its data folder. */
void service_engine_close(service_engine *s);
void service_engine_bind(service_engine *s, fg_kb_engine *e);
/* Time to reopen the store and load the base into memory, after commit (ms). */
double service_engine_load_ms(const service_engine *s);

#endif
