/* The auth layer's front door: the mode (single-user or accounts), and
 * fg_auth_request, the one check every route makes. A token comes as an API
 * key (fgk_...) or a JWT (flowgate's own or an OIDC issuer's), in
 * Authorization (with or without "Bearer "), in x-access-token, or for a
 * WebSocket upgrade in the query string (?token= or ?access_token=). */
#include "auth/auth.h"
#include "auth/auth_int.h"

#include "core/log.h"
#include "obs/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool host_is_loopback(const char *host)
{
    return !host || strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
           strncmp(host, "127.", 4) == 0;
}

/* auto: single-user only while nothing could reach flowgate from outside and
 * nobody has accounts yet. */
static int decide_mode(fg_auth *a, fg_errbuf *eb)
{
    const char *mode = fg_config_str(a->cfg, "auth.mode");
    if (strcmp(mode, "off") == 0) {
        a->disabled = true;
        return 0;
    }
    if (strcmp(mode, "on") == 0)
        return 0;
    long long users = 0;
    int rc = fg__user_count(a, &users, eb);
    a->disabled = !rc && users == 0 && a->nissuers == 0 &&
                  host_is_loopback(fg_config_str(a->cfg, "server.host"));
    return rc;
}

static void read_settings(fg_auth *a)
{
    const fg_config *c = a->cfg;
    a->issuer = fg_config_str(c, "auth.issuer");
    a->audience = fg_config_str(c, "auth.audience");
    a->access_ttl_s = fg_config_int(c, "auth.access_token_ttl_s");
    a->refresh_ttl_s = fg_config_int(c, "auth.refresh_token_ttl_s");
    a->skew_s = fg_config_int(c, "auth.clock_skew_s");
    a->jwks_refresh_ms = fg_config_int(c, "auth.jwks_refresh_s") * 1000;
    a->jwks_min_refresh_ms = fg_config_int(c, "auth.jwks_min_refresh_s") * 1000;
    a->lockout_failures = fg_config_int(c, "auth.lockout_failures");
    a->lockout_s = fg_config_int(c, "auth.lockout_s");
    a->pw_memory_kib = (uint32_t)fg_config_int(c, "auth.password_memory_kib");
    a->pw_iterations = (uint32_t)fg_config_int(c, "auth.password_iterations");
    a->default_limits = (fg_auth_limits){
        fg_config_int(c, "auth.default_limits.requests_per_minute"),
        fg_config_int(c, "auth.default_limits.tokens_per_minute"),
        fg_config_num(c, "auth.default_limits.spend_per_day"),
        fg_config_num(c, "auth.default_limits.spend_per_week"),
        fg_config_num(c, "auth.default_limits.spend_per_month"),
    };
}

int fg__auth_open(const fg_config *cfg, fg_store *store, bool first_start, fg_auth **out,
                  fg_errbuf *eb)
{
    *out = NULL;
    fg_auth *a = calloc(1, sizeof *a);
    if (!a)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the auth layer");
    a->cfg = cfg;
    a->store = store;
    pthread_rwlock_init(&a->keys_lock, NULL);
    pthread_mutex_init(&a->refresh_lock, NULL);
    pthread_cond_init(&a->refresh_wake, NULL);
    read_settings(a);
    int rc = fg__signing_key_load(a, eb);
    if (!rc)
        rc = fg__oidc_load(a, eb);
    if (!rc)
        rc = decide_mode(a, eb);
    if (!rc && first_start && !a->disabled)
        rc = fg__first_start(a, eb);
    if (rc) {
        fg_auth_free(a);
        return rc;
    }
    if (first_start)
        fg_info("auth: %s", a->disabled ? "single-user mode (every caller is the admin of account "
                                          "'default'; see docs/accounts.md)"
                                        : "accounts mode (tokens required)");
    *out = a;
    return 0;
}

int fg_auth_create(const fg_config *cfg, fg_store *store, fg_auth **out, fg_errbuf *eb)
{
    return fg__auth_open(cfg, store, true, out, eb);
}

void fg_auth_free(fg_auth *a)
{
    if (!a)
        return;
    EVP_PKEY_free(a->signing_key);
    fg_jwks_free(a->own_keys);
    fg__oidc_free(a);
    pthread_rwlock_destroy(&a->keys_lock);
    pthread_mutex_destroy(&a->refresh_lock);
    pthread_cond_destroy(&a->refresh_wake);
    free(a->routes);
    free(a);
}

void fg_auth_register_routes(fg_auth *a, fg_http_router *r)
{
    fg__auth_routes_login(a, r);
    fg__auth_routes_admin(a, r);
    fg__auth_routes_config(a, r);
    fg__auth_routes_usage(a, r);
}

bool fg_auth_can_access_account(const fg_principal *p, const char *account_id)
{
    return p->role == FG_ROLE_ADMIN || (account_id && strcmp(p->account_id, account_id) == 0);
}

