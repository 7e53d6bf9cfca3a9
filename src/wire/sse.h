/* Server-sent events (text/event-stream), per the WHATWG HTML "event stream
 * interpretation": an incremental parser for upstream streams (OpenAI,
 * Anthropic) and a writer for flowgate's own streams. */
#ifndef FG_WIRE_SSE_H
#define FG_WIRE_SSE_H

#include "core/buf.h"
#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>

/* One dispatched event. The pointers are valid only during the callback.
 * event is "message" when the stream named no type; data has its final
 * newline removed (several data: lines are joined with '\n'). */
typedef struct fg_sse_event {
    const char *event;
    size_t event_len;
    const char *data;
    size_t data_len;
    const char *id;       /* the last event ID seen so far ("" when none) */
    size_t id_len;
} fg_sse_event;

/* Returns 0 to continue; any other value stops parsing and is returned by
 * fg_sse_parser_feed (the rest of that piece is dropped). */
typedef int (*fg_sse_event_fn)(void *user, const fg_sse_event *ev);

typedef struct fg_sse_parser fg_sse_parser;

/* max_event: ceiling in bytes on one event (its field lines and its data);
 * 0 means FG_SSE_DEFAULT_MAX_EVENT. */
#define FG_SSE_DEFAULT_MAX_EVENT (1024 * 1024)
fg_sse_parser *fg_sse_parser_new(size_t max_event, fg_sse_event_fn on_event, void *user);
void fg_sse_parser_free(fg_sse_parser *p);

/* Feeds the next n bytes of the stream, in pieces of any size. Returns 0, the
 * callback's non-zero value, or FG_ELIMIT when an event or line is larger than
 * max_event (the parser then refuses further input with the same error). */
int fg_sse_parser_feed(fg_sse_parser *p, const void *data, size_t n, fg_errbuf *eb);

/* Ends the stream. Returns FG_EPARSE when it ended inside an event (a line or
 * data not yet dispatched: the sign of a truncated stream); the incomplete
 * event is discarded, as the specification requires. */
int fg_sse_parser_finish(fg_sse_parser *p, fg_errbuf *eb);

/* The reconnection time from the last valid retry: field, or -1. */
long fg_sse_parser_retry(const fg_sse_parser *p);

/* Writer. Appends one event: "event: NAME\n" (when event is non-NULL), an
 * "id: ID\n" line (when id is non-NULL), one "data: " line per line of data
 * (split at CR, LF and CRLF), and the blank line that dispatches it.
 * FG_EINVAL when event or id contains CR, LF or NUL. */
int fg_sse_write_event(fg_buf *out, const char *event, const char *id, const char *data,
                       size_t len);
/* Appends ": text\n" (a comment, used as a keep-alive); text must be one line. */
int fg_sse_write_comment(fg_buf *out, const char *text);

#endif
