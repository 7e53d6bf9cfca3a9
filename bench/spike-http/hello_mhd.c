/* Spike (d): libmicrohttpd 0.9.75, one internal epoll thread. GET / ->
 * "Hello, world!" with keep-alive; 413 past 1 MiB of declared body; 2 s
 * connection timeout. Usage: hello_mhd PORT */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *hello, *too_large;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    if (*state == NULL) { /* headers only, first call */
        *state = c;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > (1u << 20))
            return MHD_queue_response(c, 413, too_large);
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, 200, hello);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8084;
    hello = MHD_create_response_from_buffer(13, "Hello, world!", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(hello, "Content-Type", "text/plain");
    too_large = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)port, NULL, NULL, on_request, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)2, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)20000, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)4096, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "MHD_start_daemon failed\n");
        return 1;
    }
    for (;;)
        pause();
}
