/* The cache in front of the gateway's OpenAI, Anthropic and Bedrock routes:
 * opt-in per route (cache.gateway_routes), per API key (cache.gateway_keys)
 * or per request (x-flowgate-cache: use | bypass | refresh). The key is the
 * hash of the canonical request (model, messages, parameters; not the stream
 * flag), folded in the normalised and semantic modes, so a streamed and a
 * plain request share an answer and any surface can replay it. Entries are
 * the account's the route authorized (fg_llm_authorize). */
#ifndef FG_CACHE_GATEWAY_H
#define FG_CACHE_GATEWAY_H

#include "cache/cache.h"
#include "config/config.h"
#include "llm/llm.h"

typedef struct fg_cache_gateway fg_cache_gateway;

/* NULL when the cache is off. */
fg_cache_gateway *fg_cache_gateway_create(const fg_config *cfg, fg_cache *cache);
void fg_cache_gateway_free(fg_cache_gateway *g);
/* Puts g in front of llm's HTTP routes (fg_llm_set_cache). */
void fg_cache_gateway_attach(fg_cache_gateway *g, fg_llm *llm);

#endif
