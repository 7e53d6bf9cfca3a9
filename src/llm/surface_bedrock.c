/* The Bedrock runtime surface, so the AWS SDK's bedrock-runtime client can use
 * flowgate as its endpoint: POST /model/{modelId}/converse and
 * /converse-stream (AWS event-stream framing), /invoke and
 * /invoke-with-response-stream with the native bodies of Anthropic-on-Bedrock,
 * Meta Llama, Amazon Titan text, Mistral and Cohere models (native.c), and
 * /invoke with Amazon Titan and Cohere embed bodies for embeddings. */
#include "llm/llm_int.h"
#include "llm/native.h"
#include "llm/surface.h"
#include "llm/translate.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- Converse ---------------------------------------------------------------- */

typedef struct cv_sink {
    bool stream;
    int block;          /* open block index, -1 none */
    bool block_is_tool;
    int blocks;
    json_t *content;    /* non-stream */
    fg_buf args;        /* non-stream tool input being built */
} cv_sink;

static void cv_send(fg_llm_call *call, const char *name, fg_buf *d)
{
    fg__llm_frame_event(call, FG_FRAME_EVENTSTREAM, name, d->data, d->len);
    fg_buf_reset(d);
}

static void cv_begin(fg_llm_call *call)
{
    cv_sink *s = call->sink_ud;
    if (!s->stream)
        return;
    fg_http_stream_start(call->req, 200, fg__llm_frame_content_type(FG_FRAME_EVENTSTREAM));
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_buf_puts(&d, "{\"role\":\"assistant\"}");
    cv_send(call, "messageStart", &d);
    fg_buf_free(&d);
}

static void cv_close_block(fg_llm_call *call, cv_sink *s)
{
    if (s->block < 0)
        return;
    if (s->stream) {
        fg_buf d;
        fg_buf_init(&d, 0);
        fg_buf_printf(&d, "{\"contentBlockIndex\":%d}", s->block);
        cv_send(call, "contentBlockStop", &d);
        fg_buf_free(&d);
    } else if (s->block_is_tool) {
        json_t *tu = json_object_get(json_array_get(s->content, (size_t)s->block), "toolUse");
        json_object_set_new(tu, "input", fg_json_object_or_empty(s->args.data, s->args.len));
        fg_buf_reset(&s->args);
    }
    s->block = -1;
}

static void cv_open_block(fg_llm_call *call, cv_sink *s, const fg_llm_event *ev, bool tool)
{
    cv_close_block(call, s);
    s->block = s->blocks++;
    s->block_is_tool = tool;
    if (!s->stream) {
        json_array_append_new(s->content, tool ? json_pack("{s:{s:s,s:s}}", "toolUse", "toolUseId",
                                                           ev->tool_id ? ev->tool_id : "", "name",
                                                           ev->tool_name ? ev->tool_name : "")
                                               : json_pack("{s:s}", "text", ""));
        return;
    }
    if (!tool)
        return; /* text blocks start with their first delta */
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_buf_printf(&d, "{\"contentBlockIndex\":%d,\"start\":{\"toolUse\":{\"toolUseId\":", s->block);
    fg_json_escape(&d, ev->tool_id ? ev->tool_id : "", ev->tool_id ? strlen(ev->tool_id) : 0);
    fg_buf_puts(&d, ",\"name\":");
    fg_json_escape(&d, ev->tool_name ? ev->tool_name : "", ev->tool_name ? strlen(ev->tool_name) : 0);
    fg_buf_puts(&d, "}}}");
    cv_send(call, "contentBlockStart", &d);
    fg_buf_free(&d);
}

