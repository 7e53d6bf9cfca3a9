/* libFuzzer target for the HTTP/1.1 server side (src/http/conn.c over llhttp)
 * and WebSocket connections (src/http/ws.c over wslay): the input is the byte
 * stream a client sends on a fresh connection: requests (pipelined, chunked,
 * over the limits, malformed) and, after an upgrade to /ws, frames. The
 * routes are the harness's (loopback.h). */
#include "loopback.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_loopback_setup();
    if (size > 64 * 1024)
        return 0;
    int fd = fz_loopback_connect();
    fz_loopback_spin(fd, 1);
    fz_loopback_write_all(fd, data, size);
    fz_loopback_spin(fd, 8);
    fz_loopback_finish(fd);
    return 0;
}
