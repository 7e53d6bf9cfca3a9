/* The incremental text/event-stream parser (WHATWG HTML, "Parsing an event
 * stream" and "Interpreting an event stream"). */
#include "wire/sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fg_sse_parser {
    fg_buf line;        /* the current line when it spans chunks */
    fg_buf data;        /* the data buffer */
    fg_buf type;        /* the event type buffer */
    fg_buf last_id;     /* the last event ID buffer */
    size_t max_event;
    size_t event_bytes; /* field bytes since the last dispatch */
    long retry;
    fg_sse_event_fn on_event;
    void *user;
    int failed;         /* sticky error */
    unsigned char bom[3];
    int bom_len;        /* bytes of a possible BOM held back */
    bool bom_done;
    bool pending_cr;    /* the last chunk ended in CR: skip a leading LF */
};

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

fg_sse_parser *fg_sse_parser_new(size_t max_event, fg_sse_event_fn on_event, void *user)
{
    fg_sse_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->max_event = max_event ? max_event : FG_SSE_DEFAULT_MAX_EVENT;
    fg_buf_init(&p->line, p->max_event);
    fg_buf_init(&p->data, p->max_event);
    fg_buf_init(&p->type, p->max_event);
    fg_buf_init(&p->last_id, p->max_event);
    p->retry = -1;
    p->on_event = on_event;
    p->user = user;
    return p;
}

void fg_sse_parser_free(fg_sse_parser *p)
{
    if (!p)
        return;
    fg_buf_free(&p->line);
    fg_buf_free(&p->data);
    fg_buf_free(&p->type);
    fg_buf_free(&p->last_id);
    free(p);
}

long fg_sse_parser_retry(const fg_sse_parser *p)
{
    return p->retry;
}

static int too_big(fg_sse_parser *p, fg_errbuf *eb)
{
    p->failed = FG_ELIMIT;
    return fg_failf(eb, FG_ELIMIT,
                    "server-sent event larger than the limit of %zu bytes; the upstream sent an "
                    "oversized event (raise the SSE event limit if it is legitimate)",
                    p->max_event);
}

static void reset_event(fg_sse_parser *p)
{
    fg_buf_reset(&p->data);
    fg_buf_reset(&p->type);
    p->event_bytes = 0;
}

static int dispatch(fg_sse_parser *p)
{
    if (p->data.len == 0) {
        reset_event(p);
        return 0;
    }
    fg_sse_event ev = {
        .event = p->type.len ? p->type.data : "message",
        .event_len = p->type.len ? p->type.len : 7,
        .data = p->data.data,
        .data_len = p->data.len - 1, /* the final LF */
        .id = p->last_id.len ? p->last_id.data : "",
        .id_len = p->last_id.len,
    };
    p->data.data[ev.data_len] = '\0';
    int rc = p->on_event ? p->on_event(p->user, &ev) : 0;
    reset_event(p);
    return rc;
}

static void set_retry(fg_sse_parser *p, const char *v, size_t n)
{
    if (n == 0 || n > 9)
        return;
    long r = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return;
        r = r * 10 + (v[i] - '0');
    }
    p->retry = r;
}

static int set_field(fg_sse_parser *p, const char *f, size_t fn, const char *v, size_t vn)
{
    int rc = 0;
    if (fn == 5 && memcmp(f, "event", 5) == 0) {
        fg_buf_reset(&p->type);
        rc = fg_buf_append(&p->type, v, vn);
    } else if (fn == 4 && memcmp(f, "data", 4) == 0) {
        rc = fg_buf_append(&p->data, v, vn);
        if (!rc)
            rc = fg_buf_putc(&p->data, '\n');
    } else if (fn == 2 && memcmp(f, "id", 2) == 0) {
        if (!memchr(v, '\0', vn)) {
            fg_buf_reset(&p->last_id);
            rc = fg_buf_append(&p->last_id, v, vn);
        }
    } else if (fn == 5 && memcmp(f, "retry", 5) == 0) {
        set_retry(p, v, vn);
    }
    return rc;
}

