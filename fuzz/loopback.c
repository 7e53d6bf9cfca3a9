/* See loopback.h. Every blocking system call here tolerates EINTR: libFuzzer
 * interrupts its own process with a timer signal. */
#include "loopback.h"

#include "core/log.h"
#include "http/http_int.h"
#include "http/ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static fg_http_server server;
static fg_http_worker worker;
static int port;

static void whole(fg_http_req *req, void *ud)
{
    fg_http_resp_header(req, "X-Test", "1");
    fg_http_respond(req, 200, "text/plain", "hello", 5);
}

static void streamed(fg_http_req *req, void *ud)
{
    size_t len;
    const char *body = fg_http_req_body(req, &len);
    fg_http_stream_start(req, 200, "text/event-stream");
    fg_http_stream_write(req, "data: 1\n\n", 9);
    fg_http_stream_write(req, body, len);
    fg_http_stream_end(req);
}

static void on_abort(fg_http_req *req, void *ud)
{
    fg_http_stream_end(req);
}

static void hold(fg_http_req *req, void *ud)
{
    fg_http_req_on_abort(req, on_abort, NULL);
    fg_http_stream_start(req, 200, "text/plain");
    fg_http_stream_write(req, "x", 1);
}

static void echo_message(fg_ws *ws, bool binary, const char *data, size_t len, void *ud)
{
    if (len == 5 && memcmp(data, "close", 5) == 0)
        fg_ws_close(ws, 1000, "bye");
    else
        fg_ws_send_text(ws, data, len);
}

static void echo_closed(fg_ws *ws, int code, void *ud)
{
}

static void echo(fg_http_req *req, void *ud)
{
    static const fg_ws_opts opts = {.max_message_bytes = 4096, .ping_interval_ms = 60000};
    static const fg_ws_cbs cbs = {.on_message = echo_message, .on_close = echo_closed};
    fg_ws *ws;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_http_ws_accept(req, &opts, &cbs, NULL, &ws, &eb) != 0)
        fg_http_respond_error(req, 400, "bad_upgrade", eb.msg);
}

static void on_connection(uv_stream_t *listener, int status)
{
    if (status == 0)
        fg__http_conn_accept(&worker);
}

void fz_loopback_setup(void)
{
    if (worker.server)
        return;
    fg_http_router *r = fg_http_router_create();
    fg_http_router_add(r, "GET", "/a", whole, NULL);
    fg_http_router_add(r, "*", "/s", streamed, NULL);
    fg_http_router_add(r, "GET", "/hold", hold, NULL);
    fg_http_router_add(r, "GET", "/ws", echo, NULL);
    signal(SIGPIPE, SIG_IGN);
    fg_log_set_level(FG_LOG_ERROR); /* no access log lines */
    fg_http_limits_default(&server.opts.limits);
    server.opts.limits.max_body_bytes = 4096;
    server.opts.limits.max_header_bytes = 2048;
    server.opts.router = r;
    worker.server = &server;
    uv_loop_init(&worker.loop);
    uv_tcp_init(&worker.loop, &worker.listener);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&worker.listener, (const struct sockaddr *)&addr, 0);
    uv_listen((uv_stream_t *)&worker.listener, 16, on_connection);
    int len = sizeof addr;
    uv_tcp_getsockname(&worker.listener, (struct sockaddr *)&addr, &len);
    port = ntohs(addr.sin_port);
}

static _Noreturn void connection_failed(void)
{
    perror("fuzz: loopback connection");
    abort();
}

/* Waits for a non-blocking connect to finish. */
static void await_connected(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    while (poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        errno = err;
        connection_failed();
    }
}

int fz_loopback_connect(void)
{
    /* A fresh loopback source address every 256 runs: closed connections
     * leave TIME_WAIT entries that would exhaust one address's ports. */
    static uint32_t run;
    run++;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000000u | (((run >> 8) & 0xffffu) << 8) | 1u);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0)
        connection_failed();
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (errno != EINPROGRESS && errno != EINTR)
            connection_failed();
        await_connected(fd);
    }
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close with RST: no TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    return fd;
}

void fz_loopback_spin(int fd, int rounds)
{
    char sink[16384];
    for (int i = 0; i < rounds; i++) {
        uv_run(&worker.loop, UV_RUN_NOWAIT);
        while (read(fd, sink, sizeof sink) > 0) {
        }
    }
}

void fz_loopback_write_all(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size) {
        ssize_t n = write(fd, p, size);
        if (n > 0) {
            p += n;
            size -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            fz_loopback_spin(fd, 1);
        } else {
            return;
        }
    }
}

void fz_loopback_finish(int fd)
{
    close(fd);
    while (worker.nconns)
        uv_run(&worker.loop, UV_RUN_ONCE);
}