static void cv_delta(fg_llm_call *call, cv_sink *s, const fg_llm_event *ev)
{
    if (!s->stream) {
        if (s->block_is_tool) {
            fg_buf_append(&s->args, ev->text, ev->len);
            return;
        }
        fg_json_append_member(json_array_get(s->content, (size_t)s->block), "text", ev->text, ev->len);
        return;
    }
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_buf_printf(&d, "{\"contentBlockIndex\":%d,\"delta\":{", s->block);
    fg_buf_puts(&d, s->block_is_tool ? "\"toolUse\":{\"input\":" : "\"text\":");
    fg_json_escape(&d, ev->text, ev->len);
    fg_buf_puts(&d, s->block_is_tool ? "}}}" : "}}");
    cv_send(call, "contentBlockDelta", &d);
    fg_buf_free(&d);
}

static void cv_event(fg_llm_call *call, const fg_llm_event *ev)
{
    cv_sink *s = call->sink_ud;
    if (ev->type == FG_LLM_EV_TEXT) {
        if (s->block < 0 || s->block_is_tool)
            cv_open_block(call, s, ev, false);
        cv_delta(call, s, ev);
    } else if (ev->type == FG_LLM_EV_TOOL) {
        if (ev->tool_id || s->block < 0 || !s->block_is_tool)
            cv_open_block(call, s, ev, true);
        if (ev->len)
            cv_delta(call, s, ev);
    }
}

static void cv_release(cv_sink *s)
{
    json_decref(s->content);
    s->content = NULL;
    fg_buf_free(&s->args);
}

static void usage_json(fg_buf *d, const fg_llm_call *call)
{
    fg_buf_printf(d, "\"usage\":{\"inputTokens\":%ld,\"outputTokens\":%ld,\"totalTokens\":%ld},"
                     "\"metrics\":{\"latencyMs\":%ld}",
                  call->input_tokens, call->output_tokens, call->input_tokens + call->output_tokens,
                  fg__llm_call_elapsed_ms(call));
}

static void cv_end(fg_llm_call *call)
{
    cv_sink *s = call->sink_ud;
    cv_close_block(call, s);
    const char *stop = fg__finish_to_converse(call->finish_reason);
    fg_buf d;
    fg_buf_init(&d, 0);
    if (s->stream) {
        fg_buf_printf(&d, "{\"stopReason\":\"%s\"}", stop);
        cv_send(call, "messageStop", &d);
        fg_buf_putc(&d, '{');
        usage_json(&d, call);
        fg_buf_putc(&d, '}');
        cv_send(call, "metadata", &d);
        cv_release(s);
        fg_http_stream_end(call->req);
    } else {
        fg_buf_puts(&d, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":");
        fg_json_dump(&d, s->content, 0);
        fg_buf_printf(&d, "}},\"stopReason\":\"%s\",", stop);
        usage_json(&d, call);
        fg_buf_putc(&d, '}');
        cv_release(s);
        fg_http_respond(call->req, 200, "application/json", d.data, d.len);
    }
    fg_buf_free(&d);
}

static void cv_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    cv_sink *s = call->sink_ud;
    cv_release(s);
    if (fg_http_stream_started(call->req)) {
        fg__llm_frame_error(call, FG_FRAME_EVENTSTREAM,
                            status == 429 ? "throttlingException" : "modelStreamErrorException", msg);
        fg_http_stream_end(call->req);
    } else {
        fg__llm_respond_aws_error(call->req, status, msg);
    }
}

static const fg_llm_sink_ops cv_sink_ops = {cv_begin, cv_event, cv_end, cv_fail};

/* --- native bodies other than Anthropic's ------------------------------------ */

typedef struct nat_sink {
    fg_llm_native_family family;
    bool stream;
    fg_buf text;
    long sent_tokens;
} nat_sink;

static void nat_begin(fg_llm_call *call)
{
    nat_sink *s = call->sink_ud;
    if (s->stream)
        fg_http_stream_start(call->req, 200, fg__llm_frame_content_type(FG_FRAME_BEDROCK_CHUNK));
}

