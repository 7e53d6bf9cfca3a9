/* JWT and JWKS: signing and verification, and every kind of bad token. */
#include "auth/jwt.h"
#include "core/json.h"
#include "fg_test.h"

#include <openssl/evp.h>

#define NOW 1800000000

static const char *b64(const char *s)
{
    static fg_buf b;
    fg_buf_free(&b);
    fg_buf_init(&b, 0);
    fg_b64url_encode(&b, s, strlen(s));
    return b.data;
}

static char *signed_token(EVP_PKEY *key, const char *kid, json_t *claims)
{
    char *t = NULL;
    fg_jwt_sign_es256(key, kid, claims, &t, NULL);
    json_decref(claims);
    return t;
}

static int verify(const char *t, fg_jwks *ks, fg_errbuf *eb)
{
    json_t *claims = NULL;
    fg_errbuf_clear(eb);
    int rc = fg_jwt_verify(t, strlen(t), ks, NOW, 60, &claims, eb);
    json_decref(claims);
    return rc;
}

FG_TEST(b64url_known_vectors)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_b64url_encode(&b, "\xfb\xff", 2);
    FG_CHECK_STR(b.data, "-_8");
    fg_buf_reset(&b);
    FG_CHECK_INT(fg_b64url_decode(&b, "-_8", 3), 0);
    FG_CHECK_INT(b.len, 2);
    FG_CHECK(memcmp(b.data, "\xfb\xff", 2) == 0);
    fg_buf_reset(&b);
    FG_CHECK(fg_b64url_decode(&b, "a+b/", 4) != 0);
    FG_CHECK(fg_b64url_decode(&b, "abcde", 5) != 0);
    fg_buf_free(&b);
}

