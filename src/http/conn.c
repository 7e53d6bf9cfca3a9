/* One client connection: reading and parsing requests with llhttp, the limits
 * (431, 413, 408, idle close), handing a complete request to the router, writing
 * responses (whole or chunked) with a count of queued bytes for backpressure, and
 * telling an in-flight handler when its client went away. A connection that
 * opens with the HTTP/2 preface is handed to h2.c (CONN_H2), and the response
 * API below forwards a stream's request (req->h2s) there. */
#include "http/http_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct write_req {
    uv_write_t w;
    fg_http_conn *c;
    size_t len;
    char data[];
} write_req;

static const llhttp_settings_t *parser_settings(void);
static void conn_read_start(fg_http_conn *c);
static void conn_feed(fg_http_conn *c, const char *data, size_t len);
static void conn_close(fg_http_conn *c);

static const fg_http_limits *limits(const fg_http_conn *c)
{
    return &c->w->server->opts.limits;
}

/* --- requests --------------------------------------------------------------- */

/* A request's id names it in logs and x-request-id: unique, not secret. Each
 * thread walks a splitmix64 sequence from a seed of the CSPRNG: nanoseconds
 * per request, where RAND_bytes made a system call (its fork check) each time. */
static void new_request_id(char out[17])
{
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        fg_rand_bytes(&state, sizeof state);
        seeded = true;
    }
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(z >> (8 * i));
    fg_hex_encode(b, sizeof b, out);
}

static fg_http_req *req_new(fg_http_conn *c)
{
    fg_http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->arena = fg_arena_create(0);
    if (!r->arena) {
        free(r);
        return NULL;
    }
    r->c = c;
    r->start_ns = fg_clock_mono_ns();
    fg_buf_init(&r->url, limits(c)->max_header_bytes);
    fg_buf_init(&r->body, limits(c)->max_body_bytes);
    fg_buf_init(&r->resp_headers, 64 * 1024);
    new_request_id(r->id);
    return r;
}

static void req_free(fg_http_req *r)
{
    fg_buf_free(&r->url);
    fg_buf_free(&r->body);
    fg_buf_free(&r->resp_headers);
    fg_arena_destroy(r->arena);
    free(r);
}

/* --- timers ---------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    fg_http_conn *c = t->data;
    if (c->state == CONN_READING) {
        c->error_status = 408;
        fg_http_req *r = c->req;
        if (r) {
            r->keep_alive = false;
            fg_http_respond_error(r, 408, "request_timeout",
                                  "the request did not arrive in time");
            return;
        }
    }
    if (c->state == CONN_IDLE)
        conn_close(c);
}

static void timer_arm(fg_http_conn *c, uint64_t ms)
{
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* --- writing --------------------------------------------------------------- */

static void on_written(uv_write_t *w, int status)
{
    write_req *wr = (write_req *)w;
    fg_http_conn *c = wr->c;
    c->queued_bytes -= wr->len;
    free(wr);
    if (status < 0 || c->state == CONN_CLOSING)
        return;
    if (c->state == CONN_WS) {
        fg__ws_on_written(c->ws);
        return;
    }
    if (c->state == CONN_H2) {
        fg__h2_on_written(c->h2);
        return;
    }
    fg_http_req *r = c->req;
    if (r && r->drain_wanted && c->queued_bytes <= limits(c)->write_buffer_bytes / 2) {
        r->drain_wanted = false;
        if (r->on_drain)
            r->on_drain(r, r->drain_ud);
    }
}

static int conn_write(fg_http_conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
    if (c->state == CONN_CLOSING)
        return FG_ECANCELED;
    write_req *wr = malloc(sizeof *wr + alen + blen);
    if (!wr)
        return FG_ENOMEM;
    memcpy(wr->data, a, alen);
    if (blen)
        memcpy(wr->data + alen, b, blen);
    wr->c = c;
    wr->len = alen + blen;
    uv_buf_t buf = uv_buf_init(wr->data, (unsigned)wr->len);
    int rc = uv_write(&wr->w, (uv_stream_t *)&c->tcp, &buf, 1, on_written);
    if (rc < 0) {
        free(wr);
        conn_close(c);
        return FG_EIO;
    }
    c->queued_bytes += wr->len;
    return FG_OK;
}

