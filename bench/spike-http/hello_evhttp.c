/* Spike (b): libevent 2.1 evhttp. GET / -> "Hello, world!" with keep-alive;
 * 8 KiB header limit, 1 MiB body limit, 2 s timeout. Usage: hello_evhttp PORT */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

static void on_request(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    evbuffer_add(out, "Hello, world!", 13);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, 200, "OK", NULL);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8082;
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_max_headers_size(http, 8192);
    evhttp_set_max_body_size(http, 1 << 20);
    evhttp_set_timeout(http, 2);
    evhttp_set_gencb(http, on_request, NULL);
    if (evhttp_bind_socket(http, "127.0.0.1", (unsigned short)port) != 0) {
        fprintf(stderr, "bind failed\n");
        return 1;
    }
    return event_base_dispatch(base);
}
