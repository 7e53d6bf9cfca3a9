/* HTTP/2 over cleartext with prior knowledge: a connection whose first bytes are
 * the client preface is handed here from conn.c. libnghttp2 does the framing,
 * HPACK and flow control; each stream becomes an fg_http_req for the same
 * router and handlers. Output is pulled from nghttp2 only while the socket's
 * queue is below write_buffer_bytes; a stream's response bytes wait in its own
 * buffer until the peer's window lets them go, and the handler is told to pause
 * (FG_EAGAIN) and resume (on_drain) from that buffer's size.
 *
 * Re-entrancy: nghttp2 must not be re-entered from its own callbacks, so all
 * sending happens in h2_pump, which runs the queued work (dispatching complete
 * requests, sending, drain notifications) in a loop guarded by `busy`. */
#include "http/http_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <ctype.h>
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_MAX_STREAMS 100
#define H2_SEND_CHUNK (64 * 1024)

typedef struct fg_h2_stream fg_h2_stream;
typedef struct fg_h2 fg_h2;

struct fg_h2_stream {
    fg_h2 *h2;
    int32_t id;
    fg_http_req *req;      /* NULL once the request ended */
    fg_buf out;            /* response bytes not yet taken by nghttp2 */
    size_t header_bytes;
    int error;             /* 408, 413 or 431 found while reading the request */
    bool queued, dispatched, submitted, eof, deferred, remote_done;
    fg_h2_stream *prev, *next;
};

struct fg_h2 {
    fg_http_conn *c;       /* NULL once the connection is gone */
    nghttp2_session *session;
    fg_h2_stream *streams;
    size_t nstreams;
    int32_t *pending;      /* streams whose request is complete, to dispatch */
    size_t npending, cap_pending;
    bool busy, again, goaway, closing, close_sent;
};

static void h2_pump(fg_h2 *h2);

static const fg_http_limits *limits(const fg_h2 *h2)
{
    return &h2->c->w->server->opts.limits;
}

bool fg__h2_is_preface(const char *data, size_t len)
{
    size_t n = len < sizeof H2_PREFACE - 1 ? len : sizeof H2_PREFACE - 1;
    return n >= 4 && memcmp(data, H2_PREFACE, n) == 0;
}

/* --- streams --------------------------------------------------------------- */

static fg_h2_stream *stream_of(fg_h2 *h2, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h2->session, id);
}

static void stream_unlink(fg_h2_stream *s)
{
    fg_h2 *h2 = s->h2;
    if (s->prev)
        s->prev->next = s->next;
    else
        h2->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    h2->nstreams--;
}

/* The stream is gone (closed, reset, or the connection died): a request still
 * with a handler is aborted; one that never reached a handler is freed. */
static void stream_detach_req(fg_h2_stream *s)
{
    fg_http_req *r = s->req;
    s->req = NULL;
    if (!r)
        return;
    r->h2s = NULL;
    r->c = NULL;
    if (!s->dispatched) {
        r->ended = true;
        fg__http_req_free(r);
        return;
    }
    if (!r->ended) {
        r->aborted = true;
        if (r->on_abort)
            r->on_abort(r, r->abort_ud);
    }
}

static void stream_free(fg_h2_stream *s)
{
    stream_unlink(s);
    stream_detach_req(s);
    fg_buf_free(&s->out);
    free(s);
}

static void queue_dispatch(fg_h2 *h2, fg_h2_stream *s)
{
    if (s->queued)
        return;
    if (h2->npending == h2->cap_pending) {
        size_t cap = h2->cap_pending ? h2->cap_pending * 2 : 16;
        int32_t *p = realloc(h2->pending, cap * sizeof *p);
        if (!p)
            return;
        h2->pending = p;
        h2->cap_pending = cap;
    }
    s->queued = true;
    h2->pending[h2->npending++] = s->id;
}

/* --- nghttp2 callbacks: the request side ------------------------------------ */

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    fg_h2 *h2 = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    fg_h2_stream *s = calloc(1, sizeof *s);
    fg_http_req *r = s ? fg__http_req_new(h2->c) : NULL;
    if (!r) {
        free(s);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    s->h2 = h2;
    s->id = frame->hd.stream_id;
    s->req = r;
    r->h2s = s;
    r->http2 = true;
    r->keep_alive = true;
    fg_buf_init(&s->out, 0);
    s->next = h2->streams;
    if (h2->streams)
        h2->streams->prev = s;
    h2->streams = s;
    h2->nstreams++;
    nghttp2_session_set_stream_user_data(session, s->id, s);
    return 0;
}

