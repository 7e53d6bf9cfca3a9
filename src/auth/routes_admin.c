/* The admin JSON API under /admin/accounts: create, read, update and delete
 * accounts and what they own (inference endpoints, workflows, prompts, users,
 * API keys). An admin reaches every account; an account's owner reaches only
 * their own (another account answers 404, as if it did not exist). */
#include "auth/auth_int.h"

#include "core/json.h"

#include <stdlib.h>
#include <string.h>

typedef enum op { OP_LIST, OP_GET, OP_CREATE, OP_PATCH, OP_PUT, OP_DELETE } op;
typedef enum target { T_OBJECT, T_USER, T_KEY, T_IMPORT } target;

typedef struct route_def {
    const char *method, *pattern;
    target target;
    fg_obj_kind kind;
    op op;
    fg_access need;
} route_def;

struct fg__admin_route {
    fg_auth *a;
    const route_def *def;
};

#define ACC "/admin/accounts/{accountID}"
#define WF ACC "/workflows/{workflowID}"
#define EP ACC "/inference-endpoints"

static const route_def defs[] = {
    {"GET", "/admin/accounts", T_OBJECT, FG_OBJ_ACCOUNT, OP_LIST, FG_ACCESS_ADMIN},
    {"POST", "/admin/accounts", T_OBJECT, FG_OBJ_ACCOUNT, OP_CREATE, FG_ACCESS_ADMIN},
    {"GET", ACC, T_OBJECT, FG_OBJ_ACCOUNT, OP_GET, FG_ACCESS_OWNER},
    {"PATCH", ACC, T_OBJECT, FG_OBJ_ACCOUNT, OP_PATCH, FG_ACCESS_OWNER},
    {"PUT", ACC, T_OBJECT, FG_OBJ_ACCOUNT, OP_PATCH, FG_ACCESS_OWNER},
    {"DELETE", ACC, T_OBJECT, FG_OBJ_ACCOUNT, OP_DELETE, FG_ACCESS_ADMIN},
    {"GET", EP, T_OBJECT, FG_OBJ_ENDPOINT, OP_LIST, FG_ACCESS_OWNER},
    {"POST", EP, T_OBJECT, FG_OBJ_ENDPOINT, OP_CREATE, FG_ACCESS_OWNER},
    {"GET", EP "/{id}", T_OBJECT, FG_OBJ_ENDPOINT, OP_GET, FG_ACCESS_OWNER},
    {"PATCH", EP "/{id}", T_OBJECT, FG_OBJ_ENDPOINT, OP_PATCH, FG_ACCESS_OWNER},
    {"PUT", EP "/{id}", T_OBJECT, FG_OBJ_ENDPOINT, OP_PUT, FG_ACCESS_OWNER},
    {"DELETE", EP "/{id}", T_OBJECT, FG_OBJ_ENDPOINT, OP_DELETE, FG_ACCESS_OWNER},
    {"GET", ACC "/workflows", T_OBJECT, FG_OBJ_WORKFLOW, OP_LIST, FG_ACCESS_OWNER},
    {"POST", ACC "/workflows", T_OBJECT, FG_OBJ_WORKFLOW, OP_CREATE, FG_ACCESS_OWNER},
    {"GET", WF, T_OBJECT, FG_OBJ_WORKFLOW, OP_GET, FG_ACCESS_OWNER},
    {"PATCH", WF, T_OBJECT, FG_OBJ_WORKFLOW, OP_PATCH, FG_ACCESS_OWNER},
    {"PUT", WF, T_OBJECT, FG_OBJ_WORKFLOW, OP_PUT, FG_ACCESS_OWNER},
    {"DELETE", WF, T_OBJECT, FG_OBJ_WORKFLOW, OP_DELETE, FG_ACCESS_OWNER},
    {"GET", WF "/prompts", T_OBJECT, FG_OBJ_PROMPT, OP_LIST, FG_ACCESS_OWNER},
    {"POST", WF "/prompts", T_OBJECT, FG_OBJ_PROMPT, OP_CREATE, FG_ACCESS_OWNER},
    {"GET", WF "/prompts/{id}", T_OBJECT, FG_OBJ_PROMPT, OP_GET, FG_ACCESS_OWNER},
    {"PATCH", WF "/prompts/{id}", T_OBJECT, FG_OBJ_PROMPT, OP_PATCH, FG_ACCESS_OWNER},
    {"PUT", WF "/prompts/{id}", T_OBJECT, FG_OBJ_PROMPT, OP_PUT, FG_ACCESS_OWNER},
    {"DELETE", WF "/prompts/{id}", T_OBJECT, FG_OBJ_PROMPT, OP_DELETE, FG_ACCESS_OWNER},
    {"GET", ACC "/users", T_USER, 0, OP_LIST, FG_ACCESS_OWNER},
    {"POST", ACC "/users", T_USER, 0, OP_CREATE, FG_ACCESS_OWNER},
    {"GET", ACC "/users/{id}", T_USER, 0, OP_GET, FG_ACCESS_OWNER},
    {"PATCH", ACC "/users/{id}", T_USER, 0, OP_PATCH, FG_ACCESS_OWNER},
    {"DELETE", ACC "/users/{id}", T_USER, 0, OP_DELETE, FG_ACCESS_OWNER},
    {"GET", ACC "/keys", T_KEY, 0, OP_LIST, FG_ACCESS_OWNER},
    {"POST", ACC "/keys", T_KEY, 0, OP_CREATE, FG_ACCESS_OWNER},
    {"PATCH", ACC "/keys/{id}", T_KEY, 0, OP_PATCH, FG_ACCESS_OWNER},
    {"DELETE", ACC "/keys/{id}", T_KEY, 0, OP_DELETE, FG_ACCESS_OWNER},
    {"POST", "/admin/import-seed-config", T_IMPORT, 0, OP_CREATE, FG_ACCESS_ADMIN},
};

