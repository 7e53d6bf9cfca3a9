#include "http/ws.h"

#include "core/base64.h"
#include "core/log.h"
#include "http/http_int.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct fg_ws {
    fg_http_conn *c;           /* NULL once the connection is gone */
    fg_http_worker *w;
    wslay_event_context_ptr ctx;
    fg_ws_cbs cbs;
    void *ud;
    uv_timer_t ping;
    const char *in;            /* bytes being fed to wslay */
    size_t in_len;
    bool want_drain, closed_notified, pong_pending, got_traffic;
    size_t write_limit;
};

static bool header_has_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = value; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncasecmp(p, token, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        p = strchr(p, ',');
    }
    return false;
}

bool fg_http_req_is_upgrade(const fg_http_req *req)
{
    const char *up = fg_http_req_header(req, "upgrade");
    return up && strcasecmp(up, "websocket") == 0;
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    fg_ws *ws = ud;
    if (!ws->in_len) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->in_len ? len : ws->in_len;
    memcpy(buf, ws->in, n);
    ws->in += n;
    ws->in_len -= n;
    return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
    fg_ws *ws = ud;
    if (!ws->c || fg__http_conn_write(ws->c, (const char *)data, len, NULL, 0)) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static void notify_close(fg_ws *ws, int code)
{
    if (ws->closed_notified)
        return;
    ws->closed_notified = true;
    if (ws->cbs.on_close)
        ws->cbs.on_close(ws, code, ws->ud);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *ud)
{
    fg_ws *ws = ud;
    ws->got_traffic = true;
    if (arg->opcode == WSLAY_PONG) {
        ws->pong_pending = false;
        return;
    }
    if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        notify_close(ws, arg->status_code ? arg->status_code : 1005);
        return;
    }
    if ((arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME) && ws->cbs.on_message &&
        !ws->closed_notified)
        ws->cbs.on_message(ws, arg->opcode == WSLAY_BINARY_FRAME, (const char *)arg->msg,
                           arg->msg_length, ws->ud);
}

static void on_timer_closed(uv_handle_t *h)
{
    fg_ws *ws = h->data;
    wslay_event_context_free(ws->ctx);
    free(ws);
}

static void ws_release(fg_ws *ws)
{
    uv_timer_stop(&ws->ping);
    uv_close((uv_handle_t *)&ws->ping, on_timer_closed);
}

/* Sends what wslay has queued; closes the connection once the closing
 * handshake is done or the peer broke the protocol. */
static void pump(fg_ws *ws)
{
    if (!ws->c)
        return;
    if (wslay_event_want_write(ws->ctx) && wslay_event_send(ws->ctx) != 0) {
        fg__http_conn_close(ws->c);
        return;
    }
    if (!wslay_event_want_read(ws->ctx) && !wslay_event_want_write(ws->ctx))
        fg__http_conn_close(ws->c); /* close frames exchanged (or a protocol error) */
}

void fg__ws_on_data(fg_ws *ws, const char *data, size_t len)
{
    ws->in = data;
    ws->in_len = len;
    if (wslay_event_recv(ws->ctx) != 0) {
        if (ws->c)
            fg__http_conn_close(ws->c);
        return;
    }
    pump(ws);
}

void fg__ws_on_written(fg_ws *ws)
{
    if (ws->want_drain && ws->c && ws->c->queued_bytes <= ws->write_limit / 2) {
        ws->want_drain = false;
        if (ws->cbs.on_drain)
            ws->cbs.on_drain(ws, ws->ud);
    }
}

void fg__ws_on_conn_closed(fg_ws *ws)
{
    ws->c = NULL;
    notify_close(ws, 1006);
    ws_release(ws);
}

static void on_ping_timer(uv_timer_t *t)
{
    fg_ws *ws = t->data;
    if (!ws->c)
        return;
    if (ws->pong_pending && !ws->got_traffic) {
        fg__http_conn_close(ws->c); /* the peer stopped answering */
        return;
    }
    ws->got_traffic = false;
    ws->pong_pending = true;
    struct wslay_event_msg ping = {WSLAY_PING, (const uint8_t *)"", 0};
    wslay_event_queue_msg(ws->ctx, &ping);
    pump(ws);
}

