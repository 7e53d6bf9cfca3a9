/* The knowledge-base HTTP API. Every route asks fg_auth_request first; a base
 * of another account answers 404. Store work here is short (single rows);
 * ingestion runs on the ingestion thread. The Retrieve route speaks Bedrock
 * Agent Runtime's wire format (errors with x-amzn-ErrorType). */
#include "knowledge/kn_int.h"

#include "auth/auth.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/json.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int status_of(int err)
{
    switch (err) {
    case FG_EINVAL: case FG_EPARSE: case FG_EUNSUPPORTED: case FG_ELIMIT: return 400;
    case FG_ENOTFOUND: return 404;
    case FG_EEXIST: return 409;
    case FG_EDENIED: return 403;
    default: return 500;
    }
}

static void respond_json(fg_http_req *req, int status, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (!s) {
        fg_http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    fg_http_respond(req, status, "application/json", s, strlen(s));
    free(s);
}

static void respond_err(fg_http_req *req, int rc, const fg_errbuf *eb)
{
    int st = status_of(rc);
    const char *type = st == 404 ? "not_found" : st == 409 ? "conflict" : st == 400 ? "invalid_request" : "internal_error";
    fg_http_respond_error(req, st, type, eb->msg[0] ? eb->msg : fg_strerror(rc));
}

/* Bedrock's error shape, which the AWS SDKs turn into named exceptions. */
void fg__kn_respond_aws_status(fg_http_req *req, int st, const char *msg)
{
    const char *type = st == 404 ? "ResourceNotFoundException"
                       : st == 400 || st == 422 ? "ValidationException"
                       : st == 409 ? "ConflictException"
                       : st == 403 ? "AccessDeniedException"
                       : st == 429 ? "ThrottlingException"
                                   : "InternalServerException";
    fg_http_resp_header(req, "x-amzn-ErrorType", type);
    json_t *b = json_pack("{s:s}", "message", msg && *msg ? msg : fg_http_status_text(st));
    respond_json(req, st == 422 ? 400 : st, b);
}

void fg__kn_respond_aws_error(fg_http_req *req, int rc, const char *msg)
{
    fg__kn_respond_aws_status(req, status_of(rc), msg && *msg ? msg : fg_strerror(rc));
}

/* Authenticates; *account is the scope (NULL for an admin: every account). */
static bool caller(fg_knowledge *kn, fg_http_req *req, fg_principal *p, const char **account)
{
    if (fg_auth_request(kn->auth, req, FG_ACCESS_USER, p) != 0)
        return false;
    *account = p->role == FG_ROLE_ADMIN ? NULL : p->account_id;
    return true;
}

static json_t *body_json(fg_http_req *req, bool aws)
{
    size_t len;
    const char *b = fg_http_req_body(req, &len);
    json_error_t err;
    json_t *v = b && len ? fg_json_parse(b, len, &err) : NULL;
    if (!json_is_object(v)) {
        char msg[300];
        snprintf(msg, sizeof msg, "the body must be a JSON object%s%s", v || !len ? "" : ": ",
                 v || !len ? "" : err.text);
        json_decref(v);
        if (aws)
            fg__kn_respond_aws_error(req, FG_EINVAL, msg);
        else
            fg_http_respond_error(req, 400, "invalid_request", msg);
        return NULL;
    }
    return v;
}

/* ---- every route's work runs on the blocking pool ------------------------------
 * The service's calls read and write the store (and a search may call the
 * embedding model), which must not hold up the worker's loop: the handler
 * authenticates and parses on the loop, the operation runs on the pool, the
 * answer is written back on the loop. */

typedef struct kn_call kn_call;
typedef int (*kn_op)(kn_call *c);

struct kn_call {
    uv_work_t work;
    fg_http_req *req;
    fg_knowledge *kn;
    kn_op op;
    int status;          /* on success; 204 answers with no body */
    bool aws;            /* errors in Bedrock's shape */
    const char *account; /* the scope: NULL (an admin) or account_buf */
    char account_buf[64];
    char own[64];        /* the account new bases belong to */
    char kb[256], item[256];
    json_t *body, *out;
    int rc;
    fg_errbuf eb;
};

typedef enum body_kind { NO_BODY, JSON_BODY, UPLOAD_BODY } body_kind;

static void call_run(uv_work_t *w)
{
    kn_call *c = w->data;
    c->rc = c->op(c);
}

static void call_done(uv_work_t *w, int status)
{
    kn_call *c = w->data;
    if (status != 0 && !c->rc)
        c->rc = fg_failf(&c->eb, FG_ECANCELED, "the server is stopping");
    json_decref(c->body);
    if (c->rc && c->aws)
        fg__kn_respond_aws_error(c->req, c->rc, c->eb.msg);
    else if (c->rc)
        respond_err(c->req, c->rc, &c->eb);
    else if (c->status == 204)
        fg_http_respond(c->req, 204, "application/json", "", 0);
    else
        respond_json(c->req, c->status, c->out);
    free(c);
}

/* A raw upload (any content type but JSON): one document named by ?name=. */
static json_t *raw_upload(fg_http_req *req)
{
    size_t len;
    const char *body = fg_http_req_body(req, &len);
    const char *name = fg_http_req_query_param(req, "name");
    const char *ct = fg_http_req_header(req, "content-type");
    if (!name || !*name) {
        fg_http_respond_error(req, 400, "invalid_request",
                              "a raw upload needs ?name=FILENAME (or send JSON {documents: [...]})");
        return NULL;
    }
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_base64_encode(&b, body ? body : "", len);
    json_t *d = json_pack("{s:s,s:s%}", "name", name, "contentBase64", b.data ? b.data : "", b.len);
    fg_buf_free(&b);
    if (ct && *ct)
        json_object_set_new(d, "contentType", json_string(ct));
    return json_pack("{s:[o]}", "documents", d);
}

static json_t *request_body(fg_http_req *req, body_kind kind, bool aws)
{
    if (kind == UPLOAD_BODY) {
        const char *ct = fg_http_req_header(req, "content-type");
        if (!ct || strncasecmp(ct, "application/json", 16) != 0)
            return raw_upload(req);
    }
    return body_json(req, aws);
}

static void submit(fg_http_req *req, void *ud, kn_op op, int status, body_kind kind, bool aws)
{
    fg_knowledge *kn = ud;
    fg_principal p;
    const char *account;
    if (!caller(kn, req, &p, &account))
        return;
    json_t *body = kind == NO_BODY ? NULL : request_body(req, kind, aws);
    if (kind != NO_BODY && !body)
        return; /* answered */
    kn_call *c = calloc(1, sizeof *c);
    if (!c) {
        json_decref(body);
        fg_http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    c->work.data = c;
    c->req = req;
    c->kn = kn;
    c->op = op;
    c->status = status;
    c->aws = aws;
    c->body = body;
    if (account) {
        snprintf(c->account_buf, sizeof c->account_buf, "%s", account);
        c->account = c->account_buf;
    }
    snprintf(c->own, sizeof c->own, "%s", p.account_id[0] ? p.account_id : "default");
    const char *kb = fg_http_req_param(req, "kb"), *item = fg_http_req_param(req, "item");
    snprintf(c->kb, sizeof c->kb, "%s", kb ? kb : "");
    snprintf(c->item, sizeof c->item, "%s", item ? item : "");
    fg_errbuf_clear(&c->eb);
    if (uv_queue_work(fg_http_worker_loop(fg_http_req_worker(req)), &c->work, call_run, call_done)) {
        call_run(&c->work);
        call_done(&c->work, 0);
    }
}

/* ---- the operations --------------------------------------------------------------- */

static int op_base_create(kn_call *c)
{
    return fg_knowledge_base_create(c->kn, c->own, c->body, &c->out, &c->eb);
}
static int op_base_list(kn_call *c) { return fg_knowledge_base_list(c->kn, c->account, &c->out, &c->eb); }
static int op_base_get(kn_call *c)
{
    return fg_knowledge_base_get(c->kn, c->account, c->kb, &c->out, &c->eb);
}
static int op_base_delete(kn_call *c) { return fg_knowledge_base_delete(c->kn, c->account, c->kb, &c->eb); }
static int op_docs_list(kn_call *c)
{
    return fg_knowledge_documents(c->kn, c->account, c->kb, &c->out, &c->eb);
}
static int op_doc_delete(kn_call *c)
{
    return fg_knowledge_document_delete(c->kn, c->account, c->kb, c->item, &c->eb);
}
static int op_job_start(kn_call *c)
{
    return fg_knowledge_job_start(c->kn, c->account, c->kb, c->body, false, &c->out, &c->eb);
}
static int op_job_list(kn_call *c)
{
    return fg_knowledge_job_list(c->kn, c->account, c->kb, &c->out, &c->eb);
}
static int op_job_get(kn_call *c)
{
    return fg_knowledge_job_get(c->kn, c->account, c->kb, c->item, &c->out, &c->eb);
}
static int op_search(kn_call *c)
{
    return fg_knowledge_search(c->kn, c->account, c->kb, c->body, &c->out, &c->eb);
}
static int op_retrieve(kn_call *c)
{
    return fg_knowledge_retrieve(c->kn, c->account, c->kb, c->body, false, &c->out, &c->eb);
}

/* ---- the routes --------------------------------------------------------------------- */

static void h_base_create(fg_http_req *r, void *ud) { submit(r, ud, op_base_create, 201, JSON_BODY, false); }
static void h_base_list(fg_http_req *r, void *ud) { submit(r, ud, op_base_list, 200, NO_BODY, false); }
static void h_base_get(fg_http_req *r, void *ud) { submit(r, ud, op_base_get, 200, NO_BODY, false); }
static void h_base_delete(fg_http_req *r, void *ud) { submit(r, ud, op_base_delete, 204, NO_BODY, false); }
static void h_docs_list(fg_http_req *r, void *ud) { submit(r, ud, op_docs_list, 200, NO_BODY, false); }
static void h_docs_upload(fg_http_req *r, void *ud) { submit(r, ud, op_job_start, 202, UPLOAD_BODY, false); }
static void h_doc_delete(fg_http_req *r, void *ud) { submit(r, ud, op_doc_delete, 204, NO_BODY, false); }
static void h_job_start(fg_http_req *r, void *ud) { submit(r, ud, op_job_start, 202, JSON_BODY, false); }
static void h_job_list(fg_http_req *r, void *ud) { submit(r, ud, op_job_list, 200, NO_BODY, false); }
static void h_job_get(fg_http_req *r, void *ud) { submit(r, ud, op_job_get, 200, NO_BODY, false); }
static void h_search(fg_http_req *r, void *ud) { submit(r, ud, op_search, 200, JSON_BODY, false); }
static void h_retrieve(fg_http_req *r, void *ud) { submit(r, ud, op_retrieve, 200, JSON_BODY, true); }

void fg_knowledge_register_routes(fg_knowledge *kn, fg_http_router *r)
{
    if (!kn->auth)
        return;
    fg_http_router_add(r, "POST", "/knowledgebases", h_base_create, kn);
    fg_http_router_add(r, "GET", "/knowledgebases", h_base_list, kn);
    fg_http_router_add(r, "GET", "/knowledgebases/{kb}", h_base_get, kn);
    fg_http_router_add(r, "DELETE", "/knowledgebases/{kb}", h_base_delete, kn);
    fg_http_router_add(r, "GET", "/knowledgebases/{kb}/documents", h_docs_list, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/documents", h_docs_upload, kn);
    fg_http_router_add(r, "DELETE", "/knowledgebases/{kb}/documents/{item}", h_doc_delete, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/ingestionjobs", h_job_start, kn);
    fg_http_router_add(r, "GET", "/knowledgebases/{kb}/ingestionjobs", h_job_list, kn);
    fg_http_router_add(r, "GET", "/knowledgebases/{kb}/ingestionjobs/{item}", h_job_get, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/search", h_search, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/retrieve", h_retrieve, kn);
    if (kn->llm)
        fg__kn_register_rag_route(kn, r);
}
