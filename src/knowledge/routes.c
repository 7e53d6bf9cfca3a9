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

#define PREAMBLE                                                                                   \
    fg_knowledge *kn = ud;                                                                         \
    fg_principal p;                                                                                \
    const char *account;                                                                           \
    fg_errbuf eb;                                                                                  \
    fg_errbuf_clear(&eb);                                                                          \
    if (!caller(kn, req, &p, &account))                                                            \
        return;

static void finish(fg_http_req *req, int rc, int status, json_t *out, const fg_errbuf *eb)
{
    if (rc)
        respond_err(req, rc, eb);
    else
        respond_json(req, status, out);
}

static void h_base_create(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *body = body_json(req, false), *out = NULL;
    if (!body)
        return;
    const char *own = p.account_id[0] ? p.account_id : "default";
    int rc = fg_knowledge_base_create(kn, own, body, &out, &eb);
    json_decref(body);
    finish(req, rc, 201, out, &eb);
}

static void h_base_list(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *out = NULL;
    int rc = fg_knowledge_base_list(kn, account, &out, &eb);
    finish(req, rc, 200, out, &eb);
}

static void h_base_get(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *out = NULL;
    int rc = fg_knowledge_base_get(kn, account, fg_http_req_param(req, "kb"), &out, &eb);
    finish(req, rc, 200, out, &eb);
}

static void h_base_delete(fg_http_req *req, void *ud)
{
    PREAMBLE
    int rc = fg_knowledge_base_delete(kn, account, fg_http_req_param(req, "kb"), &eb);
    if (rc)
        respond_err(req, rc, &eb);
    else
        fg_http_respond(req, 204, "application/json", "", 0);
}

static void h_docs_list(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *out = NULL;
    int rc = fg_knowledge_documents(kn, account, fg_http_req_param(req, "kb"), &out, &eb);
    finish(req, rc, 200, out, &eb);
}

static void h_doc_delete(fg_http_req *req, void *ud)
{
    PREAMBLE
    int rc = fg_knowledge_document_delete(kn, account, fg_http_req_param(req, "kb"),
                                          fg_http_req_param(req, "doc"), &eb);
    if (rc)
        respond_err(req, rc, &eb);
    else
        fg_http_respond(req, 204, "application/json", "", 0);
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

static void start_job(fg_http_req *req, fg_knowledge *kn, const char *account, json_t *sources)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *out = NULL;
    int rc = fg_knowledge_job_start(kn, account, fg_http_req_param(req, "kb"), sources, false, &out,
                                    &eb);
    json_decref(sources);
    finish(req, rc, 202, out, &eb);
}

static void h_docs_upload(fg_http_req *req, void *ud)
{
    PREAMBLE
    const char *ct = fg_http_req_header(req, "content-type");
    bool is_json = ct && strncasecmp(ct, "application/json", 16) == 0;
    json_t *sources = is_json ? body_json(req, false) : raw_upload(req);
    if (sources)
        start_job(req, kn, account, sources);
}

static void h_job_start(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *sources = body_json(req, false);
    if (sources)
        start_job(req, kn, account, sources);
}

static void h_job_list(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *out = NULL;
    int rc = fg_knowledge_job_list(kn, account, fg_http_req_param(req, "kb"), &out, &eb);
    finish(req, rc, 200, out, &eb);
}

static void h_job_get(fg_http_req *req, void *ud)
{
    PREAMBLE
    json_t *out = NULL;
    int rc = fg_knowledge_job_get(kn, account, fg_http_req_param(req, "kb"),
                                  fg_http_req_param(req, "job"), &out, &eb);
    finish(req, rc, 200, out, &eb);
}

/* Searches run on the blocking pool: a base with an embedding model calls the
 * model for the query's vector, which must not hold up the worker's loop. */
typedef struct search_work {
    uv_work_t work;
    fg_http_req *req;
    fg_knowledge *kn;
    const char *account; /* NULL, or account_buf */
    char account_buf[64];
    char base[256];
    json_t *body, *out;
    bool retrieve;
    int rc;
    fg_errbuf eb;
} search_work;

static void search_run(uv_work_t *w)
{
    search_work *s = w->data;
    s->rc = s->retrieve
                ? fg_knowledge_retrieve(s->kn, s->account, s->base, s->body, false, &s->out, &s->eb)
                : fg_knowledge_search(s->kn, s->account, s->base, s->body, &s->out, &s->eb);
}

static void search_done(uv_work_t *w, int status)
{
    search_work *s = w->data;
    if (status != 0 && !s->rc)
        s->rc = fg_failf(&s->eb, FG_ECANCELED, "the server is stopping");
    json_decref(s->body);
    if (s->rc && s->retrieve)
        fg__kn_respond_aws_error(s->req, s->rc, s->eb.msg);
    else
        finish(s->req, s->rc, 200, s->out, &s->eb);
    free(s);
}

static void queue_search(fg_http_req *req, fg_knowledge *kn, const char *account, bool retrieve)
{
    json_t *body = body_json(req, retrieve);
    if (!body)
        return;
    search_work *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(body);
        fg_http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    s->work.data = s;
    s->req = req;
    s->kn = kn;
    s->body = body;
    s->retrieve = retrieve;
    if (account) {
        snprintf(s->account_buf, sizeof s->account_buf, "%s", account);
        s->account = s->account_buf;
    }
    snprintf(s->base, sizeof s->base, "%s", fg_http_req_param(req, "kb"));
    fg_errbuf_clear(&s->eb);
    uv_loop_t *loop = fg_http_worker_loop(fg_http_req_worker(req));
    if (uv_queue_work(loop, &s->work, search_run, search_done) != 0) {
        search_run(&s->work);
        search_done(&s->work, 0);
    }
}

static void h_search(fg_http_req *req, void *ud)
{
    PREAMBLE
    queue_search(req, kn, account, false);
}

static void h_retrieve(fg_http_req *req, void *ud)
{
    PREAMBLE
    queue_search(req, kn, account, true);
}

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
    fg_http_router_add(r, "DELETE", "/knowledgebases/{kb}/documents/{doc}", h_doc_delete, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/ingestionjobs", h_job_start, kn);
    fg_http_router_add(r, "GET", "/knowledgebases/{kb}/ingestionjobs", h_job_list, kn);
    fg_http_router_add(r, "GET", "/knowledgebases/{kb}/ingestionjobs/{job}", h_job_get, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/search", h_search, kn);
    fg_http_router_add(r, "POST", "/knowledgebases/{kb}/retrieve", h_retrieve, kn);
    if (kn->llm)
        fg__kn_register_rag_route(kn, r);
}
