/* The chat API of the LLM-gateway seed (seed 003): POST /RestLambda and the
 * WebSocket at /ws with its frames ("true"/"false" strings), several chats on
 * one socket keyed by chat_id, cancel, and error frames; every turn kept as
 * chat history per account (GET/DELETE /chats...), answers served from the
 * question-answer cache (src/cache) when they can be. */
#ifndef FG_CHAT_CHAT_H
#define FG_CHAT_CHAT_H

#include "auth/auth.h"
#include "cache/cache.h"
#include "config/config.h"
#include "http/http.h"
#include "llm/llm.h"
#include "store/store.h"

typedef struct fg_chat fg_chat;

/* store and cache may be NULL (no history, no cache). */
fg_chat *fg_chat_create(const fg_config *cfg, fg_llm *llm, fg_auth *auth, fg_store *store,
                        fg_cache *cache);
void fg_chat_free(fg_chat *chat);
void fg_chat_register_routes(fg_chat *chat, fg_http_router *r);

#endif
