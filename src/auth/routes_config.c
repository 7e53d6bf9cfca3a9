/* Seed 000's configuration API, with the seed's response shapes (its
 * single-table items: id "account#<uuid>", item_type, fields), the prompts
 * route that the seed left broken working, and real write routes. A path
 * account other than the token's answers 403 with the seed's error shape. */
#include "auth/auth_int.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char mismatch[] = "Account ID in path does not match the one in the token";

static void seed_error(fg_http_req *req, int status, const char *msg)
{
    fg__respond_json(req, status, json_pack("{s:s}", "error", msg));
}

/* Authenticates and checks the path account; returns the account or NULL
 * (answered). */
static const char *enter(fg_auth *a, fg_http_req *req, fg_access need, fg_principal *p)
{
    if (fg_auth_request(a, req, FG_ACCESS_USER, p))
        return NULL;
    const char *account = fg_http_req_param(req, "accountID");
    if (!account || !fg_auth_can_access_account(p, account)) {
        seed_error(req, 403, mismatch);
        return NULL;
    }
    if (need == FG_ACCESS_OWNER && p->role < FG_ROLE_OWNER) {
        fg_http_respond_error(req, 403, "permission_error", "only the account's owner or an admin may change it");
        return NULL;
    }
    return account;
}

static json_t *item(const char *account, const char *item_type)
{
    char id[128];
    snprintf(id, sizeof id, "account#%s", account);
    return json_pack("{s:s,s:s}", "id", id, "item_type", item_type);
}

static void copy_fields(json_t *dst, const json_t *src, const char *const *names)
{
    for (; *names; names++) {
        json_t *v = json_object_get(src, *names);
        if (json_is_object(v) || json_is_array(v)) {
            char *text = fg_json_dumps(v);
            json_object_set_new(dst, *names, json_string(text ? text : "{}"));
            free(text);
        } else if (v && !json_is_null(v)) {
            json_object_set(dst, *names, v);
        }
    }
}

static json_t *account_item(const char *account, const json_t *row)
{
    static const char *const f[] = {"name", "description", NULL};
    json_t *it = item(account, "account#details");
    copy_fields(it, row, f);
    return it;
}

static json_t *endpoint_item(const char *account, const json_t *row)
{
    static const char *const f[] = {"type", "url", "description", NULL};
    json_t *it = item(account, "account#inference_endpoint");
    copy_fields(it, row, f);
    return it;
}

static json_t *workflow_item(const char *account, const json_t *row, bool details)
{
    static const char *const brief[] = {"name", "description", NULL};
    static const char *const full[] = {"name", "description", "type", "arn", "assistant_params", NULL};
    char type[128];
    snprintf(type, sizeof type, "workflow#details#%s", fg_json_str(row, "id", ""));
    json_t *it = item(account, type);
    copy_fields(it, row, details ? full : brief);
    return it;
}

static json_t *prompt_item(const char *account, const char *wf, const json_t *row)
{
    static const char *const f[] = {"type", "role", "content", "description", NULL};
    char type[160];
    snprintf(type, sizeof type, "workflow#prompt#%s#%s", wf, fg_json_str(row, "id", ""));
    json_t *it = item(account, type);
    copy_fields(it, row, f);
    return it;
}

static void get_account(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_USER, &p);
    if (!account)
        return;
    json_t *row = NULL, *out = json_array();
    if (fg__obj_get(ud, FG_OBJ_ACCOUNT, NULL, account, &row, NULL) == 0)
        json_array_append_new(out, account_item(account, row));
    json_decref(row);
    fg__respond_json(req, 200, out);
}

static void get_endpoint(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_USER, &p);
    if (!account)
        return;
    const char *parents[] = {account};
    json_t *rows = NULL, *out = json_array();
    size_t i;
    json_t *row;
    if (fg__obj_list(ud, FG_OBJ_ENDPOINT, parents, &rows, NULL) == 0)
        json_array_foreach(rows, i, row) json_array_append_new(out, endpoint_item(account, row));
    json_decref(rows);
    fg__respond_json(req, 200, out);
}

