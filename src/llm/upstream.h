/* A streaming HTTP request to an LLM upstream, shared by the providers: the
 * HTTP call on the loop's client, status and Retry-After, error bodies,
 * backpressure and aborts. A protocol supplies how the body of a 200 answer is
 * read (SSE, AWS event-stream, JSON) and turned into canonical events. */
#ifndef FG_LLM_UPSTREAM_H
#define FG_LLM_UPSTREAM_H

#include "llm/llm_int.h"

typedef struct fg_upstream fg_upstream;

typedef struct fg_upstream_proto {
    /* Body bytes of a 200 answer. Emit events with fg__upstream_emit; on a
     * protocol failure call fg__upstream_fail. */
    void (*feed)(fg_upstream *u, const char *data, size_t len);
    /* The body ended without a transport error: emit DONE, or fail when the
     * answer was incomplete. */
    void (*finish)(fg_upstream *u);
    /* Frees the protocol's state (ps). */
    void (*release)(void *ps);
} fg_upstream_proto;

struct fg_upstream {
    fg_llm_attempt *a;
    fg_http_call *http;
    const fg_upstream_proto *proto;
    void *ps;
    int status;
    long retry_after_ms;
    fg_buf errbody;
    bool failed, in_data, aborted;
    bool orphaned; /* the attempt ended before the transfer: u->a is gone, the rest is read and dropped */
};

int fg__upstream_start(fg_llm_attempt *a, const fg_upstream_proto *proto, void *ps,
                       const char *url, const char *const *headers, const char *body,
                       size_t body_len);
void fg__upstream_abort(fg_llm_attempt *a);
void fg__upstream_resume(fg_llm_attempt *a);
void fg__upstream_emit(fg_upstream *u, const fg_llm_event *ev);
void fg__upstream_fail(fg_upstream *u, int status, bool retryable, const char *type, const char *msg);

struct fg_sse_parser;
/* Feeds body bytes to an SSE parser; a malformed or oversized stream fails the
 * attempt (for the SSE-speaking protocols). */
void fg__upstream_feed_sse(fg_upstream *u, struct fg_sse_parser *parser, const char *data, size_t len);

/* Adds the provider's configured extra headers ("Name: value") to list, which
 * has room for max entries; storage holds the formatted lines. */
int fg__upstream_extra_headers(const fg_llm_provider *p, const char **list, int n, int max,
                               char storage[][512], int nstorage);

#endif
