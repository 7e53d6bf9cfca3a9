/* OpenAI-compatible upstreams (OpenAI, vLLM, llama.cpp server, Ollama, LM
 * Studio, flowgate's own mock-llm): POST {base_url}/chat/completions with
 * stream=true and include_usage, the SSE answer turned into canonical events. */
#include "llm/llm_int.h"

#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EVENT_BYTES (1u << 20)
#define MAX_ERROR_BODY (64u * 1024)

typedef struct oa_state {
    fg_llm_attempt *a;
    fg_http_call *http;
    int status;
    long retry_after_ms;
    fg_buf line;      /* partial line */
    fg_buf data;      /* data of the event being read */
    fg_buf errbody;   /* body of a non-200 answer */
    bool saw_finish, saw_done, failed;
    bool in_data, aborted; /* an abort from inside on_data is finished by on_data */
} oa_state;

static void state_free(oa_state *s)
{
    fg_buf_free(&s->line);
    fg_buf_free(&s->data);
    fg_buf_free(&s->errbody);
    free(s);
}

static void emit_error(oa_state *s, int status, bool retryable, const char *type, const char *msg)
{
    s->failed = true;
    fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = status, .retryable = retryable,
                       .error_type = type, .error_msg = msg, .retry_after_ms = s->retry_after_ms};
    fg__llm_emit(s->a, &ev);
}

static void emit_delta(oa_state *s, const json_t *delta)
{
    const json_t *content = json_object_get(delta, "content");
    if (json_is_string(content) && json_string_length(content)) {
        fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = json_string_value(content),
                           .len = json_string_length(content)};
        fg__llm_emit(s->a, &ev);
    }
    size_t i;
    json_t *tc;
    json_array_foreach(json_object_get(delta, "tool_calls"), i, tc) {
        const json_t *fn = json_object_get(tc, "function");
        const char *args = fg_json_str(fn, "arguments", "");
        fg_llm_event ev = {.type = FG_LLM_EV_TOOL,
                           .tool_index = (int)fg_json_int(tc, "index", (json_int_t)i),
                           .tool_id = fg_json_str(tc, "id", NULL),
                           .tool_name = fg_json_str(fn, "name", NULL), .text = args,
                           .len = strlen(args)};
        fg__llm_emit(s->a, &ev);
    }
}

static void handle_chunk(oa_state *s, const char *data, size_t len)
{
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        s->saw_done = true;
        return;
    }
    json_error_t jerr;
    json_t *chunk = fg_json_parse(data, len, &jerr);
    if (!json_is_object(chunk)) {
        json_decref(chunk);
        emit_error(s, 502, false, "upstream_error", "upstream sent an unreadable stream event");
        return;
    }
    const json_t *err = json_object_get(chunk, "error");
    if (err) {
        const char *msg = json_is_object(err) ? fg_json_str(err, "message", "upstream error")
                                              : "upstream error";
        /* An error event: transient as far as the router is concerned (it can
         * still fall back when nothing reached the client yet). */
        emit_error(s, 502, true, "upstream_error", msg);
        json_decref(chunk);
        return;
    }
    const json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
    if (choice) {
        emit_delta(s, json_object_get(choice, "delta"));
        const char *fr = fg_json_str(choice, "finish_reason", NULL);
        if (fr && !s->failed) {
            s->saw_finish = true;
            fg_llm_event ev = {.type = FG_LLM_EV_FINISH, .finish_reason = fr};
            fg__llm_emit(s->a, &ev);
        }
    }
    const json_t *usage = json_object_get(chunk, "usage");
    if (json_is_object(usage)) {
        fg_llm_event ev = {.type = FG_LLM_EV_USAGE,
                           .input_tokens = (long)fg_json_int(usage, "prompt_tokens", -1),
                           .output_tokens = (long)fg_json_int(usage, "completion_tokens", -1)};
        fg__llm_emit(s->a, &ev);
    }
    json_decref(chunk);
}

/* One SSE line (without its line ending). A blank line ends an event. */
static void handle_line(oa_state *s, const char *line, size_t len)
{
    if (len == 0) {
        if (s->data.len)
            handle_chunk(s, s->data.data, s->data.len);
        fg_buf_reset(&s->data);
        return;
    }
    if (len >= 5 && memcmp(line, "data:", 5) == 0) {
        size_t skip = len > 5 && line[5] == ' ' ? 6 : 5;
        if (s->data.len)
            fg_buf_putc(&s->data, '\n');
        if (fg_buf_append(&s->data, line + skip, len - skip))
            emit_error(s, 502, false, "upstream_error", "upstream stream event too large");
    }
    /* event:, id:, retry: and comments carry nothing OpenAI-compatible streams need */
}

static void feed(oa_state *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->failed; i++) {
        if (p[i] != '\n') {
            if (fg_buf_putc(&s->line, p[i])) {
                emit_error(s, 502, false, "upstream_error", "upstream stream line too long");
                return;
            }
            continue;
        }
        size_t len = s->line.len;
        if (len && s->line.data[len - 1] == '\r')
            len--;
        handle_line(s, s->line.data ? s->line.data : "", len);
        fg_buf_reset(&s->line);
    }
}

