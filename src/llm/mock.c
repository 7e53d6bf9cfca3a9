#include "llm/mock.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const words[] = {
    "The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "while",
    "a", "gentle", "river", "flows", "past", "green", "hills", "and", "quiet", "towns",
    "under", "bright", "morning", "light", "as", "birds", "sing", "in", "tall", "trees"};
#define NWORDS (sizeof words / sizeof words[0])

void fg_mock_spec_default(fg_mock_spec *s)
{
    memset(s, 0, sizeof *s);
    s->tokens = 16;
    s->fault_after = 2;
    s->retry_after_s = 1;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void apply_setting(fg_mock_spec *s, const char *key, size_t klen, const char *val, size_t vlen)
{
    char v[64];
    snprintf(v, sizeof v, "%.*s", (int)(vlen < 63 ? vlen : 63), val);
    long n = strtol(v, NULL, 10);
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(key, k, klen) == 0)
    if (KEY("tokens"))
        s->tokens = n < 0 ? 0 : n > 100000 ? 100000 : n;
    else if (KEY("ttft"))
        s->ttft_ms = n < 0 ? 0 : n;
    else if (KEY("delay"))
        s->delay_ms = n < 0 ? 0 : n;
    else if (KEY("after"))
        s->fault_after = n < 0 ? 0 : n;
    else if (KEY("retry_after"))
        s->retry_after_s = n < 0 ? 0 : n;
    else if (KEY("fault"))
        snprintf(s->fault, sizeof s->fault, "%s", v);
#undef KEY
}

static void apply_directive(fg_mock_spec *s, const char *p, const char *end)
{
    while (p < end) {
        while (p < end && (isspace((unsigned char)*p) || *p == ','))
            p++;
        const char *k = p;
        while (p < end && *p != '=' && !isspace((unsigned char)*p) && *p != ',')
            p++;
        if (p >= end || *p != '=')
            continue;
        size_t klen = (size_t)(p - k);
        const char *v = ++p;
        while (p < end && !isspace((unsigned char)*p) && *p != ',')
            p++;
        apply_setting(s, k, klen, v, (size_t)(p - v));
    }
}

void fg_mock_spec_apply_text(fg_mock_spec *s, const char *text)
{
    if (!text)
        return;
    s->seed = fnv1a(text);
    const char *d = strstr(text, "[mock:");
    if (d) {
        const char *end = strchr(d, ']');
        if (end)
            apply_directive(s, d + 6, end);
    }
    const char *r = strstr(text, "[mock-reply]");
    if (r) {
        r += strlen("[mock-reply]");
        const char *end = strstr(r, "[/mock-reply]");
        size_t n = end ? (size_t)(end - r) : strlen(r);
        if (n >= sizeof s->reply)
            n = sizeof s->reply - 1;
        memcpy(s->reply, r, n);
        s->reply[n] = '\0';
    }
}

/* Scripted answers are cut into tokens at word starts: "a b" -> "a", " b". */
static const char *reply_token(const char *reply, long i, size_t *len)
{
    const char *p = reply;
    for (long t = 0;; t++) {
        const char *start = p;
        if (!*p)
            return NULL;
        while (*p && isspace((unsigned char)*p))
            p++;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (t == i) {
            *len = (size_t)(p - start);
            return start;
        }
    }
}

long fg_mock_answer_tokens(const fg_mock_spec *s)
{
    if (!s->reply[0])
        return s->tokens;
    long n = 0;
    size_t len;
    while (reply_token(s->reply, n, &len))
        n++;
    return n;
}

size_t fg_mock_token(const fg_mock_spec *s, long i, char *out, size_t n)
{
    if (s->reply[0]) {
        size_t len = 0;
        const char *t = reply_token(s->reply, i, &len);
        if (!t)
            len = 0;
        if (len >= n)
            len = n - 1;
        memcpy(out, t ? t : "", len);
        out[len] = '\0';
        return len;
    }
    const char *w = words[(s->seed + (uint32_t)i * 7u) % NWORDS];
    int len = snprintf(out, n, "%s%s", i ? " " : "", w);
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

long fg_mock_count_tokens(const char *text)
{
    long n = 0;
    bool in = false;
    for (const char *p = text ? text : ""; *p; p++) {
        bool sp = isspace((unsigned char)*p);
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

struct fg_mock_stream {
    uv_timer_t timer;
    fg_mock_spec spec;
    fg_mock_stream_cbs cbs;
    void *ud;
    long next, total;
    bool paused, stopped, hung, capped;
};

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

static void finish(fg_mock_stream *m, const char *how)
{
    m->stopped = true;
    uv_timer_stop(&m->timer);
    m->cbs.on_end(m->ud, how);
}

static void on_tick(uv_timer_t *t)
{
    fg_mock_stream *m = t->data;
    if (m->stopped || m->paused)
        return;
    for (;;) {
        bool faulty = strcmp(m->spec.fault, "stream-error") == 0 || strcmp(m->spec.fault, "truncate") == 0;
        if (faulty && m->next >= m->spec.fault_after) {
            finish(m, m->spec.fault);
            return;
        }
        if (m->next >= m->total) {
            finish(m, m->capped ? "length" : "stop");
            return;
        }
        char tok[512];
        size_t len = fg_mock_token(&m->spec, m->next, tok, sizeof tok);
        long i = m->next++;
        if (m->cbs.on_token(m->ud, tok, len, i)) {
            if (m->stopped) /* stopped from inside the callback */
                return;
            m->paused = true;
            return;
        }
        if (m->stopped)
            return;
        if (m->spec.delay_ms > 0) {
            uv_timer_start(&m->timer, on_tick, (uint64_t)m->spec.delay_ms, 0);
            return;
        }
    }
}

fg_mock_stream *fg_mock_stream_start(uv_loop_t *loop, const fg_mock_spec *spec, long max_tokens,
                                     const fg_mock_stream_cbs *cbs, void *ud)
{
    fg_mock_stream *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->spec = *spec;
    m->cbs = *cbs;
    m->ud = ud;
    m->total = fg_mock_answer_tokens(spec);
    if (max_tokens > 0 && m->total > max_tokens) {
        m->total = max_tokens;
        m->capped = true;
    }
    uv_timer_init(loop, &m->timer);
    m->timer.data = m;
    m->hung = strcmp(spec->fault, "hang") == 0;
    if (!m->hung)
        uv_timer_start(&m->timer, on_tick, (uint64_t)spec->ttft_ms, 0);
    return m;
}

void fg_mock_stream_resume(fg_mock_stream *m)
{
    if (!m->paused || m->stopped)
        return;
    m->paused = false;
    uv_timer_start(&m->timer, on_tick, 0, 0);
}

void fg_mock_stream_stop(fg_mock_stream *m)
{
    if (!m)
        return;
    m->stopped = true;
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, on_closed);
}
