/* Randomness from the operating system's CSPRNG (through OpenSSL). */
#ifndef FG_CORE_RAND_H
#define FG_CORE_RAND_H

#include <stddef.h>
#include <stdint.h>

int fg_rand_bytes(void *out, size_t n);
/* A random version-4 UUID, 36 characters plus NUL. */
void fg_rand_uuid(char out[37]);
/* Uniform in [0, 1). */
double fg_rand_unit(void);
/* Hex-encodes n bytes into out (2n+1 bytes). */
void fg_hex_encode(const void *data, size_t n, char *out);

#endif