static long parse_retry_after(const char *headers)
{
    for (const char *p = headers; p && *p;) {
        const char *eol = strchr(p, '\n');
        if (strncasecmp(p, "retry-after:", 12) == 0)
            return strtol(p + 12, NULL, 10) * 1000;
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

static void on_headers(fg_http_call *call, int status, const char *headers, size_t len, void *ud)
{
    oa_state *s = ud;
    s->status = status;
    s->retry_after_ms = parse_retry_after(headers);
}

static int on_data(fg_http_call *call, const char *data, size_t len, void *ud)
{
    oa_state *s = ud;
    if (s->status != 200) {
        fg_buf_append(&s->errbody, data, len < MAX_ERROR_BODY - s->errbody.len ? len : 0);
        return 0;
    }
    fg_llm_call *c = s->a->call;
    s->in_data = true;
    feed(s, data, len);
    s->in_data = false;
    if (s->aborted) {
        state_free(s);
        return 0;
    }
    if (c->phase == CALL_DONE || s->failed)
        return 0; /* the attempt ended inside feed: stop reading */
    return c->backpressured ? FG_EAGAIN : 0;
}

static void http_error(oa_state *s)
{
    char msg[512];
    json_error_t jerr;
    json_t *body = fg_json_parse(s->errbody.data ? s->errbody.data : "", s->errbody.len, &jerr);
    const json_t *err = json_object_get(body, "error");
    const char *text = json_is_object(err)   ? fg_json_str(err, "message", NULL)
                       : json_is_string(err) ? json_string_value(err)
                                             : NULL;
    snprintf(msg, sizeof msg, "upstream answered %d%s%s", s->status, text ? ": " : "", text ? text : "");
    bool retryable = s->status == 429 || s->status >= 500;
    emit_error(s, s->status, retryable, s->status == 429 ? "rate_limited" : "upstream_error", msg);
    json_decref(body);
}

static void on_done(fg_http_call *call, int err, const char *msg, void *ud)
{
    oa_state *s = ud;
    fg_llm_attempt *a = s->a;
    s->http = NULL;
    if (a->state == s)
        a->state = NULL;
    if (a->call->phase == CALL_DONE || s->failed) {
        state_free(s);
        return;
    }
    if (err) {
        char text[300];
        snprintf(text, sizeof text, "upstream request failed: %s", msg);
        bool timeout = err == FG_ETIMEDOUT;
        fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = timeout ? 504 : 502,
                           .retryable = true, .error_type = timeout ? "timeout" : "upstream_error",
                           .error_msg = text};
        state_free(s);
        fg__llm_emit(a, &ev);
        return;
    }
    if (s->status != 200) {
        http_error(s);
    } else {
        feed(s, "\n\n", 2); /* a last event without its blank line */
        if (!s->failed && (s->saw_done || s->saw_finish)) {
            fg_llm_event done = {.type = FG_LLM_EV_DONE};
            fg__llm_emit(a, &done);
        } else if (!s->failed) {
            emit_error(s, 502, true, "upstream_error", "upstream stream ended before it was complete");
        }
    }
    state_free(s);
}

static char *build_body(fg_llm_attempt *a)
{
    json_t *body = json_deep_copy(a->call->request);
    json_object_set_new(body, "model", json_string(a->dep->model));
    json_object_set_new(body, "stream", json_true());
    json_t *so = json_object_get(body, "stream_options");
    if (!json_is_object(so)) {
        so = json_object();
        json_object_set_new(body, "stream_options", so);
    }
    json_object_set_new(so, "include_usage", json_true());
    char *text = fg_json_dumps(body);
    json_decref(body);
    return text;
}

static int oa_start(fg_llm_attempt *a)
{
    fg_llm_provider *p = a->dep->provider;
    fg_llm_call *call = a->call;
    if (!call->client)
        return FG_EINVAL;
    oa_state *s = calloc(1, sizeof *s);
    if (!s)
        return FG_ENOMEM;
    s->a = a;
    fg_buf_init(&s->line, MAX_EVENT_BYTES);
    fg_buf_init(&s->data, MAX_EVENT_BYTES);
    fg_buf_init(&s->errbody, MAX_ERROR_BODY);
    char url[1024], auth[1024];
    snprintf(url, sizeof url, "%s/chat/completions", p->base_url ? p->base_url : "http://127.0.0.1:8081/v1");
    const char *headers[40];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = "Accept: text/event-stream";
    if (p->api_key && *p->api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->api_key);
        headers[nh++] = auth;
    }
    char extra[32][512];
    const char *hname;
    json_t *hval;
    int ne = 0;
    json_object_foreach(json_object_get(p->conf, "headers"), hname, hval) {
        if (ne == 32)
            break;
        snprintf(extra[ne], sizeof extra[ne], "%s: %s", hname, json_string_value(hval));
        headers[nh++] = extra[ne++];
    }
    headers[nh] = NULL;
    char *body = build_body(a);
    fg_http_call_opts o = {.method = "POST", .url = url, .headers = headers, .body = body,
                           .body_len = strlen(body), .connect_timeout_ms = p->connect_timeout_ms,
                           .timeout_ms = a->dep->timeout_ms ? a->dep->timeout_ms : p->timeout_ms};
    static const fg_http_call_cbs cbs = {on_headers, on_data, on_done};
    a->state = s;
    int rc = fg_http_call_start(call->client, &o, &cbs, s, &s->http);
    free(body);
    if (rc) {
        a->state = NULL;
        state_free(s);
    }
    return rc;
}

static void oa_abort(fg_llm_attempt *a)
{
    oa_state *s = a->state;
    if (!s)
        return;
    a->state = NULL;
    if (s->http)
        fg_http_call_abort(s->http);
    if (s->in_data) {
        s->aborted = s->failed = true;
        return;
    }
    state_free(s);
}

static void oa_resume(fg_llm_attempt *a)
{
    oa_state *s = a->state;
    if (s && s->http)
        fg_http_call_resume(s->http);
}

const fg_llm_provider_ops fg_llm_provider_openai = {
    .type = "openai",
    .start = oa_start,
    .abort = oa_abort,
    .resume = oa_resume,
};