FG_TEST(sign_then_verify_and_reject_every_bad_kind)
{
    EVP_PKEY *key = fg_jwt_generate_es256_key(), *other = fg_jwt_generate_es256_key();
    fg_jwks *ks = fg_jwks_create();
    FG_REQUIRE(fg_jwks_add(ks, "k1", key, NULL) == 0);
    fg_errbuf eb;
    char *good = signed_token(key, "k1", json_pack("{s:s,s:I}", "sub", "u", "exp", (json_int_t)NOW + 100));
    FG_CHECK_INT(verify(good, ks, &eb), 0);

    char *expired = signed_token(key, "k1", json_pack("{s:I}", "exp", (json_int_t)NOW - 100));
    FG_CHECK_INT(verify(expired, ks, &eb), FG_EDENIED);
    FG_CHECK(strstr(eb.msg, "expired") != NULL);
    char *noexp = signed_token(key, "k1", json_pack("{s:s}", "sub", "u"));
    FG_CHECK_INT(verify(noexp, ks, &eb), FG_EDENIED);
    char *nbf = signed_token(key, "k1", json_pack("{s:I,s:I}", "exp", (json_int_t)NOW + 900, "nbf",
                                                  (json_int_t)NOW + 300));
    FG_CHECK_INT(verify(nbf, ks, &eb), FG_EDENIED);
    char *wrongkid = signed_token(key, "k2", json_pack("{s:I}", "exp", (json_int_t)NOW + 100));
    FG_CHECK_INT(verify(wrongkid, ks, &eb), FG_ENOTFOUND);
    char *forged = signed_token(other, "k1", json_pack("{s:I}", "exp", (json_int_t)NOW + 100));
    FG_CHECK_INT(verify(forged, ks, &eb), FG_EDENIED);
    FG_CHECK(strstr(eb.msg, "signature") != NULL);

    /* alg none and HS256 keep the good token's payload. */
    const char *payload = strchr(good, '.') + 1;
    size_t plen = (size_t)(strchr(payload, '.') - payload);
    char t[4096];
    snprintf(t, sizeof t, "%s.%.*s.", b64("{\"alg\":\"none\"}"), (int)plen, payload);
    FG_CHECK_INT(verify(t, ks, &eb), FG_EDENIED);
    snprintf(t, sizeof t, "%s.%.*s.c2ln", b64("{\"alg\":\"HS256\",\"kid\":\"k1\"}"), (int)plen, payload);
    FG_CHECK_INT(verify(t, ks, &eb), FG_EDENIED);
    snprintf(t, sizeof t, "%s.%.*s.c2ln", b64("{\"alg\":\"ES256\",\"kid\":\"k1\",\"crit\":[\"x\"]}"),
             (int)plen, payload);
    FG_CHECK_INT(verify(t, ks, &eb), FG_EDENIED);
    /* Structure: parts, sizes. */
    FG_CHECK_INT(verify("abc", ks, &eb), FG_EDENIED);
    FG_CHECK_INT(verify("a.b.c.d", ks, &eb), FG_EDENIED);
    FG_CHECK_INT(verify("..", ks, &eb), FG_EDENIED);
    free(good);
    free(expired);
    free(noexp);
    free(nbf);
    free(wrongkid);
    free(forged);
    fg_jwks_free(ks);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

FG_TEST(jwks_round_trip_and_audience_scope)
{
    EVP_PKEY *key = fg_jwt_generate_es256_key();
    fg_jwks *ks = fg_jwks_create();
    fg_jwks_add(ks, "k1", key, NULL);
    json_t *pub = fg_jwks_to_json(ks);
    char *text = fg_json_dumps(pub);
    FG_CHECK(strstr(text, "\"d\"") == NULL); /* never the private part */
    fg_jwks *again = NULL;
    FG_REQUIRE(fg_jwks_parse(text, strlen(text), &again, NULL) == 0);
    FG_CHECK_INT(fg_jwks_count(again), 1);
    char *tok = signed_token(key, "k1", json_pack("{s:I}", "exp", (json_int_t)NOW + 10));
    fg_errbuf eb;
    FG_CHECK_INT(verify(tok, again, &eb), 0);
    json_t *c = json_pack("{s:[s,s],s:s}", "aud", "a", "b", "scp", "read chat");
    FG_CHECK(fg_jwt_audience_matches(c, "b"));
    FG_CHECK(!fg_jwt_audience_matches(c, "c"));
    FG_CHECK(fg_jwt_has_scope(c, "chat"));
    FG_CHECK(!fg_jwt_has_scope(c, "cha"));
    json_t *cognito = json_pack("{s:s}", "client_id", "app");
    FG_CHECK(fg_jwt_audience_matches(cognito, "app"));
    json_decref(c);
    json_decref(cognito);
    fg_jwks *bad = NULL;
    FG_CHECK(fg_jwks_parse("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}", 57, &bad,
                           NULL) != 0);
    FG_CHECK(fg_jwks_parse("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", 45, &bad, NULL) != 0);
    FG_CHECK(fg_jwks_parse("[]", 2, &bad, NULL) != 0);
    free(tok);
    free(text);
    json_decref(pub);
    fg_jwks_free(ks);
    fg_jwks_free(again);
    EVP_PKEY_free(key);
}

FG_TEST(jwks_refuses_unusable_public_keys)
{
    fg_jwks *ks = NULL;
    /* A point that is not on P-256 (x = y = 1). */
    const char *off_curve = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k\","
                            "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\","
                            "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}";
    FG_CHECK(fg_jwks_parse(off_curve, strlen(off_curve), &ks, NULL) != 0);
    /* An RSA key with exponent 1 (every "signature" of itself verifies). */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    fg_jwks *good = fg_jwks_create();
    fg_jwks_add(good, "r", rsa, NULL);
    json_t *doc = fg_jwks_to_json(good);
    json_object_set_new(json_array_get(json_object_get(doc, "keys"), 0), "e", json_string("AQ"));
    char *text = fg_json_dumps(doc);
    FG_CHECK(fg_jwks_parse(text, strlen(text), &ks, NULL) != 0);
    json_object_set_new(json_array_get(json_object_get(doc, "keys"), 0), "e", json_string("AQAB"));
    free(text);
    text = fg_json_dumps(doc);
    FG_CHECK_INT(fg_jwks_parse(text, strlen(text), &ks, NULL), 0);
    fg_jwks_free(ks);
    free(text);
    json_decref(doc);
    fg_jwks_free(good);
    EVP_PKEY_free(rsa);
}
