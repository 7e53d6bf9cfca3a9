/* The server: N worker threads, each with its own libuv loop and its own
 * listening socket on the same port (SO_REUSEPORT lets the kernel spread
 * connections), and the graceful shutdown. */
#include "http/http_int.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void fg_http_limits_default(fg_http_limits *l)
{
    l->max_header_bytes = 16 * 1024;
    l->max_body_bytes = 4u << 20;
    l->request_timeout_ms = 30000;
    l->idle_timeout_ms = 60000;
    l->write_buffer_bytes = 256 * 1024;
    l->max_connections = 10000;
    l->shutdown_grace_ms = 10000;
}

static int listen_socket(const char *host, int port, int *bound_port, fg_errbuf *eb)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0)
        return fg_failf(eb, FG_EINVAL, "cannot resolve listen address %s: %s", host, gai_strerror(gai));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        freeaddrinfo(res);
        if (fd >= 0)
            close(fd);
        return fg_failf(eb, FG_EIO, "cannot listen on %s:%d: %s%s", host, port, strerror(e),
                        e == EADDRINUSE ? " (another program uses this port: choose another "
                                          "with --port)" : "");
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static void on_connection(uv_stream_t *listener, int status)
{
    fg_http_worker *w = listener->data;
    if (status < 0)
        return;
    fg__http_conn_accept(w);
}

static void on_closed_quietly(uv_handle_t *h)
{
    (void)h;
}

static void worker_finish(fg_http_worker *w)
{
    if (w->stopped_callbacks)
        return;
    w->stopped_callbacks = true;
    if (w->server->opts.on_worker_stop)
        w->server->opts.on_worker_stop(w, w->server->opts.ud);
    fg__http_post_close(w);
    uv_timer_stop(&w->grace);
    uv_close((uv_handle_t *)&w->grace, on_closed_quietly);
    uv_close((uv_handle_t *)&w->wakeup, on_closed_quietly);
}

static void on_grace_expired(uv_timer_t *t)
{
    fg_http_worker *w = t->data;
    fg_http_conn *c = w->conns;
    while (c) {
        fg_http_conn *next = c->next;
        fg__http_conn_cut(c);
        c = next;
    }
}

static void on_wakeup(uv_async_t *a)
{
    fg_http_worker *w = a->data;
    if (!atomic_load(&w->server->shutting_down))
        return;
    if (!w->stopping) {
        w->stopping = true;
        uv_close((uv_handle_t *)&w->listener, on_closed_quietly);
        for (fg_http_conn *c = w->conns; c;) {
            fg_http_conn *next = c->next;
            fg__http_conn_shutdown(c);
            c = next;
        }
        uv_timer_start(&w->grace, on_grace_expired, w->server->opts.limits.shutdown_grace_ms, 0);
    }
    if (w->nconns == 0)
        worker_finish(w);
}

static void *worker_main(void *arg)
{
    fg_http_worker *w = arg;
    if (w->server->opts.on_worker_start)
        w->server->opts.on_worker_start(w, w->server->opts.ud);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    worker_finish(w);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    return NULL;
}

static int worker_init(fg_http_server *s, fg_http_worker *w, int fd, fg_errbuf *eb)
{
    w->server = s;
    uv_loop_init(&w->loop);
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    uv_async_init(&w->loop, &w->wakeup, on_wakeup);
    w->wakeup.data = w;
    fg__http_post_init(w);
    uv_timer_init(&w->loop, &w->grace);
    w->grace.data = w;
    int rc = uv_tcp_open(&w->listener, fd);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&w->listener, 1024, on_connection);
    if (rc < 0)
        return fg_failf(eb, FG_EIO, "cannot listen: %s", uv_strerror(rc));
    return FG_OK;
}

int fg_http_server_start(const fg_http_server_opts *opts, fg_http_server **out, fg_errbuf *eb)
{
    fg_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    s->opts = *opts;
    s->nworkers = opts->workers > 0 ? opts->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s->nworkers < 1)
        s->nworkers = 1;
    s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
    s->port = opts->port;
    int rc = FG_OK;
    int i;
    for (i = 0; i < s->nworkers && !rc; i++) {
        int fd = listen_socket(opts->host, s->port, &s->port, eb);
        if (fd < 0) {
            rc = fd;
            break;
        }
        s->workers[i].index = i;
        rc = worker_init(s, &s->workers[i], fd, eb);
    }
    if (rc) { /* loops that were set up are closed; nothing was started */
        free(s->workers);
        free(s);
        return rc;
    }
    for (i = 0; i < s->nworkers; i++)
        pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
    *out = s;
    return FG_OK;
}

int fg_http_server_port(const fg_http_server *s)
{
    return s->port;
}

void fg_http_server_shutdown(fg_http_server *s)
{
    atomic_store(&s->shutting_down, true);
    for (int i = 0; i < s->nworkers; i++)
        uv_async_send(&s->workers[i].wakeup);
}

void fg_http_server_join(fg_http_server *s)
{
    for (int i = 0; i < s->nworkers; i++) {
        pthread_join(s->workers[i].thread, NULL);
        uv_loop_close(&s->workers[i].loop);
        fg__http_post_destroy(&s->workers[i]);
    }
    free(s->workers);
    free(s);
}

uv_loop_t *fg_http_worker_loop(fg_http_worker *w)
{
    return &w->loop;
}

int fg_http_worker_index(const fg_http_worker *w)
{
    return w->index;
}

bool fg_http_worker_stopping(const fg_http_worker *w)
{
    return w->stopping;
}

void fg_http_worker_set_data(fg_http_worker *w, const char *key, void *data)
{
    for (int i = 0; i < FG_HTTP_WORKER_DATA; i++) {
        if (!w->data[i].key || strcmp(w->data[i].key, key) == 0) {
            w->data[i].key = key;
            w->data[i].data = data;
            return;
        }
    }
}

void *fg_http_worker_data(fg_http_worker *w, const char *key)
{
    for (int i = 0; i < FG_HTTP_WORKER_DATA && w->data[i].key; i++)
        if (strcmp(w->data[i].key, key) == 0)
            return w->data[i].data;
    return NULL;
}

const fg_http_router *fg__http_router(const fg_http_worker *w)
{
    return w->server->opts.router;
}
