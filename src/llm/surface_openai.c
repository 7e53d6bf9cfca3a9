/* The OpenAI-shaped surface: POST /v1/chat/completions (streamed as
 * chat.completion.chunk server-sent events, or one chat.completion object) and
 * GET /v1/models. The canonical request is this surface's own shape, so the
 * translation is a validation plus a few normalisations. */
#include "llm/llm_int.h"
#include "llm/surface.h"

#include "core/json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct oa_sink {
    fg_llm *llm;
    bool stream, include_usage;
    char model[256];
    fg_buf text;          /* non-stream: the answer so far */
    json_t *tool_calls;   /* non-stream: accumulated tool calls */
} oa_sink;

/* --- request validation --------------------------------------------------- */

static const char *check_messages(const json_t *msgs, char *param, size_t n)
{
    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        snprintf(param, n, "messages");
        return "messages must be a non-empty array";
    }
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        snprintf(param, n, "messages[%zu]", i);
        if (!json_is_object(m))
            return "each message must be an object";
        const char *role = fg_json_str(m, "role", NULL);
        if (!role || (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant") &&
                      strcmp(role, "tool") && strcmp(role, "developer"))) {
            snprintf(param, n, "messages[%zu].role", i);
            return "role must be one of system, developer, user, assistant, tool";
        }
        const json_t *c = json_object_get(m, "content");
        if (c && !json_is_string(c) && !json_is_array(c) && !json_is_null(c)) {
            snprintf(param, n, "messages[%zu].content", i);
            return "content must be a string, an array of content parts, or null";
        }
    }
    return NULL;
}

static const char *check_number(const json_t *body, const char *key, double lo, double hi,
                                bool integer, char *param, size_t n)
{
    const json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return NULL;
    snprintf(param, n, "%s", key);
    if (integer ? !json_is_integer(v) : !json_is_number(v))
        return integer ? "must be an integer" : "must be a number";
    double d = json_number_value(v);
    if (d < lo || d > hi)
        return "is out of range";
    return NULL;
}

/* Validates and normalises body into the canonical request (in place). */
static const char *canonicalise(json_t *body, char *param, size_t n)
{
    const char *err;
    if (!json_is_object(body)) {
        snprintf(param, n, "(body)");
        return "the body must be a JSON object";
    }
    if (!json_is_string(json_object_get(body, "model"))) {
        snprintf(param, n, "model");
        return "model is required and must be a string";
    }
    if ((err = check_messages(json_object_get(body, "messages"), param, n)))
        return err;
    if ((err = check_number(body, "max_tokens", 1, 1e9, true, param, n)) ||
        (err = check_number(body, "max_completion_tokens", 1, 1e9, true, param, n)) ||
        (err = check_number(body, "temperature", 0, 2, false, param, n)) ||
        (err = check_number(body, "top_p", 0, 1, false, param, n)) ||
        (err = check_number(body, "seed", -9.3e18, 9.3e18, true, param, n)) ||
        (err = check_number(body, "n", 1, 1, true, param, n)))
        return err;
    const json_t *stream = json_object_get(body, "stream");
    if (stream && !json_is_boolean(stream) && !json_is_null(stream)) {
        snprintf(param, n, "stream");
        return "must be a boolean";
    }
    json_t *stop = json_object_get(body, "stop");
    if (json_is_string(stop)) {
        json_object_set_new(body, "stop", json_pack("[O]", stop));
    } else if (stop && !json_is_null(stop)) {
        size_t i;
        json_t *s;
        if (!json_is_array(stop) || json_array_size(stop) > 4) {
            snprintf(param, n, "stop");
            return "must be a string or an array of at most 4 strings";
        }
        json_array_foreach(stop, i, s) if (!json_is_string(s)) {
            snprintf(param, n, "stop[%zu]", i);
            return "must be a string";
        }
    }
    const json_t *tools = json_object_get(body, "tools");
    if (tools && !json_is_array(tools)) {
        snprintf(param, n, "tools");
        return "must be an array";
    }
    const json_t *rf = json_object_get(body, "response_format");
    if (rf && !json_is_object(rf)) {
        snprintf(param, n, "response_format");
        return "must be an object";
    }
    json_t *mct = json_object_get(body, "max_completion_tokens");
    if (json_is_integer(mct))
        json_object_set(body, "max_tokens", mct);
    json_object_del(body, "max_completion_tokens");
    return NULL;
}

/* --- rendering -------------------------------------------------------------- */

static void write_event(fg_llm_call *call, fg_buf *b)
{
    if (fg_http_stream_write(call->req, b->data, b->len) == FG_EAGAIN)
        fg__llm_call_pause(call);
}

static void chunk_open(fg_llm_call *call, oa_sink *s, fg_buf *b)
{
    fg_buf_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%ld,\"model\":",
                  call->id, call->created);
    fg_json_escape(b, s->model, strlen(s->model));
    fg_buf_puts(b, ",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"delta\":");
}

