/* libFuzzer target for the JWT and JWKS parsers: the first byte picks what
 * the rest is. 'K': a JWKS document (fg_jwks_parse), and when it parses, its
 * public JSON form must parse back to as many keys. Anything else: a token,
 * verified against a key set holding one P-256 and one RSA key (nothing
 * random can verify; nothing may crash). base64url decoding is checked to
 * round-trip through the encoder. */
#include "auth/jwt.h"

#include "core/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static fg_jwks *fixed_keys(void)
{
    static fg_jwks *ks;
    if (!ks) {
        ks = fg_jwks_create();
        EVP_PKEY *ec = fg_jwt_generate_es256_key(), *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        fg_jwks_add(ks, "ec", ec, NULL);
        fg_jwks_add(ks, "rsa", rsa, NULL);
        EVP_PKEY_free(ec);
        EVP_PKEY_free(rsa);
    }
    return ks;
}

static void check_b64url(const char *s, size_t n)
{
    fg_buf dec, enc, again;
    fg_buf_init(&dec, 1 << 20);
    fg_buf_init(&enc, 1 << 21);
    fg_buf_init(&again, 1 << 20);
    if (fg_b64url_decode(&dec, s, n) == 0) {
        if (fg_b64url_encode(&enc, dec.data, dec.len) || fg_b64url_decode(&again, enc.data, enc.len) ||
            again.len != dec.len || memcmp(again.data, dec.data, dec.len) != 0)
            abort();
    }
    fg_buf_free(&dec);
    fg_buf_free(&enc);
    fg_buf_free(&again);
}

static void check_jwks(const char *s, size_t n)
{
    fg_jwks *ks = NULL;
    if (fg_jwks_parse(s, n, &ks, NULL) != 0)
        return;
    json_t *pub = fg_jwks_to_json(ks);
    char *text = fg_json_dumps(pub);
    fg_jwks *again = NULL;
    if (!text || fg_jwks_parse(text, strlen(text), &again, NULL) != 0 ||
        fg_jwks_count(again) != fg_jwks_count(ks))
        abort();
    free(text);
    json_decref(pub);
    fg_jwks_free(again);
    fg_jwks_free(ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    if (data[0] == 'K') {
        check_jwks(s, n);
        return 0;
    }
    check_b64url(s, n);
    json_t *claims = NULL;
    if (fg_jwt_verify(s, n, fixed_keys(), 1700000000, 60, &claims, NULL) == 0)
        abort(); /* no fuzzed input holds a signature of these fresh keys */
    json_decref(claims);
    return 0;
}
