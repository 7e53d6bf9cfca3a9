/* The auth layer's insides, shared by its own files only. */
#ifndef FG_AUTH_AUTH_INT_H
#define FG_AUTH_AUTH_INT_H

#include "auth/auth.h"
#include "auth/jwt.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

typedef struct fg_oidc_issuer {
    const char *issuer, *audience, *required_scope, *account_claim, *jwks_url;
    fg_role role;
    fg_jwks *keys;          /* replaced by the refresher under fg_auth.keys_lock */
    int64_t fetched_ms;
    bool want_refresh;
} fg_oidc_issuer;

typedef struct fg_auth_limits {
    long long requests_per_minute, tokens_per_minute;
    double spend_per_day, spend_per_week, spend_per_month;
} fg_auth_limits;

/* A TEXT (or NULL) store parameter; a function so arrays pass too. */
static inline fg_sval fg__text(const char *s)
{
    return FG_STEXT(s);
}

struct fg__admin_route;

struct fg_auth {
    const fg_config *cfg;
    fg_store *store;
    bool disabled;
    const char *issuer, *audience;
    int64_t access_ttl_s, refresh_ttl_s, skew_s, lockout_failures, lockout_s;
    int64_t jwks_refresh_ms, jwks_min_refresh_ms;
    uint32_t pw_memory_kib, pw_iterations;
    EVP_PKEY *signing_key;
    char kid[64];
    fg_jwks *own_keys;
    fg_oidc_issuer *issuers;
    size_t nissuers;
    pthread_rwlock_t keys_lock; /* issuers' key sets */
    pthread_mutex_t refresh_lock;
    pthread_cond_t refresh_wake;
    pthread_t refresher;
    bool refresher_running, stopping;
    fg_auth_limits default_limits;
    struct fg__admin_route *routes; /* handler contexts, freed with the layer */
    size_t nroutes;
};

/* Opens the layer for serve (first_start: create the first admin and print
 * how to log in when auth is on and there is no user) or for the CLI. */
int fg__auth_open(const fg_config *cfg, fg_store *store, bool first_start, fg_auth **out,
                  fg_errbuf *eb);

/* roles */
const char *fg__role_name(fg_role r);
fg_role fg__role_parse(const char *s); /* FG_ROLE_NONE when unknown */

/* password.c: argon2id in PHC string form. */
int fg__password_hash(const fg_auth *a, const char *password, char *out, size_t n, fg_errbuf *eb);
bool fg__password_verify(const char *encoded, const char *password);
/* Checks a new password's strength (length 8..256). */
int fg__password_check(const char *password, fg_errbuf *eb);
/* A random password of 20 URL-safe characters. */
void fg__password_random(char out[24]);

/* secrets.c: random ids and secrets, SHA-256 hex, constant-time comparison. */
void fg__random_token(char *out, size_t nbytes); /* base64url of nbytes random bytes */
void fg__random_id(char out[17]);                /* 16 hex chars */
void fg__sha256_hex(const char *s, size_t n, char out[65]);
bool fg__secret_equal(const char *a, const char *b);

/* signing.c: flowgate's own ES256 key, generated at first start and kept in the store. */
int fg__signing_key_load(fg_auth *a, fg_errbuf *eb);

/* users.c */
int fg__user_count(fg_auth *a, long long *n, fg_errbuf *eb);
/* Creates a user; *out (may be NULL) the user as JSON without the hash. */
int fg__user_create(fg_auth *a, const char *login, const char *password, fg_role role,
                    const char *account_id, json_t **out, fg_errbuf *eb);
int fg__user_set_password(fg_auth *a, const char *login_or_id, const char *password, fg_errbuf *eb);
int fg__user_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb);
int fg__user_get(fg_auth *a, const char *account_id, const char *id, json_t **out, fg_errbuf *eb);
int fg__user_update(fg_auth *a, const char *account_id, const char *id, const json_t *body,
                    fg_errbuf *eb);
int fg__user_delete(fg_auth *a, const char *account_id, const char *id, fg_errbuf *eb);
/* Checks a login. FG_ELIMIT with *retry_after_s when the user is locked out;
 * FG_EDENIED for a wrong login or password. *user gets the user row. */
int fg__user_login(fg_auth *a, const char *login, const char *password, json_t **user,
                   int64_t *retry_after_s, fg_errbuf *eb);
/* First start: an account "default" and an admin "admin" with a random
 * password, printed once on standard output. */
int fg__first_start(fg_auth *a, fg_errbuf *eb);