/* --- closing --------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    fg_http_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    fg_http_worker *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    atomic_fetch_sub(&w->server->nconns, 1);
    fg_buf_free(&c->pending);
    fg_buf_free(&c->field);
    fg_buf_free(&c->value);
    free(c);
    if (w->stopping && w->nconns == 0)
        uv_async_send(&w->wakeup);
}

/* Closes the connection. A request still owned by a handler is detached and
 * marked aborted; the handler's on_abort runs so it can cancel its work. */
static void conn_close(fg_http_conn *c)
{
    if (c->state == CONN_CLOSING)
        return;
    conn_state was = c->state;
    c->state = CONN_CLOSING;
    if (was == CONN_WS && c->ws) {
        struct fg_ws *ws = c->ws;
        c->ws = NULL;
        fg__ws_on_conn_closed(ws);
    }
    if (was == CONN_H2 && c->h2) {
        struct fg_h2 *h2 = c->h2;
        c->h2 = NULL;
        fg__h2_on_conn_closed(h2);
    }
    fg_http_req *r = c->req;
    c->req = NULL;
    if (r) {
        r->c = NULL;
        if (was == CONN_HANDLING && !r->ended) {
            r->aborted = true;
            if (r->on_abort)
                r->on_abort(r, r->abort_ud);
        } else if (!r->ended) {
            req_free(r); /* never reached a handler */
        }
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_shutdown_done(uv_shutdown_t *s, int status)
{
    fg_http_conn *c = s->data;
    free(s);
    conn_close(c);
}

/* Closes after the queued output has been flushed. */
static void conn_close_after_flush(fg_http_conn *c)
{
    uv_shutdown_t *s = malloc(sizeof *s);
    if (!s || uv_shutdown(s, (uv_stream_t *)&c->tcp, on_shutdown_done) < 0) {
        free(s);
        conn_close(c);
        return;
    }
    s->data = c;
}

/* --- finishing a request ------------------------------------------------- */

static void req_finish(fg_http_req *r)
{
    r->ended = true;
    fg__http_access_log(r);
    if (r->h2s) { /* the stream stays until its queued bytes are sent */
        fg__h2_req_released(r);
        req_free(r);
        return;
    }
    fg_http_conn *c = r->c;
    bool keep = r->keep_alive;
    req_free(r);
    if (!c)
        return;
    c->req = NULL;
    if (!keep || c->w->stopping || c->error_status) {
        conn_close_after_flush(c);
        return;
    }
    c->state = CONN_IDLE;
    c->header_bytes = 0;
    llhttp_resume(&c->parser);
    timer_arm(c, limits(c)->idle_timeout_ms);
    if (c->read_stopped)
        conn_read_start(c);
    if (c->pending.len) {
        fg_buf rest = c->pending;
        fg_buf_init(&c->pending, FG_HTTP_PENDING_MAX);
        conn_feed(c, rest.data, rest.len);
        fg_buf_free(&rest);
    } else if (c->eof) {
        conn_close(c);
    }
}

/* --- response API ---------------------------------------------------------- */

void fg_http_resp_header(fg_http_req *r, const char *name, const char *value)
{
    if (r->started || r->ended)
        return;
    fg_buf_printf(&r->resp_headers, "%s: %s\r\n", name, value);
}

static void build_head(fg_http_req *r, fg_buf *head, int status, const char *ctype,
                       long long content_length)
{
    uint64_t now = fg_clock_mono_ns();
    uint64_t total = now - r->start_ns;
    uint64_t overhead = total > r->upstream_ns ? total - r->upstream_ns : 0;
    fg_buf_printf(head, "HTTP/1.1 %d %s\r\n", status, fg_http_status_text(status));
    if (ctype)
        fg_buf_printf(head, "Content-Type: %s\r\n", ctype);
    if (content_length >= 0)
        fg_buf_printf(head, "Content-Length: %lld\r\n", content_length);
    else
        fg_buf_puts(head, "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n");
    if (!r->keep_alive)
        fg_buf_puts(head, "Connection: close\r\n");
    fg_buf_printf(head, "x-request-id: %s\r\nx-flowgate-overhead-ms: %.3f\r\n", r->id,
                  (double)overhead / 1e6);
    if (r->resp_headers.len)
        fg_buf_append(head, r->resp_headers.data, r->resp_headers.len);
    fg_buf_puts(head, "\r\n");
}

static void prepare_response(fg_http_req *r)
{
    fg_http_conn *c = r->c;
    if (c && (c->w->stopping || c->eof))
        r->keep_alive = false;
}

void fg_http_respond(fg_http_req *r, int status, const char *ctype, const char *body, size_t len)
{
    if (r->ended)
        return;
    if (r->started) { /* a handler that already streamed: end the stream */
        fg_http_stream_end(r);
        return;
    }
    r->status = status;
    if (!r->c) { /* client gone */
        req_finish(r);
        return;
    }
    bool head_only = strcmp(r->method ? r->method : "", "HEAD") == 0;
    if (r->h2s) {
        fg__h2_respond(r, ctype, body, len, head_only);
        r->bytes_out += len;
        r->first_byte_ns = fg_clock_mono_ns();
        req_finish(r);
        return;
    }
    prepare_response(r);
    fg_buf head;
    fg_buf_init(&head, 128 * 1024);
    build_head(r, &head, status, ctype, (long long)len);
    conn_write(r->c, head.data, head.len, body, head_only ? 0 : len);
    r->bytes_out += len;
    r->first_byte_ns = fg_clock_mono_ns();
    fg_buf_free(&head);
    req_finish(r);
}

void fg_http_respond_error(fg_http_req *r, int status, const char *type, const char *msg)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"error\":{\"message\":");
    fg_json_escape(&b, msg, strlen(msg));
    fg_buf_puts(&b, ",\"type\":");
    fg_json_escape(&b, type, strlen(type));
    fg_buf_printf(&b, ",\"code\":%d}}", status);
    fg_http_respond(r, status, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

int fg_http_stream_start(fg_http_req *r, int status, const char *ctype)
{
    if (r->started || r->ended)
        return FG_EINVAL;
    r->status = status;
    r->chunked = true;
    if (!r->c) {
        r->started = true;
        return FG_ECANCELED;
    }
    if (r->h2s) {
        r->started = true;
        return fg__h2_stream_start(r, ctype);
    }
    prepare_response(r);
    fg_buf head;
    fg_buf_init(&head, 128 * 1024);
    build_head(r, &head, status, ctype, -1);
    r->started = true;
    int rc = conn_write(r->c, head.data, head.len, NULL, 0);
    fg_buf_free(&head);
    return rc;
}

int fg_http_stream_write(fg_http_req *r, const void *data, size_t len)
{
    if (!r->started || r->ended)
        return FG_EINVAL;
    if (!r->c)
        return FG_ECANCELED;
    if (len == 0)
        return FG_OK;
    if (!r->first_byte_ns)
        r->first_byte_ns = fg_clock_mono_ns();
    if (r->h2s) {
        int rc = fg__h2_stream_write(r, data, len);
        if (rc == FG_OK || rc == FG_EAGAIN)
            r->bytes_out += len;
        return rc;
    }
    char size[24];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    write_req *wr = malloc(sizeof *wr + (size_t)n + len + 2);
    if (!wr)
        return FG_ENOMEM;
    memcpy(wr->data, size, (size_t)n);
    memcpy(wr->data + n, data, len);
    memcpy(wr->data + n + len, "\r\n", 2);
    wr->c = r->c;
    wr->len = (size_t)n + len + 2;
    uv_buf_t buf = uv_buf_init(wr->data, (unsigned)wr->len);
    if (uv_write(&wr->w, (uv_stream_t *)&r->c->tcp, &buf, 1, on_written) < 0) {
        free(wr);
        conn_close(r->c);
        return FG_ECANCELED;
    }
    r->c->queued_bytes += wr->len;
    r->bytes_out += len;
    if (r->c->queued_bytes > limits(r->c)->write_buffer_bytes) {
        r->drain_wanted = true;
        return FG_EAGAIN;
    }
    return FG_OK;
}

void fg_http_stream_end(fg_http_req *r)
{
    if (r->ended)
        return;
    if (r->h2s && r->started)
        fg__h2_stream_end(r);
    else if (r->c && r->started)
        conn_write(r->c, "0\r\n\r\n", 5, NULL, 0);
    req_finish(r);
}

bool fg_http_stream_started(const fg_http_req *r)
{
    return r->started;
}

void fg_http_req_on_abort(fg_http_req *r, fg_http_req_cb cb, void *ud)
{
    r->on_abort = cb;
    r->abort_ud = ud;
}

void fg_http_req_on_drain(fg_http_req *r, fg_http_req_cb cb, void *ud)
{
    r->on_drain = cb;
    r->drain_ud = ud;
}

bool fg_http_req_aborted(const fg_http_req *r)
{
    return r->aborted;
}

void fg_http_req_cut(fg_http_req *r)
{
    if (r->h2s)
        fg__h2_cut(r);
    else if (r->c)
        conn_close(r->c);
}

/* --- parser callbacks ------------------------------------------------------ */

static fg_http_conn *conn_of(llhttp_t *p)
{
    return p->data;
}

static int count_header_bytes(fg_http_conn *c, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes > limits(c)->max_header_bytes) {
        c->error_status = 431;
        return HPE_USER;
    }
    return HPE_OK;
}

static int on_message_begin(llhttp_t *p)
{
    fg_http_conn *c = conn_of(p);
    c->req = req_new(c);
    if (!c->req)
        return HPE_USER;
    c->state = CONN_READING;
    c->header_bytes = 0;
    timer_arm(c, limits(c)->request_timeout_ms);
    return HPE_OK;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    fg_http_conn *c = conn_of(p);
    if (count_header_bytes(c, len))
        return HPE_USER;
    return fg_buf_append(&c->req->url, at, len) ? HPE_USER : HPE_OK;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    fg_http_conn *c = conn_of(p);
    if (count_header_bytes(c, len))
        return HPE_USER;
    return fg_buf_append(&c->field, at, len) ? HPE_USER : HPE_OK;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    fg_http_conn *c = conn_of(p);
    if (count_header_bytes(c, len))
        return HPE_USER;
    return fg_buf_append(&c->value, at, len) ? HPE_USER : HPE_OK;
}

static int on_header_value_complete(llhttp_t *p)
{
    fg_http_conn *c = conn_of(p);
    fg_http_req *r = c->req;
    if (r->nheaders >= FG_HTTP_MAX_HEADERS) {
        c->error_status = 431;
        return HPE_USER;
    }
    fg_http_kv *kv = &r->headers[r->nheaders++];
    kv->name = fg_arena_strndup(r->arena, c->field.data ? c->field.data : "", c->field.len);
    kv->value = fg_arena_strndup(r->arena, c->value.data ? c->value.data : "", c->value.len);
    fg_buf_reset(&c->field);
    fg_buf_reset(&c->value);
    return kv->name && kv->value ? HPE_OK : HPE_USER;
}

static int on_headers_complete(llhttp_t *p)
{
    fg_http_conn *c = conn_of(p);
    fg_http_req *r = c->req;
    r->method = llhttp_method_name((llhttp_method_t)p->method);
    char *url = fg_arena_strndup(r->arena, r->url.data ? r->url.data : "", r->url.len);
    char *q = url ? strchr(url, '?') : NULL;
    if (q)
        *q++ = '\0';
    r->path = url ? url : "/";
    r->query = q ? q : "";
    /* After an upgrade request (or CONNECT) the bytes that follow are in
     * another protocol: if a route answers it without upgrading, the
     * connection ends with that answer. */
    r->keep_alive = llhttp_should_keep_alive(p) && !p->upgrade;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > limits(c)->max_body_bytes) {
        c->error_status = 413;
        return HPE_USER;
    }
    return HPE_OK;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    fg_http_conn *c = conn_of(p);
    if (fg_buf_append(&c->req->body, at, len)) {
        c->error_status = 413;
        return HPE_USER;
    }
    return HPE_OK;
}

