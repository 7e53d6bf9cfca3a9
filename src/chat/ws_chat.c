/* The WebSocket chat of seed 003: each {"action":"sendmessage",...} frame starts
 * a gateway call whose text streams back as frames
 *   {"completion":"<delta>","chat_id":"..","cached":"false","has_more_messages":"true"}
 * ending with an empty completion and "has_more_messages":"false". Several
 * chats run at once on one socket; {"action":"cancel","chat_id":..} stops one
 * (and its upstream request); errors come as
 *   {"error":{"message":..,"type":..},"chat_id":..,"has_more_messages":"false"}.
 * Frames go only to the socket that asked. The caller is authenticated at the
 * upgrade (fg_auth_request); chats, history and cache entries are its
 * account's. A cache hit is one frame with "cached":"true". */
#include "chat/chat_int.h"

#include "core/json.h"
#include "core/rand.h"
#include "http/ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER_BYTES (64u << 20)

typedef struct ws_conn ws_conn;

/* One chat answering on the socket: waiting for the cache's decision (turn),
 * then streaming (call). */
typedef struct ws_chat {
    ws_conn *conn;
    fg__chat_turn *turn;
    fg_llm_call *call;
    fg_buf text; /* the answer so far, for history and the cache */
    bool overflow;
    char chat_id[128];
    struct ws_chat *next;
} ws_chat;

struct ws_conn {
    fg_chat *chat;
    fg_ws *ws;
    char account_id[64];
    char key_id[64]; /* the API key the connection was opened with, or "" */
    ws_chat *chats;
    int nchats;
    bool closed;
};

static void send_frame(ws_conn *c, fg_buf *b)
{
    if (c->closed)
        return;
    if (fg_ws_send_text(c->ws, b->data, b->len) == FG_EAGAIN)
        for (ws_chat *ch = c->chats; ch; ch = ch->next)
            if (ch->call)
                fg_llm_call_pause(ch->call);
}

static void send_error(ws_conn *c, const char *chat_id, const char *type, const char *msg)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"error\":{\"message\":");
    fg_json_escape(&b, msg, strlen(msg));
    fg_buf_puts(&b, ",\"type\":");
    fg_json_escape(&b, type, strlen(type));
    fg_buf_puts(&b, "},\"chat_id\":");
    if (chat_id)
        fg_json_escape(&b, chat_id, strlen(chat_id));
    else
        fg_buf_puts(&b, "null");
    fg_buf_puts(&b, ",\"has_more_messages\":\"false\"}");
    send_frame(c, &b);
    fg_buf_free(&b);
}

static void send_completion(ws_conn *c, const char *chat_id, const char *text, size_t len, bool more,
                            bool cached)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"completion\":");
    fg_json_escape(&b, text, len);
    fg_buf_puts(&b, ",\"chat_id\":");
    fg_json_escape(&b, chat_id, strlen(chat_id));
    fg_buf_printf(&b, ",\"cached\":\"%s\",\"has_more_messages\":\"%s\"}", cached ? "true" : "false",
                  more ? "true" : "false");
    send_frame(c, &b);
    fg_buf_free(&b);
}

/* The chat is over: frees it, and the connection after its last chat once
 * the socket closed. */
static void chat_finish(ws_chat *ch)
{
    ws_conn *c = ch->conn;
    for (ws_chat **pp = &c->chats; *pp; pp = &(*pp)->next)
        if (*pp == ch) {
            *pp = ch->next;
            break;
        }
    c->nchats--;
    fg__chat_turn_free(ch->turn);
    fg_buf_free(&ch->text);
    free(ch);
    if (c->closed && !c->chats)
        free(c);
}

static void sink_begin(fg_llm_call *call) {}

static void sink_event(fg_llm_call *call, const fg_llm_event *ev)
{
    ws_chat *ch = fg_llm_call_sink_data(call);
    if (ev->type != FG_LLM_EV_TEXT || !ev->len)
        return;
    if (fg_buf_append(&ch->text, ev->text, ev->len))
        ch->overflow = true;
    send_completion(ch->conn, ch->chat_id, ev->text, ev->len, true, false);
}

static void sink_end(fg_llm_call *call)
{
    ws_chat *ch = fg_llm_call_sink_data(call);
    /* Recorded before the last frame goes out: a client that reads the chat
     * as soon as the stream ends finds this turn. */
    if (!ch->overflow)
        fg__chat_turn_complete(ch->turn, ch->text.data, ch->text.len, fg_llm_call_input_tokens(call),
                               fg_llm_call_output_tokens(call));
    send_completion(ch->conn, ch->chat_id, "", 0, false, false);
    chat_finish(ch);
}

/* Cancelled or failed: nothing is recorded or cached. */
static void sink_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    ws_chat *ch = fg_llm_call_sink_data(call);
    if (status == 499)
        send_completion(ch->conn, ch->chat_id, "", 0, false, false); /* cancelled: the stream ends */
    else
        send_error(ch->conn, ch->chat_id, type, msg);
    chat_finish(ch);
}

static const fg_llm_sink_ops ws_sink = {sink_begin, sink_event, sink_end, sink_fail};

/* The cache answered (one frame with "cached": "true"), or the question goes
 * upstream. */