static int check_headers(fg_http_req *req, char accept[64], fg_errbuf *eb)
{
    const char *conn = fg_http_req_header(req, "connection");
    const char *ver = fg_http_req_header(req, "sec-websocket-version");
    const char *key = fg_http_req_header(req, "sec-websocket-key");
    if (req->h2s)
        return fg_failf(eb, FG_EINVAL, "WebSocket needs HTTP/1.1; this request came over HTTP/2");
    if (!fg_http_req_is_upgrade(req) || !conn || !header_has_token(conn, "upgrade"))
        return fg_failf(eb, FG_EINVAL, "not a WebSocket upgrade request");
    if (strcmp(fg_http_req_method(req), "GET") != 0)
        return fg_failf(eb, FG_EINVAL, "a WebSocket upgrade must be a GET");
    if (!ver || strcmp(ver, "13") != 0)
        return fg_failf(eb, FG_EINVAL, "Sec-WebSocket-Version must be 13");
    if (!key || strlen(key) != 24)
        return fg_failf(eb, FG_EINVAL, "missing or malformed Sec-WebSocket-Key");
    char joined[128];
    snprintf(joined, sizeof joined, "%s%s", key, WS_GUID);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)joined, strlen(joined), digest);
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_base64_encode(&b, digest, sizeof digest);
    snprintf(accept, 64, "%s", b.data);
    fg_buf_free(&b);
    return FG_OK;
}

int fg_http_ws_accept(fg_http_req *req, const fg_ws_opts *opts, const fg_ws_cbs *cbs, void *ud,
                      fg_ws **out, fg_errbuf *eb)
{
    char accept[64];
    int rc = check_headers(req, accept, eb);
    if (rc)
        return rc;
    fg_http_conn *c = req->c;
    if (!c)
        return fg_failf(eb, FG_ECANCELED, "the client went away");
    fg_ws *ws = calloc(1, sizeof *ws);
    static const struct wslay_event_callbacks wcb = {on_recv, on_send, NULL, NULL, NULL, NULL, on_msg};
    if (!ws || wslay_event_context_server_init(&ws->ctx, &wcb, ws) != 0) {
        free(ws);
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, opts->max_message_bytes);
    ws->c = c;
    ws->w = c->w;
    ws->cbs = *cbs;
    ws->ud = ud;
    ws->write_limit = c->w->server->opts.limits.write_buffer_bytes;
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                        "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    fg__http_conn_write(c, head, (size_t)n, NULL, 0);
    c->state = CONN_WS;
    c->ws = ws;
    uv_timer_stop(&c->timer);
    uv_timer_init(&c->w->loop, &ws->ping);
    ws->ping.data = ws;
    if (opts->ping_interval_ms)
        uv_timer_start(&ws->ping, on_ping_timer, opts->ping_interval_ms, opts->ping_interval_ms);
    fg__http_req_upgraded(req);
    if (out)
        *out = ws;
    if (c->pending.len) { /* frames that came with the upgrade request */
        fg_buf early = c->pending;
        fg_buf_init(&c->pending, FG_HTTP_PENDING_MAX);
        fg__ws_on_data(ws, early.data, early.len);
        fg_buf_free(&early);
    }
    return FG_OK;
}

int fg_ws_send_text(fg_ws *ws, const char *data, size_t len)
{
    if (!ws->c || ws->closed_notified)
        return FG_ECANCELED;
    struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)data, len};
    if (wslay_event_queue_msg(ws->ctx, &msg) != 0)
        return FG_ECANCELED;
    pump(ws);
    if (ws->c && ws->c->queued_bytes > ws->write_limit) {
        ws->want_drain = true;
        return FG_EAGAIN;
    }
    return ws->c ? FG_OK : FG_ECANCELED;
}

void fg_ws_close(fg_ws *ws, int code, const char *reason)
{
    if (!ws->c)
        return;
    wslay_event_queue_close(ws->ctx, (uint16_t)code, (const uint8_t *)reason, reason ? strlen(reason) : 0);
    pump(ws);
}

fg_http_worker *fg_ws_worker(fg_ws *ws)
{
    return ws->w;
}
