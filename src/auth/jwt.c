/* JWT verification and signing (RFC 7515/7519) and JWK sets (RFC 7517/7518):
 * ES256 (P-256, raw r||s signatures) and RS256 (RSA PKCS#1 v1.5, 2048 bits or
 * more). Everything that arrives here is hostile: sizes are capped before
 * decoding and every field is type-checked. */
#include "auth/jwt.h"

#include "core/json.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct jwk {
    char kid[128];
    char alg[8]; /* "ES256" or "RS256" */
    EVP_PKEY *key;
} jwk;

struct fg_jwks {
    jwk keys[FG_JWKS_MAX_KEYS];
    size_t n;
};

/* --- base64url ------------------------------------------------------------ */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int fg_b64url_encode(fg_buf *out, const void *data, size_t n)
{
    const unsigned char *p = data;
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        size_t emit = n - i >= 3 ? 4 : n - i + 1;
        for (size_t k = 0; k < 4; k++)
            q[k] = b64url_alphabet[(v >> (18 - 6 * k)) & 63];
        if (fg_buf_append(out, q, emit))
            return FG_ELIMIT;
    }
    return out->data ? 0 : fg_buf_append(out, "", 0);
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int fg_b64url_decode(fg_buf *out, const char *text, size_t n)
{
    while (n > 0 && text[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return FG_EPARSE;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(text[i]);
        if (v < 0)
            return FG_EPARSE;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (fg_buf_putc(out, (char)((acc >> bits) & 0xff)))
                return FG_ELIMIT;
        }
    }
    return out->data ? 0 : fg_buf_append(out, "", 0);
}

/* --- key sets --------------------------------------------------------------- */

fg_jwks *fg_jwks_create(void)
{
    return calloc(1, sizeof(fg_jwks));
}

void fg_jwks_free(fg_jwks *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++)
        EVP_PKEY_free(ks->keys[i].key);
    free(ks);
}

size_t fg_jwks_count(const fg_jwks *ks)
{
    return ks ? ks->n : 0;
}

static const char *key_alg(EVP_PKEY *key)
{
    if (EVP_PKEY_is_a(key, "EC"))
        return "ES256";
    if (EVP_PKEY_is_a(key, "RSA"))
        return "RS256";
    return NULL;
}

int fg_jwks_add(fg_jwks *ks, const char *kid, EVP_PKEY *key, fg_errbuf *eb)
{
    const char *alg = key_alg(key);
    if (!alg)
        return fg_failf(eb, FG_EUNSUPPORTED, "key '%s': only EC P-256 and RSA keys are supported", kid);
    if (ks->n >= FG_JWKS_MAX_KEYS)
        return fg_failf(eb, FG_ELIMIT, "more than %d keys in one key set", FG_JWKS_MAX_KEYS);
    if (strlen(kid) >= sizeof ks->keys[0].kid)
        return fg_failf(eb, FG_EINVAL, "key id longer than %zu bytes", sizeof ks->keys[0].kid - 1);
    jwk *k = &ks->keys[ks->n++];
    snprintf(k->kid, sizeof k->kid, "%s", kid);
    snprintf(k->alg, sizeof k->alg, "%s", alg);
    EVP_PKEY_up_ref(key);
    k->key = key;
    return 0;
}

/* Decodes a base64url member of a JWK into a BIGNUM (at most max bytes). */
static BIGNUM *jwk_bignum(const json_t *o, const char *name, size_t max)
{
    const char *s = fg_json_str(o, name, NULL);
    if (!s)
        return NULL;
    fg_buf b;
    fg_buf_init(&b, max);
    BIGNUM *bn = NULL;
    if (fg_b64url_decode(&b, s, strlen(s)) == 0 && b.len > 0)
        bn = BN_bin2bn((const unsigned char *)b.data, (int)b.len, NULL);
    fg_buf_free(&b);
    return bn;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    /* An EC point must be on the curve before any use. (RSA values are checked
     * by the caller: OpenSSL's RSA public check tests the modulus with random
     * bases, so it could answer differently for the same key.) */
    bool ec = key && EVP_PKEY_is_a(key, "EC");
    EVP_PKEY_CTX *check = ec ? EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL) : NULL;
    if (ec && (!check || EVP_PKEY_public_check(check) != 1)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(check);
    return key;
}

