/* OpenAI-compatible upstreams (OpenAI, vLLM, llama.cpp server, Ollama, LM
 * Studio, flowgate's own mock-llm): POST {base_url}/chat/completions with
 * stream=true and include_usage, the SSE answer turned into canonical events. */
#include "wire/sse.h"
#include "llm/upstream.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENT_BYTES (1u << 20)

typedef struct oa_proto {
    fg_upstream *u;
    fg_sse_parser *sse;
    bool saw_finish, saw_done;
} oa_proto;

static void emit_delta(fg_upstream *u, const json_t *delta)
{
    const json_t *content = json_object_get(delta, "content");
    if (json_is_string(content) && json_string_length(content)) {
        fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = json_string_value(content),
                           .len = json_string_length(content)};
        fg__upstream_emit(u, &ev);
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
        fg__upstream_emit(u, &ev);
    }
}

static void handle_chunk(oa_proto *p, json_t *chunk)
{
    fg_upstream *u = p->u;
    const json_t *err = json_object_get(chunk, "error");
    if (err) {
        /* Transient as far as the router is concerned: it can still fall back
         * when nothing reached the client yet. */
        fg__upstream_fail(u, 502, true, "upstream_error",
                          json_is_object(err) ? fg_json_str(err, "message", "upstream error")
                                              : "upstream error");
        return;
    }
    const json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
    if (choice) {
        emit_delta(u, json_object_get(choice, "delta"));
        const char *fr = fg_json_str(choice, "finish_reason", NULL);
        if (fr) {
            p->saw_finish = true;
            fg_llm_event ev = {.type = FG_LLM_EV_FINISH, .finish_reason = fr};
            fg__upstream_emit(u, &ev);
        }
    }
    const json_t *usage = json_object_get(chunk, "usage");
    if (json_is_object(usage)) {
        fg_llm_event ev = {.type = FG_LLM_EV_USAGE,
                           .input_tokens = (long)fg_json_int(usage, "prompt_tokens", -1),
                           .output_tokens = (long)fg_json_int(usage, "completion_tokens", -1)};
        fg__upstream_emit(u, &ev);
    }
}

static int on_sse_event(void *ud, const fg_sse_event *sev)
{
    const char *data = sev->data;
    size_t len = sev->data_len;
    oa_proto *p = ud;
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        p->saw_done = true;
        return 0;
    }
    json_error_t jerr;
    json_t *chunk = fg_json_parse(data, len, &jerr);
    if (json_is_object(chunk))
        handle_chunk(p, chunk);
    else
        fg__upstream_fail(p->u, 502, false, "upstream_error", "upstream sent an unreadable stream event");
    json_decref(chunk);
    return p->u->failed;
}

static void oa_feed(fg_upstream *u, const char *data, size_t len)
{
    oa_proto *p = u->ps;
    fg__upstream_feed_sse(u, p->sse, data, len);
}

static void oa_finish(fg_upstream *u)
{
    oa_proto *p = u->ps;
    fg_sse_parser_finish(p->sse, NULL);
    if (u->failed)
        return;
    if (p->saw_done || p->saw_finish) {
        fg_llm_event done = {.type = FG_LLM_EV_DONE};
        fg__upstream_emit(u, &done);
    } else {
        fg__upstream_fail(u, 502, true, "upstream_error", "upstream stream ended before it was complete");
    }
}

static void oa_release(void *ps)
{
    oa_proto *p = ps;
    fg_sse_parser_free(p->sse);
    free(p);
}

static const fg_upstream_proto oa_protocol = {oa_feed, oa_finish, oa_release};

