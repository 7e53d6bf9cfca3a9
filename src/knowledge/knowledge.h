/* Knowledge bases as a service: bases, documents, chunks and ingestion jobs per
 * account in the store; BM25 indexes rebuilt in memory from the store at open
 * and kept current on ingest and delete; searches in flowgate's own shape and
 * in Bedrock's Retrieve shape; RetrieveAndGenerate through the gateway; the
 * workflow task aws-sdk:bedrockagentruntime:retrieve. */
#ifndef FG_KNOWLEDGE_KNOWLEDGE_H
#define FG_KNOWLEDGE_KNOWLEDGE_H

#include "config/config.h"
#include "core/error.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct fg_knowledge fg_knowledge;
typedef struct fg_llm fg_llm;
typedef struct fg_auth fg_auth;
typedef struct fg_http_router fg_http_router;
typedef struct fg_flow_registry fg_flow_registry;

/* Loads every base of the store into memory. llm and auth may be NULL (the
 * CLI): then RetrieveAndGenerate and the routes are absent. */
int fg_knowledge_create(const fg_config *cfg, fg_store *store, fg_llm *llm, fg_auth *auth,
                        fg_knowledge **out, fg_errbuf *eb);
/* Starts the ingestion thread (`flowgate serve`); jobs left queued or running
 * by an earlier process run again. */
int fg_knowledge_start(fg_knowledge *kn, fg_errbuf *eb);
/* Stops the ingestion thread (the running document finishes) and frees. */
void fg_knowledge_free(fg_knowledge *kn);

void fg_knowledge_register_routes(fg_knowledge *kn, fg_http_router *r);
/* Adds arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve. */
int fg_knowledge_register_tasks(fg_flow_registry *reg, fg_knowledge *kn);

/* ---- the service, as the routes, the task and the CLI use it ------------
 * account: the caller's account; NULL means every account (an admin). A base
 * is named by its id or by its name within the account. */

/* spec: {name, description?, embeddingModel? ("none"), chunking{maxTokens,
 * overlapTokens}?, bm25{k1, b}?}. FG_EEXIST when the name is taken. */
int fg_knowledge_base_create(fg_knowledge *kn, const char *account, const json_t *spec,
                             json_t **out, fg_errbuf *eb);
int fg_knowledge_base_get(fg_knowledge *kn, const char *account, const char *base, json_t **out,
                          fg_errbuf *eb);
int fg_knowledge_base_list(fg_knowledge *kn, const char *account, json_t **out, fg_errbuf *eb);
int fg_knowledge_base_delete(fg_knowledge *kn, const char *account, const char *base,
                             fg_errbuf *eb);

/* sources: {documents: [{name, content | contentBase64 | path, contentType?,
 * metadata?}], urls: [url | {url, metadata}], crawl: {seed 004 options}}.
 * "path" (a local file) only when allow_paths (the CLI, never HTTP). Queues a
 * job; *out is the job as JSON (status "queued"). */
int fg_knowledge_job_start(fg_knowledge *kn, const char *account, const char *base,
                           const json_t *sources, bool allow_paths, json_t **out, fg_errbuf *eb);
int fg_knowledge_job_get(fg_knowledge *kn, const char *account, const char *base,
                         const char *job, json_t **out, fg_errbuf *eb);
int fg_knowledge_job_list(fg_knowledge *kn, const char *account, const char *base, json_t **out,
                          fg_errbuf *eb);
/* Runs queued jobs on the calling thread until none is left (the CLI, which
 * has no ingestion thread); progress (may be NULL) after each document. */
typedef void (*fg_knowledge_progress_fn)(const char *job, long done, long total, void *ud);
int fg_knowledge_run_jobs(fg_knowledge *kn, fg_knowledge_progress_fn progress, void *ud);

int fg_knowledge_documents(fg_knowledge *kn, const char *account, const char *base, json_t **out,
                           fg_errbuf *eb);
int fg_knowledge_document_delete(fg_knowledge *kn, const char *account, const char *base,
                                 const char *doc, fg_errbuf *eb);

/* request: {query, numberOfResults?, filter? (Bedrock's RetrievalFilter)}. *out:
 * {results: [{chunkId, documentId, text, score, source, title, headingPath,
 * metadata}]}. */
int fg_knowledge_search(fg_knowledge *kn, const char *account, const char *base,
                        const json_t *request, json_t **out, fg_errbuf *eb);
/* Bedrock's Retrieve: request in the API's camelCase shape (pascal false) or the
 * Step Functions task's PascalCase shape (pascal true); *out in the same shape. */
int fg_knowledge_retrieve(fg_knowledge *kn, const char *account, const char *base,
                          const json_t *request, bool pascal, json_t **out, fg_errbuf *eb);

#endif