static EVP_PKEY *jwk_rsa(const json_t *o)
{
    BIGNUM *n = jwk_bignum(o, "n", 1024), *e = jwk_bignum(o, "e", 16);
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    /* A usable public key: a modulus of 2048 bits or more, odd; an odd exponent
     * from 3 to 2^64 (an exponent of 0 or 1 verifies forgeries). */
    bool sane = n && e && BN_num_bits(n) >= 2048 && BN_is_odd(n) && BN_is_odd(e) && BN_num_bits(e) >= 2 &&
                BN_num_bits(e) <= 64;
    if (sane && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        key = pkey_from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return key;
}

static int decode_coord(const json_t *o, const char *name, unsigned char out[32])
{
    const char *s = fg_json_str(o, name, NULL);
    fg_buf b;
    fg_buf_init(&b, 64);
    int ok = s && fg_b64url_decode(&b, s, strlen(s)) == 0 && b.len == 32;
    if (ok)
        memcpy(out, b.data, 32);
    fg_buf_free(&b);
    return ok;
}

static EVP_PKEY *jwk_ec(const json_t *o)
{
    if (strcmp(fg_json_str(o, "crv", ""), "P-256") != 0)
        return NULL;
    unsigned char point[65];
    point[0] = 0x04; /* uncompressed */
    if (!decode_coord(o, "x", point + 1) || !decode_coord(o, "y", point + 33))
        return NULL;
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
        key = pkey_from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

/* Adds one JWK of the set; keys that are not for signatures are skipped. */
static int parse_one_key(fg_jwks *ks, const json_t *o, size_t index, fg_errbuf *eb)
{
    if (!json_is_object(o))
        return fg_failf(eb, FG_EPARSE, "JWKS keys[%zu] is not an object", index);
    const char *use = fg_json_str(o, "use", "sig");
    const char *kty = fg_json_str(o, "kty", "");
    if (strcmp(use, "sig") != 0 || (strcmp(kty, "EC") != 0 && strcmp(kty, "RSA") != 0))
        return 0;
    const char *alg = fg_json_str(o, "alg", NULL);
    if (alg && strcmp(alg, "ES256") != 0 && strcmp(alg, "RS256") != 0)
        return 0;
    EVP_PKEY *key = strcmp(kty, "EC") == 0 ? jwk_ec(o) : jwk_rsa(o);
    if (!key)
        return fg_failf(eb, FG_EPARSE, "JWKS keys[%zu]: malformed or unsupported %s key", index, kty);
    int rc = fg_jwks_add(ks, fg_json_str(o, "kid", ""), key, eb);
    EVP_PKEY_free(key);
    return rc;
}

int fg_jwks_parse(const char *text, size_t n, fg_jwks **out, fg_errbuf *eb)
{
    *out = NULL;
    json_error_t jerr;
    json_t *doc = fg_json_parse(text, n, &jerr);
    if (!doc)
        return fg_failf(eb, FG_EPARSE, "JWKS is not JSON: %s (line %d)", jerr.text, jerr.line);
    json_t *keys = json_object_get(doc, "keys");
    int rc = 0;
    fg_jwks *ks = NULL;
    if (!json_is_array(keys)) {
        rc = fg_failf(eb, FG_EPARSE, "JWKS has no \"keys\" list");
        goto out;
    }
    ks = fg_jwks_create();
    if (!ks) {
        rc = fg_failf(eb, FG_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(keys) && !rc; i++)
        rc = parse_one_key(ks, json_array_get(keys, i), i, eb);
out:
    json_decref(doc);
    if (rc)
        fg_jwks_free(ks);
    else
        *out = ks;
    return rc;
}

static json_t *bn_member(EVP_PKEY *key, const char *param, size_t pad)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(key, param, &bn))
        return NULL;
    unsigned char raw[1024];
    size_t len = (size_t)BN_num_bytes(bn);
    if (pad < len)
        pad = len;
    json_t *s = NULL;
    if (pad <= sizeof raw && BN_bn2binpad(bn, raw, (int)pad) >= 0) {
        fg_buf b;
        fg_buf_init(&b, 0);
        if (fg_b64url_encode(&b, raw, pad) == 0)
            s = json_string(b.data);
        fg_buf_free(&b);
    }
    BN_free(bn);
    return s;
}

static json_t *public_jwk(const jwk *k)
{
    json_t *o = json_object();
    json_object_set_new(o, "kid", json_string(k->kid));
    json_object_set_new(o, "use", json_string("sig"));
    json_object_set_new(o, "alg", json_string(k->alg));
    if (strcmp(k->alg, "ES256") == 0) {
        json_object_set_new(o, "kty", json_string("EC"));
        json_object_set_new(o, "crv", json_string("P-256"));
        json_object_set_new(o, "x", bn_member(k->key, OSSL_PKEY_PARAM_EC_PUB_X, 32));
        json_object_set_new(o, "y", bn_member(k->key, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    } else {
        json_object_set_new(o, "kty", json_string("RSA"));
        json_object_set_new(o, "n", bn_member(k->key, OSSL_PKEY_PARAM_RSA_N, 0));
        json_object_set_new(o, "e", bn_member(k->key, OSSL_PKEY_PARAM_RSA_E, 0));
    }
    return o;
}

json_t *fg_jwks_to_json(const fg_jwks *ks)
{
    json_t *keys = json_array();
    for (size_t i = 0; ks && i < ks->n; i++)
        json_array_append_new(keys, public_jwk(&ks->keys[i]));
    return json_pack("{s:o}", "keys", keys);
}

/* --- verification ------------------------------------------------------------ */

static json_t *decode_json_part(const char *s, size_t n)
{
    fg_buf b;
    fg_buf_init(&b, FG_JWT_MAX_BYTES);
    json_t *v = NULL;
    if (fg_b64url_decode(&b, s, n) == 0) {
        json_error_t jerr;
        v = fg_json_parse(b.data, b.len, &jerr);
        if (v && !json_is_object(v)) {
            json_decref(v);
            v = NULL;
        }
    }
    fg_buf_free(&b);
    return v;
}

static const jwk *find_key(const fg_jwks *ks, const char *alg, const char *kid)
{
    const jwk *only = NULL;
    size_t same_alg = 0;
    for (size_t i = 0; ks && i < ks->n; i++) {
        const jwk *k = &ks->keys[i];
        if (strcmp(k->alg, alg) != 0)
            continue;
        if (kid && strcmp(k->kid, kid) == 0)
            return k;
        same_alg++;
        only = k;
    }
    return !kid && same_alg == 1 ? only : NULL;
}

/* Converts a raw r||s ES256 signature to the DER form OpenSSL verifies. */
static int es256_raw_to_der(const unsigned char *raw, size_t n, unsigned char **der, int *der_len)
{
    if (n != 64)
        return -1;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return -1;
    }
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(sig, der);
    ECDSA_SIG_free(sig);
    return *der_len > 0 ? 0 : -1;
}

static int verify_signature(const jwk *k, const char *signed_part, size_t signed_len,
                            const unsigned char *sig, size_t sig_len)
{
    unsigned char *der = NULL;
    int der_len = 0;
    if (strcmp(k->alg, "ES256") == 0) {
        if (es256_raw_to_der(sig, sig_len, &der, &der_len))
            return -1;
        sig = der;
        sig_len = (size_t)der_len;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->key) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)signed_part, signed_len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok ? 0 : -1;
}

static int check_times(const json_t *claims, int64_t now_s, int64_t skew_s, fg_errbuf *eb)
{
    json_t *exp = json_object_get(claims, "exp");
    json_t *nbf = json_object_get(claims, "nbf");
    if (!json_is_number(exp))
        return fg_failf(eb, FG_EDENIED, "token has no expiry (exp)");
    if ((double)now_s > json_number_value(exp) + (double)skew_s)
        return fg_failf(eb, FG_EDENIED, "token expired");
    if (nbf && (!json_is_number(nbf) || (double)now_s + (double)skew_s < json_number_value(nbf)))
        return fg_failf(eb, FG_EDENIED, "token not valid yet (nbf)");
    return 0;
}

typedef struct jwt_parts {
    const char *header, *payload, *sig;
    size_t header_len, payload_len, sig_len;
} jwt_parts;

static int split_token(const char *t, size_t n, jwt_parts *p)
{
    const char *dot1 = memchr(t, '.', n);
    if (!dot1)
        return -1;
    const char *dot2 = memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - t));
    if (!dot2 || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - t)))
        return -1;
    *p = (jwt_parts){t, dot1 + 1, dot2 + 1, (size_t)(dot1 - t), (size_t)(dot2 - dot1 - 1),
                     n - (size_t)(dot2 + 1 - t)};
    return p->header_len && p->payload_len && p->sig_len ? 0 : -1;
}