static char *build_body(fg_llm_attempt *a)
{
    json_t *body = json_deep_copy(a->call->request);
    json_object_set_new(body, "model", json_string(fg__llm_upstream_model(a)));
    json_object_set_new(body, "stream", json_true());
    json_object_del(body, "top_k"); /* not part of the OpenAI protocol */
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
    fg_llm_provider *prov = a->dep->provider;
    oa_proto *p = calloc(1, sizeof *p);
    if (!p)
        return FG_ENOMEM;
    p->sse = fg_sse_parser_new(MAX_EVENT_BYTES, on_sse_event, p);
    if (!p->sse) {
        free(p);
        return FG_ENOMEM;
    }
    char url[1024], auth[1024], extra[32][512];
    snprintf(url, sizeof url, "%s/chat/completions",
             prov->base_url ? prov->base_url : "https://api.openai.com/v1");
    const char *headers[40];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = "Accept: text/event-stream";
    if (prov->api_key && *prov->api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", prov->api_key);
        headers[nh++] = auth;
    }
    fg__upstream_extra_headers(prov, headers, nh, 39, extra, 32);
    char *body = build_body(a);
    int rc = fg__upstream_start(a, &oa_protocol, p, url, headers, body, strlen(body));
    if (!rc)
        p->u = a->state;
    free(body);
    return rc;
}

/* --- embeddings: POST {base_url}/embeddings, one JSON answer ------------- */

typedef struct emb_proto {
    fg_buf body;
} emb_proto;

static void emb_feed(fg_upstream *u, const char *data, size_t len)
{
    emb_proto *p = u->ps;
    if (fg_buf_append(&p->body, data, len))
        fg__upstream_fail(u, 502, false, "upstream_error", "upstream answer too large");
}

static void emb_finish(fg_upstream *u)
{
    emb_proto *p = u->ps;
    json_error_t jerr;
    json_t *v = json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, &jerr);
    const json_t *data = json_object_get(v, "data");
    if (!json_is_array(data)) {
        json_decref(v);
        fg__upstream_fail(u, 502, false, "upstream_error", "upstream embeddings answer has no data");
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(data, i, item) {
        const json_t *emb = json_object_get(item, "embedding");
        size_t dim = json_array_size(emb);
        float *vec = malloc((dim ? dim : 1) * sizeof *vec);
        for (size_t k = 0; k < dim; k++)
            vec[k] = (float)json_number_value(json_array_get(emb, k));
        fg_llm_event ev = {.type = FG_LLM_EV_EMBEDDING, .vector = vec, .dim = dim,
                           .index = (size_t)fg_json_int(item, "index", (json_int_t)i)};
        fg__upstream_emit(u, &ev);
        free(vec);
    }
    const json_t *usage = json_object_get(v, "usage");
    fg_llm_event us = {.type = FG_LLM_EV_USAGE, .input_tokens = (long)fg_json_int(usage, "prompt_tokens", 0)};
    fg__upstream_emit(u, &us);
    fg_llm_event done = {.type = FG_LLM_EV_DONE};
    fg__upstream_emit(u, &done);
    json_decref(v);
}

static void emb_release(void *ps)
{
    emb_proto *p = ps;
    fg_buf_free(&p->body);
    free(p);
}

static const fg_upstream_proto emb_protocol = {emb_feed, emb_finish, emb_release};

static int oa_embed(fg_llm_attempt *a)
{
    fg_llm_provider *prov = a->dep->provider;
    emb_proto *p = calloc(1, sizeof *p);
    if (!p)
        return FG_ENOMEM;
    fg_buf_init(&p->body, 256u << 20);
    json_t *body = json_deep_copy(a->call->request);
    json_object_set_new(body, "model", json_string(fg__llm_upstream_model(a)));
    json_object_set_new(body, "encoding_format", json_string("float"));
    char *text = fg_json_dumps(body);
    json_decref(body);
    char url[1024], auth[1024], extra[32][512];
    snprintf(url, sizeof url, "%s/embeddings", prov->base_url ? prov->base_url : "https://api.openai.com/v1");
    const char *headers[40];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    if (prov->api_key && *prov->api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", prov->api_key);
        headers[nh++] = auth;
    }
    fg__upstream_extra_headers(prov, headers, nh, 39, extra, 32);
    int rc = fg__upstream_start(a, &emb_protocol, p, url, headers, text, strlen(text));
    free(text);
    return rc;
}

const fg_llm_provider_ops fg_llm_provider_openai = {
    .type = "openai",
    .start = oa_start,
    .abort = fg__upstream_abort,
    .resume = fg__upstream_resume,
    .embed = oa_embed,
};
