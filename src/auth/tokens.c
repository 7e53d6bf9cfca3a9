/* Tokens: access tokens are ES256 JWTs flowgate signs (claims sub,
 * custom:account_id, custom:role, scope, iss, aud, iat, exp); refresh tokens
 * are fgr_<id>_<secret>, stored hashed and replaced on every use. A refresh
 * token used twice means it leaked: every refresh token of its user is revoked. */
#include "auth/auth_int.h"

#include "core/clock.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OWN_SCOPE "flowgate"

static int sign_access_token(fg_auth *a, const json_t *user, char **out, fg_errbuf *eb)
{
    int64_t now = fg_clock_wall_ms() / 1000;
    char jti[17];
    fg__random_id(jti);
    json_t *claims = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "iss", a->issuer,
                               "aud", a->audience, "sub", fg_json_str(user, "id", ""),
                               "custom:account_id", fg_json_str(user, "account_id", ""),
                               "custom:role", fg_json_str(user, "role", "user"), "username",
                               fg_json_str(user, "login", ""), "scope", OWN_SCOPE, "iat", (json_int_t)now,
                               "exp", (json_int_t)(now + a->access_ttl_s), "jti", jti, "token_use",
                               "access");
    if (!claims)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    int rc = fg_jwt_sign_es256(a->signing_key, a->kid, claims, out, eb);
    json_decref(claims);
    return rc;
}

static int new_refresh_token(fg_auth *a, const char *user_id, char out[96], fg_errbuf *eb)
{
    char id[17], secret[48], hash[65];
    fg__random_id(id);
    fg__random_token(secret, 32);
    fg__sha256_hex(secret, strlen(secret), hash);
    int64_t now = fg_clock_wall_ms();
    fg_sval p[5] = {fg__text(id), fg__text(user_id), fg__text(hash),
                    FG_SINT(now + a->refresh_ttl_s * 1000), FG_SINT(now)};
    int rc = fg_store_exec(a->store,
                           "INSERT INTO refresh_tokens (id, user_id, secret_hash, expires_ms, created_ms) "
                           "VALUES ($1, $2, $3, $4, $5)",
                           p, 5, NULL, eb);
    snprintf(out, 96, "fgr_%s_%s", id, secret);
    return rc;
}

int fg__tokens_issue(fg_auth *a, const json_t *user, json_t **out, fg_errbuf *eb)
{
    *out = NULL;
    char *access = NULL, refresh[96];
    int rc = sign_access_token(a, user, &access, eb);
    if (!rc)
        rc = new_refresh_token(a, fg_json_str(user, "id", ""), refresh, eb);
    if (!rc)
        *out = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "access_token", access, "token_type", "Bearer",
                         "expires_in", (json_int_t)a->access_ttl_s, "refresh_token", refresh,
                         "account_id", fg_json_str(user, "account_id", ""), "role",
                         fg_json_str(user, "role", "user"));
    free(access);
    return rc;
}

/* Splits fgr_<16 hex>_<secret> into its id and secret. */
static int parse_refresh(const char *t, char id[17], const char **secret)
{
    if (strncmp(t, "fgr_", 4) != 0 || strlen(t) < 4 + 16 + 2 || t[20] != '_' || strlen(t) > 200)
        return -1;
    memcpy(id, t + 4, 16);
    id[16] = 0;
    *secret = t + 21;
    return 0;
}