static void nat_chunk(fg_llm_call *call, nat_sink *s, const char *text, size_t len, const char *stop,
                      bool last)
{
    fg_buf d;
    fg_buf_init(&d, 0);
    if (s->family == FG_NATIVE_LLAMA) {
        fg_buf_puts(&d, "{\"generation\":");
        fg_json_escape(&d, text, len);
        fg_buf_printf(&d, ",\"prompt_token_count\":%ld,\"generation_token_count\":%ld,\"stop_reason\":",
                      call->input_tokens, last ? call->output_tokens : s->sent_tokens);
    } else if (s->family == FG_NATIVE_MISTRAL) {
        fg_buf_puts(&d, "{\"outputs\":[{\"text\":");
        fg_json_escape(&d, text, len);
        fg_buf_puts(&d, ",\"stop_reason\":");
    } else if (s->family == FG_NATIVE_COHERE) {
        fg_buf_puts(&d, "{\"text\":");
        fg_json_escape(&d, text, len);
        fg_buf_printf(&d, ",\"is_finished\":%s,\"finish_reason\":", last ? "true" : "false");
    } else {
        fg_buf_puts(&d, "{\"outputText\":");
        fg_json_escape(&d, text, len);
        fg_buf_printf(&d, ",\"index\":0,\"totalOutputTextTokenCount\":%ld,\"inputTextTokenCount\":%ld,"
                          "\"completionReason\":",
                      last ? call->output_tokens : s->sent_tokens, call->input_tokens);
    }
    if (stop)
        fg_json_escape(&d, stop, strlen(stop));
    else
        fg_buf_puts(&d, "null");
    if (s->family == FG_NATIVE_MISTRAL)
        fg_buf_puts(&d, "}]");
    if (last)
        fg_buf_printf(&d, ",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":%ld,"
                          "\"outputTokenCount\":%ld,\"invocationLatency\":%ld,\"firstByteLatency\":%ld}",
                      call->input_tokens, call->output_tokens, fg__llm_call_elapsed_ms(call),
                      fg__llm_call_ttft_ms(call));
    fg_buf_putc(&d, '}');
    fg__llm_frame_event(call, FG_FRAME_BEDROCK_CHUNK, "chunk", d.data, d.len);
    fg_buf_free(&d);
}

static void nat_event(fg_llm_call *call, const fg_llm_event *ev)
{
    nat_sink *s = call->sink_ud;
    if (ev->type != FG_LLM_EV_TEXT)
        return;
    s->sent_tokens++;
    if (s->stream)
        nat_chunk(call, s, ev->text, ev->len, NULL, false);
    else
        fg_buf_append(&s->text, ev->text, ev->len);
}

static const char *nat_stop(const nat_sink *s, const char *finish)
{
    bool length = finish && strcmp(finish, "length") == 0;
    if (s->family == FG_NATIVE_LLAMA || s->family == FG_NATIVE_MISTRAL)
        return length ? "length" : "stop";
    if (s->family == FG_NATIVE_COHERE)
        return length ? "MAX_TOKENS" : "COMPLETE";
    return length ? "LENGTH" : "FINISH";
}

static void nat_end(fg_llm_call *call)
{
    nat_sink *s = call->sink_ud;
    const char *stop = nat_stop(s, call->finish_reason);
    if (s->stream) {
        nat_chunk(call, s, "", 0, stop, true);
        fg_buf_free(&s->text);
        fg_http_stream_end(call->req);
        return;
    }
    fg_llm_native_answer a = {.model = fg_json_str(call->request, "model", ""),
                              .text = s->text.data ? s->text.data : "", .len = s->text.len,
                              .finish = call->finish_reason, .input_tokens = call->input_tokens,
                              .output_tokens = call->output_tokens, .id = call->id};
    json_t *resp = fg_llm_native_response(s->family, &a);
    fg_buf d;
    fg_buf_init(&d, 0);
    fg_json_dump(&d, resp, 0);
    json_decref(resp);
    fg_buf_free(&s->text);
    fg_http_respond(call->req, 200, "application/json", d.data, d.len);
    fg_buf_free(&d);
}

static void nat_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    nat_sink *s = call->sink_ud;
    fg_buf_free(&s->text);
    if (fg_http_stream_started(call->req)) {
        fg__llm_frame_error(call, FG_FRAME_BEDROCK_CHUNK,
                            status == 429 ? "throttlingException" : "modelStreamErrorException", msg);
        fg_http_stream_end(call->req);
    } else {
        fg__llm_respond_aws_error(call->req, status, msg);
    }
}