typedef struct call {
    fg_auth *a;
    fg_http_req *req;
    const route_def *def;
    fg_principal p;
    const char *parents[2];
    const char *id;
    json_t *body;
    fg_errbuf eb;
} call;

static void answer(call *c, int rc, json_t *result, int status)
{
    if (rc)
        fg__respond_failure(c->req, &c->eb);
    else
        fg__respond_json(c->req, status, result ? result : json_pack("{s:b}", "ok", 1));
    if (rc)
        json_decref(result);
}

static void object_call(call *c)
{
    json_t *out = NULL;
    fg_obj_kind k = c->def->kind;
    int rc = 0, status = 200;
    switch (c->def->op) {
    case OP_LIST:
        rc = fg__obj_list(c->a, k, c->parents, &out, &c->eb);
        break;
    case OP_GET:
        rc = fg__obj_get(c->a, k, c->parents, c->id, &out, &c->eb);
        break;
    case OP_CREATE:
        rc = fg__obj_create(c->a, k, c->parents, c->body, &out, &c->eb);
        status = 201;
        break;
    case OP_PATCH:
    case OP_PUT:
        rc = c->def->op == OP_PATCH ? fg__obj_update(c->a, k, c->parents, c->id, c->body, &c->eb)
                                    : fg__obj_put(c->a, k, c->parents, c->id, c->body, &c->eb);
        if (!rc)
            rc = fg__obj_get(c->a, k, c->parents, c->id, &out, &c->eb);
        break;
    case OP_DELETE:
        rc = fg__obj_delete(c->a, k, c->parents, c->id, &c->eb);
        break;
    }
    answer(c, rc, out, status);
}

/* An owner may not make an admin nor raise anyone above themselves. */
static int check_role_change(call *c)
{
    const char *role = fg_json_str(c->body, "role", NULL);
    if (role && c->p.role != FG_ROLE_ADMIN && fg__role_parse(role) == FG_ROLE_ADMIN)
        return fg_failf(&c->eb, FG_EDENIED, "only an admin may make an admin");
    return 0;
}

/* An owner may not change or delete an admin (nor take over one's password). */
static int check_target_user(call *c)
{
    if (c->p.role == FG_ROLE_ADMIN)
        return 0;
    json_t *user = NULL;
    int rc = fg__user_get(c->a, c->parents[0], c->id, &user, &c->eb);
    if (!rc && fg__role_parse(fg_json_str(user, "role", "")) == FG_ROLE_ADMIN)
        rc = fg_failf(&c->eb, FG_EDENIED, "only an admin may change an admin");
    json_decref(user);
    return rc;
}

static void user_call(call *c)
{
    json_t *out = NULL;
    int rc = 0, status = 200;
    const char *acc = c->parents[0];
    switch (c->def->op) {
    case OP_LIST:
        rc = fg__user_list(c->a, acc, &out, &c->eb);
        break;
    case OP_GET:
        rc = fg__user_get(c->a, acc, c->id, &out, &c->eb);
        break;
    case OP_CREATE: {
        const char *login = fg_json_str(c->body, "login", NULL), *pw = fg_json_str(c->body, "password", NULL);
        rc = check_role_change(c);
        if (!rc && (!login || !pw))
            rc = fg_failf(&c->eb, FG_EINVAL, "login and password: required strings");
        if (!rc)
            rc = fg__user_create(c->a, login, pw, fg__role_parse(fg_json_str(c->body, "role", "user")), acc,
                                 &out, &c->eb);
        status = 201;
        break;
    }
    case OP_PATCH:
    case OP_PUT:
        rc = check_role_change(c);
        if (!rc)
            rc = check_target_user(c);
        if (!rc)
            rc = fg__user_update(c->a, acc, c->id, c->body, &c->eb);
        if (!rc)
            rc = fg__user_get(c->a, acc, c->id, &out, &c->eb);
        break;
    case OP_DELETE:
        rc = check_target_user(c);
        if (!rc)
            rc = fg__user_delete(c->a, acc, c->id, &c->eb);
        break;
    }
    answer(c, rc, out, status);
}