static void list_workflows(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_USER, &p);
    if (!account)
        return;
    const char *parents[] = {account};
    json_t *rows = NULL, *out = json_array();
    size_t i;
    json_t *row;
    if (fg__obj_list(ud, FG_OBJ_WORKFLOW, parents, &rows, NULL) == 0)
        json_array_foreach(rows, i, row) json_array_append_new(out, workflow_item(account, row, false));
    json_decref(rows);
    fg__respond_json(req, 200, out);
}

/* The workflow named by the path ("workflow#details#<n>" or "<n>"), or NULL (answered). */
static json_t *path_workflow(fg_auth *a, fg_http_req *req, const char *account)
{
    json_t *w = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    const char *ref = fg_http_req_param(req, "WorkflowID");
    static const char prefix[] = "workflow#details#";
    const char *id = ref && strncmp(ref, prefix, sizeof prefix - 1) == 0 ? ref + sizeof prefix - 1 : ref;
    const char *parents[] = {account};
    if (!id || fg__obj_get(a, FG_OBJ_WORKFLOW, parents, id, &w, &eb) != 0) {
        seed_error(req, 404, "Workflow not found");
        return NULL;
    }
    return w;
}

static void get_workflow(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_USER, &p);
    json_t *w = account ? path_workflow(ud, req, account) : NULL;
    if (!w)
        return;
    fg__respond_json(req, 200, workflow_item(account, w, true));
    json_decref(w);
}

static void list_prompts(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_USER, &p);
    json_t *w = account ? path_workflow(ud, req, account) : NULL;
    if (!w)
        return;
    const char *wf = fg_json_str(w, "id", "");
    const char *parents[] = {account, wf};
    json_t *rows = NULL, *out = json_array();
    size_t i;
    json_t *row;
    if (fg__obj_list(ud, FG_OBJ_PROMPT, parents, &rows, NULL) == 0)
        json_array_foreach(rows, i, row) json_array_append_new(out, prompt_item(account, wf, row));
    json_decref(rows);
    json_decref(w);
    fg__respond_json(req, 200, out);
}

/* --- write routes ----------------------------------------------------------------- */

/* Drops the seed's key members so a seed item can be sent back as a body. */
static void strip_item_keys(json_t *body)
{
    json_object_del(body, "id");
    json_object_del(body, "item_type");
}

static void put_account(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_OWNER, &p);
    json_t *body = account ? fg__body_object(req) : NULL;
    if (!body)
        return;
    strip_item_keys(body);
    json_object_del(body, "limits");
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__obj_put(ud, FG_OBJ_ACCOUNT, NULL, account, body, &eb))
        fg__respond_failure(req, &eb);
    else
        get_account(req, ud);
    json_decref(body);
}

static void put_endpoint(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_OWNER, &p);
    json_t *body = account ? fg__body_object(req) : NULL;
    if (!body)
        return;
    strip_item_keys(body);
    const char *parents[] = {account};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg__obj_list(ud, FG_OBJ_ENDPOINT, parents, &rows, &eb);
    const char *id = fg_json_str(json_array_get(rows, 0), "id", "1");
    if (!rc)
        rc = fg__obj_put(ud, FG_OBJ_ENDPOINT, parents, id, body, &eb);
    json_decref(rows);
    json_decref(body);
    if (rc)
        fg__respond_failure(req, &eb);
    else
        get_endpoint(req, ud);
}

static void post_workflow(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_OWNER, &p);
    json_t *body = account ? fg__body_object(req) : NULL;
    if (!body)
        return;
    strip_item_keys(body);
    const char *parents[] = {account};
    json_t *w = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__obj_create(ud, FG_OBJ_WORKFLOW, parents, body, &w, &eb))
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 201, workflow_item(account, w, true));
    json_decref(w);
    json_decref(body);
}