static void set_target(fg_http_req *r, const char *v, size_t len)
{
    char *url = fg_arena_strndup(r->arena, v, len);
    char *q = url ? strchr(url, '?') : NULL;
    if (q)
        *q++ = '\0';
    r->path = url ? url : "/";
    r->query = q ? q : "";
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    (void)flags;
    fg_h2 *h2 = ud;
    fg_h2_stream *s = stream_of(h2, frame->hd.stream_id);
    if (!s || !s->req || s->error)
        return 0;
    fg_http_req *r = s->req;
    s->header_bytes += namelen + valuelen;
    if (s->header_bytes > limits(h2)->max_header_bytes) {
        s->error = 431;
        return 0;
    }
    const char *n = (const char *)name, *v = (const char *)value;
    if (namelen == 7 && memcmp(n, ":method", 7) == 0) {
        r->method = fg_arena_strndup(r->arena, v, valuelen);
        return 0;
    }
    if (namelen == 5 && memcmp(n, ":path", 5) == 0) {
        set_target(r, v, valuelen);
        return 0;
    }
    if (namelen && n[0] == ':' && !(namelen == 10 && memcmp(n, ":authority", 10) == 0))
        return 0; /* :scheme, :protocol */
    if (r->nheaders >= FG_HTTP_MAX_HEADERS) {
        s->error = 431;
        return 0;
    }
    fg_http_kv *kv = &r->headers[r->nheaders++];
    kv->name = n[0] == ':' ? "host" : fg_arena_strndup(r->arena, n, namelen);
    kv->value = fg_arena_strndup(r->arena, v, valuelen);
    return kv->name && kv->value ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    (void)session;
    (void)flags;
    fg_h2 *h2 = ud;
    fg_h2_stream *s = stream_of(h2, id);
    if (!s || !s->req || s->error || s->dispatched)
        return 0;
    if (fg_buf_append(&s->req->body, data, len)) {
        s->error = 413;
        queue_dispatch(h2, s);
    }
    return 0;
}

static bool content_length_too_big(fg_h2 *h2, const fg_http_req *r)
{
    const char *cl = fg_http_req_header(r, "content-length");
    return cl && strtoull(cl, NULL, 10) > limits(h2)->max_body_bytes;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    (void)session;
    fg_h2 *h2 = ud;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    fg_h2_stream *s = stream_of(h2, frame->hd.stream_id);
    if (!s || !s->req)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST &&
        !s->error && content_length_too_big(h2, s->req))
        s->error = 413;
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        s->remote_done = true;
    if (s->error || s->remote_done)
        queue_dispatch(h2, s);
    return 0;
}

/* A response complete before its request (408, 413, or a handler that did not
 * wait for the body): tell the client to stop sending, without error. */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
    (void)ud;
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    fg_h2_stream *s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
    if (s && !s->remote_done)
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t id, uint32_t code, void *ud)
{
    (void)code;
    fg_h2 *h2 = ud;
    fg_h2_stream *s = stream_of(h2, id);
    if (!s)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    stream_free(s);
    h2->again = true; /* re-check idleness and shutdown */
    return 0;
}

/* --- the response side --------------------------------------------------- */

static ssize_t read_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *source, void *ud)
{
    (void)session;
    (void)id;
    (void)ud;
    fg_h2_stream *s = source->ptr;
    size_t n = s->out.len < length ? s->out.len : length;
    if (n == 0 && !s->eof) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (n) {
        memcpy(buf, s->out.data, n);
        fg_buf_consume(&s->out, n);
        s->h2->again = true; /* a paused producer may resume */
    }
    if (s->eof && s->out.len == 0)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static bool connection_specific(const char *name, size_t len)
{
    static const char *const banned[] = {"connection", "keep-alive", "proxy-connection",
                                         "transfer-encoding", "upgrade"};
    for (size_t i = 0; i < sizeof banned / sizeof *banned; i++)
        if (strlen(banned[i]) == len && strncasecmp(banned[i], name, len) == 0)
            return true;
    return false;
}

static void nv_add(nghttp2_nv *nva, size_t *n, const char *name, const char *value)
{
    nva[*n] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
                           NGHTTP2_NV_FLAG_NONE};
    (*n)++;
}

