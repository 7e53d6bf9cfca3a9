/* Amazon Bedrock upstream through ConverseStream, for every model family:
 * POST {endpoint}/model/{modelId}/converse-stream, signed with SigV4, the AWS
 * event-stream answer decoded into canonical events; exceptions inside the
 * stream become errors (throttling and server errors retryable). */
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

const fg_llm_provider_ops fg_llm_provider_bedrock = {
    .type = "bedrock",
    .start = br_start,
    .abort = fg__upstream_abort,
    .resume = fg__upstream_resume,
};
