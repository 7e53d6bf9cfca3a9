/* The LLM gateway: providers behind one interface, model aliases routed to
 * deployments with retries, fallback and cooldown, API surfaces (OpenAI,
 * Anthropic, Bedrock shapes) that translate to and from one canonical request,
 * and usage records. */
#ifndef FG_LLM_LLM_H
#define FG_LLM_LLM_H

#include "auth/auth.h"
#include "config/config.h"
#include "core/error.h"
#include "http/http.h"
#include "store/store.h"

#include "llm/event.h"

#include <jansson.h>

typedef struct fg_llm fg_llm;
typedef struct fg_llm_call fg_llm_call;

int fg_llm_create(const fg_config *cfg, fg_store *store, fg_llm **out, fg_errbuf *eb);
void fg_llm_free(fg_llm *llm);
/* Adds the gateway's routes (/v1/..., /model/...). */
void fg_llm_register_routes(fg_llm *llm, fg_http_router *router);
/* Per event loop state (the outbound HTTP client); call from the server's
 * worker start/stop hooks. */
void fg_llm_worker_start(fg_llm *llm, fg_http_worker *w);
void fg_llm_worker_stop(fg_llm *llm, fg_http_worker *w);

/* The surface a call reports to (the API shape the client speaks). */
typedef struct fg_llm_sink_ops {
    /* The first answer event arrived: the response can be committed (200). */
    void (*begin)(fg_llm_call *call);
    void (*event)(fg_llm_call *call, const fg_llm_event *ev);
    /* The answer is complete (usage in call). */
    void (*end)(fg_llm_call *call);
    /* Failure: before begin, answer with status; after begin, a final error in
     * the stream. */
    void (*fail)(fg_llm_call *call, int status, const char *type, const char *msg);
} fg_llm_sink_ops;

/* A gateway call from another part of flowgate (WebSocket chats, workflow
 * tasks, the assistants): request is the canonical request (the OpenAI
 * chat-completions shape; the call takes the reference); w is the worker whose
 * loop runs it; route labels the usage record. Events go to sink. *out (may be
 * NULL) stays valid until the sink's end or fail returns. */
int fg_llm_call_start(fg_llm *llm, fg_http_worker *w, const char *route, json_t *request,
                      const fg_llm_sink_ops *sink, void *sink_ud, fg_llm_call **out);
/* Who a call is made for, written into its usage record. */
typedef struct fg_llm_caller {
    const char *account_id; /* NULL or "": none */
    const char *key_id;     /* the API key's id, NULL or "" */
} fg_llm_caller;
/* fg_llm_call_start for an account (workflow tasks, the assistants). */
int fg_llm_call_start_as(fg_llm *llm, fg_http_worker *w, const char *route, const fg_llm_caller *caller,
                         json_t *request, const fg_llm_sink_ops *sink, void *sink_ud, fg_llm_call **out);
/* True when name is exactly a model or alias the router knows (a catch-all "*"
 * model does not count). */
bool fg_llm_has_model(fg_llm *llm, const char *name);
/* An embeddings call from another part of flowgate (the semantic cache):
 * request is {"model": ..., "input": [strings]}; each vector comes to the sink
 * as an FG_LLM_EV_EMBEDDING event, then end. Same ownership rules as above. */
int fg_llm_embed_call_start(fg_llm *llm, fg_http_worker *w, const char *route, json_t *request,
                            const fg_llm_sink_ops *sink, void *sink_ud, fg_llm_call **out);
/* The same for a call that answers an HTTP request: the worker and route come
 * from req, and the call is cancelled when the client goes away. */
int fg_llm_call_start_http(fg_llm *llm, fg_http_req *req, json_t *request,
                           const fg_llm_sink_ops *sink, void *sink_ud);
/* fg_llm_call_start_http for an account (the assistants' final answer). */
int fg_llm_call_start_http_as(fg_llm *llm, fg_http_req *req, const fg_llm_caller *caller, json_t *request,
                              const fg_llm_sink_ops *sink, void *sink_ud);

/* The auth layer the gateway's routes check callers with (none: everyone is
 * anonymous and unlimited, as in unit tests). With it, calls made for an
 * account or API key (fg_llm_caller) hold their likely tokens of its limits
 * when they start and settle the real tokens and cost when they end. */
void fg_llm_set_auth(fg_llm *llm, fg_auth *auth);
/* A gateway route's check: a token of any account (fg_auth_request with
 * FG_ACCESS_USER), then the caller's limits. Fills *who and returns 0, or
 * answers 401/403/429 itself and returns -1. */
int fg_llm_authorize(fg_llm *llm, fg_http_req *req, fg_principal *who);
/* Stops the call: the upstream is aborted, the sink's fail runs with 499. */
void fg_llm_call_cancel(fg_llm_call *call);
/* Backpressure from a sink that cannot write: stop / continue the upstream. */
void fg_llm_call_pause(fg_llm_call *call);
void fg_llm_call_resume(fg_llm_call *call);
void *fg_llm_call_sink_data(const fg_llm_call *call);

/* Embeddings for a thread that is not an event loop (knowledge-base ingestion,
 * the blocking pool): runs one embeddings call of model on a private loop and
 * waits for it. *vectors gets n × *dim floats (malloc'ed), in input order.
 * Errors: FG_ENOTFOUND (no such model), FG_EUPSTREAM (the provider failed or
 * cannot embed), with the message in eb. route labels the usage record. */
int fg_llm_embed(fg_llm *llm, const char *route, const char *model, const char *const *texts,
                 size_t n, float **vectors, size_t *dim, fg_errbuf *eb);

/* A response cache in front of the gateway's HTTP routes (set once, before the
 * server starts). lookup runs when a chat call from an HTTP route starts, once
 * its model is known; on FG_LLM_CACHE_HIT the answer's text is replayed to the
 * surface (begin, one text event, finish, end: the surface renders it in its
 * own format, SSE or JSON) with x-flowgate-cache: hit and no upstream request.
 * caller is who the route authorized (account and API key; empty strings
 * without auth). On a miss *ctx (may stay NULL: no caching) goes to store
 * when the answer completed with text only, and to release in every other
 * case (cancel, error, tool calls). FG_LLM_CACHE_ANSWERED: lookup answered the
 * request itself: the call ends without the sink. */
typedef enum fg_llm_cache_result {
    FG_LLM_CACHE_MISS = 0,
    FG_LLM_CACHE_HIT,
    FG_LLM_CACHE_ANSWERED
} fg_llm_cache_result;

typedef struct fg_llm_cache_ops {
    fg_llm_cache_result (*lookup)(void *ud, fg_http_req *req, const fg_llm_caller *caller,
                                  const json_t *request, fg_buf *answer, void **ctx);
    void (*store)(void *ud, void *ctx, const char *text, size_t len, double gen_ms);
    void (*release)(void *ud, void *ctx);
} fg_llm_cache_ops;

void fg_llm_set_cache(fg_llm *llm, const fg_llm_cache_ops *ops, void *ud);
long fg_llm_call_input_tokens(const fg_llm_call *call);
long fg_llm_call_output_tokens(const fg_llm_call *call);
const char *fg_llm_call_finish_reason(const fg_llm_call *call);

#endif
