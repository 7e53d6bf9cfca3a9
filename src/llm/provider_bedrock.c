/* Amazon Bedrock upstream through ConverseStream, for every model family:
 * POST {endpoint}/model/{modelId}/converse-stream, signed with SigV4, the AWS
 * event-stream answer decoded into canonical events; exceptions inside the
 * stream become errors (throttling and server errors retryable). Embeddings
 * go through InvokeModel (POST {endpoint}/model/{modelId}/invoke) with the
 * native bodies of Amazon Titan and Cohere embed models. */
#include "llm/aws_sign.h"
#include "llm/translate.h"
#include "llm/upstream.h"

#include "core/json.h"
#include "wire/eventstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct br_proto {
    fg_upstream *u;
    fg_es_decoder *dec;
    int tool_index;
    bool in_tool, saw_stop;
} br_proto;

static void on_exception(br_proto *p, const fg_es_message *m)
{
    size_t tlen = 0;
    const char *type = fg_es_find_string(m, ":exception-type", &tlen);
    char t[96];
    snprintf(t, sizeof t, "%.*s", (int)tlen, type ? type : "exception");
    json_error_t jerr;
    json_t *body = json_loadb((const char *)m->payload, m->payload_len, 0, &jerr);
    char msg[400];
    snprintf(msg, sizeof msg, "%s: %s", t, fg_json_str(body, "message", "upstream error"));
    json_decref(body);
    bool throttled = strcmp(t, "throttlingException") == 0;
    bool retryable = throttled || strstr(t, "internalServer") || strstr(t, "serviceUnavailable") ||
                     strstr(t, "modelStreamError");
    fg__upstream_fail(p->u, throttled ? 429 : 502, retryable, throttled ? "rate_limited" : "upstream_error", msg);
}

static void on_event(br_proto *p, const char *type, const json_t *ev)
{
    fg_upstream *u = p->u;
    if (!strcmp(type, "contentBlockStart")) {
        const json_t *tu = json_object_get(json_object_get(ev, "start"), "toolUse");
        if (tu) {
            p->in_tool = true;
            fg_llm_event e = {.type = FG_LLM_EV_TOOL, .tool_index = p->tool_index++,
                              .tool_id = fg_json_str(tu, "toolUseId", ""), .tool_name = fg_json_str(tu, "name", ""),
                              .text = ""};
            fg__upstream_emit(u, &e);
        }
    } else if (!strcmp(type, "contentBlockDelta")) {
        const json_t *d = json_object_get(ev, "delta");
        const json_t *text = json_object_get(d, "text");
        const json_t *input = json_object_get(json_object_get(d, "toolUse"), "input");
        if (json_is_string(text) && json_string_length(text)) {
            fg_llm_event e = {.type = FG_LLM_EV_TEXT, .text = json_string_value(text), .len = json_string_length(text)};
            fg__upstream_emit(u, &e);
        } else if (json_is_string(input) && p->in_tool) {
            fg_llm_event e = {.type = FG_LLM_EV_TOOL, .tool_index = p->tool_index - 1,
                              .text = json_string_value(input), .len = json_string_length(input)};
            fg__upstream_emit(u, &e);
        }
    } else if (!strcmp(type, "contentBlockStop")) {
        p->in_tool = false;
    } else if (!strcmp(type, "messageStop")) {
        p->saw_stop = true;
        fg_llm_event e = {.type = FG_LLM_EV_FINISH,
                          .finish_reason = fg__finish_from_converse(fg_json_str(ev, "stopReason", NULL))};
        fg__upstream_emit(u, &e);
    } else if (!strcmp(type, "metadata")) {
        const json_t *usage = json_object_get(ev, "usage");
        fg_llm_event e = {.type = FG_LLM_EV_USAGE, .input_tokens = (long)fg_json_int(usage, "inputTokens", -1),
                          .output_tokens = (long)fg_json_int(usage, "outputTokens", -1)};
        fg__upstream_emit(u, &e);
    }
}

static int on_message(void *user, const fg_es_message *m)
{
    br_proto *p = user;
    size_t mlen = 0, tlen = 0;
    const char *mtype = fg_es_find_string(m, ":message-type", &mlen);
    if (mtype && mlen == 9 && !memcmp(mtype, "exception", 9)) {
        on_exception(p, m);
        return 1;
    }
    const char *etype = fg_es_find_string(m, ":event-type", &tlen);
    char t[64];
    snprintf(t, sizeof t, "%.*s", (int)tlen, etype ? etype : "");
    json_error_t jerr;
    json_t *ev = json_loadb((const char *)m->payload, m->payload_len, 0, &jerr);
    if (!json_is_object(ev)) {
        json_decref(ev);
        fg__upstream_fail(p->u, 502, false, "upstream_error", "upstream sent an unreadable stream event");
        return 1;
    }
    on_event(p, t, ev);
    json_decref(ev);
    return p->u->failed;
}

