/* libFuzzer target for the SSE parser: the first byte picks the chunk size;
 * the rest is fed in chunks of that size. Also checks that the writer's
 * output for the same bytes parses back to them (line breaks normalised). */
#include "core/buf.h"
#include "wire/sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int count(void *user, const fg_sse_event *ev)
{
    if (ev->data[ev->data_len] != '\0')
        abort();
    ++*(size_t *)user;
    return 0;
}

static int capture(void *user, const fg_sse_event *ev)
{
    fg_buf *b = user;
    fg_buf_append(b, ev->data, ev->data_len);
    return 0;
}

static void round_trip(const char *s, size_t n)
{
    fg_buf w, got, want;
    fg_buf_init(&w, 0);
    fg_buf_init(&got, 0);
    fg_buf_init(&want, 0);
    if (fg_sse_write_event(&w, "e", NULL, s, n) != 0)
        abort();
    for (size_t i = 0; i < n; i++) { /* CR, LF and CRLF all become LF */
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
            continue;
        fg_buf_putc(&want, s[i] == '\r' ? '\n' : s[i]);
    }
    fg_sse_parser *p = fg_sse_parser_new(8 * n + 64, capture, &got);
    if (fg_sse_parser_feed(p, w.data, w.len, NULL) || fg_sse_parser_finish(p, NULL))
        abort();
    if (got.len != want.len || (got.len && memcmp(got.data, want.data, got.len) != 0))
        abort();
    fg_sse_parser_free(p);
    fg_buf_free(&w);
    fg_buf_free(&got);
    fg_buf_free(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] % 17 + 1, events = 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    fg_sse_parser *p = fg_sse_parser_new(256, count, &events);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i += piece)
        rc = fg_sse_parser_feed(p, s + i, n - i < piece ? n - i : piece, NULL);
    if (!rc)
        fg_sse_parser_finish(p, NULL);
    fg_sse_parser_free(p);
    if (n <= 4096)
        round_trip(s, n);
    return 0;
}