static void on_decided(fg__chat_turn *t, const fg_cache_hit *hit, void *ud)
{
    ws_chat *ch = ud;
    ws_conn *c = ch->conn;
    if (hit) {
        send_completion(c, ch->chat_id, hit->response, hit->len, false, true);
        chat_finish(ch);
        return;
    }
    fg_llm_caller caller = {c->account_id, c->key_id};
    fg_llm_call_start_as(c->chat->llm, fg_ws_worker(c->ws), "/ws", &caller, fg__chat_turn_request(t), &ws_sink,
                         ch, &ch->call);
    /* The call may have finished already (an unknown model): then ch is gone. */
}

static ws_chat *find_chat(ws_conn *c, const char *chat_id)
{
    for (ws_chat *ch = c->chats; ch; ch = ch->next)
        if (strcmp(ch->chat_id, chat_id) == 0)
            return ch;
    return NULL;
}

static void send_message(ws_conn *c, json_t *frame)
{
    const char *chat_id = fg_json_str(frame, "chat_id", NULL);
    char id[37];
    if (!chat_id) {
        fg_rand_uuid(id);
        chat_id = id;
    }
    if (strlen(chat_id) >= sizeof((ws_chat *)0)->chat_id) {
        send_error(c, NULL, "invalid_request_error", "chat_id: longer than 127 characters");
        return;
    }
    if (find_chat(c, chat_id)) {
        send_error(c, chat_id, "invalid_request_error", "this chat is already answering a message");
        return;
    }
    if (c->nchats >= c->chat->max_chats_per_socket) {
        send_error(c, chat_id, "rate_limited", "too many chats at once on this connection");
        return;
    }
    ws_chat *ch = calloc(1, sizeof *ch);
    if (!ch) {
        send_error(c, chat_id, "internal_error", "out of memory");
        return;
    }
    ch->conn = c;
    fg_buf_init(&ch->text, MAX_ANSWER_BYTES);
    snprintf(ch->chat_id, sizeof ch->chat_id, "%s", chat_id);
    ch->next = c->chats;
    c->chats = ch;
    c->nchats++;
    char msg[300];
    if (fg__chat_turn_begin(c->chat, fg_ws_worker(c->ws), c->account_id, ch->chat_id, frame, on_decided,
                            ch, &ch->turn, msg, sizeof msg)) {
        send_error(c, ch->chat_id, "invalid_request_error", msg);
        chat_finish(ch);
    }
    /* The turn may have ended already (a cache hit, an unknown model). */
}

/* Cancel: the upstream call stops (its sink ends the stream), or a turn
 * still waiting for its embedding is dropped. */
static void cancel_chat(ws_chat *ch, bool send_end)
{
    if (ch->call) {
        fg_llm_call_cancel(ch->call);
        return;
    }
    fg__chat_turn_cancel(ch->turn);
    if (send_end)
        send_completion(ch->conn, ch->chat_id, "", 0, false, false);
    chat_finish(ch);
}

static void on_message(fg_ws *ws, bool binary, const char *data, size_t len, void *ud)
{
    ws_conn *c = ud;
    json_error_t jerr;
    json_t *frame = json_loadb(data, len, 0, &jerr);
    if (!json_is_object(frame)) {
        send_error(c, NULL, "invalid_request_error", "a frame must be a JSON object");
        json_decref(frame);
        return;
    }
    const char *action = fg_json_str(frame, "action", "");
    if (strcmp(action, "sendmessage") == 0) {
        send_message(c, frame);
    } else if (strcmp(action, "cancel") == 0) {
        const char *chat_id = fg_json_str(frame, "chat_id", "");
        ws_chat *ch = find_chat(c, chat_id);
        if (ch)
            cancel_chat(ch, true);
        else
            send_error(c, chat_id, "not_found", "no answer in progress for this chat_id");
    } else {
        send_error(c, fg_json_str(frame, "chat_id", NULL), "invalid_request_error",
                   "action must be sendmessage or cancel");
    }
    json_decref(frame);
}

static void on_drain(fg_ws *ws, void *ud)
{
    ws_conn *c = ud;
    for (ws_chat *ch = c->chats; ch; ch = ch->next)
        if (ch->call)
            fg_llm_call_resume(ch->call);
}

static void on_close(fg_ws *ws, int code, void *ud)
{
    ws_conn *c = ud;
    c->closed = true;
    /* Cancel every chat: each one removes itself, the last frees c. */
    while (c->chats) {
        bool last = !c->chats->next;
        cancel_chat(c->chats, false);
        if (last)
            return;
    }
    free(c);
}

void fg__chat_ws_route(fg_http_req *req, void *ud)
{
    fg_chat *chat = ud;
    if (!fg_http_req_is_upgrade(req)) {
        fg_http_resp_header(req, "Upgrade", "websocket");
        fg_http_respond_error(req, 426, "upgrade_required", "connect with a WebSocket client");
        return;
    }
    fg_principal p;
    if (fg_llm_authorize(chat->llm, req, &p))
        return; /* answered 401/403/429 before the upgrade */
    ws_conn *c = calloc(1, sizeof *c);
    if (!c) {
        fg_http_respond_error(req, 503, "unavailable", "out of memory");
        return;
    }
    c->chat = chat;
    snprintf(c->account_id, sizeof c->account_id, "%s", p.account_id);
    snprintf(c->key_id, sizeof c->key_id, "%s", p.key_id);
    fg_ws_opts opts = {.max_message_bytes = chat->ws_max_message, .ping_interval_ms = chat->ws_ping_ms};
    static const fg_ws_cbs cbs = {on_message, on_drain, on_close};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_http_ws_accept(req, &opts, &cbs, c, &c->ws, &eb)) {
        free(c);
        fg_http_respond_error(req, 400, "bad_request", eb.msg);
    }
}
