/* Spike (a): libuv loop + llhttp parser. GET / -> "Hello, world!" with
 * keep-alive; 431 past 8 KiB of headers, 413 past 1 MiB of body, 408 when a
 * request that has started is not complete within 2 s (idle keep-alive
 * connections stay open).
 * Usage: hello_uv_llhttp PORT */
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_HEADERS 8192
#define MAX_BODY (1 << 20)
#define REQ_TIMEOUT_MS 2000

static const char ok_resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
                              "Hello, world!";
static const char r431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char r413[] = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char r408[] = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char r400[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    llhttp_t parser;
    size_t header_bytes;
    int in_request, closing, handles;
    const char *error_resp;
} conn;

/* One read buffer for the loop: llhttp consumes each read before the next one,
 * so idle connections hold no buffer. */
static char read_buf[65536];

static llhttp_settings_t settings;
static uv_loop_t *loop;

static void on_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->handles == 0)
        free(c);
}

static void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->timer, on_closed);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_written(uv_write_t *w, int status)
{
    conn *c = w->data;
    if (status < 0 || w->cb == NULL)
        conn_close(c);
    free(w);
}

static void after_error_write(uv_write_t *w, int status)
{
    conn *c = w->data;
    (void)status;
    conn_close(c);
    free(w);
}

static void send_static(conn *c, const char *s, size_t n, uv_write_cb cb)
{
    uv_write_t *w = malloc(sizeof *w);
    w->data = c;
    uv_buf_t b = uv_buf_init((char *)s, (unsigned)n);
    if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, cb) < 0) {
        free(w);
        conn_close(c);
    }
}

static int on_message_begin(llhttp_t *p)
{
    conn *c = p->data;
    c->in_request = 1;
    c->header_bytes = 0;
    return 0;
}

static int count_header(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    c->header_bytes += len;
    if (c->header_bytes > MAX_HEADERS) {
        c->error_resp = r431;
        return -1;
    }
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    conn *c = p->data;
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > MAX_BODY) {
        c->error_resp = r413;
        return -1;
    }
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    conn *c = p->data;
    c->in_request = 0;
    send_static(c, ok_resp, sizeof ok_resp - 1, llhttp_should_keep_alive(p) ? on_written : after_error_write);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    conn *c = t->data;
    if (c->in_request)
        send_static(c, r408, sizeof r408 - 1, after_error_write);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0)
        return;
    int was = c->in_request;
    llhttp_errno_t e = llhttp_execute(&c->parser, buf->base, (size_t)n);
    if (e != HPE_OK) {
        const char *r = c->error_resp ? c->error_resp : r400;
        uv_read_stop(s);
        send_static(c, r, strlen(r), after_error_write);
        return;
    }
    if (c->in_request && !was)
        uv_timer_start(&c->timer, on_timeout, REQ_TIMEOUT_MS, 0);
    else if (!c->in_request)
        uv_timer_stop(&c->timer);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    conn *c = calloc(1, sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8081;
    loop = uv_default_loop();
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_header_field = count_header;
    settings.on_header_value = count_header;
    settings.on_url = count_header;
    settings.on_headers_complete = on_headers_complete;
    settings.on_message_complete = on_message_complete;
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (uv_listen((uv_stream_t *)&server, 4096, on_connection) != 0) {
        fprintf(stderr, "listen failed\n");
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