static int process_line(fg_sse_parser *p, const char *s, size_t n, fg_errbuf *eb)
{
    if (n == 0)
        return dispatch(p);
    if (s[0] == ':')
        return 0; /* a comment */
    p->event_bytes += n;
    if (p->event_bytes > p->max_event)
        return too_big(p, eb);
    const char *colon = memchr(s, ':', n);
    size_t fn = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vn = colon ? n - fn - 1 : 0;
    if (vn && *v == ' ') {
        v++;
        vn--;
    }
    int rc = set_field(p, s, fn, v, vn);
    if (rc == FG_ELIMIT)
        return too_big(p, eb);
    return rc;
}

static size_t find_eol(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' || s[i] == '\r')
            return i;
    return n;
}

/* Completes a line: from the held-back part plus s[0..n), or from s alone. */
static int end_line(fg_sse_parser *p, const char *s, size_t n, fg_errbuf *eb)
{
    if (p->line.len == 0)
        return process_line(p, s, n, eb);
    if (fg_buf_append(&p->line, s, n))
        return too_big(p, eb);
    int rc = process_line(p, p->line.data, p->line.len, eb);
    fg_buf_reset(&p->line);
    return rc;
}

static int feed_lines(fg_sse_parser *p, const char *s, size_t n, fg_errbuf *eb)
{
    while (n > 0) {
        if (p->pending_cr) {
            p->pending_cr = false;
            if (*s == '\n') {
                s++;
                n--;
                continue;
            }
        }
        size_t i = find_eol(s, n);
        if (i == n) {
            if (fg_buf_append(&p->line, s, n))
                return too_big(p, eb);
            return 0;
        }
        size_t skip = 1;
        if (s[i] == '\r') {
            if (i + 1 < n && s[i + 1] == '\n')
                skip = 2;
            else if (i + 1 == n)
                p->pending_cr = true;
        }
        int rc = end_line(p, s, i, eb);
        if (rc)
            return rc;
        s += i + skip;
        n -= i + skip;
    }
    return 0;
}

/* Holds back the first bytes until it is known whether they are a UTF-8 BOM;
 * returns how many bytes of s it consumed. */
static size_t skip_bom(fg_sse_parser *p, const unsigned char *s, size_t n)
{
    size_t used = 0;
    while (!p->bom_done && used < n) {
        if (s[used] != utf8_bom[p->bom_len]) {
            p->bom_done = true;
            return used;
        }
        p->bom[p->bom_len++] = s[used++];
        if (p->bom_len == 3) {
            p->bom_done = true;
            p->bom_len = 0; /* a whole BOM: dropped */
        }
    }
    return used;
}

int fg_sse_parser_feed(fg_sse_parser *p, const void *data, size_t n, fg_errbuf *eb)
{
    if (p->failed)
        return fg_failf(eb, p->failed, "SSE parser: the stream already failed");
    const char *s = data;
    if (!p->bom_done) {
        size_t used = skip_bom(p, data, n);
        s += used;
        n -= used;
        if (!p->bom_done)
            return 0;
        if (p->bom_len) { /* not a BOM after all: parse what was held back */
            int held = p->bom_len;
            p->bom_len = 0;
            int rc = feed_lines(p, (const char *)p->bom, (size_t)held, eb);
            if (rc)
                return rc;
        }
    }
    return feed_lines(p, s, n, eb);
}

int fg_sse_parser_finish(fg_sse_parser *p, fg_errbuf *eb)
{
    if (p->failed)
        return fg_failf(eb, p->failed, "SSE parser: the stream already failed");
    bool partial = p->line.len || p->data.len || p->type.len || p->bom_len;
    fg_buf_reset(&p->line);
    reset_event(p);
    p->bom_len = 0;
    p->pending_cr = false;
    if (partial)
        return fg_failf(eb, FG_EPARSE,
                        "the event stream ended inside an event (no blank line after it): the "
                        "upstream response was truncated");
    return 0;
}
