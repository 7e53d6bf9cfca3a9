/* Private to src/llm: providers, deployments, calls and attempts. */
#ifndef FG_LLM_LLM_INT_H
#define FG_LLM_LLM_INT_H

#include "http/client.h"
#include "llm/event.h"
#include "llm/llm.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

typedef struct fg_llm_attempt fg_llm_attempt;
typedef struct fg_llm_provider fg_llm_provider;

/* A provider implementation: one per wire protocol. */
typedef struct fg_llm_provider_ops {
    const char *type;
    /* Starts the upstream request for a->call's canonical request; reports
     * through fg__llm_emit. Returns an error only for failures found before
     * anything started (the router then treats it as a failed attempt). */
    int (*start)(fg_llm_attempt *a);
    /* Stops the request at once; no event follows. */
    void (*abort)(fg_llm_attempt *a);
    /* Backpressure lifted: continue producing. */
    void (*resume)(fg_llm_attempt *a);
    /* Embeddings of the canonical request's "input" (an array of strings):
     * EMBEDDING events, then USAGE and DONE. NULL: the provider cannot embed. */
    int (*embed)(fg_llm_attempt *a);
} fg_llm_provider_ops;

struct fg_llm_provider {
    char *name;
    const fg_llm_provider_ops *ops;
    json_t *conf;            /* the provider's configuration section */
    const char *base_url, *api_key;
    long timeout_ms, connect_timeout_ms;
    struct fg_aws_credentials *aws; /* bedrock, sagemaker */
    struct local_engine *local;     /* local */
};

typedef struct fg_llm_deployment {
    fg_llm_provider *provider;
    char *model;             /* model id at the provider */
    double weight;
    long ttft_timeout_ms, timeout_ms;
    char label[160];         /* provider/model */
    /* Cooldown: shared by every worker. */
    atomic_int consecutive_failures;
    _Atomic uint64_t cooldown_until_ms;
} fg_llm_deployment;

typedef struct fg_llm_model {
    char *name;
    fg_llm_deployment *deployments;
    size_t ndeployments;
} fg_llm_model;

typedef struct fg_llm_price {
    char *model;
    double input_per_mtok, output_per_mtok;
} fg_llm_price;

struct fg_llm {
    fg_store *store;
    fg_llm_provider *providers;
    size_t nproviders;
    fg_llm_model *models;
    size_t nmodels;
    fg_llm_price *prices;
    size_t nprices;
    int retries;
    long backoff_ms, max_backoff_ms, cooldown_ms;
    int cooldown_failures;
    bool implicit_mock;      /* no providers configured */
    fg_auth *auth;           /* NULL: no caller checks, no limits */
    const fg_llm_cache_ops *cache_ops; /* may be NULL */
    void *cache_ud;
};

struct fg_llm_attempt {
    fg_llm_call *call;
    fg_llm_deployment *dep;
    void *state;             /* the provider's */
    uint64_t start_ns;
};

typedef enum call_phase { CALL_ROUTING, CALL_WAITING_RETRY, CALL_STREAMING, CALL_DONE } call_phase;

struct fg_llm_call {
    fg_llm *llm;
    fg_http_req *req;        /* NULL for calls with no client (workflow tasks) */
    uv_loop_t *loop;
    fg_http_client *client;
    json_t *request;         /* canonical: OpenAI chat-completions shape */
    char route[96];
    char account_id[64], key_id[64]; /* who the call is for (usage records) */
    const fg_llm_sink_ops *sink;
    void *sink_ud;
    fg_llm_model *model;
    fg_llm_attempt attempt;
    bool attempt_live;
    size_t dep_index, deps_tried;
    size_t order[16];        /* deployment order for this call */
    size_t norder;
    int retries_left;
    int backoff_step;
    uv_timer_t timer;        /* retry backoff and time-to-first-token */
    bool timer_open;
    call_phase phase;
    bool committed, backpressured, aborted;
    bool embed;              /* an embeddings call */
    char finish_reason[24];
    long input_tokens, output_tokens;
    uint64_t start_ns, first_token_ns, upstream_ns;
    int status;
    char outcome[16];        /* ok | error | cancelled */
    char error_msg[256];
    char id[40];
    long created;
    long reserved_tokens;    /* held of the caller's token budget until the end */
    void *cache_ctx;         /* a miss the cache wants to store */
    fg_buf cache_text;       /* the answer's text for it */
    bool cache_skip;         /* not cacheable (tool calls, too long) */
};

/* call.c */
fg_llm_model *fg__llm_find_model(fg_llm *llm, const char *name);
int fg__llm_call_start(fg_llm *llm, fg_http_req *req, json_t *request,
                       const fg_llm_sink_ops *sink, void *sink_ud, const fg_principal *who);
/* The same for an embeddings request ({"model", "input": [strings], "dimensions"?}). */
int fg__llm_embed_start(fg_llm *llm, fg_http_req *req, json_t *request,
                        const fg_llm_sink_ops *sink, void *sink_ud, const fg_principal *who);
/* An embeddings call on a given loop and client (fg_llm_embed's private loop). */
int fg__llm_embed_start_on(fg_llm *llm, uv_loop_t *loop, fg_http_client *client, const char *route,
                           json_t *request, const fg_llm_sink_ops *sink, void *sink_ud);
void fg__llm_emit(fg_llm_attempt *a, const fg_llm_event *ev);
/* The surface could not write (backpressure) / can write again. */
void fg__llm_call_pause(fg_llm_call *call);
void fg__llm_call_resume(fg_llm_call *call);
fg_http_client *fg__llm_client(fg_http_worker *w);

long fg__llm_call_elapsed_ms(const fg_llm_call *call);
/* The model id to send upstream: the deployment's, or for a catch-all ("*")
 * deployment without one, the name the client asked for. */
const char *fg__llm_upstream_model(const fg_llm_attempt *a);
long fg__llm_call_ttft_ms(const fg_llm_call *call);

/* surfaces shared by others (Bedrock's native Anthropic body) */
void fg__llm_anthropic_start(fg_llm *llm, fg_http_req *req, json_t *body, bool stream, bool bedrock,
                             const fg_principal *who);

/* providers */
extern const fg_llm_provider_ops fg_llm_provider_mock;
extern const fg_llm_provider_ops fg_llm_provider_openai;
extern const fg_llm_provider_ops fg_llm_provider_anthropic;
extern const fg_llm_provider_ops fg_llm_provider_bedrock;
extern const fg_llm_provider_ops fg_llm_provider_sagemaker;
extern const fg_llm_provider_ops fg_llm_provider_local;

/* provider_local.c */
int fg__local_provider_init(fg_llm_provider *p, fg_errbuf *eb);
void fg__local_provider_free(fg_llm_provider *p);
char *fg__local_find_model(const char *dir);

/* usage.c */
void fg__llm_record_usage(fg_llm_call *call);
/* The call's cost from the price table and its real tokens. */
double fg__llm_call_cost(const fg_llm_call *call);
/* Writes the queued usage records and stops the writer (at shutdown). */
void fg__llm_usage_flush(void);
double fg__llm_cost(const fg_llm *llm, const char *model, const char *alias, long in, long out);

/* surfaces */
void fg__llm_surface_openai_register(fg_llm *llm, fg_http_router *r);
void fg__llm_surface_anthropic_register(fg_llm *llm, fg_http_router *r);
void fg__llm_surface_bedrock_register(fg_llm *llm, fg_http_router *r);
void fg__llm_surface_embeddings_register(fg_llm *llm, fg_http_router *r);

#endif
