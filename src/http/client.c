#include "http/client.h"

#include "core/log.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct fg_http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int open_handles;
    bool destroying;
};

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    fg_http_client *client;
} sock_ctx;

struct fg_http_call {
    fg_http_client *client;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    fg_http_call_cbs cbs;
    void *ud;
    bool got_headers, paused, aborted, in_callback;
    long status;
    char *resp_headers;
    size_t resp_headers_len;
    size_t received, max_response;
    size_t redelivered; /* bytes curl delivers again after a pause: already taken */
    bool (*allow_address)(const struct sockaddr *addr, void *ud);
    void *allow_address_ud;
    char errbuf[CURL_ERROR_SIZE];
};

static void check_done(fg_http_client *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        fg_http_call *call = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
        CURLcode res = msg->data.result;
        curl_multi_remove_handle(c->multi, call->easy);
        int err = FG_OK;
        const char *text = "";
        if (res == CURLE_OPERATION_TIMEDOUT) {
            err = FG_ETIMEDOUT;
            text = "upstream timed out";
        } else if (res == CURLE_WRITE_ERROR && call->max_response &&
                   call->received > call->max_response) {
            err = FG_ELIMIT;
            text = "upstream response too large";
        } else if (res != CURLE_OK) {
            err = FG_EUPSTREAM;
            text = call->errbuf[0] ? call->errbuf : curl_easy_strerror(res);
        }
        if (call->aborted)
            goto release;
        call->in_callback = true;
        if (!call->got_headers && !err && call->cbs.on_headers) {
            call->got_headers = true;
            curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
            call->cbs.on_headers(call, (int)call->status, call->resp_headers ? call->resp_headers : "",
                                 call->resp_headers_len, call->ud);
        }
        if (call->cbs.on_done && !call->aborted)
            call->cbs.on_done(call, err, text, call->ud);
    release:
        curl_easy_cleanup(call->easy);
        curl_slist_free_all(call->headers);
        free(call->body);
        free(call->resp_headers);
        free(call);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx *s = p->data;
    fg_http_client *c = s->client;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_done(c);
}

static void on_timeout(uv_timer_t *t)
{
    fg_http_client *c = t->data;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int start_timeout(CURLM *multi, long ms, void *userp)
{
    fg_http_client *c = userp;
    if (ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timeout, (uint64_t)ms, 0); /* 0: next loop turn */
    return 0;
}

static void on_sock_closed(uv_handle_t *h)
{
    sock_ctx *s = h->data;
    fg_http_client *c = s->client;
    free(s);
    if (--c->open_handles == 0 && c->destroying)
        free(c);
}

static int handle_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
    fg_http_client *c = userp;
    sock_ctx *s = socketp;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            curl_multi_assign(c->multi, fd, NULL);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->fd = fd;
        s->client = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        c->open_handles++;
        curl_multi_assign(c->multi, fd, s);
    }
    int events = 0;
    if (action != CURL_POLL_OUT)
        events |= UV_READABLE;
    if (action != CURL_POLL_IN)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

fg_http_client *fg_http_client_create(uv_loop_t *loop)
{
    static int global_init;
    if (!global_init) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_init = 1;
    }
    fg_http_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->multi = curl_multi_init();
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 1;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, handle_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, start_timeout);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    return c;
}

static void on_timer_closed(uv_handle_t *h)
{
    fg_http_client *c = h->data;
    if (--c->open_handles == 0)
        free(c);
}

void fg_http_client_destroy(fg_http_client *c)
{
    if (!c)
        return;
    c->destroying = true;
    curl_multi_cleanup(c->multi); /* removes sockets through handle_socket */
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static size_t on_header_line(char *data, size_t size, size_t n, void *ud)
{
    fg_http_call *call = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) { /* a new response (after 100 or redirects) */
        call->resp_headers_len = 0;
        return len;
    }
    if (call->resp_headers_len + len > 64 * 1024)
        return 0;
    char *p = realloc(call->resp_headers, call->resp_headers_len + len + 1);
    if (!p)
        return 0;
    memcpy(p + call->resp_headers_len, data, len);
    call->resp_headers = p;
    call->resp_headers_len += len;
    p[call->resp_headers_len] = '\0';
    return len;
}

