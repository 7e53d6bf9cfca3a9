/* The Anthropic-shaped surface: POST /v1/messages, with the full event
 * sequence when streaming (message_start, content_block_start/delta/stop,
 * ping, message_delta with cumulative usage, message_stop) and one message
 * object otherwise. */
#include "llm/llm_int.h"
#include "llm/surface.h"
#include "llm/translate.h"

#include "core/json.h"

#include <stdio.h>
#include <string.h>

typedef struct an_sink {
    bool stream;
    bool bedrock;       /* Bedrock InvokeModel: chunk framing, AWS errors, metrics */
    char model[256];
    char msg_id[40];
    int block;          /* index of the open block, -1 none */
    bool block_is_tool;
    int blocks;         /* blocks opened so far */
    json_t *content;    /* non-stream: the content blocks */
    fg_buf args;        /* non-stream: arguments of the tool block being built */
} an_sink;

static const char *error_type(int status)
{
    switch (status) {
    case 400: case 415: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503: case 529: return "overloaded_error";
    default: return "api_error";
    }
}

static void error_body(fg_buf *b, const char *type, const char *msg)
{
    fg_buf_puts(b, "{\"type\":\"error\",\"error\":{\"type\":");
    fg_json_escape(b, type, strlen(type));
    fg_buf_puts(b, ",\"message\":");
    fg_json_escape(b, msg, strlen(msg));
    fg_buf_puts(b, "}}");
}

static void send_event(fg_llm_call *call, const char *name, fg_buf *data)
{
    an_sink *s = call->sink_ud;
    fg__llm_frame_event(call, s->bedrock ? FG_FRAME_BEDROCK_CHUNK : FG_FRAME_SSE, name,
                        data->data, data->len);
    fg_buf_reset(data);
}

static void an_begin(fg_llm_call *call)
{
    an_sink *s = call->sink_ud;
    snprintf(s->msg_id, sizeof s->msg_id, "msg_%s%s", s->bedrock ? "bdrk_" : "",
             call->id + strlen("chatcmpl-"));
    if (!s->stream)
        return;
    fg_http_stream_start(call->req, 200,
                         fg__llm_frame_content_type(s->bedrock ? FG_FRAME_BEDROCK_CHUNK : FG_FRAME_SSE));
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_buf_printf(&d, "{\"type\":\"message_start\",\"message\":{\"id\":\"%s\",\"type\":\"message\","
                      "\"role\":\"assistant\",\"content\":[],\"model\":", s->msg_id);
    fg_json_escape(&d, s->model, strlen(s->model));
    fg_buf_printf(&d, ",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
                      "\"output_tokens\":%ld}}}", call->input_tokens, call->output_tokens);
    send_event(call, "message_start", &d);
    fg_buf_puts(&d, "{\"type\":\"ping\"}");
    send_event(call, "ping", &d);
    fg_buf_free(&d);
}

static void close_block(fg_llm_call *call, an_sink *s)
{
    if (s->block < 0)
        return;
    if (s->stream) {
        fg_buf d;
        fg_buf_init(&d, 0);
        fg_buf_printf(&d, "{\"type\":\"content_block_stop\",\"index\":%d}", s->block);
        send_event(call, "content_block_stop", &d);
        fg_buf_free(&d);
    } else if (s->block_is_tool) {
        json_t *blk = json_array_get(s->content, (size_t)s->block);
        json_object_set_new(blk, "input", fg_json_object_or_empty(s->args.data, s->args.len));
        fg_buf_reset(&s->args);
    }
    s->block = -1;
}

static void open_block(fg_llm_call *call, an_sink *s, const fg_llm_event *ev, bool tool)
{
    close_block(call, s);
    s->block = s->blocks++;
    s->block_is_tool = tool;
    if (!s->stream) {
        json_array_append_new(s->content, tool ? json_pack("{s:s,s:s,s:s}", "type", "tool_use", "id",
                                                           ev->tool_id ? ev->tool_id : "", "name",
                                                           ev->tool_name ? ev->tool_name : "")
                                               : json_pack("{s:s,s:s}", "type", "text", "text", ""));
        return;
    }
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_buf_printf(&d, "{\"type\":\"content_block_start\",\"index\":%d,\"content_block\":", s->block);
    if (tool) {
        fg_buf_puts(&d, "{\"type\":\"tool_use\",\"id\":");
        fg_json_escape(&d, ev->tool_id ? ev->tool_id : "", ev->tool_id ? strlen(ev->tool_id) : 0);
        fg_buf_puts(&d, ",\"name\":");
        fg_json_escape(&d, ev->tool_name ? ev->tool_name : "", ev->tool_name ? strlen(ev->tool_name) : 0);
        fg_buf_puts(&d, ",\"input\":{}}}");
    } else {
        fg_buf_puts(&d, "{\"type\":\"text\",\"text\":\"\"}}");
    }
    send_event(call, "content_block_start", &d);
    fg_buf_free(&d);
}