static void br_feed(fg_upstream *u, const char *data, size_t len)
{
    br_proto *p = u->ps;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_es_decoder_feed(p->dec, data, len, &eb);
    if (rc < 0)
        fg__upstream_fail(u, 502, false, "upstream_error", eb.msg[0] ? eb.msg : "bad event stream");
}

static void br_finish(fg_upstream *u)
{
    br_proto *p = u->ps;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (u->failed)
        return;
    if (fg_es_decoder_finish(p->dec, &eb) || !p->saw_stop) {
        fg__upstream_fail(u, 502, true, "upstream_error", "upstream stream ended before it was complete");
        return;
    }
    fg_llm_event done = {.type = FG_LLM_EV_DONE};
    fg__upstream_emit(u, &done);
}

static void br_release(void *ps)
{
    br_proto *p = ps;
    fg_es_decoder_free(p->dec);
    free(p);
}

static const fg_upstream_proto br_protocol = {br_feed, br_finish, br_release};

static int br_start(fg_llm_attempt *a)
{
    fg_llm_provider *prov = a->dep->provider;
    br_proto *p = calloc(1, sizeof *p);
    if (!p)
        return FG_ENOMEM;
    p->dec = fg_es_decoder_new(NULL, on_message, p);
    json_t *body = fg__canonical_to_converse(a->call->request);
    char *text = fg_json_dumps(body);
    json_decref(body);
    char base[512], model[512], url[1200];
    fg__aws_endpoint(prov, "bedrock-runtime", base, sizeof base);
    fg__aws_path_segment(model, sizeof model, fg__llm_upstream_model(a));
    snprintf(url, sizeof url, "%s/model/%s/converse-stream", base, model);
    fg_aws_signed sig;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__aws_sign(prov, "bedrock", url, text, strlen(text), &sig, &eb)) {
        free(text);
        br_release(p);
        return FG_EINVAL;
    }
    const char *headers[48];
    char extra[32][512];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = "Accept: application/vnd.amazon.eventstream";
    for (int i = 0; i < sig.n; i++)
        headers[nh++] = sig.lines[i];
    fg__upstream_extra_headers(prov, headers, nh, 47, extra, 32);
    int rc = fg__upstream_start(a, &br_protocol, p, url, headers, text, strlen(text));
    if (!rc)
        p->u = a->state;
    free(text);
    return rc;
}

/* --- embeddings: InvokeModel with the model family's native body ------------
 * Amazon Titan text embeddings take one text per request, so a call's inputs go
 * out one after another, the next request started when the previous answer is
 * read (the in-flight one is always a->state, so an abort reaches it). Cohere
 * embed takes every input in one request. */

typedef struct bre_proto {
    fg_buf body;
    bool cohere;
    size_t index;     /* Titan: the input this request is for */
    long tokens;      /* Titan: input tokens of the answers read so far, -1 unknown */
} bre_proto;

static const fg_upstream_proto bre_protocol;

static bool is_titan_embed(const char *model)
{
    return strncmp(model, "amazon.titan-embed", 18) == 0;
}

static bool is_cohere_embed(const char *model)
{
    return strncmp(model, "cohere.embed", 12) == 0;
}

static void bre_feed(fg_upstream *u, const char *data, size_t len)
{
    bre_proto *p = u->ps;
    if (fg_buf_append(&p->body, data, len))
        fg__upstream_fail(u, 502, false, "upstream_error", "upstream answer too large");
}

/* Emits one vector from a JSON array of numbers. */
static bool emit_vector(fg_upstream *u, const json_t *emb, size_t index)
{
    size_t dim = json_array_size(emb);
    if (!dim)
        return false;
    float *vec = malloc(dim * sizeof *vec);
    if (!vec) {
        fg__upstream_fail(u, 502, false, "upstream_error", "out of memory");
        return true;
    }
    for (size_t k = 0; k < dim; k++)
        vec[k] = (float)json_number_value(json_array_get(emb, k));
    fg_llm_event ev = {.type = FG_LLM_EV_EMBEDDING, .vector = vec, .dim = dim, .index = index};
    fg__upstream_emit(u, &ev);
    free(vec);
    return true;
}

static void emit_end(fg_upstream *u, long tokens)
{
    if (tokens >= 0) {
        fg_llm_event us = {.type = FG_LLM_EV_USAGE, .input_tokens = tokens};
        fg__upstream_emit(u, &us);
    }
    fg_llm_event done = {.type = FG_LLM_EV_DONE};
    fg__upstream_emit(u, &done);
}

static int bre_send(fg_llm_attempt *a, bre_proto *p);