static void chunk_close(oa_sink *s, fg_buf *b, const char *finish)
{
    fg_buf_puts(b, ",\"logprobs\":null,\"finish_reason\":");
    if (finish)
        fg_json_escape(b, finish, strlen(finish));
    else
        fg_buf_puts(b, "null");
    fg_buf_puts(b, "}]");
    if (s->include_usage)
        fg_buf_puts(b, ",\"usage\":null");
    fg_buf_puts(b, "}\n\n");
}

static void oa_begin(fg_llm_call *call)
{
    oa_sink *s = call->sink_ud;
    if (!s->stream)
        return;
    fg_http_stream_start(call->req, 200, "text/event-stream");
    fg_buf b;
    fg_buf_init(&b, 0);
    chunk_open(call, s, &b);
    fg_buf_puts(&b, "{\"role\":\"assistant\",\"content\":\"\"}");
    chunk_close(s, &b, NULL);
    write_event(call, &b);
    fg_buf_free(&b);
}

static void accumulate_tool(oa_sink *s, const fg_llm_event *ev)
{
    if (!s->tool_calls)
        s->tool_calls = json_array();
    json_t *tc = json_array_get(s->tool_calls, (size_t)ev->tool_index);
    if (!tc) {
        tc = json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", ev->tool_id ? ev->tool_id : "", "type",
                       "function", "function", "name", ev->tool_name ? ev->tool_name : "",
                       "arguments", "");
        json_array_append_new(s->tool_calls, tc);
    }
    json_t *fn = json_object_get(tc, "function");
    fg_buf args;
    fg_buf_init(&args, 0);
    fg_buf_puts(&args, fg_json_str(fn, "arguments", ""));
    fg_buf_append(&args, ev->text ? ev->text : "", ev->len);
    json_object_set_new(fn, "arguments", json_stringn(args.data ? args.data : "", args.len));
    fg_buf_free(&args);
}

static void render_tool_delta(fg_buf *b, const fg_llm_event *ev)
{
    fg_buf_printf(b, "{\"tool_calls\":[{\"index\":%d", ev->tool_index);
    if (ev->tool_id) {
        fg_buf_puts(b, ",\"id\":");
        fg_json_escape(b, ev->tool_id, strlen(ev->tool_id));
        fg_buf_puts(b, ",\"type\":\"function\"");
    }
    fg_buf_puts(b, ",\"function\":{");
    if (ev->tool_name) {
        fg_buf_puts(b, "\"name\":");
        fg_json_escape(b, ev->tool_name, strlen(ev->tool_name));
        fg_buf_putc(b, ',');
    }
    fg_buf_puts(b, "\"arguments\":");
    fg_json_escape(b, ev->text ? ev->text : "", ev->len);
    fg_buf_puts(b, "}}]}");
}

static void oa_event(fg_llm_call *call, const fg_llm_event *ev)
{
    oa_sink *s = call->sink_ud;
    if (!s->stream) {
        if (ev->type == FG_LLM_EV_TEXT)
            fg_buf_append(&s->text, ev->text, ev->len);
        else if (ev->type == FG_LLM_EV_TOOL)
            accumulate_tool(s, ev);
        return;
    }
    fg_buf b;
    fg_buf_init(&b, 0);
    chunk_open(call, s, &b);
    if (ev->type == FG_LLM_EV_TEXT) {
        fg_buf_puts(&b, "{\"content\":");
        fg_json_escape(&b, ev->text, ev->len);
        fg_buf_putc(&b, '}');
        chunk_close(s, &b, NULL);
    } else if (ev->type == FG_LLM_EV_TOOL) {
        render_tool_delta(&b, ev);
        chunk_close(s, &b, NULL);
    } else if (ev->type == FG_LLM_EV_FINISH) {
        fg_buf_puts(&b, "{}");
        chunk_close(s, &b, ev->finish_reason);
    } else {
        fg_buf_free(&b);
        return;
    }
    write_event(call, &b);
    fg_buf_free(&b);
}

static void usage_json(fg_buf *b, const fg_llm_call *call)
{
    fg_buf_printf(b, "{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"total_tokens\":%ld}",
                  call->input_tokens, call->output_tokens, call->input_tokens + call->output_tokens);
}

static void sink_release(oa_sink *s)
{
    fg_buf_free(&s->text);
    json_decref(s->tool_calls);
    s->tool_calls = NULL;
}

