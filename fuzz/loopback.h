/* The harness shared by the fuzz targets that drive flowgate's HTTP server
 * through a real loopback connection: one in-process worker (no threads) with
 * the caller's routes, and a client socket per run. */
#ifndef FG_FUZZ_LOOPBACK_H
#define FG_FUZZ_LOOPBACK_H

#include "http/http.h"

#include <stddef.h>
#include <stdint.h>

/* Starts the worker on 127.0.0.1 (an ephemeral port) once; later calls do
 * nothing. Small body (4 KiB), header (2 KiB) and WebSocket message (4 KiB)
 * limits, so fuzzed inputs reach them. Routes:
 *   GET /a      a whole answer with an extra header
 *   * /s        a stream: one event, then the request body, then the end
 *   GET /hold   a stream left open until the request is aborted
 *   GET /ws     a WebSocket echo; the message "close" starts the closing
 *               handshake */
void fz_loopback_setup(void);
/* A connected, non-blocking client socket (aborts if loopback is unusable). */
int fz_loopback_connect(void);
/* Runs the server's loop rounds times, discarding what it sends. */
void fz_loopback_spin(int fd, int rounds);
/* Writes everything, letting the server read while the socket is full; stops
 * quietly when the server has closed the connection. */
void fz_loopback_write_all(int fd, const void *data, size_t size);
/* Closes the client and runs the loop until the server has released every
 * connection (a server that never does makes libFuzzer report a timeout). */
void fz_loopback_finish(int fd);

#endif