/* tokens.c: access tokens (JWT) and refresh tokens (rotated on use). */
int fg__tokens_issue(fg_auth *a, const json_t *user, json_t **out, fg_errbuf *eb);
int fg__tokens_refresh(fg_auth *a, const char *refresh_token, json_t **out, fg_errbuf *eb);
int fg__tokens_revoke(fg_auth *a, const char *refresh_token, fg_errbuf *eb);
int fg__tokens_revoke_user(fg_auth *a, const char *user_id, fg_errbuf *eb);
/* Verifies a bearer JWT (own or an OIDC issuer's) into a principal. */
int fg__jwt_principal(fg_auth *a, const char *token, size_t n, fg_principal *p, fg_errbuf *eb);

/* token_cache.c: verified JWTs until their exp (or the issuer's shorter bound). */
bool fg__token_cache_get(const char *token, size_t n, fg_principal *p);
void fg__token_cache_put(const char *token, size_t n, const fg_principal *p, int64_t expires_s);
void fg__token_cache_clear(void);

/* apikeys.c: fgk_<id>_<secret>. */
int fg__apikey_create(fg_auth *a, const char *account_id, const json_t *body, json_t **out,
                      fg_errbuf *eb);
int fg__apikey_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb);
int fg__apikey_revoke(fg_auth *a, const char *account_id, const char *id, fg_errbuf *eb);
/* Changes a key's name, scopes, limits or expiry (expires_in_days from now). */
int fg__apikey_update(fg_auth *a, const char *account_id, const char *id, const json_t *body, json_t **out,
                      fg_errbuf *eb);
int fg__apikey_principal(fg_auth *a, const char *token, size_t n, fg_principal *p, fg_errbuf *eb);

/* oidc.c: issuers from the configuration, their keys loaded at start. */
int fg__oidc_load(fg_auth *a, fg_errbuf *eb);
void fg__oidc_free(fg_auth *a);
/* Asks the refresher to fetch the issuer's JWKS again (a token named a key
 * it does not have); at most once a minute per issuer. */
void fg__oidc_want_refresh(fg_auth *a, fg_oidc_issuer *is);

/* objects.c: accounts and what they own, table-driven CRUD shared by the admin
 * API, the seed config API, the CLI and the seed import. */
typedef enum fg_obj_kind { FG_OBJ_ACCOUNT, FG_OBJ_ENDPOINT, FG_OBJ_WORKFLOW, FG_OBJ_PROMPT } fg_obj_kind;
/* parents: {account_id} for endpoints and workflows, {account_id, workflow_id} for prompts. */
int fg__obj_list(fg_auth *a, fg_obj_kind k, const char *const *parents, json_t **out, fg_errbuf *eb);
int fg__obj_get(fg_auth *a, fg_obj_kind k, const char *const *parents, const char *id, json_t **out,
                fg_errbuf *eb);
/* Creates from body (an object; "id" optional). *out may be NULL. */
int fg__obj_create(fg_auth *a, fg_obj_kind k, const char *const *parents, const json_t *body,
                   json_t **out, fg_errbuf *eb);
/* Changes the fields body names. */
int fg__obj_update(fg_auth *a, fg_obj_kind k, const char *const *parents, const char *id,
                   const json_t *body, fg_errbuf *eb);
/* Creates or replaces. */
int fg__obj_put(fg_auth *a, fg_obj_kind k, const char *const *parents, const char *id,
                const json_t *body, fg_errbuf *eb);
/* Deletes the object and everything it owns. */
int fg__obj_delete(fg_auth *a, fg_obj_kind k, const char *const *parents, const char *id,
                   fg_errbuf *eb);
/* Looks a workflow up by id, by "workflow#details#<id>" or by name. */
int fg__workflow_find(fg_auth *a, const char *account_id, const char *ref, json_t **out,
                      fg_errbuf *eb);

/* seed_import.c: the seed's single-table items (DynamoDB JSON or plain). */
int fg__seed_import(fg_auth *a, const json_t *doc, const char *account_id, json_t **summary,
                    fg_errbuf *eb);

/* limits.c: the calendar windows of limits (UTC; weeks from Monday). */
typedef enum fg__limit_window { W_MINUTE, W_DAY, W_WEEK, W_MONTH } fg__limit_window;
/* [start, end) in ms of the window that holds now (ms). */
void fg__limit_window_bounds(fg__limit_window w, int64_t now, int64_t *start, int64_t *end);

/* routes_*.c */
void fg__auth_routes_login(fg_auth *a, fg_http_router *r);
void fg__auth_routes_admin(fg_auth *a, fg_http_router *r);
void fg__auth_routes_config(fg_auth *a, fg_http_router *r);
void fg__auth_routes_usage(fg_auth *a, fg_http_router *r);

/* http_util.c: JSON answers and bodies. */
void fg__respond_json(fg_http_req *req, int status, json_t *body); /* steals body */
/* Answers an errbuf failure with the matching status (404, 409, 422, 403, 500). */
void fg__respond_failure(fg_http_req *req, const fg_errbuf *eb);
/* The request body as a JSON object, or answers 400/422 and returns NULL. */
json_t *fg__body_object(fg_http_req *req);

#endif
