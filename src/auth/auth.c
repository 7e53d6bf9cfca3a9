/* The auth layer's front door. This first cut is single-user mode: every caller
 * is the admin of the account "default"; token checks come with accounts. */
#include "auth/auth.h"
#include "auth/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fg_auth {
    bool disabled;
};

int fg_auth_create(const fg_config *cfg, fg_store *store, fg_auth **out, fg_errbuf *eb)
{
    (void)cfg;
    (void)store;
    fg_auth *a = calloc(1, sizeof *a);
    if (!a)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the auth layer");
    a->disabled = true;
    *out = a;
    return 0;
}

void fg_auth_free(fg_auth *a)
{
    free(a);
}

void fg_auth_register_routes(fg_auth *a, fg_http_router *r)
{
    (void)a;
    (void)r;
}

static void fill_default_principal(fg_principal *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->account_id, sizeof p->account_id, "default");
    snprintf(p->subject, sizeof p->subject, "admin");
    p->role = FG_ROLE_ADMIN;
}

int fg_auth_request(fg_auth *a, fg_http_req *req, fg_access need, fg_principal *out)
{
    (void)a;
    (void)req;
    (void)need;
    fill_default_principal(out);
    return 0;
}

bool fg_auth_can_access_account(const fg_principal *p, const char *account_id)
{
    return p->role == FG_ROLE_ADMIN || (account_id && strcmp(p->account_id, account_id) == 0);
}

bool fg_auth_disabled(const fg_auth *a)
{
    return a->disabled;
}

/* Single-user mode keeps no per-account workflows yet: callers use the
 * configuration's. */
int fg_auth_workflow_get(fg_auth *a, const char *account_id, const char *name, json_t **definition,
                         fg_errbuf *eb)
{
    (void)a;
    (void)account_id;
    *definition = NULL;
    return fg_failf(eb, FG_ENOTFOUND, "no workflow named %s", name);
}

int fg_auth_workflow_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb)
{
    (void)a;
    (void)account_id;
    (void)eb;
    *out = json_array();
    return *out ? 0 : FG_ENOMEM;
}
