/* SageMaker InvokeEndpoint with a Hugging Face TGI container: the canonical
 * messages rendered as one prompt in `inputs`, sampling in `parameters`, the
 * answer's `generated_text` reported as one piece of text; with the provider's
 * `stream: true`, InvokeEndpointWithResponseStream and TGI's token stream. The
 * deployment's model is the endpoint name. */
#include "llm/aws_sign.h"
#include "llm/translate.h"
#include "llm/upstream.h"

#include "core/base64.h"
#include "core/json.h"
#include "wire/eventstream.h"
#include "wire/sse.h"
#include "llm/mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWER (16u << 20)

typedef struct sm_proto {
    fg_upstream *u;
    fg_buf body;
    long input_tokens;
    /* the response-stream variant */
    fg_es_decoder *dec;
    fg_sse_parser *sse;
    long generated;
    bool saw_final;
} sm_proto;

/* System, user and assistant turns as labelled paragraphs, ending with the
 * assistant's label for the model to continue. */
static char *render_prompt(const json_t *messages)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    size_t i;
    json_t *m;
    size_t n = json_array_size(messages);
    json_array_foreach(messages, i, m) {
        const char *role = fg_json_str(m, "role", "user");
        char *text = fg__canonical_text(json_object_get(m, "content"));
        if (n == 1 && !strcmp(role, "user")) { /* a single prompt goes as it is */
            fg_buf_puts(&b, text);
            free(text);
            break;
        }
        fg_buf_printf(&b, "%s%s: %s", b.len ? "\n\n" : "",
                      !strcmp(role, "system") ? "System" : !strcmp(role, "assistant") ? "Assistant" : "User",
                      text);
        free(text);
        if (i == n - 1)
            fg_buf_puts(&b, "\n\nAssistant:");
    }
    char *s = fg_buf_detach(&b, NULL);
    return s ? s : strdup("");
}

static void sm_feed(fg_upstream *u, const char *data, size_t len)
{
    sm_proto *p = u->ps;
    if (fg_buf_append(&p->body, data, len))
        fg__upstream_fail(u, 502, false, "upstream_error", "upstream answer too large");
}

static void sm_finish(fg_upstream *u)
{
    sm_proto *p = u->ps;
    json_error_t jerr;
    json_t *v = json_loadb(p->body.data ? p->body.data : "", p->body.len, 0, &jerr);
    const json_t *first = json_is_array(v) ? json_array_get(v, 0) : v;
    const json_t *text = json_object_get(first, "generated_text");
    if (!json_is_string(text)) {
        json_decref(v);
        fg__upstream_fail(u, 502, false, "upstream_error", "upstream answer has no generated_text");
        return;
    }
    const json_t *details = json_object_get(first, "details");
    long out = (long)fg_json_int(details, "generated_tokens", fg_mock_count_tokens(json_string_value(text)));
    if (json_string_length(text)) {
        fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = json_string_value(text), .len = json_string_length(text)};
        fg__upstream_emit(u, &ev);
    }
    const char *fr = fg_json_str(details, "finish_reason", "eos_token");
    fg_llm_event fin = {.type = FG_LLM_EV_FINISH, .finish_reason = !strcmp(fr, "length") ? "length" : "stop"};
    fg__upstream_emit(u, &fin);
    fg_llm_event usage = {.type = FG_LLM_EV_USAGE, .input_tokens = p->input_tokens, .output_tokens = out};
    fg__upstream_emit(u, &usage);
    fg_llm_event done = {.type = FG_LLM_EV_DONE};
    fg__upstream_emit(u, &done);
    json_decref(v);
}

static void sm_release(void *ps)
{
    sm_proto *p = ps;
    fg_buf_free(&p->body);
    fg_es_decoder_free(p->dec);
    fg_sse_parser_free(p->sse);
    free(p);
}

static const fg_upstream_proto sm_protocol = {sm_feed, sm_finish, sm_release};

/* --- InvokeEndpointWithResponseStream: event-stream PayloadPart events whose
 * bytes, joined, are TGI's server-sent events ({"token":{"text":..}, ...}). */

static int on_tgi_event(void *user, const fg_sse_event *ev)
{
    sm_proto *p = user;
    json_error_t jerr;
    json_t *v = json_loadb(ev->data, ev->data_len, 0, &jerr);
    const json_t *tok = json_object_get(v, "token");
    const json_t *text = json_object_get(tok, "text");
    if (json_is_string(text) && !json_is_true(json_object_get(tok, "special"))) {
        p->generated++;
        fg_llm_event e = {.type = FG_LLM_EV_TEXT, .text = json_string_value(text), .len = json_string_length(text)};
        if (e.len)
            fg__upstream_emit(p->u, &e);
    }
    const json_t *details = json_object_get(v, "details");
    if (json_is_string(json_object_get(v, "generated_text")) || details) {
        p->saw_final = true;
        p->generated = (long)fg_json_int(details, "generated_tokens", p->generated);
        const char *fr = fg_json_str(details, "finish_reason", "eos_token");
        fg_llm_event fin = {.type = FG_LLM_EV_FINISH, .finish_reason = !strcmp(fr, "length") ? "length" : "stop"};
        fg__upstream_emit(p->u, &fin);
    }
    if (json_object_get(v, "error"))
        fg__upstream_fail(p->u, 502, false, "upstream_error", fg_json_str(v, "error", "upstream error"));
    json_decref(v);
    return p->u->failed;
}