static void key_call(call *c)
{
    json_t *out = NULL, *acc = NULL;
    int rc = 0, status = 200;
    switch (c->def->op) {
    case OP_LIST:
        rc = fg__apikey_list(c->a, c->parents[0], &out, &c->eb);
        break;
    case OP_CREATE:
        rc = fg__obj_get(c->a, FG_OBJ_ACCOUNT, NULL, c->parents[0], &acc, &c->eb);
        json_decref(acc);
        if (!rc && c->p.role != FG_ROLE_ADMIN && json_object_get(c->body, "limits"))
            rc = fg_failf(&c->eb, FG_EDENIED, "only an admin may set a key's limits");
        if (!rc)
            rc = fg__apikey_create(c->a, c->parents[0], c->body, &out, &c->eb);
        status = 201;
        break;
    case OP_PATCH:
        if (c->p.role != FG_ROLE_ADMIN && json_object_get(c->body, "limits"))
            rc = fg_failf(&c->eb, FG_EDENIED, "only an admin may set a key's limits");
        if (!rc)
            rc = fg__apikey_update(c->a, c->parents[0], c->id, c->body, &out, &c->eb);
        break;
    default:
        rc = fg__apikey_revoke(c->a, c->parents[0], c->id, &c->eb);
        break;
    }
    answer(c, rc, out, status);
}

static void import_call(call *c)
{
    json_t *summary = NULL;
    const char *account = fg_http_req_query_param(c->req, "account");
    int rc = fg__seed_import(c->a, c->body, account, &summary, &c->eb);
    answer(c, rc, summary, 200);
}

static bool needs_body(const route_def *d)
{
    return d->op == OP_CREATE || d->op == OP_PATCH || d->op == OP_PUT;
}

/* Account limits are the admin's to set. */
static int check_limits_change(call *c)
{
    if (c->def->target == T_OBJECT && c->def->kind == FG_OBJ_ACCOUNT && c->p.role != FG_ROLE_ADMIN &&
        json_object_get(c->body, "limits"))
        return fg_failf(&c->eb, FG_EDENIED, "only an admin may change an account's limits");
    return 0;
}

static void handle(fg_http_req *req, void *ud)
{
    struct fg__admin_route *r = ud;
    call c = {.a = r->a, .req = req, .def = r->def};
    fg_errbuf_clear(&c.eb);
    if (fg_auth_request(c.a, req, c.def->need, &c.p))
        return;
    const char *account = fg_http_req_param(req, "accountID");
    if (account && !fg_auth_can_access_account(&c.p, account)) {
        fg_http_respond_error(req, 404, "not_found", "no such account");
        return;
    }
    c.parents[0] = account;
    c.parents[1] = fg_http_req_param(req, "workflowID");
    c.id = fg_http_req_param(req, "id");
    if (c.def->kind == FG_OBJ_ACCOUNT && c.def->target == T_OBJECT)
        c.id = account;
    if (c.def->kind == FG_OBJ_WORKFLOW && c.def->target == T_OBJECT)
        c.id = c.parents[1];
    if (needs_body(c.def) && !(c.body = fg__body_object(req)))
        return;
    if (c.def->target == T_OBJECT && c.def->kind == FG_OBJ_ACCOUNT && c.def->op == OP_DELETE &&
        strcmp(c.p.account_id, c.id ? c.id : "") == 0) {
        fg_http_respond_error(req, 409, "conflict", "an admin cannot delete their own account");
    } else if (check_limits_change(&c)) {
        fg__respond_failure(req, &c.eb);
    } else if (c.def->target == T_OBJECT) {
        object_call(&c);
    } else if (c.def->target == T_USER) {
        user_call(&c);
    } else if (c.def->target == T_KEY) {
        key_call(&c);
    } else {
        import_call(&c);
    }
    json_decref(c.body);
}

void fg__auth_routes_admin(fg_auth *a, fg_http_router *r)
{
    a->routes = calloc(FG_ARRAY_LEN(defs), sizeof *a->routes);
    if (!a->routes)
        return;
    a->nroutes = FG_ARRAY_LEN(defs);
    for (size_t i = 0; i < FG_ARRAY_LEN(defs); i++) {
        a->routes[i] = (struct fg__admin_route){a, &defs[i]};
        fg_http_router_add(r, defs[i].method, defs[i].pattern, handle, &a->routes[i]);
    }
}