/* The handler's extra headers ("Name: value\r\n" lines), lowercased. */
static void nv_add_extra(fg_http_req *r, nghttp2_nv *nva, size_t *n, size_t cap)
{
    char *p = fg_arena_strndup(r->arena, r->resp_headers.data ? r->resp_headers.data : "",
                               r->resp_headers.len);
    while (p && *p && *n < cap) {
        char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        *eol = '\0';
        char *colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            for (char *q = p; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            if (!connection_specific(p, strlen(p)))
                nv_add(nva, n, p, v);
        }
        p = eol + 2;
    }
}

static int submit(fg_http_req *r, const char *ctype, long long content_length, bool body)
{
    fg_h2_stream *s = r->h2s;
    enum { CAP = FG_HTTP_MAX_HEADERS + 8 };
    nghttp2_nv nva[CAP];
    size_t n = 0;
    char status[8], clen[24], overhead[32];
    snprintf(status, sizeof status, "%d", r->status);
    nv_add(nva, &n, ":status", status);
    if (ctype)
        nv_add(nva, &n, "content-type", ctype);
    bool no_body_status = r->status == 204 || r->status == 304 || r->status < 200;
    if (content_length >= 0 && !no_body_status) {
        snprintf(clen, sizeof clen, "%lld", content_length);
        nv_add(nva, &n, "content-length", clen);
    } else if (content_length < 0) {
        nv_add(nva, &n, "cache-control", "no-cache");
    }
    uint64_t total = fg_clock_mono_ns() - r->start_ns;
    uint64_t ovh = total > r->upstream_ns ? total - r->upstream_ns : 0;
    snprintf(overhead, sizeof overhead, "%.3f", (double)ovh / 1e6);
    nv_add(nva, &n, "x-request-id", r->id);
    nv_add(nva, &n, "x-flowgate-overhead-ms", overhead);
    nv_add_extra(r, nva, &n, CAP);
    nghttp2_data_provider dp = {.source.ptr = s, .read_callback = read_body};
    s->submitted = true;
    int rc = nghttp2_submit_response(s->h2->session, s->id, nva, n, body ? &dp : NULL);
    if (rc != 0) {
        fg_warn("http2: stream %d: cannot submit the response: %s", s->id,
                    nghttp2_strerror(rc));
        return FG_EIO;
    }
    return FG_OK;
}

int fg__h2_respond(fg_http_req *r, const char *ctype, const char *body, size_t len, bool head)
{
    fg_h2_stream *s = r->h2s;
    bool has_body = !head && len > 0;
    if (has_body && fg_buf_append(&s->out, body, len))
        return FG_ENOMEM;
    s->eof = true;
    int rc = submit(r, ctype, (long long)len, has_body);
    h2_pump(s->h2);
    return rc;
}

int fg__h2_stream_start(fg_http_req *r, const char *ctype)
{
    int rc = submit(r, ctype, -1, true);
    h2_pump(r->h2s->h2);
    return rc;
}

static void resume(fg_h2_stream *s)
{
    if (s->deferred) {
        s->deferred = false;
        nghttp2_session_resume_data(s->h2->session, s->id);
    }
    h2_pump(s->h2);
}

int fg__h2_stream_write(fg_http_req *r, const void *data, size_t len)
{
    fg_h2_stream *s = r->h2s;
    fg_h2 *h2 = s->h2;
    size_t limit = limits(h2)->write_buffer_bytes;
    if (fg_buf_append(&s->out, data, len))
        return FG_ENOMEM;
    resume(s);
    if (r->h2s && s->out.len > limit) {
        r->drain_wanted = true;
        return FG_EAGAIN;
    }
    return r->h2s ? FG_OK : FG_ECANCELED;
}

void fg__h2_stream_end(fg_http_req *r)
{
    fg_h2_stream *s = r->h2s;
    s->eof = true;
    resume(s);
}

