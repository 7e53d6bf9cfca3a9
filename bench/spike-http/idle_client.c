/* Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET / on each,
 * reads each response, then holds them all open for HOLD seconds.
 * Usage: idle_client PORT N HOLD */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int port = atoi(argv[1]), n = atoi(argv[2]), hold = atoi(argv[3]), ok = 0;
    static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    int *fds = calloc((size_t)n, sizeof *fds);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(0x7f000001)};
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0) {
            perror("connect");
            break;
        }
        char buf[1024];
        if (write(fds[i], req, sizeof req - 1) < 0)
            break;
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r > 12 && memcmp(buf + 9, "200", 3) == 0)
            ok++;
    }
    printf("%d connections answered 200\n", ok);
    fflush(stdout);
    sleep((unsigned)hold);
    return ok == n ? 0 : 1;
}
