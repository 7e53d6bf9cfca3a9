/* JSON Web Tokens and key sets, by hand over OpenSSL: parse and verify ES256 and
 * RS256 tokens against a JWKS, sign ES256 tokens with flowgate's own key. Only
 * asymmetric algorithms are accepted: "none" and every HS* are refused, so a
 * public key can never be used as an HMAC secret. Pure functions with no store
 * or network access (the JWT/JWKS fuzz target drives them directly). */
#ifndef FG_AUTH_JWT_H
#define FG_AUTH_JWT_H

#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* Tokens longer than this are refused before any parsing. */
#define FG_JWT_MAX_BYTES 16384
/* Key sets with more keys than this are refused. */
#define FG_JWKS_MAX_KEYS 64

typedef struct fg_jwks fg_jwks;

fg_jwks *fg_jwks_create(void);
void fg_jwks_free(fg_jwks *ks);
/* Parses a JWKS document ({"keys":[...]}); keys of unknown types or uses are
 * skipped, malformed EC/RSA keys are an error. */
int fg_jwks_parse(const char *text, size_t n, fg_jwks **out, fg_errbuf *eb);
/* Adds a public (or private) key under kid; takes a reference of its own. */
int fg_jwks_add(fg_jwks *ks, const char *kid, EVP_PKEY *key, fg_errbuf *eb);
size_t fg_jwks_count(const fg_jwks *ks);
/* The public half of every key as a JWKS document (new reference). */
json_t *fg_jwks_to_json(const fg_jwks *ks);

/* base64url without padding (RFC 7515 §2). */
int fg_b64url_encode(fg_buf *out, const void *data, size_t n);
int fg_b64url_decode(fg_buf *out, const char *text, size_t n);

/* Verifies token's signature with a key of ks (by kid; without a kid only when
 * ks holds exactly one key of the token's algorithm) and its time claims
 * (exp required; nbf honoured; skew_s of leeway). On success *claims is a new
 * reference to the payload. iss and aud are the caller's to check. Fails with
 * FG_ENOTFOUND when ks has no key for the token (the issuer may have rotated
 * its keys), FG_EDENIED for every other bad token. */
int fg_jwt_verify(const char *token, size_t n, const fg_jwks *ks, int64_t now_s, int64_t skew_s,
                  json_t **claims, fg_errbuf *eb);

/* True when claims' aud (a string or a list) holds aud, or client_id equals it
 * (Cognito access tokens carry client_id instead of aud). */
int fg_jwt_audience_matches(const json_t *claims, const char *aud);
/* True when the space-separated scope (or scp) claim holds scope. */
int fg_jwt_has_scope(const json_t *claims, const char *scope);

/* Signs claims as an ES256 JWT with kid in its header; *out is malloc'd. */
int fg_jwt_sign_es256(EVP_PKEY *key, const char *kid, const json_t *claims, char **out,
                      fg_errbuf *eb);

/* A new P-256 key pair. */
EVP_PKEY *fg_jwt_generate_es256_key(void);

#endif