static int on_message_complete(llhttp_t *p)
{
    fg_http_conn *c = conn_of(p);
    uv_timer_stop(&c->timer);
    c->state = CONN_HANDLING;
    return HPE_PAUSED;
}

static const llhttp_settings_t *parser_settings(void)
{
    static llhttp_settings_t s;
    static bool init;
    if (!init) { /* written once by each thread with identical values */
        llhttp_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_url = on_url;
        s.on_header_field = on_header_field;
        s.on_header_value = on_header_value;
        s.on_header_value_complete = on_header_value_complete;
        s.on_headers_complete = on_headers_complete;
        s.on_body = on_body;
        s.on_message_complete = on_message_complete;
        init = true;
    }
    return &s;
}

/* --- reading --------------------------------------------------------------- */

static void reject(fg_http_conn *c, int status)
{
    static const char *const msgs[] = {
        [0] = "malformed HTTP request",
    };
    const char *type = status == 431   ? "request_header_fields_too_large"
                       : status == 413 ? "request_too_large"
                                       : "bad_request";
    const char *msg = status == 431   ? "request headers exceed the server's limit"
                      : status == 413 ? "request body exceeds the server's limit"
                                      : msgs[0];
    fg_http_req *r = c->req;
    if (!r) {
        r = c->req = req_new(c);
        if (!r) {
            conn_close(c);
            return;
        }
    }
    if (!r->method)
        r->method = "-";
    if (!r->path)
        r->path = "-";
    c->error_status = status;
    c->state = CONN_HANDLING;
    r->keep_alive = false;
    fg_http_respond_error(r, status, type, msg);
}

