/* libFuzzer target for the HTTP/2 server side (src/http/h2.c over libnghttp2):
 * the input is the byte stream a client sends after the connection preface.
 * A real connection is accepted on a loopback listener of an in-process worker
 * (no threads), the preface and the input are written to it, the loop runs
 * until the server has nothing left to do, and then the client side closes.
 * The routes are the harness's (loopback.h): whole answers, streams, and a
 * request held open until it is aborted, so responses, resets and aborts are
 * exercised. */
#include "loopback.h"

#include <stdint.h>

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_loopback_setup();
    if (size > 64 * 1024)
        return 0;
    int fd = fz_loopback_connect();
    fz_loopback_spin(fd, 2);
    fz_loopback_write_all(fd, PREFACE, sizeof PREFACE - 1);
    fz_loopback_write_all(fd, data, size);
    fz_loopback_spin(fd, 8);
    fz_loopback_finish(fd);
    return 0;
}