static int find_refresh(fg_auth *a, const char *token, json_t **row, fg_errbuf *eb)
{
    char id[17];
    const char *secret = NULL;
    *row = NULL;
    if (parse_refresh(token, id, &secret))
        return fg_failf(eb, FG_EDENIED, "malformed refresh token");
    fg_sval p[1] = {fg__text(id)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(a->store,
                                 "SELECT id, user_id, secret_hash, expires_ms, used FROM refresh_tokens "
                                 "WHERE id = $1",
                                 p, 1, &rows, eb);
    if (rc)
        return rc;
    json_t *r = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    char hash[65];
    fg__sha256_hex(secret, strlen(secret), hash);
    if (!r || !fg__secret_equal(fg_json_str(r, "secret_hash", ""), hash)) {
        json_decref(r);
        return fg_failf(eb, FG_EDENIED, "unknown refresh token");
    }
    *row = r;
    return 0;
}

int fg__tokens_refresh(fg_auth *a, const char *refresh_token, json_t **out, fg_errbuf *eb)
{
    *out = NULL;
    json_t *row = NULL, *user = NULL;
    int rc = find_refresh(a, refresh_token, &row, eb);
    if (rc)
        return rc;
    const char *user_id = fg_json_str(row, "user_id", "");
    fg_sval p[1] = {fg__text(fg_json_str(row, "id", ""))};
    int64_t changed = 0;
    if (fg_json_int(row, "expires_ms", 0) < fg_clock_wall_ms()) {
        rc = fg_failf(eb, FG_EDENIED, "refresh token expired");
    } else {
        /* Claimed atomically: of two concurrent uses, one wins. */
        rc = fg_store_exec(a->store, "UPDATE refresh_tokens SET used = 1 WHERE id = $1 AND used = 0",
                           p, 1, &changed, eb);
        if (!rc && changed != 1) {
            fg__tokens_revoke_user(a, user_id, NULL);
            rc = fg_failf(eb, FG_EDENIED, "refresh token already used: every session of this user "
                                          "was signed out");
        }
    }
    if (!rc)
        rc = fg__user_get(a, NULL, user_id, &user, eb);
    if (!rc)
        rc = fg__tokens_issue(a, user, out, eb);
    json_decref(user);
    json_decref(row);
    return rc;
}

int fg__tokens_revoke(fg_auth *a, const char *refresh_token, fg_errbuf *eb)
{
    json_t *row = NULL;
    int rc = find_refresh(a, refresh_token, &row, eb);
    if (rc)
        return rc;
    fg_sval p[1] = {fg__text(fg_json_str(row, "id", ""))};
    rc = fg_store_exec(a->store, "DELETE FROM refresh_tokens WHERE id = $1", p, 1, NULL, eb);
    json_decref(row);
    return rc;
}

int fg__tokens_revoke_user(fg_auth *a, const char *user_id, fg_errbuf *eb)
{
    fg_sval p[1] = {fg__text(user_id)};
    return fg_store_exec(a->store, "DELETE FROM refresh_tokens WHERE user_id = $1", p, 1, NULL, eb);
}

/* --- verifying bearer JWTs ---------------------------------------------------- */

static void copy_str(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

static int own_principal(fg_auth *a, const json_t *claims, fg_principal *p, fg_errbuf *eb)
{
    if (!fg_jwt_audience_matches(claims, a->audience))
        return fg_failf(eb, FG_EDENIED, "token audience is not flowgate's");
    fg_role role = fg__role_parse(fg_json_str(claims, "custom:role", "user"));
    if (role == FG_ROLE_NONE)
        return fg_failf(eb, FG_EDENIED, "token carries an unknown role");
    copy_str(p->subject, sizeof p->subject, fg_json_str(claims, "sub", ""));
    copy_str(p->account_id, sizeof p->account_id, fg_json_str(claims, "custom:account_id", ""));
    copy_str(p->scopes, sizeof p->scopes, fg_json_str(claims, "scope", ""));
    p->role = role;
    return 0;
}

static int issuer_principal(const fg_oidc_issuer *is, const json_t *claims, fg_principal *p,
                            fg_errbuf *eb)
{
    if (is->audience && *is->audience && !fg_jwt_audience_matches(claims, is->audience))
        return fg_failf(eb, FG_EDENIED, "token audience not accepted");
    if (is->required_scope && *is->required_scope && !fg_jwt_has_scope(claims, is->required_scope))
        return fg_failf(eb, FG_EDENIED, "token lacks the required scope");
    const char *account = fg_json_str(claims, is->account_claim, NULL);
    if (!account || !*account)
        return fg_failf(eb, FG_EDENIED, "token has no %s claim", is->account_claim);
    copy_str(p->subject, sizeof p->subject, fg_json_str(claims, "sub", ""));
    copy_str(p->account_id, sizeof p->account_id, account);
    const char *scope = fg_json_str(claims, "scope", NULL);
    copy_str(p->scopes, sizeof p->scopes, scope ? scope : fg_json_str(claims, "scp", ""));
    p->role = is->role;
    return 0;
}

/* The issuer named by the token's iss, read before the signature is checked
 * only to pick the keys; nothing else of the payload is trusted yet. */
static char *peek_issuer(const char *token, size_t n)
{
    const char *dot1 = memchr(token, '.', n);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2)
        return NULL;
    fg_buf b;
    fg_buf_init(&b, FG_JWT_MAX_BYTES);
    char *iss = NULL;
    if (fg_b64url_decode(&b, dot1 + 1, (size_t)(dot2 - dot1 - 1)) == 0) {
        json_error_t jerr;
        json_t *c = fg_json_parse(b.data, b.len, &jerr);
        const char *s = fg_json_str(c, "iss", NULL);
        iss = s ? strdup(s) : NULL;
        json_decref(c);
    }
    fg_buf_free(&b);
    return iss;
}

int fg__jwt_principal(fg_auth *a, const char *token, size_t n, fg_principal *p, fg_errbuf *eb)
{
    if (n > FG_JWT_MAX_BYTES)
        return fg_failf(eb, FG_EDENIED, "token too long");
    if (fg__token_cache_get(token, n, p))
        return 0;
    char *iss = peek_issuer(token, n);
    if (!iss)
        return fg_failf(eb, FG_EDENIED, "malformed token");
    fg_oidc_issuer *is = NULL;
    for (size_t i = 0; i < a->nissuers && !is; i++)
        if (strcmp(a->issuers[i].issuer, iss) == 0)
            is = &a->issuers[i];
    bool own = strcmp(iss, a->issuer) == 0;
    free(iss);
    if (!own && !is)
        return fg_failf(eb, FG_EDENIED, "token issuer not accepted");
    json_t *claims = NULL;
    int64_t now = fg_clock_wall_ms() / 1000;
    if (!own)
        pthread_rwlock_rdlock(&a->keys_lock);
    int rc = fg_jwt_verify(token, n, own ? a->own_keys : is->keys, now, a->skew_s, &claims, eb);
    if (!own)
        pthread_rwlock_unlock(&a->keys_lock);
    if (rc == FG_ENOTFOUND) {
        if (!own)
            fg__oidc_want_refresh(a, is);
        rc = FG_EDENIED;
    }
    /* The verified payload must name the same issuer the keys were chosen for. */
    if (!rc && strcmp(fg_json_str(claims, "iss", ""), own ? a->issuer : is->issuer) != 0)
        rc = fg_failf(eb, FG_EDENIED, "token issuer not accepted");
    if (!rc)
        rc = own ? own_principal(a, claims, p, eb) : issuer_principal(is, claims, p, eb);
    if (!rc)
        fg__token_cache_put(token, n, p, (int64_t)json_number_value(json_object_get(claims, "exp")) + a->skew_s);
    json_decref(claims);
    return rc;
}
