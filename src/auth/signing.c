/* flowgate's own token-signing key: an ES256 (P-256) key generated at first
 * start and kept in the store, so every process sharing the store signs and
 * verifies with the same keys. All stored keys verify; the newest signs. */
#include "auth/auth_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

static EVP_PKEY *key_from_pem(const char *pem, size_t n)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

typedef struct load_ctx {
    fg_auth *a;
    fg_errbuf *eb;
    int rc;
} load_ctx;

/* Rows come newest first: the first key becomes the signing key. */
static int on_key_row(void *ctx, int ncols, const char *const *names, const fg_sval *cols)
{
    load_ctx *lc = ctx;
    if (ncols < 2 || cols[0].type != FG_SV_TEXT || cols[1].type != FG_SV_TEXT)
        return 0;
    char kid[64];
    snprintf(kid, sizeof kid, "%.*s", (int)cols[0].v.s.n, cols[0].v.s.p);
    EVP_PKEY *key = key_from_pem(cols[1].v.s.p, cols[1].v.s.n);
    if (!key) {
        lc->rc = fg_failf(lc->eb, FG_EPARSE, "stored signing key %s cannot be read", kid);
        return 1;
    }
    lc->rc = fg_jwks_add(lc->a->own_keys, kid, key, lc->eb);
    if (!lc->a->signing_key) {
        lc->a->signing_key = key;
        snprintf(lc->a->kid, sizeof lc->a->kid, "%s", kid);
    } else {
        EVP_PKEY_free(key);
    }
    return lc->rc != 0;
}

static int load_keys(fg_auth *a, fg_errbuf *eb)
{
    load_ctx lc = {a, eb, 0};
    int rc = fg_store_query(a->store,
                            "SELECT kid, private_pem FROM signing_keys WHERE alg = 'ES256' "
                            "ORDER BY created_ms DESC, kid LIMIT 16",
                            NULL, 0, on_key_row, &lc, eb);
    return rc ? rc : lc.rc;
}

static int generate_key(fg_auth *a, fg_errbuf *eb)
{
    EVP_PKEY *key = fg_jwt_generate_es256_key();
    BIO *bio = BIO_new(BIO_s_mem());
    if (!key || !bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        EVP_PKEY_free(key);
        BIO_free(bio);
        return fg_failf(eb, FG_EINTERNAL, "could not generate the token-signing key");
    }
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    char kid[17];
    fg__random_id(kid);
    fg_sval p[3] = {fg__text(kid), FG_STEXTN(pem, (size_t)len), FG_SINT(fg_clock_wall_ms())};
    int rc = fg_store_exec(a->store,
                           "INSERT INTO signing_keys (kid, alg, private_pem, created_ms) "
                           "VALUES ($1, 'ES256', $2, $3)",
                           p, 3, NULL, eb);
    BIO_free(bio);
    EVP_PKEY_free(key);
    if (!rc)
        fg_info("generated the token-signing key %s", kid);
    return rc;
}

int fg__signing_key_load(fg_auth *a, fg_errbuf *eb)
{
    a->own_keys = fg_jwks_create();
    if (!a->own_keys)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    int rc = load_keys(a, eb);
    if (!rc && !a->signing_key) {
        rc = generate_key(a, eb);
        if (!rc)
            rc = load_keys(a, eb);
    }
    return rc;
}
