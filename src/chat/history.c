/* Chat history: every turn of a chat_id (the user's message and the answer,
 * with model and usage) in the store per account (table chat_messages,
 * migration 5); the last chat.history_turns turns go to the model with a new
 * message. GET /chats, GET /chats/{chat_id}, DELETE /chats/{chat_id}: another
 * account's chat is 404. */
#include "chat/chat_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_MAX 1000

int fg__chat_history_load(fg_chat *chat, const char *account_id, const char *chat_id,
                          json_t **messages, bool *any, fg_errbuf *eb)
{
    *messages = json_array();
    *any = false;
    if (!chat->store || !chat_id)
        return FG_OK;
    long limit = chat->history_turns > 0 ? 2 * chat->history_turns : 1;
    fg_sval p[3] = {FG_STEXT(account_id), FG_STEXT(chat_id), FG_SINT(limit)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(chat->store,
                                 "SELECT role, content FROM chat_messages WHERE account_id = $1 AND "
                                 "chat_id = $2 ORDER BY seq DESC LIMIT $3",
                                 p, 3, &rows, eb);
    if (rc)
        return rc;
    *any = json_array_size(rows) > 0;
    if (chat->history_turns > 0)
        for (size_t i = json_array_size(rows); i-- > 0;)
            json_array_append(*messages, json_array_get(rows, i));
    json_decref(rows);
    return FG_OK;
}

static int next_seq(fg_chat *chat, const char *account_id, const char *chat_id, int64_t *seq,
                    fg_errbuf *eb)
{
    fg_sval p[2] = {FG_STEXT(account_id), FG_STEXT(chat_id)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(chat->store,
                                 "SELECT MAX(seq) AS s FROM chat_messages WHERE account_id = $1 AND "
                                 "chat_id = $2",
                                 p, 2, &rows, eb);
    if (rc)
        return rc;
    json_t *s = json_object_get(json_array_get(rows, 0), "s");
    *seq = json_is_integer(s) ? json_integer_value(s) + 1 : 0;
    json_decref(rows);
    return FG_OK;
}

static int insert_message(fg_chat *chat, const fg__chat_turn_record *r, int64_t seq, bool user,
                          int64_t now, fg_errbuf *eb)
{
    fg_sval p[10] = {FG_STEXT(r->account_id), FG_STEXT(r->chat_id), FG_SINT(seq),
                     FG_STEXT(user ? "user" : "assistant"),
                     user ? FG_STEXT(r->prompt) : FG_STEXTN(r->answer, r->answer_len),
                     FG_STEXT(r->model), FG_SINT(user ? r->input_tokens : 0),
                     FG_SINT(user ? 0 : r->output_tokens), FG_SINT(r->cached ? 1 : 0), FG_SINT(now)};
    return fg_store_exec(chat->store,
                         "INSERT INTO chat_messages (account_id, chat_id, seq, role, content, model, "
                         "input_tokens, output_tokens, cached, created_ms) VALUES ($1, $2, $3, $4, "
                         "$5, $6, $7, $8, $9, $10)",
                         p, 10, NULL, eb);
}

int fg__chat_history_append(fg_chat *chat, const fg__chat_turn_record *r, fg_errbuf *eb)
{
    if (!chat->store || !r->chat_id)
        return FG_OK;
    int rc = fg_store_begin(chat->store, eb);
    if (rc)
        return rc;
    int64_t seq = 0, now = fg_clock_wall_ms();
    rc = next_seq(chat, r->account_id, r->chat_id, &seq, eb);
    if (!rc)
        rc = insert_message(chat, r, seq, true, now, eb);
    if (!rc)
        rc = insert_message(chat, r, seq + 1, false, now, eb);
    if (rc) {
        fg_store_rollback(chat->store);
        return rc;
    }
    return fg_store_commit(chat->store, eb);
}

/* --- the HTTP API ---------------------------------------------------------- */

static void respond_json(fg_http_req *req, int status, json_t *body)
{
    char *text = fg_json_dumps(body);
    fg_http_respond(req, status, "application/json", text, text ? strlen(text) : 0);
    free(text);
    json_decref(body);
}

static bool no_history(fg_http_req *req, fg_chat *chat)
{
    if (chat->store)
        return false;
    fg_http_respond_error(req, 503, "unavailable", "chat history needs the store");
    return true;
}

void fg__chat_list_route(fg_http_req *req, void *ud)
{
    fg_chat *chat = ud;
    fg_principal p;
    if (fg_auth_request(chat->auth, req, FG_ACCESS_USER, &p) || no_history(req, chat))
        return;
    const char *lim = fg_http_req_query_param(req, "limit");
    long limit = lim ? strtol(lim, NULL, 10) : 100;
    if (limit < 1 || limit > LIST_LIMIT_MAX) {
        fg_http_respond_error(req, 400, "invalid_request_error", "limit: between 1 and 1000");
        return;
    }
    fg_sval sp[2] = {FG_STEXT(p.account_id), FG_SINT(limit)};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_query_json(chat->store,
                            "SELECT chat_id, COUNT(*) AS messages, MIN(created_ms) AS created_ms, "
                            "MAX(created_ms) AS updated_ms FROM chat_messages WHERE account_id = $1 "
                            "GROUP BY chat_id ORDER BY MAX(created_ms) DESC, chat_id LIMIT $2",
                            sp, 2, &rows, &eb)) {
        fg_http_respond_error(req, 500, "internal_error", eb.msg);
        return;
    }
    respond_json(req, 200, json_pack("{s:o}", "chats", rows));
}

static json_t *message_json(const json_t *row)
{
    json_t *m = json_pack("{s:O,s:O,s:O,s:{s:O,s:O},s:b,s:O}", "role", json_object_get(row, "role"),
                          "content", json_object_get(row, "content"), "model",
                          json_object_get(row, "model") ? json_object_get(row, "model") : json_null(),
                          "usage", "input_tokens", json_object_get(row, "input_tokens"),
                          "output_tokens", json_object_get(row, "output_tokens"), "cached",
                          json_integer_value(json_object_get(row, "cached")) != 0, "created_ms",
                          json_object_get(row, "created_ms"));
    return m ? m : json_object();
}

void fg__chat_get_route(fg_http_req *req, void *ud)
{
    fg_chat *chat = ud;
    fg_principal p;
    if (fg_auth_request(chat->auth, req, FG_ACCESS_USER, &p) || no_history(req, chat))
        return;
    const char *chat_id = fg_http_req_param(req, "chat_id");
    fg_sval sp[2] = {FG_STEXT(p.account_id), FG_STEXT(chat_id)};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_query_json(chat->store,
                            "SELECT role, content, model, input_tokens, output_tokens, cached, "
                            "created_ms FROM chat_messages WHERE account_id = $1 AND chat_id = $2 "
                            "ORDER BY seq",
                            sp, 2, &rows, &eb)) {
        fg_http_respond_error(req, 500, "internal_error", eb.msg);
        return;
    }
    if (!json_array_size(rows)) {
        json_decref(rows);
        fg_http_respond_error(req, 404, "not_found", "no chat with this chat_id");
        return;
    }
    json_t *messages = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) json_array_append_new(messages, message_json(row));
    json_decref(rows);
    respond_json(req, 200, json_pack("{s:s,s:o}", "chat_id", chat_id, "messages", messages));
}

void fg__chat_delete_route(fg_http_req *req, void *ud)
{
    fg_chat *chat = ud;
    fg_principal p;
    if (fg_auth_request(chat->auth, req, FG_ACCESS_USER, &p) || no_history(req, chat))
        return;
    fg_sval sp[2] = {FG_STEXT(p.account_id), FG_STEXT(fg_http_req_param(req, "chat_id"))};
    int64_t changes = 0;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_exec(chat->store, "DELETE FROM chat_messages WHERE account_id = $1 AND chat_id = $2",
                      sp, 2, &changes, &eb)) {
        fg_http_respond_error(req, 500, "internal_error", eb.msg);
        return;
    }
    if (!changes) {
        fg_http_respond_error(req, 404, "not_found", "no chat with this chat_id");
        return;
    }
    fg_http_respond(req, 204, "application/json", "", 0);
}