static void delta(fg_llm_call *call, an_sink *s, const fg_llm_event *ev)
{
    if (!s->stream) {
        if (s->block_is_tool) {
            fg_buf_append(&s->args, ev->text, ev->len);
        } else {
            fg_json_append_member(json_array_get(s->content, (size_t)s->block), "text", ev->text, ev->len);
        }
        return;
    }
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_buf_printf(&d, "{\"type\":\"content_block_delta\",\"index\":%d,\"delta\":{\"type\":\"%s\",\"%s\":",
                  s->block, s->block_is_tool ? "input_json_delta" : "text_delta",
                  s->block_is_tool ? "partial_json" : "text");
    fg_json_escape(&d, ev->text, ev->len);
    fg_buf_puts(&d, "}}");
    send_event(call, "content_block_delta", &d);
    fg_buf_free(&d);
}

static void an_event(fg_llm_call *call, const fg_llm_event *ev)
{
    an_sink *s = call->sink_ud;
    if (ev->type == FG_LLM_EV_TEXT) {
        if (s->block < 0 || s->block_is_tool)
            open_block(call, s, ev, false);
        delta(call, s, ev);
    } else if (ev->type == FG_LLM_EV_TOOL) {
        if (ev->tool_id || s->block < 0 || !s->block_is_tool)
            open_block(call, s, ev, true);
        if (ev->len)
            delta(call, s, ev);
    }
}

static void sink_release(an_sink *s)
{
    json_decref(s->content);
    s->content = NULL;
    fg_buf_free(&s->args);
}

static void an_end(fg_llm_call *call)
{
    an_sink *s = call->sink_ud;
    close_block(call, s);
    const char *stop = fg__finish_to_anthropic(call->finish_reason);
    fg_buf d;
    fg_buf_init(&d, 0);
    if (s->stream) {
        fg_buf_printf(&d, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},"
                          "\"usage\":{\"input_tokens\":%ld,\"output_tokens\":%ld}}",
                      stop, call->input_tokens, call->output_tokens);
        send_event(call, "message_delta", &d);
        if (s->bedrock)
            fg_buf_printf(&d, "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{"
                              "\"inputTokenCount\":%ld,\"outputTokenCount\":%ld,\"invocationLatency\":%ld,"
                              "\"firstByteLatency\":%ld}}", call->input_tokens, call->output_tokens,
                          fg__llm_call_elapsed_ms(call), fg__llm_call_ttft_ms(call));
        else
            fg_buf_puts(&d, "{\"type\":\"message_stop\"}");
        send_event(call, "message_stop", &d);
        sink_release(s);
        fg_http_stream_end(call->req);
    } else {
        fg_buf_printf(&d, "{\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":", s->msg_id);
        fg_json_escape(&d, s->model, strlen(s->model));
        fg_buf_puts(&d, ",\"content\":");
        fg_json_dump(&d, s->content, 0);
        fg_buf_printf(&d, ",\"stop_reason\":\"%s\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
                          "\"output_tokens\":%ld}}", stop, call->input_tokens, call->output_tokens);
        sink_release(s);
        fg_http_respond(call->req, 200, "application/json", d.data, d.len);
    }
    fg_buf_free(&d);
}

static void an_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    an_sink *s = call->sink_ud;
    sink_release(s);
    fg_buf d;
    fg_buf_init(&d, 0);
    if (fg_http_stream_started(call->req) && s->bedrock) {
        fg__llm_frame_error(call, FG_FRAME_BEDROCK_CHUNK,
                            status == 429 ? "throttlingException" : "modelStreamErrorException", msg);
        fg_http_stream_end(call->req);
    } else if (fg_http_stream_started(call->req)) {
        error_body(&d, status == 429 ? "rate_limit_error" : "api_error", msg);
        send_event(call, "error", &d);
        fg_http_stream_end(call->req);
    } else if (s->bedrock) {
        fg__llm_respond_aws_error(call->req, status, msg);
    } else {
        error_body(&d, error_type(status), msg);
        fg_http_respond(call->req, status, "application/json", d.data, d.len);
    }
    fg_buf_free(&d);
}

static const fg_llm_sink_ops an_sink_ops = {an_begin, an_event, an_end, an_fail};

static void respond_error(fg_http_req *req, int status, const char *msg)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    error_body(&b, error_type(status), msg);
    fg_http_respond(req, status, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

void fg__llm_anthropic_start(fg_llm *llm, fg_http_req *req, json_t *body, bool stream, bool bedrock,
                             const fg_principal *who)
{
    char msg[400];
    fg_xlate_err e = {0};
    json_t *canon = fg__anthropic_to_canonical(body, &e);
    if (!canon) {
        snprintf(msg, sizeof msg, "%s: %s", e.param, e.msg);
        if (bedrock)
            fg__llm_respond_aws_error(req, 400, msg);
        else
            respond_error(req, 400, msg);
        json_decref(body);
        return;
    }
    an_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->stream = stream;
    s->bedrock = bedrock;
    snprintf(s->model, sizeof s->model, "%s", fg_json_str(body, "model", ""));
    s->block = -1;
    s->content = json_array();
    fg_buf_init(&s->args, 16u << 20);
    json_decref(body);
    fg__llm_call_start(llm, req, canon, &an_sink_ops, s, who);
}

static void messages(fg_http_req *req, void *ud)
{
    fg_principal who;
    if (fg_llm_authorize(ud, req, &who))
        return;
    json_t *body = NULL;
    char msg[400];
    int status = fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        respond_error(req, status, msg);
        return;
    }
    fg__llm_anthropic_start(ud, req, body, json_is_true(json_object_get(body, "stream")), false, &who);
}

void fg__llm_surface_anthropic_register(fg_llm *llm, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/v1/messages", messages, llm);
}
