/* Reading server-sent events from an upstream, incrementally: bytes in any
 * pieces, one callback per complete event (name and data), with a ceiling on
 * the size of one event. */
#ifndef FG_LLM_SSE_READER_H
#define FG_LLM_SSE_READER_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Return non-zero to stop reading (the reader then ignores further input). */
typedef int (*fg_sse_event_fn)(void *ud, const char *event, const char *data, size_t len);

typedef struct fg_sse_reader {
    fg_buf line, data;
    char event[64];
    bool stopped, overflow, last_cr;
    fg_sse_event_fn fn;
    void *ud;
} fg_sse_reader;

void fg_sse_reader_init(fg_sse_reader *r, size_t max_event, fg_sse_event_fn fn, void *ud);
void fg_sse_reader_free(fg_sse_reader *r);
/* Returns FG_ELIMIT when an event exceeds the ceiling, else FG_OK. */
int fg_sse_reader_feed(fg_sse_reader *r, const char *p, size_t n);
/* End of input: delivers a last event that had no blank line after it. */
void fg_sse_reader_finish(fg_sse_reader *r);

#endif