bool fg_auth_disabled(const fg_auth *a)
{
    return a->disabled;
}

static void fill_default_principal(fg_principal *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->account_id, sizeof p->account_id, "default");
    snprintf(p->subject, sizeof p->subject, "admin");
    p->role = FG_ROLE_ADMIN;
}

static const char *skip_spaces(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The caller's token, or NULL. */
static const char *find_token(fg_http_req *req)
{
    const char *h = fg_http_req_header(req, "authorization");
    /* AWS SDK clients sign with SigV4 (no flowgate token there): they can send
     * the token in x-access-token beside it. */
    if (h && strncmp(skip_spaces(h), "AWS4-HMAC-SHA256", 16) == 0)
        h = NULL;
    if (h) {
        h = skip_spaces(h);
        if (strncasecmp(h, "Bearer ", 7) == 0)
            h = skip_spaces(h + 7);
        return *h ? h : NULL;
    }
    h = fg_http_req_header(req, "x-access-token");
    if (h && *skip_spaces(h))
        return skip_spaces(h);
    if (!fg_http_req_header(req, "upgrade"))
        return NULL;
    h = fg_http_req_query_param(req, "token");
    if (!h)
        h = fg_http_req_query_param(req, "access_token");
    return h && *h ? h : NULL;
}

/* The scope an API key needs for a route; NULL: any key may call it. */
static const char *route_scope(const char *path)
{
    static const struct {
        const char *prefix, *scope;
    } map[] = {
        {"/v1/", "gateway"},          {"/model/", "gateway"},      {"/RestLambda", "gateway"},
        {"/ws", "gateway"},           {"/bedrock_", "assistant"},  {"/stories", "assistant"},
        {"/accounts/", "config"},     {"/setconfiguration", "config"}, {"/admin/", "admin"},
    };
    for (size_t i = 0; i < FG_ARRAY_LEN(map); i++)
        if (strncmp(path, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].scope;
    return NULL;
}

static bool scopes_hold(const char *scopes, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *p = scopes; *p;) {
        p = skip_spaces(p);
        size_t len = strcspn(p, " ");
        if ((len == n && strncmp(p, scope, n) == 0) || (len == 1 && *p == '*'))
            return true;
        p += len;
    }
    return false;
}

static int authenticate(fg_auth *a, const char *token, fg_principal *p, fg_errbuf *eb)
{
    size_t n = strcspn(token, " \t\r\n");
    if (strncmp(token, "fgk_", 4) == 0)
        return fg__apikey_principal(a, token, n, p, eb);
    return fg__jwt_principal(a, token, n, p, eb);
}

static bool role_satisfies(fg_role role, fg_access need)
{
    switch (need) {
    case FG_ACCESS_PUBLIC:
        return true;
    case FG_ACCESS_USER:
        return role >= FG_ROLE_USER;
    case FG_ACCESS_OWNER:
        return role >= FG_ROLE_OWNER;
    case FG_ACCESS_ADMIN:
        return role == FG_ROLE_ADMIN;
    }
    return false;
}

static void count(const char *outcome)
{
    static const char *const names[] = {"outcome"};
    const char *values[] = {outcome};
    fg_metrics_counter_add("flowgate_auth_checks_total",
                           "Route checks by outcome (ok, no_token, bad_token, forbidden)", 1, names, values, 1);
}

static void deny(fg_http_req *req, int status, const char *msg)
{
    if (status == 401)
        fg_http_resp_header(req, "WWW-Authenticate", "Bearer realm=\"flowgate\"");
    fg_http_respond_error(req, status, status == 401 ? "authentication_error" : "permission_error", msg);
}

int fg_auth_request(fg_auth *a, fg_http_req *req, fg_access need, fg_principal *out)
{
    if (!a || a->disabled) {
        fill_default_principal(out);
        return 0;
    }
    memset(out, 0, sizeof *out);
    const char *token = find_token(req);
    if (!token) {
        if (need == FG_ACCESS_PUBLIC)
            return 0;
        count("no_token");
        deny(req, 401, "authentication required: send a token in Authorization or x-access-token");
        return -1;
    }
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (authenticate(a, token, out, &eb) != 0) {
        memset(out, 0, sizeof *out);
        count("bad_token");
        deny(req, 401, eb.msg[0] ? eb.msg : "invalid token");
        return -1;
    }
    const char *scope = route_scope(fg_http_req_path(req));
    if (out->key_id[0] && out->scopes[0] && scope && !scopes_hold(out->scopes, scope)) {
        count("forbidden");
        deny(req, 403, "this API key's scopes do not cover this route");
        return -1;
    }
    if (!role_satisfies(out->role, need)) {
        count("forbidden");
        deny(req, 403, "your role may not call this route");
        return -1;
    }
    count("ok");
    return 0;
}