static size_t on_body_inner(fg_http_call *call, char *data, size_t len)
{
    if (call->aborted)
        return 0;
    if (!call->got_headers) {
        call->got_headers = true;
        curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
        if (call->cbs.on_headers)
            call->cbs.on_headers(call, (int)call->status,
                                 call->resp_headers ? call->resp_headers : "",
                                 call->resp_headers_len, call->ud);
        if (call->aborted)
            return 0;
    }
    /* A pause makes curl deliver the same bytes again when it resumes; the
     * consumer took them already, so they are skipped. */
    size_t whole = len, skip = len < call->redelivered ? len : call->redelivered;
    call->redelivered -= skip;
    data += skip;
    len -= skip;
    call->received += len;
    if (call->max_response && call->received > call->max_response)
        return 0;
    if (len && call->cbs.on_data && call->cbs.on_data(call, data, len, call->ud) == FG_EAGAIN) {
        call->paused = true;
        call->redelivered = whole;
        return CURL_WRITEFUNC_PAUSE;
    }
    return call->aborted ? 0 : whole;
}

/* Callbacks run with in_callback set: an abort from inside one only marks the
 * call, and the transfer then fails and is released by check_done. */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    fg_http_call *call = ud;
    call->in_callback = true;
    size_t r = on_body_inner(call, data, size * n);
    call->in_callback = false;
    return r;
}

/* CURLOPT_OPENSOCKETFUNCTION: the caller's address policy sees the address the
 * connection goes to, after name resolution. */
static curl_socket_t open_checked_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    fg_http_call *call = ud;
    if (purpose == CURLSOCKTYPE_IPCXN && !call->allow_address(&a->addr, call->allow_address_ud))
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void set_address_policy(fg_http_call *call, const fg_http_call_opts *o)
{
    if (!o->allow_address)
        return;
    call->allow_address = o->allow_address;
    call->allow_address_ud = o->allow_address_ud;
    curl_easy_setopt(call->easy, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
    curl_easy_setopt(call->easy, CURLOPT_OPENSOCKETDATA, call);
    curl_easy_setopt(call->easy, CURLOPT_PROXY, "");
}

int fg_http_call_start(fg_http_client *c, const fg_http_call_opts *o, const fg_http_call_cbs *cbs,
                       void *ud, fg_http_call **out)
{
    fg_http_call *call = calloc(1, sizeof *call);
    if (!call)
        return FG_ENOMEM;
    call->client = c;
    call->cbs = *cbs;
    call->ud = ud;
    call->max_response = o->max_response_bytes;
    CURL *e = call->easy = curl_easy_init();
    for (const char *const *h = o->headers; h && *h; h++)
        call->headers = curl_slist_append(call->headers, *h);
    call->headers = curl_slist_append(call->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, o->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
    curl_easy_setopt(e, CURLOPT_PRIVATE, call);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header_line);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms ? o->connect_timeout_ms : 10000L);
    if (o->timeout_ms)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    set_address_policy(call, o);
    if (o->body) {
        call->body = malloc(o->body_len + 1);
        if (!call->body) {
            curl_easy_cleanup(e);
            curl_slist_free_all(call->headers);
            free(call);
            return FG_ENOMEM;
        }
        memcpy(call->body, o->body, o->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    }
    if (o->method && strcmp(o->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (o->method && strcmp(o->method, "GET") != 0 && strcmp(o->method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method);
    else if (o->method && strcmp(o->method, "GET") == 0)
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_multi_add_handle(c->multi, e);
    if (out)
        *out = call;
    return FG_OK;
}

void fg_http_call_resume(fg_http_call *call)
{
    if (call->paused && !call->aborted && !call->in_callback) {
        call->paused = false;
        curl_easy_pause(call->easy, CURLPAUSE_CONT);
    }
}

void fg_http_call_abort(fg_http_call *call)
{
    fg_http_client *c = call->client;
    call->aborted = true;
    if (call->in_callback)
        return;
    curl_multi_remove_handle(c->multi, call->easy);
    curl_easy_cleanup(call->easy);
    curl_slist_free_all(call->headers);
    free(call->body);
    free(call->resp_headers);
    free(call);
}