static void conn_feed(fg_http_conn *c, const char *data, size_t len)
{
    llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
    if (err == HPE_OK)
        return;
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
        const char *pos = llhttp_get_error_pos(&c->parser);
        size_t used = pos ? (size_t)(pos - data) : len;
        if (used < len && fg_buf_append(&c->pending, data + used, len - used)) {
            c->error_status = 400;
        }
        fg_http_req *r = c->req;
        if (!r) { /* paused with no request: nothing more may be read */
            conn_close(c);
            return;
        }
        if (err == HPE_PAUSED_UPGRADE)
            r->keep_alive = false; /* upgrades are handled by routes that accept them */
        fg__http_dispatch(r);
        return;
    }
    reject(c, c->error_status ? c->error_status : 400);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static _Thread_local char slab[64 * 1024];
    *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    fg_http_conn *c = s->data;
    if (c->state == CONN_H2) {
        if (n < 0)
            conn_close(c);
        else if (n > 0)
            fg__h2_on_data(c->h2, buf->base, (size_t)n);
        return;
    }
    if (c->state == CONN_WS) {
        if (n < 0)
            conn_close(c);
        else if (n > 0)
            fg__ws_on_data(c->ws, buf->base, (size_t)n);
        return;
    }
    if (n < 0) {
        c->eof = true;
        if (c->state == CONN_HANDLING && c->req && !c->req->ended) {
            /* The client went away (or half-closed) while its request runs. */
            conn_close(c);
        } else if (c->state != CONN_HANDLING) {
            conn_close(c);
        }
        return;
    }
    if (n == 0)
        return;
    if (c->state == CONN_HANDLING) {
        /* Pipelined bytes: keep them for after the response, up to a ceiling. */
        if (fg_buf_append(&c->pending, buf->base, (size_t)n)) {
            uv_read_stop(s);
            c->read_stopped = true;
        }
        return;
    }
    if (c->state == CONN_CLOSING)
        return;
    if (!c->got_bytes) {
        c->got_bytes = true;
        if (c->state == CONN_IDLE && fg__h2_is_preface(buf->base, (size_t)n)) {
            fg__h2_start(c, buf->base, (size_t)n);
            return;
        }
    }
    conn_feed(c, buf->base, (size_t)n);
}