void fg__h2_req_released(fg_http_req *r)
{
    fg_h2_stream *s = r->h2s;
    r->h2s = NULL;
    s->req = NULL;
    if (!s->submitted) { /* ended without a response: tell the client */
        nghttp2_submit_rst_stream(s->h2->session, NGHTTP2_FLAG_NONE, s->id,
                                  NGHTTP2_INTERNAL_ERROR);
        h2_pump(s->h2);
    }
}

void fg__h2_cut(fg_http_req *r)
{
    fg_h2_stream *s = r->h2s;
    nghttp2_submit_rst_stream(s->h2->session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
    h2_pump(s->h2);
}

/* --- the pump ---------------------------------------------------------------- */

static void dispatch_one(fg_h2_stream *s)
{
    fg_http_req *r = s->req;
    s->dispatched = true;
    if (!r->method)
        r->method = "-";
    if (!r->path) {
        r->path = "-";
        r->query = "";
    }
    if (s->error == 408)
        fg_http_respond_error(r, 408, "request_timeout", "the request did not arrive in time");
    else if (s->error == 431)
        fg_http_respond_error(r, 431, "request_header_fields_too_large",
                              "request headers exceed the server's limit");
    else if (s->error == 413)
        fg_http_respond_error(r, 413, "request_too_large",
                              "request body exceeds the server's limit");
    else
        fg__http_dispatch(r);
}

static void dispatch_pending(fg_h2 *h2)
{
    for (size_t i = 0; i < h2->npending && h2->c; i++) {
        fg_h2_stream *s = stream_of(h2, h2->pending[i]);
        if (s && s->req && !s->dispatched)
            dispatch_one(s);
    }
    h2->npending = 0;
}

static void send_out(fg_h2 *h2)
{
    fg_buf chunk;
    fg_buf_init(&chunk, 0);
    while (h2->c && h2->c->queued_bytes < limits(h2)->write_buffer_bytes) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(h2->session, &data);
        if (n < 0) {
            fg_warn("http2: send failed: %s", nghttp2_strerror((int)n));
            h2->closing = true;
            break;
        }
        if (n > 0) {
            if (fg_buf_append(&chunk, data, (size_t)n)) {
                h2->closing = true;
                break;
            }
            if (chunk.len < H2_SEND_CHUNK)
                continue;
        }
        if (chunk.len)
            fg__http_conn_write(h2->c, chunk.data, chunk.len, NULL, 0);
        fg_buf_reset(&chunk);
        if (n == 0)
            break;
    }
    if (chunk.len && h2->c)
        fg__http_conn_write(h2->c, chunk.data, chunk.len, NULL, 0);
    fg_buf_free(&chunk);
}

static void notify_drains(fg_h2 *h2)
{
    size_t low = limits(h2)->write_buffer_bytes / 2;
    for (fg_h2_stream *s = h2->streams; s && h2->c; s = s->next) {
        fg_http_req *r = s->req;
        if (r && r->drain_wanted && s->out.len <= low) {
            r->drain_wanted = false;
            if (r->on_drain)
                r->on_drain(r, r->drain_ud);
        }
    }
}

static void h2_free(fg_h2 *h2)
{
    while (h2->streams)
        stream_free(h2->streams);
    nghttp2_session_del(h2->session);
    free(h2->pending);
    free(h2);
}

/* Requests still arriving past request_timeout_ms get 408. */
static void expire_requests(fg_h2 *h2)
{
    uint64_t now = fg_clock_mono_ns();
    uint64_t timeout_ns = limits(h2)->request_timeout_ms * 1000000u;
    for (fg_h2_stream *s = h2->streams; s; s = s->next)
        if (s->req && !s->dispatched && !s->error && now - s->req->start_ns >= timeout_ns) {
            s->error = 408;
            queue_dispatch(h2, s);
        }
}

/* One timer per connection: the earliest request deadline, else the idle close. */
static void on_timer(uv_timer_t *t)
{
    fg_http_conn *c = t->data;
    if (c->state != CONN_H2 || !c->h2)
        return;
    fg_h2 *h2 = c->h2;
    if (h2->nstreams) {
        expire_requests(h2);
    } else {
        nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(h2->session),
                              NGHTTP2_NO_ERROR, NULL, 0);
        h2->goaway = h2->closing = true;
    }
    h2_pump(h2);
}

