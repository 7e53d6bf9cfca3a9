/* One URL source: the address policy (private, loopback and link-local
 * addresses refused unless knowledge.allow_private_urls), then a GET through
 * flowgate's HTTP client on a loop of the calling thread, following at most a
 * few redirects (each target checked again), with a size ceiling. */
#include "knowledge/kn_int.h"

#include "http/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REDIRECTS 5

bool fg__kn_addr_is_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
               (a >> 16) == 0xA9FE /* 169.254 */ || (a >> 20) == 0xAC1 /* 172.16/12 */ ||
               (a >> 16) == 0xC0A8 /* 192.168 */ || (a >> 22) == 0x191 /* 100.64/10 */ ||
               (a >> 28) >= 0xE /* multicast, reserved */;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, a->s6_addr + 12, 4);
            return fg__kn_addr_is_private((const struct sockaddr *)&v4);
        }
        return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
               IN6_IS_ADDR_SITELOCAL(a) || IN6_IS_ADDR_MULTICAST(a) ||
               (a->s6_addr[0] & 0xFE) == 0xFC /* unique local fc00::/7 */;
    }
    return true;
}

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

static int check_policy(const kn_limits *lim, const char *url, fg_errbuf *eb)
{
    char host[256];
    int rc = url_host(url, host, sizeof host, eb);
    if (rc || lim->allow_private_urls)
        return rc;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai != 0)
        return fg_failf(eb, FG_EUPSTREAM, "cannot resolve %s: %s", host, gai_strerror(gai));
    for (struct addrinfo *a = res; a && !rc; a = a->ai_next)
        if (fg__kn_addr_is_private(a->ai_addr))
            rc = fg_failf(eb, FG_EDENIED,
                          "%s resolves to a private or loopback address, which the address "
                          "policy refuses (knowledge.allow_private_urls)",
                          host);
    freeaddrinfo(res);
    return rc;
}

typedef struct get_ctx {
    kn_fetched *out;
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
                           .max_response_bytes = lim->max_document_bytes + 1};
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

int fg__kn_fetch_url(const kn_limits *lim, const char *url, kn_fetched *out, fg_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    snprintf(out->final_url, sizeof out->final_url, "%s", url);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
        int rc = check_policy(lim, out->final_url, eb);
        if (rc)
            return rc;
        get_ctx g = {.out = out, .max = lim->max_document_bytes};
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
