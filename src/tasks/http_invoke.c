/* arn:aws:states:::http:invoke: ApiEndpoint, Method, Headers,
 * QueryParameters, RequestBody, Transform and Authentication.ConnectionArn
 * (connections[]) in; {ResponseBody, Headers, StatusCode, StatusText} out. A
 * status outside 2xx fails the task with States.Http.StatusCode.<code>; a
 * connection that fails or is refused by the fetch policy with
 * States.Http.Socket. */
#include "core/base64.h"
#include "http/http.h"
#include "tasks/http_encode.h"
#include "tasks/tasks_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 64

typedef struct request {
    char *url;
    const char *method;
    char *headers[MAX_HEADERS + 1];
    int n_headers;
    fg_buf body;
    bool has_body;
    const json_t *conn; /* the connection, when the request names one */
} request;

static void request_free(void *ud)
{
    request *r = ud;
    if (!r)
        return;
    free(r->url);
    for (int i = 0; i < r->n_headers; i++)
        free(r->headers[i]);
    fg_buf_free(&r->body);
    free(r);
}

/* ---- building the request --------------------------------------------------- */

static bool header_text_ok(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

static bool header_forbidden(const char *name)
{
    static const char *const names[] = {"host", "content-length", "transfer-encoding",
                                        "connection", "expect", "upgrade"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

static bool has_header(const request *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->n_headers; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return true;
    return false;
}

static int add_header(request *r, const char *name, const char *value, char *why, size_t wl)
{
    if (!header_text_ok(name) || !header_text_ok(value) || !name[0] || strchr(name, ':')) {
        snprintf(why, wl, "header %.100s is not a valid header", name);
        return FG_EINVAL;
    }
    if (header_forbidden(name)) {
        snprintf(why, wl, "header %.100s may not be set", name);
        return FG_EINVAL;
    }
    if (r->n_headers == MAX_HEADERS) {
        snprintf(why, wl, "more than %d headers", MAX_HEADERS);
        return FG_ELIMIT;
    }
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = malloc(n);
    if (!h)
        return FG_ENOMEM;
    snprintf(h, n, "%s: %s", name, value);
    r->headers[r->n_headers++] = h;
    return FG_OK;
}

/* Header values may be strings, numbers or booleans (AWS accepts them all). */
static int add_headers(request *r, const json_t *obj, const char *what, char *why, size_t wl)
{
    if (!obj)
        return FG_OK;
    if (!json_is_object(obj)) {
        snprintf(why, wl, "%s must be an object", what);
        return FG_EINVAL;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        char num[64];
        const char *text = json_string_value(v);
        if (!text && (json_is_number(v) || json_is_boolean(v))) {
            char *d = json_dumps(v, JSON_ENCODE_ANY);
            snprintf(num, sizeof num, "%s", d ? d : "");
            free(d);
            text = num;
        }
        if (!text) {
            snprintf(why, wl, "%s.%.100s must be a string", what, k);
            return FG_EINVAL;
        }
        int rc = add_header(r, k, text, why, wl);
        if (rc)
            return rc;
    }
    return FG_OK;
}

static const json_t *find_connection(const fg_tasks_http *t, const char *arn)
{
    const json_t *list = fg_config_get(t->cfg, "connections");
    const char *tail = strstr(arn, ":connection/");
    char name[256] = "";
    if (tail)
        snprintf(name, sizeof name, "%.*s", (int)strcspn(tail + 12, "/"), tail + 12);
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c) {
        const char *n = json_string_value(json_object_get(c, "name"));
        const char *a = json_string_value(json_object_get(c, "arn"));
        if ((a && strcmp(a, arn) == 0) || (n && (strcmp(n, arn) == 0 || strcmp(n, name) == 0)))
            return c;
    }
    return NULL;
}

static int add_auth(request *r, const json_t *conn, char *why, size_t wl)
{
    const char *type = json_string_value(json_object_get(conn, "authorization_type"));
    if (type && strcmp(type, "basic") == 0) {
        const char *u = json_string_value(json_object_get(conn, "username"));
        const char *p = json_string_value(json_object_get(conn, "password"));
        fg_buf raw, enc;
        fg_buf_init(&raw, 4096);
        fg_buf_init(&enc, 8192);
        fg_buf_printf(&raw, "%s:%s", u ? u : "", p ? p : "");
        int rc = fg_buf_puts(&enc, "Basic ") ||
                         fg_base64_encode(&enc, raw.data ? raw.data : "", raw.len)
                     ? FG_ENOMEM
                     : add_header(r, "Authorization", enc.data, why, wl);
        fg_buf_free(&raw);
        fg_buf_free(&enc);
        return rc;
    }
    if (type && strcmp(type, "api_key") == 0) {
        const char *n = json_string_value(json_object_get(conn, "api_key_name"));
        const char *v = json_string_value(json_object_get(conn, "api_key_value"));
        return add_header(r, n ? n : "x-api-key", v ? v : "", why, wl);
    }
    return FG_OK;
}

static int fmt_of(const json_t *params, char *why, size_t wl)
{
    const json_t *opts = json_object_get(json_object_get(params, "Transform"),
                                         "RequestEncodingOptions");
    const char *name = json_string_value(json_object_get(opts, "ArrayFormat"));
    int f = name ? fg__array_format_parse(name) : FG_ARRAY_INDICES;
    if (f < 0)
        snprintf(why, wl, "Transform.RequestEncodingOptions.ArrayFormat must be INDICES, REPEAT, "
                          "COMMAS or BRACKETS");
    return f;
}

static int build_url(request *r, const char *endpoint, const json_t *query, const json_t *conn_q,
                     fg__array_format fmt, char *why, size_t wl)
{
    fg_buf b, q;
    fg_buf_init(&b, 65536);
    fg_buf_init(&q, 65536);
    int rc = FG_OK;
    if (query && !json_is_object(query)) {
        snprintf(why, wl, "QueryParameters must be an object");
        rc = FG_EINVAL;
    }
    if (!rc && conn_q)
        rc = fg__form_encode(&q, conn_q, fmt);
    if (!rc && query)
        rc = fg__form_encode(&q, query, fmt);
    if (!rc)
        rc = fg_buf_puts(&b, endpoint);
    if (!rc && q.len)
        rc = fg_buf_putc(&b, strchr(endpoint, '?') ? '&' : '?') || fg_buf_append(&b, q.data, q.len);
    if (rc && !why[0])
        snprintf(why, wl, "the URL with its query is too long");
    if (!rc)
        r->url = fg_buf_detach(&b, NULL);
    fg_buf_free(&b);
    fg_buf_free(&q);
    return rc;
}

static int build_body(request *r, const json_t *params, fg__array_format fmt, char *why, size_t wl)
{
    const json_t *body = json_object_get(params, "RequestBody");
    if (!body)
        return FG_OK;
    const char *enc = json_string_value(json_object_get(json_object_get(params, "Transform"),
                                                        "RequestBodyEncoding"));
    r->has_body = true;
    if (enc && strcmp(enc, "URL_ENCODED") == 0) {
        if (fg__form_encode(&r->body, body, fmt)) {
            snprintf(why, wl, "RequestBody must be an object to be URL_ENCODED");
            return FG_EINVAL;
        }
        return has_header(r, "Content-Type")
                   ? FG_OK
                   : add_header(r, "Content-Type", "application/x-www-form-urlencoded", why, wl);
    }
    if (enc && strcmp(enc, "NONE") != 0) {
        snprintf(why, wl, "Transform.RequestBodyEncoding must be NONE or URL_ENCODED");
        return FG_EINVAL;
    }
    if (json_is_string(body))
        fg_buf_append(&r->body, json_string_value(body), json_string_length(body));
    else {
        char *text = json_dumps(body, JSON_ENCODE_ANY | JSON_COMPACT);
        int rc = text ? fg_buf_puts(&r->body, text) : FG_ENOMEM;
        free(text);
        if (rc)
            return rc;
        if (!has_header(r, "Content-Type"))
            return add_header(r, "Content-Type", "application/json", why, wl);
    }
    return FG_OK;
}

static int check_method(const json_t *params, request *r, char *why, size_t wl)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
    const char *m = json_string_value(json_object_get(params, "Method"));
    for (size_t i = 0; m && i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(m, methods[i]) == 0) {
            r->method = methods[i];
            return FG_OK;
        }
    snprintf(why, wl, "Method must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD");
    return FG_EINVAL;
}

static int build_request(const fg_tasks_http *t, const json_t *params, request *r, char *why,
                         size_t wl)
{
    const char *endpoint = json_string_value(json_object_get(params, "ApiEndpoint"));
    if (!json_is_object(params) || !endpoint ||
        (strncasecmp(endpoint, "http://", 7) != 0 && strncasecmp(endpoint, "https://", 8) != 0)) {
        snprintf(why, wl, "ApiEndpoint must be an http or https URL");
        return FG_EINVAL;
    }
    int rc = check_method(params, r, why, wl);
    int fmt = rc ? -1 : fmt_of(params, why, wl);
    if (fmt < 0)
        return FG_EINVAL;
    const json_t *conn = NULL;
    const char *arn = json_string_value(
        json_object_get(json_object_get(params, "Authentication"), "ConnectionArn"));
    if (arn && !(conn = find_connection(t, arn))) {
        snprintf(why, wl, "no connection %.200s in the configuration (connections[])", arn);
        return FG_ENOTFOUND;
    }
    r->conn = conn;
    rc = add_headers(r, json_object_get(conn, "headers"), "connection headers", why, wl);
    if (!rc)
        rc = add_headers(r, json_object_get(params, "Headers"), "Headers", why, wl);
    if (!rc && conn)
        rc = add_auth(r, conn, why, wl);
    if (!rc)
        rc = build_url(r, endpoint, json_object_get(params, "QueryParameters"),
                       json_object_get(conn, "query"), (fg__array_format)fmt, why, wl);
    if (!rc)
        rc = build_body(r, params, (fg__array_format)fmt, why, wl);
    if (rc && !why[0])
        snprintf(why, wl, "%s", fg_strerror(rc));
    return rc;
}

/* ---- the response ----------------------------------------------------------- */

static json_t *response_body(const fg__exchange *x)
{
    char *ctype = fg__exchange_header(x, "content-type");
    json_t *v = NULL;
    if (ctype && strstr(ctype, "json") && x->body.len)
        v = json_loadb(x->body.data, x->body.len, JSON_DECODE_ANY, NULL);
    free(ctype);
    if (!v)
        v = json_stringn(x->body.data ? x->body.data : "", x->body.len);
    return v ? v : json_string("");
}

static json_t *response_json(const fg__exchange *x)
{
    return json_pack("{s:o, s:o, s:i, s:s}", "ResponseBody", response_body(x), "Headers",
                     fg__exchange_headers_json(x), "StatusCode", x->status, "StatusText",
                     fg_http_status_text(x->status));
}

static void invoke_done(fg__exchange *x, int err, const char *msg)
{
    char cause[512];
    if (err == FG_ELIMIT) {
        snprintf(cause, sizeof cause, "the response is larger than %zu bytes (fetch.max_response_bytes)",
                 x->body.max);
        fg__task_op_fail(&x->op, "States.DataLimitExceeded", cause);
    } else if (err) {
        snprintf(cause, sizeof cause, "%s", x->refused ? x->why : msg && msg[0] ? msg : fg_strerror(err));
        fg__task_op_fail(&x->op, "States.Http.Socket", cause);
    } else {
        json_t *out = response_json(x);
        if (x->status >= 200 && x->status < 300) {
            fg__task_op_succeed(&x->op, out);
        } else {
            char error[64];
            char *text = json_dumps(out, JSON_COMPACT);
            snprintf(error, sizeof error, "States.Http.StatusCode.%d", x->status);
            fg__task_op_fail(&x->op, error, text);
            free(text);
        }
        json_decref(out);
    }
    fg__exchange_free(x);
}

static fg__exchange *prepare(fg_tasks_http *t, fg_flow_task *task, char *why, size_t wl)
{
    request *r = calloc(1, sizeof *r);
    fg__exchange *x = fg__exchange_new((size_t)fg_config_int(t->cfg, "fetch.max_response_bytes"));
    if (!r || !x) {
        free(r);
        fg__exchange_free(x);
        snprintf(why, wl, "out of memory");
        return NULL;
    }
    fg_buf_init(&r->body, (size_t)fg_config_int(t->cfg, "fetch.max_response_bytes") * 4);
    x->ud = r;
    x->free_ud = request_free;
    x->policy = t->policy;
    x->done = invoke_done;
    if (build_request(t, fg_flow_task_parameters(task), r, why, wl)) {
        fg__exchange_free(x);
        return NULL;
    }
    const char *host = strstr(r->url, "://") + 3;
    size_t hl = strcspn(host, ":/?#");
    if (*host == '[')
        host++, hl = strcspn(host, "]");
    snprintf(x->host, sizeof x->host, "%.*s", (int)hl, host);
    return x;
}

static bool wants_oauth(const request *r)
{
    const char *type = json_string_value(json_object_get(r->conn, "authorization_type"));
    return type && strcmp(type, "oauth_client_credentials") == 0;
}

static int add_bearer(request *r, const char *token)
{
    char why[200];
    size_t n = strlen(token) + 8;
    char *value = malloc(n);
    if (!value)
        return FG_ENOMEM;
    snprintf(value, n, "Bearer %s", token);
    int rc = add_header(r, "Authorization", value, why, sizeof why);
    free(value);
    return rc;
}

static int start_main(fg_tasks_http *t, fg__task_rt *rt, fg__exchange *x, fg_flow_task *task)
{
    request *r = x->ud;
    r->headers[r->n_headers] = NULL;
    fg_http_call_opts o = {
        .method = r->method,
        .url = r->url,
        .headers = (const char *const *)r->headers,
        .body = r->has_body || strcmp(r->method, "POST") == 0 ? (r->body.data ? r->body.data : "")
                                                               : NULL,
        .body_len = r->body.len,
        .connect_timeout_ms = (long)fg_config_int(t->cfg, "fetch.connect_timeout_ms"),
        .timeout_ms = (long)fg_config_int(t->cfg, "fetch.timeout_ms"),
    };
    return fg__exchange_start(rt, x, task, &o);
}

typedef struct pending_invoke {
    fg_tasks_http *t;
    fg__exchange *x;
} pending_invoke;

static void pending_free(void *p)
{
    pending_invoke *pi = p;
    fg__exchange_free(pi->x);
    free(pi);
}

/* The connection's token arrived (or did not): the request goes on. */
static void token_ready(fg__task_rt *rt, fg_flow_task *task, const char *token, const char *why,
                        void *ud)
{
    pending_invoke *pi = ud;
    fg__exchange *x = pi->x;
    fg_tasks_http *t = pi->t;
    free(pi);
    if (!token) {
        fg__exchange_free(x);
        fg_flow_task_fail(task, "States.Http.Socket", why);
    } else if (add_bearer(x->ud, token) || start_main(t, rt, x, task)) {
        fg__exchange_free(x);
        fg_flow_task_fail(task, "States.Runtime", "could not start the HTTP request");
    }
}

static void start_with_oauth(fg_tasks_http *t, fg__task_rt *rt, fg__exchange *x, fg_flow_task *task)
{
    char token[4096];
    request *r = x->ud;
    if (fg__oauth_cached(t, r->conn, token, sizeof token)) {
        if (add_bearer(r, token) || start_main(t, rt, x, task)) {
            fg__exchange_free(x);
            fg_flow_task_fail(task, "States.Runtime", "could not start the HTTP request");
        }
        return;
    }
    pending_invoke *pi = malloc(sizeof *pi);
    if (pi)
        *pi = (pending_invoke){t, x};
    if (!pi || fg__oauth_fetch(t, rt, task, r->conn, token_ready, pi, pending_free)) {
        free(pi);
        fg__exchange_free(x);
        fg_flow_task_fail(task, "States.Runtime",
                          "the connection's OAuth token could not be requested (oauth_endpoint?)");
    }
}

int fg__tasks_http_invoke(fg_flow_task *task, void *ud)
{
    fg_tasks_http *t = ud;
    char why[400] = "";
    fg__exchange *x = prepare(t, task, why, sizeof why);
    if (!x) {
        fg_flow_task_fail(task, "States.Runtime", why);
        return 0;
    }
    fg__task_rt *rt = fg__task_rt_get(t, task);
    if (!rt) {
        fg__exchange_free(x);
        fg_flow_task_fail(task, "States.Runtime", "out of memory");
        return 0;
    }
    if (wants_oauth(x->ud))
        start_with_oauth(t, rt, x, task);
    else if (start_main(t, rt, x, task)) {
        fg__exchange_free(x);
        fg_flow_task_fail(task, "States.Runtime", "could not start the HTTP request");
    }
    fg__task_rt_finish(t, rt);
    return 0;
}
