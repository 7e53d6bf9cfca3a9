/* Private to src/chat. */
#ifndef FG_CHAT_CHAT_INT_H
#define FG_CHAT_CHAT_INT_H

#include "chat/chat.h"

#include "cache/cache.h"

struct fg_chat {
    fg_llm *llm;
    fg_auth *auth;
    fg_store *store;   /* chat history; may be NULL (no history) */
    fg_cache *cache;   /* may be NULL (no cache) */
    long default_max_tokens;
    double default_temperature;
    char default_model[256];
    size_t ws_max_message;
    uint64_t ws_ping_ms;
    long history_turns;
    int max_chats_per_socket;
    bool cache_enabled;
    fg_cache_mode cache_mode;
    char embedding_model[256];
};

/* A seed request ({prompt, model, parameters{temperature, max_tokens_to_sample,
 * stop_sequences}}) as the gateway's canonical request, after the past
 * messages of history (may be NULL); NULL with a message naming the field. */
json_t *fg__chat_canonical(const fg_chat *chat, const json_t *body, const json_t *history, char *msg,
                           size_t n);

void fg__chat_ws_route(fg_http_req *req, void *ud);
void fg__chat_rest_route(fg_http_req *req, void *ud);
void fg__chat_list_route(fg_http_req *req, void *ud);
void fg__chat_get_route(fg_http_req *req, void *ud);
void fg__chat_delete_route(fg_http_req *req, void *ud);

/* --- history (history.c) -------------------------------------------------- */

/* The last chat.history_turns turns of the chat as messages (a new array) and
 * whether the chat has any turn at all. */
int fg__chat_history_load(fg_chat *chat, const char *account_id, const char *chat_id,
                          json_t **messages, bool *any, fg_errbuf *eb);
/* Stores one turn: the user's prompt and the answer. */
typedef struct fg__chat_turn_record {
    const char *account_id, *chat_id, *prompt, *answer, *model;
    size_t answer_len;
    long input_tokens, output_tokens;
    bool cached;
} fg__chat_turn_record;
int fg__chat_history_append(fg_chat *chat, const fg__chat_turn_record *r, fg_errbuf *eb);

/* --- one question on its way (turn.c) -------------------------------------- */

typedef struct fg__chat_turn fg__chat_turn;
/* Called once the cache was asked: hit is the cached answer (the turn is
 * already recorded in history), or NULL: go upstream with
 * fg__chat_turn_request. Never called after fg__chat_turn_cancel. */
typedef void (*fg__chat_turn_decided)(fg__chat_turn *t, const fg_cache_hit *hit, void *ud);

/* Starts a turn for body (a WebSocket frame or a /RestLambda body): checks
 * it, loads the chat's history (chat_id NULL: none), sets *out, and asks the
 * cache (an embedding first in the semantic mode). decided may run before
 * this returns, and may free the turn. On a bad request returns -1 with the
 * message in msg (decided does not run). */
int fg__chat_turn_begin(fg_chat *chat, fg_http_worker *w, const char *account_id, const char *chat_id,
                        const json_t *body, fg__chat_turn_decided decided, void *ud,
                        fg__chat_turn **out, char *msg, size_t n);
/* The canonical request to send upstream (a new reference). */
json_t *fg__chat_turn_request(fg__chat_turn *t);
const char *fg__chat_turn_model(const fg__chat_turn *t);
/* True when the cache was asked for this turn. */
bool fg__chat_turn_cache_read(const fg__chat_turn *t);
/* The fresh answer completed: recorded in history and, when the turn may
 * write it, in the cache. */
void fg__chat_turn_complete(fg__chat_turn *t, const char *text, size_t len, long input_tokens,
                            long output_tokens);
/* Stops a turn still waiting for its embedding; decided will not run. */
void fg__chat_turn_cancel(fg__chat_turn *t);
void fg__chat_turn_free(fg__chat_turn *t);

#endif
