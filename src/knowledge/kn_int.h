/* Private to src/knowledge: the service's state, the in-memory form of a base,
 * and the helpers its files share. */
#ifndef FG_KNOWLEDGE_KN_INT_H
#define FG_KNOWLEDGE_KN_INT_H

#include "knowledge/knowledge.h"

#include "kb/analyzer.h"
#include "kb/chunk.h"
#include "kb/extract.h"
#include "kb/index.h"
#include "kb/vector.h"
#include "fetch/policy.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* A TEXT parameter (NULL for a NULL string); a function, so arrays pass too. */
static inline fg_sval kn_text(const char *s)
{
    return s ? FG_STEXTN(s, strlen(s)) : FG_SNULL;
}

/* One chunk as search results need it; slots of a base are indexed by the BM25
 * index's document number. */
typedef struct kn_chunk {
    char *id, *doc_id, *text, *heading, *source, *source_type, *title;
    int position;
    int64_t vec;      /* its vector's id in the base's vector store, -1 when none */
    json_t *metadata; /* returned with results and tested by filters */
} kn_chunk;

typedef struct kn_base {
    char id[40];
    char account[64];
    char *name, *description, *embedding_model;
    char query_prefix[64], document_prefix[64]; /* put before texts to embed (e5's "query: ") */
    fg_kb_chunk_opts chunking;
    fg_kb_bm25_params bm25;
    int64_t created_ms, updated_ms;
    pthread_rwlock_t lock; /* guards everything below */
    fg_kb_index *ix;
    kn_chunk **slots;      /* by index document number; NULL once removed */
    size_t nslots, cap;
    size_t chunks;         /* live chunks */
    fg_kb_vectors *vecs;   /* chunk embeddings (normalised); NULL until the first */
    uint32_t *vec_doc;     /* vector id -> index document number */
    size_t vec_cap;
    fg_kb_hnsw *hnsw;      /* built once the base has hnsw_min_chunks vectors */
    size_t hnsw_min;
} kn_base;

typedef struct kn_limits {
    size_t max_document_bytes;
    size_t max_job_documents;
    size_t max_chunks_per_document;
    long url_timeout_ms;
    size_t max_results;
    size_t embedding_batch;
    size_t hnsw_min_chunks;
} kn_limits;

struct fg_knowledge {
    const fg_config *cfg;
    fg_store *store;
    fg_llm *llm;
    fg_auth *auth;
    kn_limits limits;
    fg_fetch_policy *policy; /* for URL sources (the fetch.* keys) */
    pthread_rwlock_t lock; /* guards the bases array */
    kn_base **bases;
    size_t nbases, cap;
    /* ingestion */
    pthread_mutex_t jmu;
    pthread_cond_t jcv;
    pthread_t thread;
    bool thread_started, stopping;
};

/* service.c */
fg_kb_analyzer *fg__kn_analyzer(void); /* this thread's analyzer */
/* Finds a base the account may see and locks the bases array for reading;
 * release with fg__kn_unlock_bases. NULL (FG_ENOTFOUND in eb) when none. */
kn_base *fg__kn_find_base(fg_knowledge *kn, const char *account, const char *base, fg_errbuf *eb);
void fg__kn_unlock_bases(fg_knowledge *kn);
json_t *fg__kn_base_json(const kn_base *b);

/* memindex.c */
kn_base *fg__kn_base_new(void);
void fg__kn_base_free(kn_base *b);
/* Loads the base's chunks from the store into its index. */
int fg__kn_base_load(fg_knowledge *kn, kn_base *b, fg_errbuf *eb);
/* Adds one chunk (the base's write lock held) with its embedding (vec may be
 * NULL). Takes ownership of c. */
int fg__kn_base_add_chunk(kn_base *b, kn_chunk *c, const float *vec, size_t dim, fg_errbuf *eb);
/* True when the base searches by embeddings too. */
bool fg__kn_base_semantic(const kn_base *b);
/* Removes every chunk of a document (the base's write lock held). */
void fg__kn_base_remove_doc(kn_base *b, const char *doc_id);
void fg__kn_chunk_free(kn_chunk *c);

/* documents.c: store writes for one ingested document. */
typedef struct kn_doc_in {
    const char *base_id, *source, *source_type, *title;
    const char *sha256, *etag, *last_modified;
    const json_t *metadata; /* the caller's metadata, may be NULL */
    size_t bytes;
} kn_doc_in;
/* Finds the document of (base, source): its id and content hash; FG_ENOTFOUND. */
int fg__kn_doc_lookup(fg_knowledge *kn, const char *base_id, const char *source, char id[40],
                      char sha[65], char etag[256], char last_modified[64], fg_errbuf *eb);
/* A document written to the store (inside the caller's transaction), its
 * chunks waiting to enter the index once the transaction commits. */
typedef struct kn_written {
    char id[40];
    bool exists;     /* it replaced an earlier version */
    kn_chunk **mem;
    size_t n;
} kn_written;
/* vecs: ch->n × dim floats (the chunks' embeddings), or NULL. */
int fg__kn_doc_write(fg_knowledge *kn, kn_base *b, const kn_doc_in *in, const fg_kb_chunks *ch,
                     const float *vecs, size_t dim, kn_written *out, fg_errbuf *eb);
