/* The chat API of the LLM-gateway seed (seed 003): POST /RestLambda and the
 * WebSocket at /ws with its frames ("true"/"false" strings), several chats on
 * one socket keyed by chat_id, cancel, and error frames. */
#ifndef FG_CHAT_CHAT_H
#define FG_CHAT_CHAT_H

#include "config/config.h"
#include "http/http.h"
#include "llm/llm.h"

typedef struct fg_chat fg_chat;

fg_chat *fg_chat_create(const fg_config *cfg, fg_llm *llm);
void fg_chat_free(fg_chat *chat);
void fg_chat_register_routes(fg_chat *chat, fg_http_router *r);

#endif