static void oa_end(fg_llm_call *call)
{
    oa_sink *s = call->sink_ud;
    fg_buf b;
    fg_buf_init(&b, 0);
    if (s->stream) {
        if (s->include_usage) {
            fg_buf_printf(&b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%ld,"
                              "\"model\":", call->id, call->created);
            fg_json_escape(&b, s->model, strlen(s->model));
            fg_buf_puts(&b, ",\"system_fingerprint\":null,\"choices\":[],\"usage\":");
            usage_json(&b, call);
            fg_buf_puts(&b, "}\n\n");
        }
        fg_buf_puts(&b, "data: [DONE]\n\n");
        fg_http_stream_write(call->req, b.data, b.len);
        sink_release(s); /* s lives in the request's arena: release before the end */
        fg_http_stream_end(call->req);
    } else {
        fg_buf_printf(&b, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%ld,\"model\":",
                      call->id, call->created);
        fg_json_escape(&b, s->model, strlen(s->model));
        fg_buf_puts(&b, ",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"message\":{"
                        "\"role\":\"assistant\",\"content\":");
        if (s->text.len || !s->tool_calls)
            fg_json_escape(&b, s->text.data ? s->text.data : "", s->text.len);
        else
            fg_buf_puts(&b, "null");
        if (s->tool_calls) {
            fg_buf_puts(&b, ",\"tool_calls\":");
            fg_json_dump(&b, s->tool_calls, 0);
        }
        fg_buf_puts(&b, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":");
        fg_json_escape(&b, call->finish_reason, strlen(call->finish_reason));
        fg_buf_puts(&b, "}],\"usage\":");
        usage_json(&b, call);
        fg_buf_putc(&b, '}');
        sink_release(s);
        fg_http_respond(call->req, 200, "application/json", b.data, b.len);
    }
    fg_buf_free(&b);
}

static void error_json(fg_buf *b, const char *type, const char *msg, const char *param)
{
    fg_buf_puts(b, "{\"error\":{\"message\":");
    fg_json_escape(b, msg, strlen(msg));
    fg_buf_puts(b, ",\"type\":");
    fg_json_escape(b, type, strlen(type));
    fg_buf_puts(b, ",\"param\":");
    if (param)
        fg_json_escape(b, param, strlen(param));
    else
        fg_buf_puts(b, "null");
    fg_buf_puts(b, ",\"code\":null}}");
}

static void oa_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    oa_sink *s = call->sink_ud;
    sink_release(s);
    fg_buf b;
    fg_buf_init(&b, 0);
    if (fg_http_stream_started(call->req)) {
        fg_buf_puts(&b, "data: ");
        error_json(&b, type, msg, NULL);
        fg_buf_puts(&b, "\n\n");
        fg_http_stream_write(call->req, b.data, b.len);
        fg_http_stream_end(call->req);
    } else {
        error_json(&b, type, msg, NULL);
        if (status == 429)
            fg_http_resp_header(call->req, "Retry-After", "1");
        fg_http_respond(call->req, status, "application/json", b.data, b.len);
    }
    fg_buf_free(&b);
}

static const fg_llm_sink_ops oa_sink_ops = {oa_begin, oa_event, oa_end, oa_fail};

static void respond_invalid(fg_http_req *req, int status, const char *msg, const char *param)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    error_json(&b, "invalid_request_error", msg, param);
    fg_http_respond(req, status, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

static void chat_completions(fg_http_req *req, void *ud)
{
    fg_llm *llm = ud;
    fg_principal who;
    if (fg_llm_authorize(llm, req, &who))
        return;
    json_t *body = NULL;
    char param[128] = "";
    char msg[400];
    int status = fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        respond_invalid(req, status, msg, NULL);
        return;
    }
    const char *err = canonicalise(body, param, sizeof param);
    if (err) {
        snprintf(msg, sizeof msg, "%s: %s", param, err);
        respond_invalid(req, 400, msg, param);
        json_decref(body);
        return;
    }
    oa_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->llm = llm;
    s->stream = json_is_true(json_object_get(body, "stream"));
    s->include_usage = json_is_true(json_object_get(json_object_get(body, "stream_options"), "include_usage"));
    snprintf(s->model, sizeof s->model, "%s", json_string_value(json_object_get(body, "model")));
    fg_buf_init(&s->text, 64u << 20);
    json_object_del(body, "stream");
    json_object_del(body, "stream_options");
    fg__llm_call_start(llm, req, body, &oa_sink_ops, s, &who);
}

static void list_models(fg_http_req *req, void *ud)
{
    fg_llm *llm = ud;
    fg_principal who;
    if (llm->auth && fg_auth_request(llm->auth, req, FG_ACCESS_USER, &who))
        return;
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < llm->nmodels; i++) {
        fg_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        fg_json_escape(&b, llm->models[i].name, strlen(llm->models[i].name));
        fg_buf_puts(&b, ",\"object\":\"model\",\"created\":0,\"owned_by\":\"flowgate\"}");
    }
    fg_buf_puts(&b, "]}");
    fg_http_respond(req, 200, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

void fg__llm_surface_openai_register(fg_llm *llm, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/v1/chat/completions", chat_completions, llm);
    fg_http_router_add(r, "GET", "/v1/models", list_models, llm);
}