static const fg_llm_sink_ops nat_sink_ops = {nat_begin, nat_event, nat_end, nat_fail};

/* --- embeddings: native Titan and Cohere embed bodies ------------------------- */

typedef struct emb_sink {
    bool cohere;
    json_t *texts;   /* Cohere: echoed back */
    fg_buf out;      /* the vectors, as JSON arrays */
    size_t count;
} emb_sink;

static void emb_begin(fg_llm_call *call) {}

static void emb_event(fg_llm_call *call, const fg_llm_event *ev)
{
    emb_sink *s = call->sink_ud;
    if (ev->type != FG_LLM_EV_EMBEDDING)
        return;
    fg_buf_printf(&s->out, "%s[", s->count++ ? "," : "");
    for (size_t i = 0; i < ev->dim; i++)
        fg_buf_printf(&s->out, "%s%.9g", i ? "," : "", (double)ev->vector[i]);
    fg_buf_putc(&s->out, ']');
}

static void emb_end(fg_llm_call *call)
{
    emb_sink *s = call->sink_ud;
    fg_buf b;
    fg_buf_init(&b, 0);
    const char *vecs = s->out.data ? s->out.data : "";
    if (s->cohere) {
        fg_buf_printf(&b, "{\"id\":\"%s\",\"response_type\":\"embeddings_floats\",\"embeddings\":[", call->id);
        fg_buf_append(&b, vecs, s->out.len);
        fg_buf_puts(&b, "],\"texts\":");
        char *texts = fg_json_dumps(s->texts);
        fg_buf_puts(&b, texts ? texts : "[]");
        free(texts);
        fg_buf_puts(&b, "}");
    } else {
        fg_buf_puts(&b, "{\"embedding\":");
        fg_buf_append(&b, vecs, s->out.len);
        fg_buf_printf(&b, ",\"inputTextTokenCount\":%ld}", call->input_tokens);
    }
    fg_buf_free(&s->out);
    json_decref(s->texts);
    s->texts = NULL;
    fg_http_respond(call->req, 200, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

static void emb_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    emb_sink *s = call->sink_ud;
    fg_buf_free(&s->out);
    json_decref(s->texts);
    s->texts = NULL;
    fg__llm_respond_aws_error(call->req, status, msg);
}

static const fg_llm_sink_ops emb_sink_ops = {emb_begin, emb_event, emb_end, emb_fail};

static json_t *read_body(fg_http_req *req, bool any_type);

static bool is_embed_model(const char *model, bool *cohere)
{
    *cohere = strncmp(model, "cohere.embed", 12) == 0;
    return *cohere || strncmp(model, "amazon.titan-embed", 18) == 0;
}

/* Titan: {"inputText", "dimensions"?}; Cohere: {"texts": [...]}. */
static void invoke_embed(fg_http_req *req, fg_llm *llm, const char *model, bool cohere, const fg_principal *who)
{
    json_t *body = read_body(req, true);
    if (!body)
        return;
    json_t *input = cohere ? json_object_get(body, "texts") : json_object_get(body, "inputText");
    bool ok = cohere ? json_is_array(input) && json_array_size(input) > 0 && json_array_size(input) <= 2048
                     : json_is_string(input);
    size_t i;
    json_t *t;
    if (ok && cohere)
        json_array_foreach(input, i, t) ok = ok && json_is_string(t);
    const json_t *dims = json_object_get(body, "dimensions");
    if (dims && (!json_is_integer(dims) || json_integer_value(dims) < 1 || json_integer_value(dims) > 16384))
        ok = false;
    if (!ok) {
        json_decref(body);
        fg__llm_respond_aws_error(req, 400, cohere ? "texts must be an array of 1 to 2048 strings"
                                                   : "inputText must be a string (dimensions, when given, "
                                                     "an integer)");
        return;
    }
    json_t *canon = json_pack("{s:s, s:o}", "model", model, "input",
                              cohere ? json_deep_copy(input) : json_pack("[O]", input));
    if (dims)
        json_object_set(canon, "dimensions", (json_t *)dims);
    emb_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->cohere = cohere;
    s->texts = cohere ? json_incref(input) : NULL;
    fg_buf_init(&s->out, 256u << 20);
    json_decref(body);
    fg__llm_embed_start(llm, req, canon, &emb_sink_ops, s, who);
}

/* --- routes ------------------------------------------------------------------ */

static json_t *read_body(fg_http_req *req, bool any_type)
{
    json_t *body = NULL;
    char msg[400];
    int status = any_type ? fg__llm_parse_json_body_any(req, &body, msg, sizeof msg)
                          : fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        fg__llm_respond_aws_error(req, status, msg);
        return NULL;
    }
    return body;
}

