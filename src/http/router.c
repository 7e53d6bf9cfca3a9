/* Routes: method + path pattern -> handler. Patterns are split into segments
 * once; a "{name}" segment captures one URL-decoded path segment. */
#include "http/http_int.h"

#include "core/log.h"
#include "obs/metrics.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 12

typedef struct route {
    char method[12];
    char pattern[96];
    char *segments[MAX_SEGMENTS];
    int nsegments;
    fg_http_handler handler;
    void *ud;
} route;

struct fg_http_router {
    route *routes;
    size_t n, cap;
};

fg_http_router *fg_http_router_create(void)
{
    return calloc(1, sizeof(fg_http_router));
}

void fg_http_router_free(fg_http_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        for (int j = 0; j < r->routes[i].nsegments; j++)
            free(r->routes[i].segments[j]);
    free(r->routes);
    free(r);
}

int fg_http_router_add(fg_http_router *r, const char *method, const char *pattern,
                       fg_http_handler handler, void *ud)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        route *p = realloc(r->routes, cap * sizeof *p);
        if (!p)
            return FG_ENOMEM;
        r->routes = p;
        r->cap = cap;
    }
    route *rt = &r->routes[r->n];
    memset(rt, 0, sizeof *rt);
    snprintf(rt->method, sizeof rt->method, "%s", method);
    snprintf(rt->pattern, sizeof rt->pattern, "%s", pattern);
    rt->handler = handler;
    rt->ud = ud;
    for (const char *p = pattern; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (rt->nsegments == MAX_SEGMENTS)
            return FG_ELIMIT;
        rt->segments[rt->nsegments++] = strndup(p, len);
        p += len;
    }
    r->n++;
    return FG_OK;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* URL-decodes s[0..n) into the arena; '+' becomes a space when plus is set. */
static char *url_decode(fg_arena *a, const char *s, size_t n, bool plus)
{
    char *out = fg_arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n &&
            (hi = hexval((unsigned char)s[i + 1])) >= 0 && (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus && s[i] == '+') {
            out[j++] = ' ';
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

static bool match(const route *rt, fg_http_req *req)
{
    int seg = 0;
    int nparams = 0;
    for (const char *p = req->path; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (seg >= rt->nsegments)
            return false;
        const char *pat = rt->segments[seg];
        if (pat[0] == '{') {
            if (nparams < FG_HTTP_MAX_PARAMS) {
                size_t plen = strlen(pat);
                req->params[nparams].name = fg_arena_strndup(req->arena, pat + 1, plen - 2);
                req->params[nparams].value = url_decode(req->arena, p, len, false);
                nparams++;
            }
        } else if (strlen(pat) != len || strncmp(pat, p, len) != 0) {
            return false;
        }
        seg++;
        p += len;
    }
    if (seg != rt->nsegments)
        return false;
    req->nparams = nparams;
    return true;
}

const char *fg_http_req_query_param(fg_http_req *req, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = req->query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        if (klen == nlen && strncmp(p, name, nlen) == 0)
            return eq ? url_decode(req->arena, eq + 1, len - klen - 1, true) : "";
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

void fg__http_dispatch(fg_http_req *req)
{
    req->dispatched = true;
    fg_metrics_gauge_add("flowgate_http_in_flight", "Requests being handled", 0, NULL, NULL, 1);
    const fg_http_router *r = fg__http_router(req->c->w);
    bool path_matched = false;
    for (size_t i = 0; r && i < r->n; i++) {
        const route *rt = &r->routes[i];
        if (!match(rt, req))
            continue;
        path_matched = true;
        if (strcmp(rt->method, "*") != 0 && strcmp(rt->method, req->method) != 0 &&
            !(strcmp(rt->method, "GET") == 0 && strcmp(req->method, "HEAD") == 0))
            continue;
        snprintf(req->route, sizeof req->route, "%s", rt->pattern);
        rt->handler(req, rt->ud);
        return;
    }
    snprintf(req->route, sizeof req->route, "%s", path_matched ? "(method)" : "(none)");
    if (path_matched)
        fg_http_respond_error(req, 405, "method_not_allowed", "method not allowed for this path");
    else
        fg_http_respond_error(req, 404, "not_found", "no such route");
}