static void conn_read_start(fg_http_conn *c)
{
    c->read_stopped = false;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* --- accepting --------------------------------------------------------------- */

void fg__http_conn_accept(fg_http_worker *w)
{
    fg_http_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->w = w;
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->prev = NULL;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    size_t total = atomic_fetch_add(&w->server->nconns, 1) + 1;
    if (uv_accept((uv_stream_t *)&w->listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    fg_buf_init(&c->pending, FG_HTTP_PENDING_MAX);
    fg_buf_init(&c->field, w->server->opts.limits.max_header_bytes);
    fg_buf_init(&c->value, w->server->opts.limits.max_header_bytes);
    if (total > w->server->opts.limits.max_connections || w->stopping) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                   "Connection: close\r\n\r\n";
        conn_write(c, busy, sizeof busy - 1, NULL, 0);
        conn_close_after_flush(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_REQUEST, parser_settings());
    c->parser.data = c;
    c->state = CONN_IDLE;
    timer_arm(c, w->server->opts.limits.idle_timeout_ms);
    conn_read_start(c);
}

int fg__http_conn_write(fg_http_conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
    return conn_write(c, a, alen, b, blen);
}

void fg__http_conn_close(fg_http_conn *c)
{
    conn_close(c);
}

void fg__http_conn_close_after_flush(fg_http_conn *c)
{
    conn_close_after_flush(c);
}

fg_http_req *fg__http_req_new(fg_http_conn *c)
{
    return req_new(c);
}

void fg__http_req_free(fg_http_req *r)
{
    req_free(r);
}

void fg__http_req_upgraded(fg_http_req *r)
{
    r->status = 101;
    r->ended = true;
    fg__http_access_log(r);
    if (r->c)
        r->c->req = NULL;
    req_free(r);
}

/* Graceful: idle connections close now, busy ones after their response. */
void fg__http_conn_shutdown(fg_http_conn *c)
{
    if (c->state == CONN_H2) {
        fg__h2_shutdown(c->h2);
        return;
    }
    if (c->state == CONN_IDLE || c->state == CONN_WS)
        conn_close(c);
    else if (c->req)
        c->req->keep_alive = false;
}

/* Past the grace period: cut whatever is still running. */
void fg__http_conn_cut(fg_http_conn *c)
{
    conn_close(c);
}

/* --- request accessors ------------------------------------------------------- */

const char *fg_http_req_method(const fg_http_req *r) { return r->method; }
const char *fg_http_req_path(const fg_http_req *r) { return r->path; }
const char *fg_http_req_query(const fg_http_req *r) { return r->query; }
fg_arena *fg_http_req_arena(fg_http_req *r) { return r->arena; }
uint64_t fg_http_req_start_ns(const fg_http_req *r) { return r->start_ns; }
const char *fg_http_req_id(const fg_http_req *r) { return r->id; }

fg_http_worker *fg_http_req_worker(fg_http_req *r)
{
    return r->c ? r->c->w : NULL;
}

const char *fg_http_req_header(const fg_http_req *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

const char *fg_http_req_body(const fg_http_req *r, size_t *len)
{
    if (len)
        *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

const char *fg_http_req_param(const fg_http_req *r, const char *name)
{
    for (int i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

void fg_http_req_add_upstream_ns(fg_http_req *r, uint64_t ns)
{
    r->upstream_ns += ns;
}

void fg_http_req_set_label(fg_http_req *r, const char *label)
{
    snprintf(r->label, sizeof r->label, "%s", label);
}
