/* The login routes: POST /auth/login, /auth/refresh, /auth/logout,
 * /auth/password, GET /auth/me and the public keys at /.well-known/jwks.json. */
#include "auth/auth_int.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *body_str(const json_t *body, const char *a, const char *b)
{
    const char *s = fg_json_str(body, a, NULL);
    return s ? s : (b ? fg_json_str(body, b, NULL) : NULL);
}

/* Password checks cost tens of milliseconds of argon2id: they run on the
 * thread pool, and the answer goes out on the request's loop afterwards (a
 * request whose client left stays valid until it is answered). */
typedef struct login_job {
    uv_work_t work;
    fg_auth *a;
    fg_http_req *req;
    json_t *body;
    json_t *tokens;
    int64_t retry;
    int rc;
    fg_errbuf eb;
} login_job;

static void login_work(uv_work_t *w)
{
    login_job *j = w->data;
    const char *name = body_str(j->body, "login", "username");
    if (!name)
        name = fg_json_str(j->body, "email", "");
    json_t *user = NULL;
    j->rc = fg__user_login(j->a, name, fg_json_str(j->body, "password", ""), &user, &j->retry, &j->eb);
    if (!j->rc)
        j->rc = fg__tokens_issue(j->a, user, &j->tokens, &j->eb);
    json_decref(user);
}

static void login_done(uv_work_t *w, int status)
{
    login_job *j = w->data;
    fg_http_req *req = j->req;
    if (status != 0 && !j->rc)
        j->rc = fg_failf(&j->eb, FG_EINTERNAL, "login cancelled");
    if (j->rc == FG_ELIMIT) {
        char s[32];
        snprintf(s, sizeof s, "%lld", (long long)j->retry);
        fg_http_resp_header(req, "Retry-After", s);
        fg_http_respond_error(req, 429, "rate_limit_error", j->eb.msg);
    } else if (j->rc == FG_EDENIED) {
        fg_http_respond_error(req, 401, "authentication_error", j->eb.msg);
    } else if (j->rc) {
        fg__respond_failure(req, &j->eb);
    } else {
        fg__respond_json(req, 200, j->tokens);
        j->tokens = NULL;
    }
    json_decref(j->tokens);
    json_decref(j->body);
    free(j);
}

static void login(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    json_t *body = fg__body_object(req);
    if (!body)
        return;
    const char *name = body_str(body, "login", "username");
    if (!name)
        name = fg_json_str(body, "email", NULL);
    if (!name || !fg_json_str(body, "password", NULL)) {
        json_decref(body);
        fg_http_respond_error(req, 422, "invalid_request_error", "login and password are required strings");
        return;
    }
    login_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(body);
        fg_http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    *j = (login_job){.a = a, .req = req, .body = body};
    fg_errbuf_clear(&j->eb);
    j->work.data = j;
    if (uv_queue_work(fg_http_worker_loop(fg_http_req_worker(req)), &j->work, login_work, login_done) != 0) {
        login_work(&j->work);
        login_done(&j->work, 0);
    }
}

static void refresh(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    json_t *body = fg__body_object(req);
    if (!body)
        return;
    const char *token = fg_json_str(body, "refresh_token", NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *tokens = NULL;
    int rc = token ? fg__tokens_refresh(a, token, &tokens, &eb)
                   : fg_failf(&eb, FG_EINVAL, "refresh_token: required");
    json_decref(body);
    if (rc == FG_EDENIED || rc == FG_ENOTFOUND) /* a deleted user's token too */
        fg_http_respond_error(req, 401, "authentication_error", eb.msg);
    else if (rc)
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 200, tokens);
}

static void logout(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    json_t *body = fg__body_object(req);
    if (!body)
        return;
    const char *token = fg_json_str(body, "refresh_token", NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = token ? fg__tokens_revoke(a, token, &eb) : fg_failf(&eb, FG_EINVAL, "refresh_token: required");
    json_decref(body);
    if (rc == FG_EDENIED)
        fg_http_respond_error(req, 401, "authentication_error", eb.msg);
    else if (rc)
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 200, json_pack("{s:b}", "signed_out", 1));
}

typedef struct password_job {
    uv_work_t work;
    fg_auth *a;
    fg_http_req *req;
    char subject[128];
    json_t *body;
    int rc;
    fg_errbuf eb;
} password_job;