static void timer_rearm(fg_h2 *h2)
{
    fg_http_conn *c = h2->c;
    uint64_t deadline = UINT64_MAX;
    uint64_t timeout_ns = limits(h2)->request_timeout_ms * 1000000u;
    for (fg_h2_stream *s = h2->streams; s; s = s->next)
        if (s->req && !s->dispatched && !s->error && s->req->start_ns + timeout_ns < deadline)
            deadline = s->req->start_ns + timeout_ns;
    uint64_t now = fg_clock_mono_ns();
    if (deadline != UINT64_MAX)
        uv_timer_start(&c->timer, on_timer, deadline > now ? (deadline - now) / 1000000u + 1 : 0, 0);
    else if (h2->nstreams == 0)
        uv_timer_start(&c->timer, on_timer, limits(h2)->idle_timeout_ms, 0);
    else
        uv_timer_stop(&c->timer);
}

static void h2_pump(fg_h2 *h2)
{
    if (h2->busy) {
        h2->again = true;
        return;
    }
    h2->busy = true;
    do {
        h2->again = false;
        if (h2->c)
            dispatch_pending(h2);
        if (h2->c)
            send_out(h2);
        if (h2->c)
            notify_drains(h2);
    } while (h2->again && h2->c);
    h2->busy = false;
    if (!h2->c) {
        h2_free(h2);
        return;
    }
    fg_http_conn *c = h2->c;
    if ((h2->goaway && h2->nstreams == 0) ||
        (!nghttp2_session_want_read(h2->session) && !nghttp2_session_want_write(h2->session)))
        h2->closing = true;
    if (h2->closing && !nghttp2_session_want_write(h2->session)) {
        if (!h2->close_sent) {
            h2->close_sent = true; /* close once, after the last frames are flushed */
            fg__http_conn_close_after_flush(c);
        }
        return;
    }
    if (!h2->closing)
        timer_rearm(h2);
}

/* --- the connection ---------------------------------------------------------- */

void fg__h2_start(fg_http_conn *c, const char *data, size_t len)
{
    fg_h2 *h2 = calloc(1, sizeof *h2);
    nghttp2_session_callbacks *cbs = NULL;
    if (!h2 || nghttp2_session_callbacks_new(&cbs) != 0) {
        free(h2);
        fg__http_conn_close(c);
        return;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    int rc = nghttp2_session_server_new(&h2->session, cbs, h2);
    nghttp2_session_callbacks_del(cbs);
    if (rc != 0) {
        free(h2);
        fg__http_conn_close(c);
        return;
    }
    h2->c = c;
    c->h2 = h2;
    c->state = CONN_H2;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)limits(h2)->max_header_bytes},
    };
    nghttp2_submit_settings(h2->session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof *iv);
    uv_timer_stop(&c->timer);
    fg__h2_on_data(h2, data, len);
}

void fg__h2_on_data(fg_h2 *h2, const char *data, size_t len)
{
    if (h2->closing) /* draining after GOAWAY or an error: ignore the rest */
        return;
    h2->busy = true;
    ssize_t n = nghttp2_session_mem_recv(h2->session, (const uint8_t *)data, len);
    h2->busy = false;
    if (n < 0) {
        fg_debug("http2: closing a connection: %s", nghttp2_strerror((int)n));
        h2->closing = true;
    }
    h2_pump(h2);
}

void fg__h2_on_written(fg_h2 *h2)
{
    h2_pump(h2);
}

/* The socket is closing: abort what still runs; free now unless inside the pump. */
void fg__h2_on_conn_closed(fg_h2 *h2)
{
    h2->c = NULL;
    for (fg_h2_stream *s = h2->streams; s; s = s->next)
        stream_detach_req(s);
    if (!h2->busy)
        h2_free(h2);
}

/* Graceful shutdown: GOAWAY now; in-flight streams finish, then the socket closes. */
void fg__h2_shutdown(fg_h2 *h2)
{
    if (h2->goaway)
        return;
    h2->goaway = true;
    nghttp2_submit_goaway(h2->session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(h2->session), NGHTTP2_NO_ERROR,
                          NULL, 0);
    h2_pump(h2);
}
