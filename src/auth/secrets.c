/* Random ids and secrets, their hashes, and comparisons that take the same time
 * whatever the input (no early exit that leaks how much of a secret matched). */
#include "auth/auth_int.h"

#include "core/rand.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

void fg__random_token(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw)
        nbytes = sizeof raw;
    fg_rand_bytes(raw, nbytes);
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_b64url_encode(&b, raw, nbytes);
    memcpy(out, b.data, b.len + 1);
    fg_buf_free(&b);
    OPENSSL_cleanse(raw, sizeof raw);
}

void fg__random_id(char out[17])
{
    unsigned char raw[8];
    fg_rand_bytes(raw, sizeof raw);
    fg_hex_encode(raw, sizeof raw, out);
}

void fg__sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(s, n, md, &len, EVP_sha256(), NULL);
    fg_hex_encode(md, sizeof md, out);
}

bool fg__secret_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    /* Lengths of hashes are public; compare the bytes in constant time. */
    return na == nb && CRYPTO_memcmp(a, b, na) == 0;
}