static void password_work(uv_work_t *w)
{
    password_job *j = w->data;
    json_t *user = NULL, *checked = NULL;
    int64_t retry = 0;
    j->rc = fg__user_get(j->a, NULL, j->subject, &user, &j->eb);
    if (!j->rc)
        j->rc = fg__user_login(j->a, fg_json_str(user, "login", ""), fg_json_str(j->body, "current_password", ""),
                               &checked, &retry, &j->eb);
    if (!j->rc)
        j->rc = fg__user_set_password(j->a, j->subject, fg_json_str(j->body, "new_password", ""), &j->eb);
    json_decref(user);
    json_decref(checked);
}

static void password_done(uv_work_t *w, int status)
{
    password_job *j = w->data;
    if (status != 0 && !j->rc)
        j->rc = fg_failf(&j->eb, FG_EINTERNAL, "password change cancelled");
    if (j->rc == FG_EDENIED)
        fg_http_respond_error(j->req, 403, "permission_error", "current password is wrong");
    else if (j->rc)
        fg__respond_failure(j->req, &j->eb);
    else
        fg__respond_json(j->req, 200, json_pack("{s:b}", "changed", 1));
    json_decref(j->body);
    free(j);
}

static void change_password(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    fg_principal p;
    if (fg_auth_request(a, req, FG_ACCESS_USER, &p))
        return;
    if (p.key_id[0] || a->disabled) {
        fg_http_respond_error(req, 422, "invalid_request_error", "only a logged-in user can change a password");
        return;
    }
    json_t *body = fg__body_object(req);
    if (!body)
        return;
    if (!fg_json_str(body, "current_password", NULL) || !fg_json_str(body, "new_password", NULL)) {
        json_decref(body);
        fg_http_respond_error(req, 422, "invalid_request_error",
                              "current_password and new_password are required strings");
        return;
    }
    password_job *j = calloc(1, sizeof *j);
    if (!j) {
        json_decref(body);
        fg_http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    *j = (password_job){.a = a, .req = req, .body = body};
    snprintf(j->subject, sizeof j->subject, "%s", p.subject);
    fg_errbuf_clear(&j->eb);
    j->work.data = j;
    if (uv_queue_work(fg_http_worker_loop(fg_http_req_worker(req)), &j->work, password_work, password_done) != 0) {
        password_work(&j->work);
        password_done(&j->work, 0);
    }
}

static void me(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    fg_principal p;
    if (fg_auth_request(a, req, FG_ACCESS_USER, &p))
        return;
    fg__respond_json(req, 200,
                     json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "subject", p.subject, "account_id", p.account_id,
                               "role", fg__role_name(p.role), "scope", p.scopes, "key_id", p.key_id,
                               "single_user", a->disabled));
}

static void jwks(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    fg_http_resp_header(req, "Cache-Control", "public, max-age=300");
    fg__respond_json(req, 200, fg_jwks_to_json(a->own_keys));
}

/* Discovery for services that verify flowgate's tokens themselves. URLs are
 * built from the request's Host (flowgate does not know its public name). */
static void discovery(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    const char *host = fg_http_req_header(req, "host");
    char base[300], jwks[340], token[340];
    snprintf(base, sizeof base, "http://%s", host && strlen(host) < 256 && !strpbrk(host, "\"<> ") ? host : "localhost");
    snprintf(jwks, sizeof jwks, "%s/.well-known/jwks.json", base);
    snprintf(token, sizeof token, "%s/auth/login", base);
    fg__respond_json(req, 200,
                     json_pack("{s:s,s:s,s:s,s:[s],s:[s],s:[s,s,s,s]}", "issuer", a->issuer, "jwks_uri", jwks,
                               "token_endpoint", token, "id_token_signing_alg_values_supported", "ES256",
                               "scopes_supported", "flowgate", "claims_supported", "sub", "custom:account_id",
                               "custom:role", "scope"));
}

void fg__auth_routes_login(fg_auth *a, fg_http_router *r)
{
    fg_http_router_add(r, "GET", "/.well-known/openid-configuration", discovery, a);
    fg_http_router_add(r, "POST", "/auth/login", login, a);
    fg_http_router_add(r, "POST", "/auth/refresh", refresh, a);
    fg_http_router_add(r, "POST", "/auth/logout", logout, a);
    fg_http_router_add(r, "POST", "/auth/password", change_password, a);
    fg_http_router_add(r, "GET", "/auth/me", me, a);
    fg_http_router_add(r, "GET", "/.well-known/jwks.json", jwks, a);
}
