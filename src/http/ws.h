/* WebSocket connections on the HTTP server's port (RFC 6455 framing by wslay):
 * a route handler accepts an upgrade request, then exchanges messages on the
 * connection's loop. */
#ifndef FG_HTTP_WS_H
#define FG_HTTP_WS_H

#include "http/http.h"

typedef struct fg_ws fg_ws;

typedef struct fg_ws_cbs {
    /* A complete text or binary message (at most ws.max_message_bytes). */
    void (*on_message)(fg_ws *ws, bool binary, const char *data, size_t len, void *ud);
    /* The send queue fell below the limit again after fg_ws_send said FG_EAGAIN. */
    void (*on_drain)(fg_ws *ws, void *ud);
    /* The connection is gone (closed by either side, or a ping went unanswered).
     * ws must not be used after this returns. */
    void (*on_close)(fg_ws *ws, int code, void *ud);
} fg_ws_cbs;

typedef struct fg_ws_opts {
    size_t max_message_bytes;  /* bigger messages close the connection with 1009 */
    uint64_t ping_interval_ms; /* a ping this often; no answer by the next one closes */
} fg_ws_opts;

/* True when req asks for a WebSocket upgrade. */
bool fg_http_req_is_upgrade(const fg_http_req *req);
/* Checks the upgrade headers and answers 101: the request ends, the connection
 * becomes a WebSocket. On error (not a valid upgrade) nothing was sent: answer
 * the request normally (400 or 426). ud must be ready: on_message may run
 * before this returns. */
int fg_http_ws_accept(fg_http_req *req, const fg_ws_opts *opts, const fg_ws_cbs *cbs, void *ud,
                      fg_ws **out, fg_errbuf *eb);
/* Queues a text message. FG_EAGAIN: queued, but the client reads slowly: wait
 * for on_drain before sending more. FG_ECANCELED: the connection is closing. */
int fg_ws_send_text(fg_ws *ws, const char *data, size_t len);
/* Starts the closing handshake with code and reason; on_close follows. */
void fg_ws_close(fg_ws *ws, int code, const char *reason);
fg_http_worker *fg_ws_worker(fg_ws *ws);

#endif
