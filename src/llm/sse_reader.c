#include "llm/sse_reader.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

void fg_sse_reader_init(fg_sse_reader *r, size_t max_event, fg_sse_event_fn fn, void *ud)
{
    memset(r, 0, sizeof *r);
    fg_buf_init(&r->line, max_event);
    fg_buf_init(&r->data, max_event);
    r->fn = fn;
    r->ud = ud;
}

void fg_sse_reader_free(fg_sse_reader *r)
{
    fg_buf_free(&r->line);
    fg_buf_free(&r->data);
}

static void dispatch(fg_sse_reader *r)
{
    if (r->data.len || r->event[0]) {
        if (r->fn(r->ud, r->event[0] ? r->event : "message", r->data.data ? r->data.data : "",
                  r->data.len))
            r->stopped = true;
    }
    fg_buf_reset(&r->data);
    r->event[0] = '\0';
}

static void field(fg_sse_reader *r, const char *line, size_t len)
{
    if (len == 0) {
        dispatch(r);
        return;
    }
    if (line[0] == ':')
        return; /* comment */
    const char *colon = memchr(line, ':', len);
    size_t nlen = colon ? (size_t)(colon - line) : len;
    const char *val = colon ? colon + 1 : line + len;
    size_t vlen = colon ? len - nlen - 1 : 0;
    if (vlen && *val == ' ') {
        val++;
        vlen--;
    }
    if (nlen == 4 && memcmp(line, "data", 4) == 0) {
        if (r->data.len)
            fg_buf_putc(&r->data, '\n');
        if (fg_buf_append(&r->data, val, vlen))
            r->overflow = true;
    } else if (nlen == 5 && memcmp(line, "event", 5) == 0) {
        snprintf(r->event, sizeof r->event, "%.*s", (int)vlen, val);
    }
}

int fg_sse_reader_feed(fg_sse_reader *r, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !r->stopped; i++) {
        char c = p[i];
        if (c == '\n' && r->last_cr) { /* the LF of a CRLF split across pieces */
            r->last_cr = false;
            continue;
        }
        r->last_cr = false;
        if (c != '\n' && c != '\r') {
            if (fg_buf_putc(&r->line, c))
                r->overflow = true;
            if (r->overflow)
                return FG_ELIMIT;
            continue;
        }
        if (c == '\r') {
            if (i + 1 < n && p[i + 1] == '\n')
                i++;
            else if (i + 1 == n)
                r->last_cr = true;
        }
        field(r, r->line.data ? r->line.data : "", r->line.len);
        fg_buf_reset(&r->line);
        if (r->overflow)
            return FG_ELIMIT;
    }
    return FG_OK;
}

void fg_sse_reader_finish(fg_sse_reader *r)
{
    if (r->stopped)
        return;
    if (r->line.len) {
        field(r, r->line.data, r->line.len);
        fg_buf_reset(&r->line);
    }
    dispatch(r);
}
