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
    char model[256];
    fg_buf text;
} rest_sink;

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
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"completion\":");
    fg_json_escape(&b, s->text.data ? s->text.data : "", s->text.len);
    fg_buf_puts(&b, ",\"stop_reason\":");
    const char *fr = fg_llm_call_finish_reason(call);
    fg_json_escape(&b, fr, strlen(fr));
    fg_buf_puts(&b, ",\"model\":");
    fg_json_escape(&b, s->model, strlen(s->model));
    fg_buf_printf(&b, ",\"usage\":{\"input_tokens\":%ld,\"output_tokens\":%ld}}", fg_llm_call_input_tokens(call),
                  fg_llm_call_output_tokens(call));
    fg_buf_free(&s->text);
    fg_http_respond(s->req, 200, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

static void rs_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    rest_sink *s = fg_llm_call_sink_data(call);
    fg_buf_free(&s->text);
    fg_http_respond_error(s->req, status, type, msg);
}

static const fg_llm_sink_ops rest_ops = {rs_begin, rs_event, rs_end, rs_fail};

void fg__chat_rest_route(fg_http_req *req, void *ud)
{
    fg_chat *chat = ud;
    fg_principal who;
    if (fg_llm_authorize(chat->llm, req, &who))
        return;
    json_t *body = NULL;
    char msg[300];
    int status = fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        fg_http_respond_error(req, status, "invalid_request_error", msg);
        return;
    }
    json_t *canon = fg__chat_canonical(chat, body, msg, sizeof msg);
    if (!canon) {
        json_decref(body);
        fg_http_respond_error(req, 422, "invalid_request_error", msg);
        return;
    }
    rest_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->req = req;
    snprintf(s->model, sizeof s->model, "%s", fg_json_str(canon, "model", ""));
    fg_buf_init(&s->text, 64u << 20);
    json_decref(body);
    fg_llm_caller caller = {who.account_id, who.key_id};
    fg_llm_call_start_http_as(chat->llm, req, &caller, canon, &rest_ops, s);
}