static void converse(fg_http_req *req, fg_llm *llm, bool stream)
{
    fg_principal who;
    if (fg_llm_authorize(llm, req, &who))
        return;
    json_t *body = read_body(req, false);
    if (!body)
        return;
    fg_xlate_err e = {0};
    json_t *canon = fg__converse_to_canonical(body, fg_http_req_param(req, "modelId"), &e);
    json_decref(body);
    if (!canon) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: %s", e.param, e.msg);
        fg__llm_respond_aws_error(req, 400, msg);
        return;
    }
    cv_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->stream = stream;
    s->block = -1;
    s->content = json_array();
    fg_buf_init(&s->args, 16u << 20);
    fg__llm_call_start(llm, req, canon, &cv_sink_ops, s, &who);
}

static void invoke(fg_http_req *req, fg_llm *llm, bool stream)
{
    fg_principal who;
    if (fg_llm_authorize(llm, req, &who))
        return;
    const char *model = fg_http_req_param(req, "modelId");
    bool cohere_embed;
    if (!stream && is_embed_model(model, &cohere_embed)) {
        invoke_embed(req, llm, model, cohere_embed, &who);
        return;
    }
    fg_llm_native_family fam = fg_llm_native_family_of(model);
    if (fam == FG_NATIVE_UNKNOWN) {
        fg__llm_respond_aws_error(req, 400, "this model's native request format is not supported by "
                                            "InvokeModel here: use Converse, or an anthropic., meta., "
                                            "amazon.titan-text, mistral. or cohere.command model id");
        return;
    }
    json_t *body = read_body(req, true);
    if (!body)
        return;
    if (fam == FG_NATIVE_ANTHROPIC) {
        json_object_set_new(body, "model", json_string(model));
        fg__llm_anthropic_start(llm, req, body, stream, true, &who);
        return;
    }
    char msg[300];
    json_t *canon = fg_llm_native_to_canonical(fam, body, model, msg, sizeof msg);
    json_decref(body);
    if (!canon) {
        fg__llm_respond_aws_error(req, 400, msg);
        return;
    }
    nat_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    s->family = fam;
    s->stream = stream;
    fg_buf_init(&s->text, 64u << 20);
    fg__llm_call_start(llm, req, canon, &nat_sink_ops, s, &who);
}

static void route_converse(fg_http_req *req, void *ud) { converse(req, ud, false); }
static void route_converse_stream(fg_http_req *req, void *ud) { converse(req, ud, true); }
static void route_invoke(fg_http_req *req, void *ud) { invoke(req, ud, false); }
static void route_invoke_stream(fg_http_req *req, void *ud) { invoke(req, ud, true); }

void fg__llm_surface_bedrock_register(fg_llm *llm, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/model/{modelId}/converse", route_converse, llm);
    fg_http_router_add(r, "POST", "/model/{modelId}/converse-stream", route_converse_stream, llm);
    fg_http_router_add(r, "POST", "/model/{modelId}/invoke", route_invoke, llm);
    fg_http_router_add(r, "POST", "/model/{modelId}/invoke-with-response-stream", route_invoke_stream, llm);
}
