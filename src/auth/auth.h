/* Who is calling: every route asks the auth layer for the caller's principal
 * (account, subject, role, scopes) before it touches account data. Tokens come
 * in Authorization (with or without "Bearer "), in x-access-token, or for the
 * WebSocket upgrade in the query string. */
#ifndef FG_AUTH_AUTH_H
#define FG_AUTH_AUTH_H

#include "config/config.h"
#include "core/error.h"
#include "http/http.h"
#include "store/store.h"

#include <stdbool.h>

typedef struct fg_auth fg_auth;

typedef enum fg_role {
    FG_ROLE_NONE = 0, /* anonymous */
    FG_ROLE_USER,
    FG_ROLE_OWNER,    /* manages one account */
    FG_ROLE_ADMIN     /* manages every account */
} fg_role;

/* What a route requires. */
typedef enum fg_access {
    FG_ACCESS_PUBLIC = 0, /* anyone; the principal is filled when a token is given */
    FG_ACCESS_USER,       /* any authenticated caller of an account */
    FG_ACCESS_OWNER,      /* the account's owner or an admin */
    FG_ACCESS_ADMIN       /* an admin */
} fg_access;

typedef struct fg_principal {
    char account_id[64]; /* the caller's account ("" for an admin without one) */
    char subject[128];   /* user id, or "key:<id>" for an API key */
    char key_id[64];     /* the API key's id when authenticated by key, else "" */
    fg_role role;
    char scopes[256];    /* space-separated */
} fg_principal;

int fg_auth_create(const fg_config *cfg, fg_store *store, fg_auth **out, fg_errbuf *eb);
void fg_auth_free(fg_auth *a);
/* Adds the auth routes (/auth/..., /.well-known/jwks.json, admin API). */
void fg_auth_register_routes(fg_auth *a, fg_http_router *r);

/* Authenticates req and checks it against need. On success fills *out and
 * returns 0; otherwise answers the request itself (401 or 403 with a JSON
 * error) and returns -1: the handler must return at once. */
int fg_auth_request(fg_auth *a, fg_http_req *req, fg_access need, fg_principal *out);

/* True when p may read or change data of account_id (its own account, or an
 * admin). Routes answer 404 for another account's object. */
bool fg_auth_can_access_account(const fg_principal *p, const char *account_id);

/* True when auth is off (single-user mode): every caller is the admin of the
 * account "default". */
bool fg_auth_disabled(const fg_auth *a);

#endif
