/* One HTTP request made for a task, with its response collected. */
#include "tasks/tasks_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

fg__exchange *fg__exchange_new(size_t max_bytes)
{
    fg__exchange *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    fg_buf_init(&x->headers, 64 * 1024);
    fg_buf_init(&x->body, max_bytes);
    return x;
}

void fg__exchange_free(fg__exchange *x)
{
    if (!x)
        return;
    if (x->free_ud)
        x->free_ud(x->ud);
    fg_buf_free(&x->headers);
    fg_buf_free(&x->body);
    free(x);
}

static void cancel_exchange(fg__task_op *op)
{
    fg__exchange *x = (fg__exchange *)op;
    if (x->call)
        fg_http_call_abort(x->call);
    x->call = NULL;
    fg__exchange_free(x);
}

static bool check_address(const struct sockaddr *sa, void *ud)
{
    fg__exchange *x = ud;
    if (fg_fetch_policy_allows(x->policy, x->host, sa, x->why, sizeof x->why))
        return true;
    x->refused = true;
    return false;
}

static void on_headers(fg_http_call *call, int status, const char *h, size_t len, void *ud)
{
    fg__exchange *x = ud;
    x->status = status;
    fg_buf_append(&x->headers, h, len);
}

static int on_data(fg_http_call *call, const char *data, size_t len, void *ud)
{
    fg__exchange *x = ud;
    fg_buf_append(&x->body, data, len);
    return 0;
}

static void on_done(fg_http_call *call, int err, const char *msg, void *ud)
{
    fg__exchange *x = ud;
    x->call = NULL;
    x->done(x, err, msg);
}

int fg__exchange_start(fg__task_rt *rt, fg__exchange *x, fg_flow_task *task,
                       const fg_http_call_opts *opts)
{
    static const fg_http_call_cbs cbs = {on_headers, on_data, on_done};
    fg_http_call_opts o = *opts;
    o.max_response_bytes = x->body.max;
    if (x->policy) {
        o.allow_address = check_address;
        o.allow_address_ud = x;
    }
    if (!rt->client)
        return FG_ENOMEM;
    fg__task_op_begin(rt, &x->op, task, cancel_exchange);
    int rc = fg_http_call_start(rt->client, &o, &cbs, x, &x->call);
    if (rc) {
        x->op.task = NULL;
        fg__task_op_fail(&x->op, NULL, NULL);
    }
    return rc;
}

/* Calls fn for each "Name: value" line. */
static void each_header(const fg__exchange *x, void (*fn)(const char *n, size_t nl, const char *v,
                                                          size_t vl, void *ud),
                        void *ud)
{
    const char *p = x->headers.data, *end = p + x->headers.len;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && colon > p) {
            const char *v = colon + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            fn(p, (size_t)(colon - p), v, (size_t)(ve - v), ud);
        }
        p = eol + 1;
    }
}

static void add_header(const char *n, size_t nl, const char *v, size_t vl, void *ud)
{
    json_t *obj = ud;
    char name[256];
    if (nl >= sizeof name)
        return;
    for (size_t i = 0; i < nl; i++)
        name[i] = (char)tolower((unsigned char)n[i]);
    name[nl] = '\0';
    json_t *list = json_object_get(obj, name);
    if (!list) {
        list = json_array();
        json_object_set_new(obj, name, list);
    }
    json_t *s = json_stringn(v, vl);
    if (s)
        json_array_append_new(list, s);
}

json_t *fg__exchange_headers_json(const fg__exchange *x)
{
    json_t *obj = json_object();
    each_header(x, add_header, obj);
    return obj;
}

typedef struct find {
    const char *name;
    char *value;
} find;

static void match_header(const char *n, size_t nl, const char *v, size_t vl, void *ud)
{
    find *f = ud;
    if (!f->value && strlen(f->name) == nl && strncasecmp(n, f->name, nl) == 0)
        f->value = strndup(v, vl);
}

char *fg__exchange_header(const fg__exchange *x, const char *name)
{
    find f = {name, NULL};
    each_header(x, match_header, &f);
    return f.value;
}