static void bre_finish(fg_upstream *u)
{
    bre_proto *p = u->ps;
    json_error_t jerr;
    json_t *v = json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, &jerr);
    if (p->cohere) {
        const json_t *embs = json_object_get(v, "embeddings");
        if (json_is_object(embs)) /* asked with embedding_types: {"float": [...]} */
            embs = json_object_get(embs, "float");
        size_t want = json_array_size(json_object_get(u->a->call->request, "input"));
        if (!json_is_array(embs) || json_array_size(embs) != want) {
            json_decref(v);
            fg__upstream_fail(u, 502, false, "upstream_error",
                              "upstream embeddings answer has no embeddings for every input");
            return;
        }
        size_t i;
        json_t *emb;
        json_array_foreach(embs, i, emb) {
            if (!emit_vector(u, emb, i)) {
                fg__upstream_fail(u, 502, false, "upstream_error", "upstream sent an empty embedding");
                break;
            }
        }
        const json_t *billed = json_object_get(json_object_get(v, "meta"), "billed_units");
        long tokens = (long)fg_json_int(billed, "input_tokens", -1);
        json_decref(v);
        emit_end(u, tokens);
        return;
    }
    const json_t *emb = json_object_get(v, "embedding");
    if (!json_is_array(emb) || !emit_vector(u, emb, p->index)) {
        json_decref(v);
        fg__upstream_fail(u, 502, false, "upstream_error", "upstream embeddings answer has no embedding");
        return;
    }
    long n = (long)fg_json_int(v, "inputTextTokenCount", -1);
    json_decref(v);
    long tokens = p->tokens < 0 || n < 0 ? -1 : p->tokens + n;
    fg_llm_attempt *a = u->a;
    if (u->failed || a->call->phase == CALL_DONE)
        return;
    size_t total = json_array_size(json_object_get(a->call->request, "input"));
    if (p->index + 1 >= total) {
        emit_end(u, tokens);
        return;
    }
    bre_proto *next = calloc(1, sizeof *next);
    if (!next) {
        fg__upstream_fail(u, 502, false, "upstream_error", "out of memory");
        return;
    }
    fg_buf_init(&next->body, 256u << 20);
    next->index = p->index + 1;
    next->tokens = tokens;
    int rc = bre_send(a, next);
    if (rc)
        fg__upstream_fail(u, 502, false, "upstream_error", fg_strerror(rc));
}

static void bre_release(void *ps)
{
    bre_proto *p = ps;
    fg_buf_free(&p->body);
    free(p);
}

static const fg_upstream_proto bre_protocol = {bre_feed, bre_finish, bre_release};

static char *bre_body(fg_llm_attempt *a, const char *model, const bre_proto *p)
{
    const json_t *req = a->call->request;
    const json_t *input = json_object_get(req, "input");
    json_t *body;
    if (p->cohere) {
        body = json_pack("{s:O, s:s}", "texts", input, "input_type", "search_document");
    } else {
        body = json_pack("{s:O, s:b}", "inputText", json_array_get(input, p->index), "normalize", 1);
        const json_t *dims = json_object_get(req, "dimensions");
        if (json_is_integer(dims) && strncmp(model, "amazon.titan-embed-text-v2", 26) == 0)
            json_object_set(body, "dimensions", (json_t *)dims);
    }
    char *text = body ? fg_json_dumps(body) : NULL;
    json_decref(body);
    return text;
}

/* Signs and starts one InvokeModel request; p is handed over either way. */
static int bre_send(fg_llm_attempt *a, bre_proto *p)
{
    fg_llm_provider *prov = a->dep->provider;
    const char *id = fg__llm_upstream_model(a);
    char *text = bre_body(a, id, p);
    if (!text) {
        bre_release(p);
        return FG_ENOMEM;
    }
    char base[512], model[512], url[1200];
    fg__aws_endpoint(prov, "bedrock-runtime", base, sizeof base);
    fg__aws_path_segment(model, sizeof model, id);
    snprintf(url, sizeof url, "%s/model/%s/invoke", base, model);
    fg_aws_signed sig;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__aws_sign(prov, "bedrock", url, text, strlen(text), &sig, &eb)) {
        free(text);
        bre_release(p);
        return FG_EINVAL;
    }
    const char *headers[48];
    char extra[32][512];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = "Accept: application/json";
    for (int i = 0; i < sig.n; i++)
        headers[nh++] = sig.lines[i];
    fg__upstream_extra_headers(prov, headers, nh, 47, extra, 32);
    int rc = fg__upstream_start(a, &bre_protocol, p, url, headers, text, strlen(text));
    free(text);
    return rc;
}

static int br_embed(fg_llm_attempt *a)
{
    const char *model = fg__llm_upstream_model(a);
    bool cohere = is_cohere_embed(model);
    if (!cohere && !is_titan_embed(model)) {
        char msg[700];
        snprintf(msg, sizeof msg, "bedrock model '%s' is not an embeddings model flowgate can call "
                                  "(amazon.titan-embed-* or cohere.embed-*)", model);
        fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = 400, .error_type = "invalid_request_error",
                           .error_msg = msg};
        fg__llm_emit(a, &ev);
        return 0;
    }
    bre_proto *p = calloc(1, sizeof *p);
    if (!p)
        return FG_ENOMEM;
    fg_buf_init(&p->body, 256u << 20);
    p->cohere = cohere;
    return bre_send(a, p);
}

const fg_llm_provider_ops fg_llm_provider_bedrock = {
    .type = "bedrock",
    .start = br_start,
    .abort = fg__upstream_abort,
    .resume = fg__upstream_resume,
    .embed = br_embed,
};
