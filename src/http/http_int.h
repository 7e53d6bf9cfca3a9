/* Private to src/http: the layouts of workers, connections and requests. */
#ifndef FG_HTTP_HTTP_INT_H
#define FG_HTTP_HTTP_INT_H

#include "http/http.h"

#include <llhttp.h>
#include <pthread.h>
#include <stdatomic.h>

#define FG_HTTP_MAX_HEADERS 100
#define FG_HTTP_MAX_PARAMS 8
#define FG_HTTP_WORKER_DATA 8
#define FG_HTTP_PENDING_MAX (64 * 1024)

typedef struct fg_http_conn fg_http_conn;

typedef struct fg_http_kv {
    const char *name, *value;
} fg_http_kv;

struct fg_http_worker {
    fg_http_server *server;
    int index;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t wakeup;
    uv_timer_t grace;
    uv_async_t posted;          /* post.c: callbacks from other threads */
    pthread_mutex_t post_lock;
    struct fg__http_post *post_head, *post_tail;
    bool post_closed;
    pthread_t thread;
    fg_http_conn *conns; /* every open connection, for shutdown */
    size_t nconns;
    bool stopping, stopped_callbacks;
    struct {
        const char *key;
        void *data;
    } data[FG_HTTP_WORKER_DATA];
};

struct fg_http_server {
    fg_http_server_opts opts;
    fg_http_worker *workers;
    int nworkers;
    int port;
    atomic_size_t nconns;
    atomic_bool shutting_down;
};

typedef enum conn_state {
    CONN_IDLE,     /* waiting for the first byte of a request */
    CONN_READING,  /* a request is arriving */
    CONN_HANDLING, /* a handler owns the request */
    CONN_WS,       /* upgraded to WebSocket (ws.c) */
    CONN_H2,       /* HTTP/2 with prior knowledge (h2.c) */
    CONN_CLOSING   /* uv_close called */
} conn_state;

struct fg_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    fg_http_worker *w;
    llhttp_t parser;
    conn_state state;
    fg_http_req *req;
    fg_buf pending;       /* bytes after the current request (pipelining) */
    fg_buf field, value;  /* the header being parsed */
    size_t header_bytes;
    size_t queued_bytes;  /* written but not yet flushed to the socket */
    bool read_stopped;
    bool eof;
    int error_status;     /* set by a parser callback: 413 or 431 */
    int open_handles;
    struct fg_ws *ws;     /* CONN_WS */
    struct fg_h2 *h2;     /* CONN_H2 */
    bool got_bytes;       /* the first bytes decide HTTP/1.1 or HTTP/2 */
    fg_http_conn *prev, *next;
};

struct fg_http_req {
    fg_http_conn *c;      /* NULL once the connection is gone */
    struct fg_h2_stream *h2s; /* an HTTP/2 request: its stream, NULL once reset */
    fg_arena *arena;
    const char *method, *path, *query;
    fg_buf url;
    fg_http_kv headers[FG_HTTP_MAX_HEADERS];
    int nheaders;
    fg_http_kv params[FG_HTTP_MAX_PARAMS];
    int nparams;
    fg_buf body;
    fg_buf resp_headers;
    int status;
    bool keep_alive, started, ended, aborted, chunked;
    bool http2;           /* arrived on an HTTP/2 stream (access log) */
    bool dispatched;      /* counted in the in-flight gauge */
    fg_http_req_cb on_abort, on_drain;
    void *abort_ud, *drain_ud;
    bool drain_wanted;
    uint64_t start_ns, upstream_ns, first_byte_ns;
    size_t bytes_out;
    char id[17];
    char label[128];
    char route[96];
};

/* conn.c */
void fg__http_conn_accept(fg_http_worker *w);
int fg__http_conn_write(fg_http_conn *c, const char *a, size_t alen, const char *b, size_t blen);
void fg__http_conn_close(fg_http_conn *c);
void fg__http_conn_close_after_flush(fg_http_conn *c);
fg_http_req *fg__http_req_new(fg_http_conn *c);
void fg__http_req_free(fg_http_req *r);
/* Ends a request whose connection now belongs to a WebSocket (status 101). */
void fg__http_req_upgraded(fg_http_req *req);

/* ws.c */
void fg__ws_on_data(struct fg_ws *ws, const char *data, size_t len);
void fg__ws_on_written(struct fg_ws *ws);
void fg__ws_on_conn_closed(struct fg_ws *ws);
void fg__http_conn_shutdown(fg_http_conn *c);
void fg__http_conn_cut(fg_http_conn *c);

/* h2.c: HTTP/2 connections (a conn in CONN_H2) and their streams. */
bool fg__h2_is_preface(const char *data, size_t len);
void fg__h2_start(fg_http_conn *c, const char *data, size_t len);
void fg__h2_on_data(struct fg_h2 *h2, const char *data, size_t len);
void fg__h2_on_written(struct fg_h2 *h2);
void fg__h2_on_conn_closed(struct fg_h2 *h2);
void fg__h2_shutdown(struct fg_h2 *h2);
/* The response side of a stream's request (conn.c's API calls these). */
int fg__h2_respond(fg_http_req *r, const char *ctype, const char *body, size_t len, bool head);
int fg__h2_stream_start(fg_http_req *r, const char *ctype);
int fg__h2_stream_write(fg_http_req *r, const void *data, size_t len);
void fg__h2_stream_end(fg_http_req *r);
void fg__h2_req_released(fg_http_req *r);
void fg__h2_cut(fg_http_req *r);

/* post.c */
void fg__http_post_init(fg_http_worker *w);
/* Runs what is still queued and refuses later posts (on the loop thread). */
void fg__http_post_close(fg_http_worker *w);
void fg__http_post_destroy(fg_http_worker *w);

/* router.c */
const fg_http_router *fg__http_router(const fg_http_worker *w);
void fg__http_dispatch(fg_http_req *req);

/* access.c */
void fg__http_access_log(fg_http_req *req);

#endif
