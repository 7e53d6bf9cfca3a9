/* libFuzzer target for the HTTP/2 server side (src/http/h2.c over libnghttp2):
 * the input is the byte stream a client sends after the connection preface.
 * A real connection is accepted on a loopback listener of an in-process worker
 * (no threads), the preface and the input are written to it, the loop runs
 * until the server has nothing left to do, and then the client side closes.
 * Routes answer whole (/a), stream and end (/s), and hold the request open
 * until it is aborted (/hold), so responses, resets and aborts are exercised. */
#include "core/log.h"
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

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

static void on_connection(uv_stream_t *listener, int status)
{
    if (status == 0)
        fg__http_conn_accept(&worker);
}

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    fg_log_set_level(FG_LOG_ERROR); /* no access log lines */
    fg_http_limits_default(&server.opts.limits);
    server.opts.limits.max_body_bytes = 4096;
    server.opts.limits.max_header_bytes = 2048;
    fg_http_router *r = fg_http_router_create();
    fg_http_router_add(r, "GET", "/a", whole, NULL);
    fg_http_router_add(r, "*", "/s", streamed, NULL);
    fg_http_router_add(r, "GET", "/hold", hold, NULL);
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

/* Runs the loop, reading and discarding what the server sends. */
static void spin(int fd, int rounds)
{
    char sink[16384];
    for (int i = 0; i < rounds; i++) {
        uv_run(&worker.loop, UV_RUN_NOWAIT);
        while (read(fd, sink, sizeof sink) > 0) {
        }
    }
}

/* Connects without blocking: libFuzzer's timer signal would interrupt a
 * blocking connect (EINTR), which is not a failure of the server. */
static int connect_loopback(void)
{
    /* A fresh loopback source address per run: closed connections leave
     * TIME_WAIT entries that would exhaust one address's ports. */
    static uint32_t run;
    run++;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000000u | (((run >> 8) & 0xffffu) << 8) | 1u);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0)
        goto fail;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (errno != EINPROGRESS && errno != EINTR)
            goto fail;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof err;
        while (poll(&p, 1, 5000) < 0 && errno == EINTR) {
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            errno = err;
            goto fail;
        }
    }
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close with RST: no TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    return fd;
fail:
    perror("fuzz_h2_frames: loopback connection");
    abort();
}

/* Writes everything, letting the server read while the socket buffer is full. */
static void write_all(int fd, const uint8_t *data, size_t size)
{
    while (size) {
        ssize_t n = write(fd, data, size);
        if (n > 0) {
            data += n;
            size -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            spin(fd, 1);
        } else {
            return; /* the server closed the connection */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!worker.server)
        setup();
    if (size > 64 * 1024)
        return 0;
    int fd = connect_loopback();
    spin(fd, 2);
    write_all(fd, (const uint8_t *)PREFACE, sizeof PREFACE - 1);
    write_all(fd, data, size);
    spin(fd, 8);
    close(fd);
    /* The server must notice the closed client and release the connection; if
     * it never does, this blocks and libFuzzer reports a timeout. */
    while (worker.nconns)
        uv_run(&worker.loop, UV_RUN_ONCE);
    return 0;
}
