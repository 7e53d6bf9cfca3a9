/* Outbound HTTP on a worker's event loop: libcurl's multi_socket interface
 * driven by libuv polls and a timer, so upstream calls share the loop with the
 * client connections. Responses stream through callbacks; a transfer can be
 * paused (backpressure) and aborted (the client went away). */
#ifndef FG_HTTP_CLIENT_H
#define FG_HTTP_CLIENT_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

typedef struct fg_http_client fg_http_client;
typedef struct fg_http_call fg_http_call;

typedef struct fg_http_call_cbs {
    /* The status line and headers arrived (headers: "name: value" lines). */
    void (*on_headers)(fg_http_call *call, int status, const char *headers, size_t len, void *ud);
    /* A piece of the body. Return FG_EAGAIN, having taken the piece, to pause
     * until fg_http_call_resume; the piece is not delivered again. */
    int (*on_data)(fg_http_call *call, const char *data, size_t len, void *ud);
    /* The transfer ended: err 0 on success, FG_ETIMEDOUT, FG_EUPSTREAM (connect or
     * protocol failure, message in msg) or FG_ECANCELED. Called exactly once, unless
     * fg_http_call_abort was called first. The call is freed after this returns. */
    void (*on_done)(fg_http_call *call, int err, const char *msg, void *ud);
} fg_http_call_cbs;

typedef struct fg_http_call_opts {
    const char *method;           /* "POST" */
    const char *url;
    const char *const *headers;   /* "Name: value", NULL-terminated */
    const char *body;
    size_t body_len;
    long connect_timeout_ms;
    long timeout_ms;              /* total; 0: none */
    size_t max_response_bytes;    /* 0: unlimited (streaming callers bound their own) */
    /* Optional address policy: asked for every address a connection is about to
     * be opened to (after DNS, so rebinding cannot slip past it); false refuses
     * it and the call ends with FG_EUPSTREAM. Set, it also turns proxies off so
     * the address checked is the one connected to. */
    bool (*allow_address)(const struct sockaddr *addr, void *ud);
    void *allow_address_ud;
} fg_http_call_opts;

fg_http_client *fg_http_client_create(uv_loop_t *loop);
/* Aborts every transfer (no callbacks) and closes the handles; the client frees
 * itself once libuv has released them. */
void fg_http_client_destroy(fg_http_client *c);

int fg_http_call_start(fg_http_client *c, const fg_http_call_opts *opts,
                       const fg_http_call_cbs *cbs, void *ud, fg_http_call **out);
void fg_http_call_resume(fg_http_call *call);
/* Stops the transfer and closes its connection; no callback follows. */
void fg_http_call_abort(fg_http_call *call);

#endif
