#include "llm/upstream.h"

#include "core/json.h"
#include "wire/sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ERROR_BODY (64u * 1024)

static void upstream_free(fg_upstream *u)
{
    if (u->proto->release)
        u->proto->release(u->ps);
    fg_buf_free(&u->errbody);
    free(u);
}

void fg__upstream_emit(fg_upstream *u, const fg_llm_event *ev)
{
    if (!u->failed)
        fg__llm_emit(u->a, ev);
}

void fg__upstream_fail(fg_upstream *u, int status, bool retryable, const char *type, const char *msg)
{
    if (u->failed)
        return;
    u->failed = true;
    fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = status, .retryable = retryable,
                       .error_type = type, .error_msg = msg, .retry_after_ms = u->retry_after_ms};
    fg__llm_emit(u->a, &ev);
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
    fg_upstream *u = ud;
    u->status = status;
    u->retry_after_ms = parse_retry_after(headers);
}

static int on_data(fg_http_call *call, const char *data, size_t len, void *ud)
{
    fg_upstream *u = ud;
    if (u->orphaned)
        return 0;
    if (u->status != 200) {
        size_t room = MAX_ERROR_BODY - u->errbody.len;
        fg_buf_append(&u->errbody, data, len < room ? len : room);
        return 0;
    }
    fg_llm_call *c = u->a->call;
    u->in_data = true;
    u->proto->feed(u, data, len);
    u->in_data = false;
    if (u->aborted) {
        upstream_free(u);
        return 0;
    }
    if (c->phase == CALL_DONE || u->failed) {
        /* The attempt ended while reading (the answer's last event, or an error
         * in the stream). The call may be freed before curl reports the
         * transfer's end, so detach from it; the transfer runs to its end (the
         * connection stays reusable) and on_done frees u. */
        if (u->a->state == u)
            u->a->state = NULL;
        u->a = NULL;
        u->orphaned = true;
        return 0;
    }
    return c->backpressured ? FG_EAGAIN : 0;
}

/* Finds a readable message in an upstream error body (OpenAI, Anthropic and
 * AWS shapes). */
static void error_text(const fg_buf *body, char *out, size_t n)
{
    json_error_t jerr;
    json_t *v = fg_json_parse(body->data ? body->data : "", body->len, &jerr);
    const json_t *err = json_object_get(v, "error");
    const char *text = json_is_object(err)   ? fg_json_str(err, "message", NULL)
                       : json_is_string(err) ? json_string_value(err)
                                             : NULL;
    if (!text)
        text = fg_json_str(v, "message", NULL);
    if (!text)
        text = fg_json_str(v, "Message", NULL);
    snprintf(out, n, "%s", text ? text : "");
    json_decref(v);
}

static void http_error(fg_upstream *u)
{
    char text[400], msg[512];
    error_text(&u->errbody, text, sizeof text);
    snprintf(msg, sizeof msg, "upstream answered %d%s%s", u->status, text[0] ? ": " : "", text);
    bool retryable = u->status == 429 || u->status >= 500;
    fg__upstream_fail(u, u->status, retryable, u->status == 429 ? "rate_limited" : "upstream_error", msg);
}

static void on_done(fg_http_call *call, int err, const char *msg, void *ud)
{
    fg_upstream *u = ud;
    if (u->orphaned) {
        upstream_free(u);
        return;
    }
    fg_llm_attempt *a = u->a;
    u->http = NULL;
    if (a->state == u)
        a->state = NULL;
    if (a->call->phase == CALL_DONE || u->failed) {
        upstream_free(u);
        return;
    }
    if (err) {
        char text[300];
        snprintf(text, sizeof text, "upstream request failed: %s", msg);
        bool timeout = err == FG_ETIMEDOUT;
        fg__upstream_fail(u, timeout ? 504 : 502, true, timeout ? "timeout" : "upstream_error", text);
    } else if (u->status != 200) {
        http_error(u);
    } else {
        u->proto->finish(u);
    }
    upstream_free(u);
}

int fg__upstream_start(fg_llm_attempt *a, const fg_upstream_proto *proto, void *ps,
                       const char *url, const char *const *headers, const char *body,
                       size_t body_len)
{
    fg_llm_provider *p = a->dep->provider;
    fg_llm_call *call = a->call;
    fg_upstream *u = calloc(1, sizeof *u);
    if (!u || !call->client) {
        free(u);
        if (proto->release)
            proto->release(ps);
        return call->client ? FG_ENOMEM : FG_EINVAL;
    }
    u->a = a;
    u->proto = proto;
    u->ps = ps;
    fg_buf_init(&u->errbody, MAX_ERROR_BODY);
    fg_http_call_opts o = {.method = "POST", .url = url, .headers = headers, .body = body,
                           .body_len = body_len, .connect_timeout_ms = p->connect_timeout_ms,
                           .timeout_ms = a->dep->timeout_ms ? a->dep->timeout_ms : p->timeout_ms};
    static const fg_http_call_cbs cbs = {on_headers, on_data, on_done};
    a->state = u;
    int rc = fg_http_call_start(call->client, &o, &cbs, u, &u->http);
    if (rc) {
        a->state = NULL;
        upstream_free(u);
    }
    return rc;
}

void fg__upstream_abort(fg_llm_attempt *a)
{
    fg_upstream *u = a->state;
    if (!u)
        return;
    a->state = NULL;
    if (u->http)
        fg_http_call_abort(u->http);
    if (u->in_data) { /* on_data frees it when the protocol returns */
        u->aborted = u->failed = true;
        return;
    }
    upstream_free(u);
}

void fg__upstream_resume(fg_llm_attempt *a)
{
    fg_upstream *u = a->state;
    if (u && u->http)
        fg_http_call_resume(u->http);
}

int fg__upstream_extra_headers(const fg_llm_provider *p, const char **list, int n, int max,
                               char storage[][512], int nstorage)
{
    const char *name;
    json_t *val;
    int used = 0;
    json_object_foreach(json_object_get(p->conf, "headers"), name, val) {
        if (n >= max || used >= nstorage)
            break;
        snprintf(storage[used], 512, "%s: %s", name, json_string_value(val));
        list[n++] = storage[used++];
    }
    list[n] = NULL;
    return n;
}

void fg__upstream_feed_sse(fg_upstream *u, struct fg_sse_parser *parser, const char *data, size_t len)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_sse_parser_feed(parser, data, len, &eb);
    if (rc < 0 && !u->failed)
        fg__upstream_fail(u, 502, false, "upstream_error", eb.msg[0] ? eb.msg : "unreadable upstream stream");
}