static int on_payload_part(void *user, const fg_es_message *m)
{
    sm_proto *p = user;
    size_t mlen = 0;
    const char *mtype = fg_es_find_string(m, ":message-type", &mlen);
    if (mtype && mlen == 9 && !memcmp(mtype, "exception", 9)) {
        fg__upstream_fail(p->u, 502, true, "upstream_error", "SageMaker reported an error inside the stream");
        return 1;
    }
    json_error_t jerr;
    json_t *v = json_loadb((const char *)m->payload, m->payload_len, 0, &jerr);
    const char *b64 = fg_json_str(v, "Bytes", NULL);
    int rc = 0;
    if (b64) {
        fg_buf raw;
        fg_buf_init(&raw, 0);
        if (fg_base64_decode(&raw, b64, strlen(b64)) == FG_OK)
            rc = fg_sse_parser_feed(p->sse, raw.data, raw.len, NULL) > 0;
        fg_buf_free(&raw);
    }
    json_decref(v);
    return rc || p->u->failed;
}

static void sms_feed(fg_upstream *u, const char *data, size_t len)
{
    sm_proto *p = u->ps;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_es_decoder_feed(p->dec, data, len, &eb) < 0)
        fg__upstream_fail(u, 502, false, "upstream_error", eb.msg[0] ? eb.msg : "bad event stream");
}

static void sms_finish(fg_upstream *u)
{
    sm_proto *p = u->ps;
    fg_sse_parser_finish(p->sse, NULL);
    if (u->failed)
        return;
    if (!p->saw_final) {
        fg__upstream_fail(u, 502, true, "upstream_error", "upstream stream ended before it was complete");
        return;
    }
    fg_llm_event usage = {.type = FG_LLM_EV_USAGE, .input_tokens = p->input_tokens, .output_tokens = p->generated};
    fg__upstream_emit(u, &usage);
    fg_llm_event done = {.type = FG_LLM_EV_DONE};
    fg__upstream_emit(u, &done);
}

static const fg_upstream_proto sms_protocol = {sms_feed, sms_finish, sm_release};

static json_t *tgi_body(const json_t *canon, char *prompt, bool stream)
{
    json_t *params = json_object();
    json_object_set_new(params, "max_new_tokens", json_integer(fg_json_int(canon, "max_tokens", 512)));
    static const char *const copy[][2] = {{"temperature", "temperature"}, {"top_p", "top_p"},
                                          {"top_k", "top_k"}, {"seed", "seed"}};
    for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++)
        if (json_is_number(json_object_get(canon, copy[i][0])))
            json_object_set(params, copy[i][1], json_object_get(canon, copy[i][0]));
    if (json_is_array(json_object_get(canon, "stop")))
        json_object_set(params, "stop", json_object_get(canon, "stop"));
    json_object_set_new(params, "details", json_true());
    return json_pack("{s:s,s:o,s:b}", "inputs", prompt, "parameters", params, "stream", stream);
}

static int sm_start(fg_llm_attempt *a)
{
    fg_llm_provider *prov = a->dep->provider;
    sm_proto *p = calloc(1, sizeof *p);
    if (!p)
        return FG_ENOMEM;
    fg_buf_init(&p->body, MAX_ANSWER);
    bool stream = fg_json_bool(prov->conf, "stream", false);
    if (stream) {
        p->dec = fg_es_decoder_new(NULL, on_payload_part, p);
        p->sse = fg_sse_parser_new(1u << 20, on_tgi_event, p);
    }
    char *prompt = render_prompt(json_object_get(a->call->request, "messages"));
    p->input_tokens = fg_mock_count_tokens(prompt);
    json_t *body = tgi_body(a->call->request, prompt, stream);
    free(prompt);
    char *text = fg_json_dumps(body);
    json_decref(body);
    char base[512], endpoint[512], url[1200];
    fg__aws_endpoint(prov, "runtime.sagemaker", base, sizeof base);
    fg__aws_path_segment(endpoint, sizeof endpoint, fg__llm_upstream_model(a));
    snprintf(url, sizeof url, "%s/endpoints/%s/invocations%s", base, endpoint,
             stream ? "-response-stream" : "");
    fg_aws_signed sig;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__aws_sign(prov, "sagemaker", url, text, strlen(text), &sig, &eb)) {
        free(text);
        sm_release(p);
        return FG_EINVAL;
    }
    const char *headers[48];
    char extra[32][512];
    int nh = 0;
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = stream ? "Accept: application/vnd.amazon.eventstream" : "Accept: application/json";
    for (int i = 0; i < sig.n; i++)
        headers[nh++] = sig.lines[i];
    fg__upstream_extra_headers(prov, headers, nh, 47, extra, 32);
    int rc = fg__upstream_start(a, stream ? &sms_protocol : &sm_protocol, p, url, headers, text, strlen(text));
    if (!rc)
        p->u = a->state;
    free(text);
    return rc;
}

const fg_llm_provider_ops fg_llm_provider_sagemaker = {
    .type = "sagemaker",
    .start = sm_start,
    .abort = fg__upstream_abort,
    .resume = fg__upstream_resume,
};