/* The header's algorithm and key, or an error naming what is wrong. */
static int header_key(const json_t *header, const fg_jwks *ks, const jwk **key, fg_errbuf *eb)
{
    const char *alg = fg_json_str(header, "alg", NULL);
    if (!alg)
        return fg_failf(eb, FG_EDENIED, "token header has no alg");
    if (strcmp(alg, "ES256") != 0 && strcmp(alg, "RS256") != 0)
        return fg_failf(eb, FG_EDENIED, "token algorithm not accepted");
    json_t *kid = json_object_get(header, "kid");
    if (kid && !json_is_string(kid))
        return fg_failf(eb, FG_EDENIED, "token kid is not a string");
    if (json_object_get(header, "crit"))
        return fg_failf(eb, FG_EDENIED, "token has critical header extensions");
    *key = find_key(ks, alg, kid ? json_string_value(kid) : NULL);
    return *key ? 0 : fg_failf(eb, FG_ENOTFOUND, "no key for the token's kid and alg");
}

int fg_jwt_verify(const char *token, size_t n, const fg_jwks *ks, int64_t now_s, int64_t skew_s,
                  json_t **claims, fg_errbuf *eb)
{
    *claims = NULL;
    jwt_parts p;
    if (n == 0 || n > FG_JWT_MAX_BYTES || split_token(token, n, &p))
        return fg_failf(eb, FG_EDENIED, "malformed token");
    json_t *header = decode_json_part(p.header, p.header_len);
    if (!header)
        return fg_failf(eb, FG_EDENIED, "malformed token header");
    const jwk *key = NULL;
    int rc = header_key(header, ks, &key, eb);
    json_decref(header);
    if (rc)
        return rc;
    fg_buf sig;
    fg_buf_init(&sig, 1024);
    rc = fg_b64url_decode(&sig, p.sig, p.sig_len) ||
         verify_signature(key, token, (size_t)(p.sig - 1 - token), (unsigned char *)sig.data, sig.len);
    fg_buf_free(&sig);
    if (rc)
        return fg_failf(eb, FG_EDENIED, "bad token signature");
    json_t *c = decode_json_part(p.payload, p.payload_len);
    if (!c)
        return fg_failf(eb, FG_EDENIED, "malformed token claims");
    rc = check_times(c, now_s, skew_s, eb);
    if (rc) {
        json_decref(c);
        return rc;
    }
    *claims = c;
    return 0;
}

