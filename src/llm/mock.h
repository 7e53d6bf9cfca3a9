/* The mock model: deterministic text at a configurable pace, with faults on
 * demand. Used by the in-process `mock` provider and by `flowgate mock-llm`,
 * the mock upstream that tests and benchmarks call over loopback.
 *
 * Per-request settings come from a directive anywhere in the last user message,
 *   [mock: tokens=20 ttft=50 delay=5 fault=stream-error after=3 retry_after=1]
 * and a scripted answer from [mock-reply]text[/mock-reply]. Faults: http-500,
 * http-429 (with Retry-After), stream-error (an error inside the stream after
 * `after` tokens), truncate (the connection drops after `after` tokens), hang
 * (headers, then nothing). */
#ifndef FG_LLM_MOCK_H
#define FG_LLM_MOCK_H

#include <stdint.h>
#include <stddef.h>
#include <uv.h>

typedef struct fg_mock_spec {
    long tokens;          /* answer length in tokens (default 16) */
    long ttft_ms;         /* delay before the first token */
    long delay_ms;        /* delay between tokens */
    char fault[16];       /* "" or a fault name */
    long fault_after;     /* tokens sent before stream-error / truncate */
    long retry_after_s;
    char reply[4096];     /* scripted answer ("" for generated words) */
    uint32_t seed;        /* from the prompt text */
} fg_mock_spec;

void fg_mock_spec_default(fg_mock_spec *s);
/* Applies directives found in text and seeds the generator from it. */
void fg_mock_spec_apply_text(fg_mock_spec *s, const char *text);
/* Number of tokens the answer has (scripted answers: their words). */
long fg_mock_answer_tokens(const fg_mock_spec *s);
/* The i-th token's text into out; returns its length. */
size_t fg_mock_token(const fg_mock_spec *s, long i, char *out, size_t n);
/* Rough input token count: whitespace-separated words. */
long fg_mock_count_tokens(const char *text);

/* A timer-driven token stream on a loop. */
typedef struct fg_mock_stream fg_mock_stream;
typedef struct fg_mock_stream_cbs {
    /* Returns non-zero to pause (backpressure) until fg_mock_stream_resume. */
    int (*on_token)(void *ud, const char *text, size_t len, long index);
    /* done: "stop", "length", or a fault name (stream-error, truncate). */
    void (*on_end)(void *ud, const char *how);
} fg_mock_stream_cbs;

fg_mock_stream *fg_mock_stream_start(uv_loop_t *loop, const fg_mock_spec *spec, long max_tokens,
                                     const fg_mock_stream_cbs *cbs, void *ud);
void fg_mock_stream_resume(fg_mock_stream *m);
/* Stops at once (no callback follows) and frees the stream. */
void fg_mock_stream_stop(fg_mock_stream *m);

#endif
