/* The HTTP server: one libuv event loop per worker thread; HTTP/1.1 requests
 * parsed by llhttp, HTTP/2 (prior knowledge) streams by libnghttp2, both handed
 * to the same handlers; responses written whole or streamed with backpressure. Handlers run
 * on the worker's loop and must not block (use fg_http_worker_queue_work for
 * blocking work). */
#ifndef FG_HTTP_HTTP_H
#define FG_HTTP_HTTP_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct fg_http_server fg_http_server;
typedef struct fg_http_worker fg_http_worker;
typedef struct fg_http_req fg_http_req;
typedef struct fg_http_router fg_http_router;

typedef struct fg_http_limits {
    size_t max_header_bytes;    /* request line + headers; over: 431 */
    size_t max_body_bytes;      /* over: 413 */
    uint64_t request_timeout_ms; /* whole request must arrive within; else 408 */
    uint64_t idle_timeout_ms;   /* keep-alive connection idle; then closed */
    size_t write_buffer_bytes;  /* queued output that triggers backpressure */
    size_t max_connections;
    uint64_t shutdown_grace_ms;
} fg_http_limits;

typedef struct fg_http_server_opts {
    const char *host;
    int port;                   /* 0: pick a free port (see fg_http_server_port) */
    int workers;                /* event-loop threads; 0: one per core */
    fg_http_limits limits;
    bool access_log;
    fg_http_router *router;     /* routes; owned by the caller, read-only once started */
    /* Called on each worker's loop thread when it starts and stops (the place to
     * create per-loop state such as an HTTP client). */
    void (*on_worker_start)(fg_http_worker *w, void *ud);
    void (*on_worker_stop)(fg_http_worker *w, void *ud);
    void *ud;
} fg_http_server_opts;

void fg_http_limits_default(fg_http_limits *l);

int fg_http_server_start(const fg_http_server_opts *opts, fg_http_server **out, fg_errbuf *eb);
int fg_http_server_port(const fg_http_server *s);
/* Begins a graceful shutdown: stop accepting, let in-flight requests finish
 * within the grace period, then cut them. Safe from any thread. */
void fg_http_server_shutdown(fg_http_server *s);
/* Waits for every worker to stop, then frees the server. */
void fg_http_server_join(fg_http_server *s);

/* --- workers ------------------------------------------------------------- */

uv_loop_t *fg_http_worker_loop(fg_http_worker *w);
int fg_http_worker_index(const fg_http_worker *w);
void fg_http_worker_set_data(fg_http_worker *w, const char *key, void *data);
void *fg_http_worker_data(fg_http_worker *w, const char *key);
bool fg_http_worker_stopping(const fg_http_worker *w);
/* Runs fn(w, ud) on w's loop thread soon, in the order posted. Safe from any
 * thread. Returns 0, or FG_ECANCELED once the worker has stopped (fn will not
 * run: the caller releases ud). Work posted before the stop still runs, after
 * on_worker_stop. */
typedef void (*fg_http_worker_fn)(fg_http_worker *w, void *ud);
int fg_http_worker_post(fg_http_worker *w, fg_http_worker_fn fn, void *ud);
/* The workers of a started server (for services that spread work over them). */
int fg_http_server_nworkers(const fg_http_server *s);
fg_http_worker *fg_http_server_worker(fg_http_server *s, int i);

/* --- requests ------------------------------------------------------------ */

typedef void (*fg_http_handler)(fg_http_req *req, void *ud);

const char *fg_http_req_method(const fg_http_req *req);
const char *fg_http_req_path(const fg_http_req *req);   /* without the query string */
const char *fg_http_req_query(const fg_http_req *req);  /* after '?', or "" */
/* A query-string parameter, URL-decoded, or NULL. */
const char *fg_http_req_query_param(fg_http_req *req, const char *name);
/* Case-insensitive header lookup; NULL if absent. */
const char *fg_http_req_header(const fg_http_req *req, const char *name);
const char *fg_http_req_body(const fg_http_req *req, size_t *len);
/* A path parameter captured by the route pattern ({name}), URL-decoded. */
const char *fg_http_req_param(const fg_http_req *req, const char *name);
fg_arena *fg_http_req_arena(fg_http_req *req);
fg_http_worker *fg_http_req_worker(fg_http_req *req);
/* Monotonic time the request's first byte arrived (ns). */
uint64_t fg_http_req_start_ns(const fg_http_req *req);
/* Request id (also sent as x-request-id). */
const char *fg_http_req_id(const fg_http_req *req);

/* Adds a response header (copied). Call before the response starts. */
void fg_http_resp_header(fg_http_req *req, const char *name, const char *value);
/* Answers with a whole body. Ends the request. */
void fg_http_respond(fg_http_req *req, int status, const char *content_type, const char *body,
                     size_t len);
/* Answers {"error": {"message": msg, "type": type}} (a generic JSON error). */
void fg_http_respond_error(fg_http_req *req, int status, const char *type, const char *msg);

/* Streaming: start (status + headers; chunked on HTTP/1.1, DATA frames on
 * HTTP/2), write pieces, end. write copies the data; it returns FG_EAGAIN when
 * more than write_buffer_bytes are queued: the producer should stop producing
 * until on_drain is called. */
int fg_http_stream_start(fg_http_req *req, int status, const char *content_type);
int fg_http_stream_write(fg_http_req *req, const void *data, size_t len);
void fg_http_stream_end(fg_http_req *req);
bool fg_http_stream_started(const fg_http_req *req);

/* Callbacks on the request's life. on_abort: the client went away or reset its
 * HTTP/2 stream (or the server is shutting down) before the response ended;
 * the handler must release its work (cancel the upstream) and then still call
 * fg_http_stream_end or fg_http_respond, which become no-ops that free the
 * request. on_drain: the write queue fell below the limit again. */
typedef void (*fg_http_req_cb)(fg_http_req *req, void *ud);
void fg_http_req_on_abort(fg_http_req *req, fg_http_req_cb cb, void *ud);
void fg_http_req_on_drain(fg_http_req *req, fg_http_req_cb cb, void *ud);
bool fg_http_req_aborted(const fg_http_req *req);
/* Closes the client connection at once without finishing the response (a
 * broken upstream, as the mock server simulates). on_abort runs. */
void fg_http_req_cut(fg_http_req *req);

/* Records upstream wait time so the access log and x-flowgate-overhead-ms can
 * subtract it from the total. */
void fg_http_req_add_upstream_ns(fg_http_req *req, uint64_t ns);
/* Labels for the access log and metrics (copied). */
void fg_http_req_set_label(fg_http_req *req, const char *model);

/* --- routing --------------------------------------------------------------- */

fg_http_router *fg_http_router_create(void);
void fg_http_router_free(fg_http_router *r);
/* pattern: "/v1/chat/completions", "/model/{modelId}/converse"; a {name} matches
 * one path segment. method "*" matches any. */
int fg_http_router_add(fg_http_router *r, const char *method, const char *pattern,
                       fg_http_handler handler, void *ud);

/* --- status ---------------------------------------------------------------- */

const char *fg_http_status_text(int status);

#endif
