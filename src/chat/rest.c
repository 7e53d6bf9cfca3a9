/* POST /RestLambda: one prompt, one answer, in the seed's shape:
 * {prompt, model, parameters{temperature, stop_sequences, max_tokens_to_sample}}
 * -> {"completion": ..., "stop_reason": ..., "model": ..., "usage": {...}}. */
#include "chat/chat_int.h"

#include "core/json.h"
#include "llm/surface.h"

#include <stdio.h>
#include <string.h>

typedef struct rest_sink {
    fg_http_req *req;
    fg_chat *chat;
    fg__chat_turn *turn;
    fg_buf text;
    fg_principal who; /* the caller: usage and limits */
} rest_sink;

static void put_answer(fg_buf *b, const char *text, size_t len, const char *stop_reason, const char *model,
                       long input_tokens, long output_tokens)
{
    fg_buf_puts(b, "{\"completion\":");
    fg_json_escape(b, text ? text : "", len);
    fg_buf_puts(b, ",\"stop_reason\":");
    fg_json_escape(b, stop_reason, strlen(stop_reason));
    fg_buf_puts(b, ",\"model\":");
    fg_json_escape(b, model, strlen(model));
    fg_buf_printf(b, ",\"usage\":{\"input_tokens\":%ld,\"output_tokens\":%ld}}", input_tokens,
                  output_tokens);
}

static void rs_begin(fg_llm_call *call) {}

static void rs_event(fg_llm_call *call, const fg_llm_event *ev)
{
    rest_sink *s = fg_llm_call_sink_data(call);
    if (ev->type == FG_LLM_EV_TEXT)
        fg_buf_append(&s->text, ev->text, ev->len);
}

static void rs_end(fg_llm_call *call)
{
    rest_sink *s = fg_llm_call_sink_data(call);
    fg__chat_turn_complete(s->turn, s->text.data, s->text.len, fg_llm_call_input_tokens(call),
                           fg_llm_call_output_tokens(call));
    fg_buf b;
    fg_buf_init(&b, 0);
    put_answer(&b, s->text.data, s->text.len, fg_llm_call_finish_reason(call), fg__chat_turn_model(s->turn),
               fg_llm_call_input_tokens(call), fg_llm_call_output_tokens(call));
    fg_buf_free(&s->text);
    fg__chat_turn_free(s->turn);
    fg_http_respond(s->req, 200, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

static void rs_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    rest_sink *s = fg_llm_call_sink_data(call);
    fg_buf_free(&s->text);
    fg__chat_turn_free(s->turn);
    fg_http_respond_error(s->req, status, type, msg);
}

static const fg_llm_sink_ops rest_ops = {rs_begin, rs_event, rs_end, rs_fail};

/* The client left while the prompt was being embedded (semantic mode). */
static void on_abort_waiting(fg_http_req *req, void *ud)
{
    rest_sink *s = ud;
    fg__chat_turn_cancel(s->turn);
    fg__chat_turn_free(s->turn);
    s->turn = NULL;
    fg_http_respond(req, 499, "application/json", "", 0); /* frees the request */
}

/* A hit is answered at once with x-flowgate-cache: hit; a miss goes upstream. */
static void on_decided(fg__chat_turn *t, const fg_cache_hit *hit, void *ud)
{
    rest_sink *s = ud;
    fg_http_req_on_abort(s->req, NULL, NULL);
    if (hit) {
        fg_buf b;
        fg_buf_init(&b, 0);
        put_answer(&b, hit->response, hit->len, "stop", hit->model[0] ? hit->model : fg__chat_turn_model(t), 0, 0);
        fg__chat_turn_free(t);
        fg_http_resp_header(s->req, "x-flowgate-cache", "hit");
        fg_http_respond(s->req, 200, "application/json", b.data, b.len);
        fg_buf_free(&b);
        return;
    }
    if (fg__chat_turn_cache_read(t))
        fg_http_resp_header(s->req, "x-flowgate-cache", "miss");
    fg_buf_init(&s->text, 64u << 20);
    fg_llm_caller caller = {s->who.account_id, s->who.key_id};
    fg_llm_call_start_http_as(s->chat->llm, s->req, &caller, fg__chat_turn_request(t), &rest_ops, s);
}

void fg__chat_rest_route(fg_http_req *req, void *ud)
{
    fg_chat *chat = ud;
    fg_principal p;
    if (fg_llm_authorize(chat->llm, req, &p))
        return;
    json_t *body = NULL;
    char msg[300];
    int status = fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        fg_http_respond_error(req, status, "invalid_request_error", msg);
        return;
    }
    rest_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->req = req;
    s->chat = chat;
    s->who = p;
    fg_http_req_on_abort(req, on_abort_waiting, s);
    int rc = fg__chat_turn_begin(chat, fg_http_req_worker(req), p.account_id, NULL, body, on_decided, s,
                                 &s->turn, msg, sizeof msg);
    json_decref(body);
    if (rc) {
        fg_http_req_on_abort(req, NULL, NULL);
        fg_http_respond_error(req, 422, "invalid_request_error", msg);
    }
}
