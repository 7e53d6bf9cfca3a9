/* The LLM gateway: providers behind one interface, model aliases routed to
 * deployments with retries, fallback and cooldown, API surfaces (OpenAI,
 * Anthropic, Bedrock shapes) that translate to and from one canonical request,
 * and usage records. */
#ifndef FG_LLM_LLM_H
#define FG_LLM_LLM_H

#include "config/config.h"
#include "core/error.h"
#include "http/http.h"
#include "store/store.h"

typedef struct fg_llm fg_llm;

int fg_llm_create(const fg_config *cfg, fg_store *store, fg_llm **out, fg_errbuf *eb);
void fg_llm_free(fg_llm *llm);
/* Adds the gateway's routes (/v1/..., /model/...). */
void fg_llm_register_routes(fg_llm *llm, fg_http_router *router);
/* Per event loop state (the outbound HTTP client); call from the server's
 * worker start/stop hooks. */
void fg_llm_worker_start(fg_llm *llm, fg_http_worker *w);
void fg_llm_worker_stop(fg_llm *llm, fg_http_worker *w);

#endif