int fg_jwt_audience_matches(const json_t *claims, const char *aud)
{
    json_t *a = json_object_get(claims, "aud");
    if (json_is_string(a) && strcmp(json_string_value(a), aud) == 0)
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v) && strcmp(json_string_value(v), aud) == 0) return 1;
    return !a && strcmp(fg_json_str(claims, "client_id", ""), aud) == 0;
}

int fg_jwt_has_scope(const json_t *claims, const char *scope)
{
    const char *s = fg_json_str(claims, "scope", NULL);
    if (!s)
        s = fg_json_str(claims, "scp", "");
    size_t n = strlen(scope);
    for (const char *p = s; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, scope, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* --- signing ------------------------------------------------------------------ */

EVP_PKEY *fg_jwt_generate_es256_key(void)
{
    return EVP_EC_gen("P-256");
}

static int es256_sign_raw(EVP_PKEY *key, const char *data, size_t n, unsigned char raw[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t der_len = sizeof der;
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(md, der, &der_len, (const unsigned char *)data, n) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return -1;
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig)
        return -1;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

int fg_jwt_sign_es256(EVP_PKEY *key, const char *kid, const json_t *claims, char **out, fg_errbuf *eb)
{
    *out = NULL;
    json_t *header = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "typ", "JWT", "kid", kid);
    char *h = fg_json_dumps(header), *c = fg_json_dumps(claims);
    json_decref(header);
    fg_buf b;
    fg_buf_init(&b, 0);
    unsigned char raw[64];
    int rc = !h || !c || fg_b64url_encode(&b, h, strlen(h)) || fg_buf_putc(&b, '.') ||
             fg_b64url_encode(&b, c, strlen(c)) || es256_sign_raw(key, b.data, b.len, raw) ||
             fg_buf_putc(&b, '.') || fg_b64url_encode(&b, raw, sizeof raw);
    free(h);
    free(c);
    if (rc) {
        fg_buf_free(&b);
        return fg_failf(eb, FG_EINTERNAL, "could not sign the token");
    }
    *out = fg_buf_detach(&b, NULL);
    return 0;
}
