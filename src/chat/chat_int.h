/* Private to src/chat. */
#ifndef FG_CHAT_CHAT_INT_H
#define FG_CHAT_CHAT_INT_H

#include "chat/chat.h"

struct fg_chat {
    fg_llm *llm;
    long default_max_tokens;
    double default_temperature;
    char default_model[256];
    size_t ws_max_message;
    uint64_t ws_ping_ms;
};

/* A seed request ({prompt, model, parameters{temperature, max_tokens_to_sample,
 * stop_sequences}}) as the gateway's canonical request; NULL with a message
 * naming the field. */
json_t *fg__chat_canonical(const fg_chat *chat, const json_t *body, char *msg, size_t n);

void fg__chat_ws_route(fg_http_req *req, void *ud);
void fg__chat_rest_route(fg_http_req *req, void *ud);

#endif
