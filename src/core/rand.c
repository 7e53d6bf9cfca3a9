#include "core/rand.h"

#include "core/error.h"

#include <openssl/rand.h>
#include <stdio.h>

int fg_rand_bytes(void *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? FG_OK : FG_EIO;
}

void fg_hex_encode(const void *data, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void fg_rand_uuid(char out[37])
{
    unsigned char b[16];
    fg_rand_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

double fg_rand_unit(void)
{
    uint64_t v = 0;
    fg_rand_bytes(&v, sizeof v);
    return (double)(v >> 11) / 9007199254740992.0;
}