/* After the commit: swaps the document's chunks in the index (frees w's chunks). */
int fg__kn_doc_apply(kn_base *b, kn_written *w, const float *vecs, size_t dim, fg_errbuf *eb);
void fg__kn_written_free(kn_written *w);
/* Records a document that failed (status "failed" with the message). */
void fg__kn_doc_failed(fg_knowledge *kn, const kn_doc_in *in, const char *message);

/* convert.c: a document's bytes into blocks by media type (or by name). */
int fg__kn_convert(const char *name, const char *content_type, const char *data, size_t len,
                   const kn_limits *lim, fg_kb_doc *doc, fg_errbuf *eb);

/* url.c: fetches one URL under the address policy. *body is malloc'ed. */
typedef struct kn_fetched {
    char *body;
    size_t len;
    char content_type[128];
    char final_url[2048];
    char etag[256], last_modified[64];
    int status;
} kn_fetched;
int fg__kn_fetch_url(const kn_limits *lim, const fg_fetch_policy *policy, const char *url,
                     kn_fetched *out, fg_errbuf *eb);
void fg__kn_fetched_free(kn_fetched *f);

/* ingest.c: one source of a job. */
typedef struct kn_job_ctx {
    fg_knowledge *kn;
    const char *job_id, *base_id;
    long done, total, failed;
    json_t *errors; /* [{source, message}] */
    fg_knowledge_progress_fn progress;
    void *progress_ud;
    uint64_t saved_ms; /* when progress was last written to the store */
    struct kn_prepared *pending; /* documents ready to be written (batch.c) */
    size_t npending, pending_cap, pending_bytes;
} kn_job_ctx;
/* Ingests bytes as the document source (one per-document error on failure). */
void fg__kn_ingest_bytes(kn_job_ctx *j, const char *source, const char *source_type,
                         const char *name, const char *content_type, const char *data,
                         size_t len, const char *etag, const char *last_modified,
                         const json_t *metadata);
void fg__kn_ingest_url(kn_job_ctx *j, const char *url, const json_t *metadata);
void fg__kn_ingest_crawl(kn_job_ctx *j, const json_t *options);
void fg__kn_job_error(kn_job_ctx *j, const char *source, const char *message);
/* Reports progress: to the caller's callback every time, to the store at most
 * every PROGRESS_MS (and always when the job ends). */
void fg__kn_job_progress(kn_job_ctx *j);

/* batch.c: prepared documents are written a batch per store transaction. */
typedef struct kn_prepared {
    char *source, *source_type, *title, *sha256, *etag, *last_modified;
    json_t *metadata;
    size_t bytes;
    fg_kb_chunks chunks;
    float *vecs;
    size_t dim;
} kn_prepared;
/* Takes the chunks and vectors (*ch is emptied, *vecs set NULL); writes the
 * batch first when it is full or already holds the same source. */
void fg__kn_batch_add(kn_job_ctx *j, const kn_doc_in *in, fg_kb_chunks *ch, float **vecs,
                      size_t dim);
/* Writes the pending documents in one transaction, then puts their chunks in
 * the index; a failed write is a per-document error for each of them. */
void fg__kn_batch_flush(kn_job_ctx *j);

/* jobs.c */
void fg__kn_jobs_stop(fg_knowledge *kn);
/* True once the ingestion thread was asked to stop (the job in hand is left
 * queued and runs again at the next start). */
bool fg__kn_stopping(fg_knowledge *kn);
/* A copy of v with every object key starting lower case (the task speaks
 * PascalCase, the API camelCase). */
json_t *fg__kn_camelize(const json_t *v);

/* filter.c: Bedrock's RetrievalFilter. */
int fg__kn_filter_check(const json_t *filter, fg_errbuf *eb);
bool fg__kn_filter_match(const json_t *filter, const json_t *metadata);

/* search.c */
typedef struct kn_hit {
    kn_chunk *chunk; /* valid while the base's read lock is held */
    float score;
} kn_hit;
typedef enum kn_mode { KN_LEXICAL, KN_SEMANTIC, KN_HYBRID } kn_mode;
/* qvec: the query's embedding (normalised) for semantic and hybrid search on a
 * base with embeddings; NULL for lexical search. */
int fg__kn_search_base(kn_base *b, const char *query, const float *qvec, kn_mode mode, size_t k,
                       const json_t *filter, kn_hit *hits, size_t *n, fg_errbuf *eb);
json_t *fg__kn_location(const kn_chunk *c, bool pascal);
/* The parsed parts of a query, whatever its shape (pointers into the request). */
typedef struct kn_query {
    const char *text;
    size_t k;
    const json_t *filter;
    kn_mode mode;
    size_t dim; /* of the query's embedding, once computed */
} kn_query;
/* Bedrock's Retrieve request (camelCase) into q; the filter is not checked. */
int fg__kn_parse_retrieve(const json_t *r, kn_query *q, fg_errbuf *eb);

/* rag.c, routes.c */
typedef struct fg_http_req fg_http_req;
void fg__kn_respond_aws_error(fg_http_req *req, int rc, const char *msg);
void fg__kn_respond_aws_status(fg_http_req *req, int status, const char *msg);
void fg__kn_register_rag_route(fg_knowledge *kn, fg_http_router *r);

#endif