static void put_workflow(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_OWNER, &p);
    json_t *w = account ? path_workflow(ud, req, account) : NULL;
    json_t *body = w ? fg__body_object(req) : NULL;
    if (!body) {
        json_decref(w);
        return;
    }
    strip_item_keys(body);
    const char *parents[] = {account};
    const char *id = fg_json_str(w, "id", "");
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *updated = NULL;
    int rc = fg__obj_update(ud, FG_OBJ_WORKFLOW, parents, id, body, &eb);
    if (!rc)
        rc = fg__obj_get(ud, FG_OBJ_WORKFLOW, parents, id, &updated, &eb);
    if (rc)
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 200, workflow_item(account, updated, true));
    json_decref(updated);
    json_decref(body);
    json_decref(w);
}

static void delete_workflow(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_OWNER, &p);
    json_t *w = account ? path_workflow(ud, req, account) : NULL;
    if (!w)
        return;
    const char *parents[] = {account};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__obj_delete(ud, FG_OBJ_WORKFLOW, parents, fg_json_str(w, "id", ""), &eb))
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 200, json_pack("{s:b}", "deleted", 1));
    json_decref(w);
}

static void post_prompt(fg_http_req *req, void *ud)
{
    fg_principal p;
    const char *account = enter(ud, req, FG_ACCESS_OWNER, &p);
    json_t *w = account ? path_workflow(ud, req, account) : NULL;
    json_t *body = w ? fg__body_object(req) : NULL;
    if (!body) {
        json_decref(w);
        return;
    }
    strip_item_keys(body);
    const char *wf = fg_json_str(w, "id", "");
    const char *parents[] = {account, wf};
    json_t *out = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__obj_create(ud, FG_OBJ_PROMPT, parents, body, &out, &eb))
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 201, prompt_item(account, wf, out));
    json_decref(out);
    json_decref(body);
    json_decref(w);
}

/* The seed declared POST /setconfiguration and never built it: here it takes
 * seed items ({"items": [...]} or a list) into the caller's account. */
static void set_configuration(fg_http_req *req, void *ud)
{
    fg_principal p;
    if (fg_auth_request(ud, req, FG_ACCESS_OWNER, &p))
        return;
    size_t n = 0;
    const char *text = fg_http_req_body(req, &n);
    json_error_t jerr;
    json_t *doc = n ? json_loadb(text, n, 0, &jerr) : NULL;
    if (!doc) {
        seed_error(req, 400, "the body must be JSON: seed items as {\"items\": [...]}");
        return;
    }
    json_t *summary = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    const char *account = p.account_id[0] ? p.account_id : "default";
    if (fg__seed_import(ud, doc, account, &summary, &eb))
        fg__respond_failure(req, &eb);
    else
        fg__respond_json(req, 200, summary);
    json_decref(doc);
}

void fg__auth_routes_config(fg_auth *a, fg_http_router *r)
{
    fg_http_router_add(r, "GET", "/accounts/{accountID}/account", get_account, a);
    fg_http_router_add(r, "PUT", "/accounts/{accountID}/account", put_account, a);
    fg_http_router_add(r, "GET", "/accounts/{accountID}/inference-endpoint", get_endpoint, a);
    fg_http_router_add(r, "PUT", "/accounts/{accountID}/inference-endpoint", put_endpoint, a);
    fg_http_router_add(r, "GET", "/accounts/{accountID}/workflows", list_workflows, a);
    fg_http_router_add(r, "POST", "/accounts/{accountID}/workflows", post_workflow, a);
    fg_http_router_add(r, "GET", "/accounts/{accountID}/workflows/{WorkflowID}", get_workflow, a);
    fg_http_router_add(r, "PUT", "/accounts/{accountID}/workflows/{WorkflowID}", put_workflow, a);
    fg_http_router_add(r, "DELETE", "/accounts/{accountID}/workflows/{WorkflowID}", delete_workflow, a);
    fg_http_router_add(r, "GET", "/accounts/{accountID}/workflows/{WorkflowID}/prompts", list_prompts, a);
    fg_http_router_add(r, "POST", "/accounts/{accountID}/workflows/{WorkflowID}/prompts", post_prompt, a);
    fg_http_router_add(r, "POST", "/setconfiguration", set_configuration, a);
}
