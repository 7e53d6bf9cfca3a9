/* One URL source: a GET through flowgate's HTTP client on a loop of the
 * calling thread, every connection checked against the fetch policy
 * (src/fetch/policy.h: private, loopback, link-local... refused unless the
 * configuration's fetch.* keys allow them) on the address actually connected
 * to, following at most a few redirects, with a size ceiling. */
#include "knowledge/kn_int.h"

#include "fetch/policy.h"
#include "http/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REDIRECTS 5

/* Host of an http(s) URL into host (brackets of IPv6 literals removed). */
static int url_host(const char *url, char *host, size_t n, fg_errbuf *eb)
{
    const char *p;
    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else
        return fg_failf(eb, FG_EINVAL, "only http and https URLs can be ingested");
    const char *at = NULL;
    for (const char *q = p; *q && *q != '/' && *q != '?' && *q != '#'; q++)
        if (*q == '@')
            at = q;
    if (at)
        p = at + 1;
    size_t len;
    if (*p == '[') {
        const char *e = strchr(p, ']');
        if (!e)
            return fg_failf(eb, FG_EINVAL, "malformed URL host");
        p++;
        len = (size_t)(e - p);
    } else
        len = strcspn(p, ":/?#");
    if (len == 0 || len >= n)
        return fg_failf(eb, FG_EINVAL, "malformed URL host");
    memcpy(host, p, len);
    host[len] = 0;
    return 0;
}

typedef struct get_ctx {
    kn_fetched *out;
    const fg_fetch_policy *policy;
    char host[256];
    char why[256];
    bool refused;
    size_t max;
    char location[2048];
    int err;
    char msg[256];
    bool done, too_big;
} get_ctx;

static void header_value(const char *headers, size_t len, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    const char *p = headers, *end = headers + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(eol - v);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            snprintf(out, n, "%.*s", (int)vl, v);
            return;
        }
        p = eol + 1;
    }
}

static void on_headers(fg_http_call *call, int status, const char *h, size_t len, void *ud)
{
    (void)call;
    get_ctx *g = ud;
    g->out->status = status;
    header_value(h, len, "content-type", g->out->content_type, sizeof g->out->content_type);
    g->out->content_type[strcspn(g->out->content_type, ";")] = 0;
    header_value(h, len, "etag", g->out->etag, sizeof g->out->etag);
    header_value(h, len, "last-modified", g->out->last_modified, sizeof g->out->last_modified);
    header_value(h, len, "location", g->location, sizeof g->location);
}

static int on_data(fg_http_call *call, const char *data, size_t len, void *ud)
{
    (void)call;
    get_ctx *g = ud;
    kn_fetched *f = g->out;
    if (f->len + len > g->max) {
        g->too_big = true;
        return 0;
    }
    char *b = realloc(f->body, f->len + len + 1);
    if (!b) {
        g->too_big = true;
        return 0;
    }
    memcpy(b + f->len, data, len);
    f->body = b;
    f->len += len;
    f->body[f->len] = 0;
    return 0;
}

static void on_done(fg_http_call *call, int err, const char *msg, void *ud)
{
    (void)call;
    get_ctx *g = ud;
    g->err = err;
    snprintf(g->msg, sizeof g->msg, "%s", msg ? msg : "");
    g->done = true;
}

static bool check_address(const struct sockaddr *sa, void *ud)
{
    get_ctx *g = ud;
    if (fg_fetch_policy_allows(g->policy, g->host, sa, g->why, sizeof g->why))
        return true;
    g->refused = true;
    return false;
}

static int get_once(const kn_limits *lim, const char *url, get_ctx *g, fg_errbuf *eb)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return fg_failf(eb, FG_EIO, "cannot create an event loop");
    fg_http_client *c = fg_http_client_create(&loop);
    const char *headers[] = {"Accept: text/html, text/markdown, text/plain, application/pdf, */*;q=0.5",
                             "User-Agent: flowgate-knowledge", NULL};
    fg_http_call_opts o = {.method = "GET", .url = url, .headers = headers,
                           .timeout_ms = lim->url_timeout_ms,
                           .max_response_bytes = lim->max_document_bytes + 1,
                           .allow_address = check_address, .allow_address_ud = g};
    static const fg_http_call_cbs cbs = {on_headers, on_data, on_done};
    int rc = c ? fg_http_call_start(c, &o, &cbs, g, NULL) : FG_ENOMEM;
    if (rc == 0)
        while (!g->done && uv_run(&loop, UV_RUN_ONCE))
            ;
    if (c)
        fg_http_client_destroy(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (rc)
        return fg_failf(eb, rc, "cannot start fetching %s", url);
    if (g->refused)
        return fg_failf(eb, FG_EDENIED, "%s", g->why);
    if (g->too_big || g->err == FG_ELIMIT)
        return fg_failf(eb, FG_ELIMIT, "%s is larger than %zu bytes", url, g->max);
    if (!g->done || g->err)
        return fg_failf(eb, g->err ? g->err : FG_EUPSTREAM, "fetching %s failed: %s", url,
                        g->msg[0] ? g->msg : fg_strerror(g->err));
    return 0;
}

static int resolve_location(const char *base, const char *loc, char *out, size_t n)
{
    if (strncasecmp(loc, "http://", 7) == 0 || strncasecmp(loc, "https://", 8) == 0)
        return snprintf(out, n, "%s", loc) < (int)n ? 0 : -1;
    const char *scheme_end = strstr(base, "://");
    if (!scheme_end)
        return -1;
    const char *path = strchr(scheme_end + 3, '/');
    size_t origin = path ? (size_t)(path - base) : strlen(base);
    if (loc[0] == '/')
        return snprintf(out, n, "%.*s%s", (int)origin, base, loc) < (int)n ? 0 : -1;
    const char *slash = strrchr(base + origin, '/');
    size_t dir = slash ? (size_t)(slash - base) + 1 : origin;
    return snprintf(out, n, "%.*s%s%s", (int)dir, base, slash ? "" : "/", loc) < (int)n ? 0 : -1;
}

int fg__kn_fetch_url(const kn_limits *lim, const fg_fetch_policy *policy, const char *url,
                     kn_fetched *out, fg_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    snprintf(out->final_url, sizeof out->final_url, "%s", url);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
        get_ctx g = {.out = out, .policy = policy, .max = lim->max_document_bytes};
        int rc = url_host(out->final_url, g.host, sizeof g.host, eb);
        if (rc)
            return rc;
        free(out->body);
        out->body = NULL;
        out->len = 0;
        if ((rc = get_once(lim, out->final_url, &g, eb)) != 0)
            return rc;
        if (out->status >= 300 && out->status < 400 && g.location[0]) {
            char next[2048];
            if (resolve_location(out->final_url, g.location, next, sizeof next) != 0)
                return fg_failf(eb, FG_EUPSTREAM, "bad redirect from %s", out->final_url);
            snprintf(out->final_url, sizeof out->final_url, "%s", next);
            continue;
        }
        if (out->status != 200)
            return fg_failf(eb, FG_EUPSTREAM, "%s answered HTTP %d", out->final_url, out->status);
        return 0;
    }
    return fg_failf(eb, FG_ELIMIT, "more than %d redirects from %s", MAX_REDIRECTS, url);
}

void fg__kn_fetched_free(kn_fetched *f)
{
    free(f->body);
    f->body = NULL;
}
