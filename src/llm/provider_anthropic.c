/* Anthropic's Messages API upstream: POST {base_url}/messages with stream=true;
 * message_start (input tokens), content blocks (text, tool_use), message_delta
 * (stop reason, output tokens), message_stop, and error events. */
#include "wire/sse.h"
#include "llm/translate.h"
#include "llm/upstream.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENT_BYTES (1u << 20)

typedef struct an_proto {
    fg_upstream *u;
    fg_sse_parser *sse;
    int tool_index;     /* canonical index of the tool call being streamed */
    bool in_tool, saw_stop;
} an_proto;

static void on_block_start(an_proto *p, const json_t *block)
{
    if (strcmp(fg_json_str(block, "type", ""), "tool_use") != 0) {
        p->in_tool = false;
        return;
    }
    p->in_tool = true;
    fg_llm_event ev = {.type = FG_LLM_EV_TOOL, .tool_index = p->tool_index++,
                       .tool_id = fg_json_str(block, "id", ""), .tool_name = fg_json_str(block, "name", ""),
                       .text = "", .len = 0};
    fg__upstream_emit(p->u, &ev);
}

static void on_block_delta(an_proto *p, const json_t *delta)
{
    const char *type = fg_json_str(delta, "type", "");
    if (strcmp(type, "text_delta") == 0) {
        const json_t *t = json_object_get(delta, "text");
        fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = json_string_value(t), .len = json_string_length(t)};
        if (ev.text && ev.len)
            fg__upstream_emit(p->u, &ev);
    } else if (strcmp(type, "input_json_delta") == 0 && p->in_tool) {
        const json_t *t = json_object_get(delta, "partial_json");
        fg_llm_event ev = {.type = FG_LLM_EV_TOOL, .tool_index = p->tool_index - 1,
                           .text = json_string_value(t) ? json_string_value(t) : "",
                           .len = json_string_length(t)};
        fg__upstream_emit(p->u, &ev);
    }
}

static void on_usage(an_proto *p, const json_t *usage)
{
    if (!json_is_object(usage))
        return;
    fg_llm_event ev = {.type = FG_LLM_EV_USAGE,
                       .input_tokens = (long)fg_json_int(usage, "input_tokens", -1),
                       .output_tokens = (long)fg_json_int(usage, "output_tokens", -1)};
    fg__upstream_emit(p->u, &ev);
}

static int on_sse_event(void *ud, const fg_sse_event *sev)
{
    const char *data = sev->data;
    size_t len = sev->data_len;
    an_proto *p = ud;
    json_error_t jerr;
    json_t *ev = fg_json_parse(data, len, &jerr);
    const char *type = fg_json_str(ev, "type", "");
    if (!strcmp(type, "message_start")) {
        on_usage(p, json_object_get(json_object_get(ev, "message"), "usage"));
    } else if (!strcmp(type, "content_block_start")) {
        on_block_start(p, json_object_get(ev, "content_block"));
    } else if (!strcmp(type, "content_block_delta")) {
        on_block_delta(p, json_object_get(ev, "delta"));
    } else if (!strcmp(type, "content_block_stop")) {
        p->in_tool = false;
    } else if (!strcmp(type, "message_delta")) {
        on_usage(p, json_object_get(ev, "usage"));
        const char *stop = fg_json_str(json_object_get(ev, "delta"), "stop_reason", NULL);
        if (stop) {
            fg_llm_event fin = {.type = FG_LLM_EV_FINISH, .finish_reason = fg__finish_from_anthropic(stop)};
            fg__upstream_emit(p->u, &fin);
        }
    } else if (!strcmp(type, "message_stop")) {
        p->saw_stop = true;
    } else if (!strcmp(type, "error")) {
        const json_t *err = json_object_get(ev, "error");
        const char *etype = fg_json_str(err, "type", "api_error");
        bool overloaded = !strcmp(etype, "overloaded_error") || !strcmp(etype, "api_error");
        fg__upstream_fail(p->u, !strcmp(etype, "overloaded_error") ? 529 : 502, overloaded,
                          "upstream_error", fg_json_str(err, "message", "upstream error"));
    } else if (!ev) {
        fg__upstream_fail(p->u, 502, false, "upstream_error", "upstream sent an unreadable stream event");
    }
    json_decref(ev);
    return p->u->failed;
}

static void an_feed(fg_upstream *u, const char *data, size_t len)
{
    an_proto *p = u->ps;
    fg__upstream_feed_sse(u, p->sse, data, len);
}

static void an_finish(fg_upstream *u)
{
    an_proto *p = u->ps;
    fg_sse_parser_finish(p->sse, NULL);
    if (u->failed)
        return;
    if (p->saw_stop) {
        fg_llm_event done = {.type = FG_LLM_EV_DONE};
        fg__upstream_emit(u, &done);
    } else {
        fg__upstream_fail(u, 502, true, "upstream_error", "upstream stream ended before message_stop");
    }
}

static void an_release(void *ps)
{
    an_proto *p = ps;
    fg_sse_parser_free(p->sse);
    free(p);
}

static const fg_upstream_proto an_protocol = {an_feed, an_finish, an_release};

static int an_start(fg_llm_attempt *a)
{
    fg_llm_provider *prov = a->dep->provider;
    an_proto *p = calloc(1, sizeof *p);
    if (!p)
        return FG_ENOMEM;
    p->sse = fg_sse_parser_new(MAX_EVENT_BYTES, on_sse_event, p);
    if (!p->sse) {
        free(p);
        return FG_ENOMEM;
    }
    json_t *body = fg__canonical_to_anthropic(a->call->request);
    json_object_set_new(body, "model", json_string(fg__llm_upstream_model(a)));
    json_object_set_new(body, "stream", json_true());
    char *text = fg_json_dumps(body);
    json_decref(body);
    char url[1024], key[1024], extra[32][512];
    snprintf(url, sizeof url, "%s/messages", prov->base_url ? prov->base_url : "https://api.anthropic.com/v1");
    const char *headers[40];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = "Accept: text/event-stream";
    headers[nh++] = "anthropic-version: 2023-06-01";
    if (prov->api_key && *prov->api_key) {
        snprintf(key, sizeof key, "x-api-key: %s", prov->api_key);
        headers[nh++] = key;
    }
    fg__upstream_extra_headers(prov, headers, nh, 39, extra, 32);
    int rc = fg__upstream_start(a, &an_protocol, p, url, headers, text, strlen(text));
    if (!rc)
        p->u = a->state;
    free(text);
    return rc;
}

const fg_llm_provider_ops fg_llm_provider_anthropic = {
    .type = "anthropic",
    .start = an_start,
    .abort = fg__upstream_abort,
    .resume = fg__upstream_resume,
};
