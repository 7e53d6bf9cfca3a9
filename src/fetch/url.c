/* URL resolution and normalisation on libcurl's CURLU parser. */
#include "fetch/url.h"

#include "core/buf.h"
#include "core/error.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Leading and trailing whitespace removed, tabs and newlines dropped, other
 * control bytes, spaces and non-ASCII bytes percent-encoded (as browsers do). */
static char *clean_ref(const char *ref)
{
    while (*ref && (unsigned char)*ref <= 0x20)
        ref++;
    size_t n = strlen(ref);
    while (n && (unsigned char)ref[n - 1] <= 0x20)
        n--;
    fg_buf b;
    fg_buf_init(&b, 0);
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ref[i];
        int rc;
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c <= 0x20 || c >= 0x7f) {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = fg_buf_append(&b, enc, 3);
        } else
            rc = fg_buf_putc(&b, (char)c);
        if (rc) {
            fg_buf_free(&b);
            return NULL;
        }
    }
    if (fg_buf_reserve(&b, 1)) {
        fg_buf_free(&b);
        return NULL;
    }
    return fg_buf_detach(&b, NULL);
}

static bool unreserved(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends s with %XX of unreserved characters decoded and other %xx uppercased. */
static int put_encoded(fg_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        int hi, lo;
        if (*s == '%' && (hi = hexval(s[1])) >= 0 && (lo = hexval(s[2])) >= 0) {
            int c = hi * 16 + lo;
            char enc[3] = {'%', hex[hi], hex[lo]};
            /* %2E stays encoded: decoded it could form a dot segment after
             * libcurl has already removed those. */
            int rc = unreserved(c) && c != '.' ? fg_buf_putc(b, (char)c) : fg_buf_append(b, enc, 3);
            if (rc)
                return rc;
            s += 2;
        } else if (*s == '%') { /* a stray '%' is spelled %25, so no new escape can form */
            if (fg_buf_append(b, "%25", 3))
                return FG_ELIMIT;
        } else if (fg_buf_putc(b, *s))
            return FG_ELIMIT;
    }
    return FG_OK;
}

static bool default_port(const char *scheme, const char *port)
{
    return !port || (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
           (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0);
}

typedef struct url_parts {
    char *scheme, *user, *host, *port, *path, *query;
} url_parts;

static void parts_free(url_parts *p)
{
    curl_free(p->scheme), curl_free(p->user), curl_free(p->host);
    curl_free(p->port), curl_free(p->path), curl_free(p->query);
}

/* Host names as DNS has them (IDN hosts must come in their xn-- form) or an
 * IP literal; anything else is refused rather than guessed at. */
static bool host_chars_ok(const char *h)
{
    for (; *h; h++)
        if (!isalnum((unsigned char)*h) && !strchr(".-_[]:", *h))
            return false;
    return true;
}

static int get_parts(CURLU *u, url_parts *p)
{
    memset(p, 0, sizeof *p);
    if (curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) ||
        curl_url_get(u, CURLUPART_HOST, &p->host, 0) ||
        curl_url_get(u, CURLUPART_PATH, &p->path, 0))
        return FG_EINVAL;
    curl_url_get(u, CURLUPART_USER, &p->user, 0);
    curl_url_get(u, CURLUPART_PORT, &p->port, 0);
    curl_url_get(u, CURLUPART_QUERY, &p->query, 0);
    for (char *c = p->scheme; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *c = p->host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if ((strcmp(p->scheme, "http") != 0 && strcmp(p->scheme, "https") != 0) || p->user ||
        !p->host[0] || strlen(p->host) > 255 || !host_chars_ok(p->host))
        return FG_EINVAL;
    return FG_OK;
}

static int build(const url_parts *p, fg_buf *b)
{
    int rc = fg_buf_printf(b, "%s://%s", p->scheme, p->host);
    if (!rc && !default_port(p->scheme, p->port))
        rc = fg_buf_printf(b, ":%s", p->port);
    if (!rc)
        rc = p->path[0] == '/' ? put_encoded(b, p->path) : fg_buf_putc(b, '/');
    if (!rc && p->path[0] && p->path[0] != '/')
        rc = put_encoded(b, p->path);
    if (!rc && p->query && p->query[0]) {
        rc = fg_buf_putc(b, '?');
        if (!rc)
            rc = put_encoded(b, p->query);
    }
    return rc;
}

static int set_url(CURLU *u, const char *text)
{
    return curl_url_set(u, CURLUPART_URL, text, CURLU_NON_SUPPORT_SCHEME) ? FG_EINVAL : FG_OK;
}

/* "#frag" and "?query" refs, which libcurl's resolver mishandles, spelled out
 * against base as absolute URLs. */
static char *same_document_ref(const char *base, const char *clean)
{
    size_t keep = strcspn(base, clean[0] == '#' ? "#" : "?#");
    size_t n = strlen(clean);
    char *s = malloc(keep + n + 1);
    if (s) {
        memcpy(s, base, keep);
        memcpy(s + keep, clean, n + 1);
    }
    return s;
}

static int normalize_once(const char *base, const char *ref, size_t max_len, char **out)
{
    *out = NULL;
    char *clean = clean_ref(ref);
    char *clean_base = base ? clean_ref(base) : NULL;
    if (clean && clean_base && (clean[0] == '#' || clean[0] == '?')) {
        char *abs = same_document_ref(clean_base, clean);
        free(clean);
        clean = abs;
    }
    CURLU *u = curl_url();
    url_parts p = {0};
    fg_buf b;
    fg_buf_init(&b, max_len ? max_len : 0);
    int rc = clean && u && (!base || clean_base) ? FG_OK : FG_ENOMEM;
    if (!rc && base)
        rc = set_url(u, clean_base);
    if (!rc)
        rc = clean[0] ? set_url(u, clean) : FG_OK;
    if (!rc)
        rc = get_parts(u, &p);
    if (!rc)
        rc = build(&p, &b) ? FG_ELIMIT : FG_OK;
    if (!rc)
        *out = fg_buf_detach(&b, NULL);
    fg_buf_free(&b);
    parts_free(&p);
    curl_url_cleanup(u);
    free(clean);
    free(clean_base);
    return rc;
}

/* Normalising can reveal something to normalise again (a percent-encoded host
 * that decodes to an IPv4 shorthand, say): repeat until the URL is stable. */
int fg_fetch_url_normalize(const char *base, const char *ref, size_t max_len, char **out)
{
    int rc = normalize_once(base, ref, max_len, out);
    for (int round = 0; rc == FG_OK && round < 3; round++) {
        char *again = NULL;
        rc = normalize_once(NULL, *out, max_len, &again);
        bool same = rc == FG_OK && strcmp(again, *out) == 0;
        free(*out);
        *out = again;
        if (same)
            return FG_OK;
    }
    if (rc == FG_OK) { /* still moving: refuse rather than keep two spellings */
        free(*out);
        *out = NULL;
        rc = FG_EINVAL;
    }
    return rc;
}

int fg_fetch_url_split(const char *url, fg_fetch_url_parts *out)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return FG_EINVAL;
    const char *auth = sep + 3;
    const char *path = auth + strcspn(auth, "/?");
    size_t origin_len = (size_t)(path - url);
    if (origin_len >= sizeof out->origin)
        return FG_EINVAL;
    memcpy(out->origin, url, origin_len);
    out->origin[origin_len] = '\0';
    const char *host = auth, *host_end;
    if (*host == '[') {
        host++;
        host_end = strchr(host, ']');
        if (!host_end || host_end > path)
            return FG_EINVAL;
    } else {
        host_end = memchr(host, ':', (size_t)(path - host));
        if (!host_end)
            host_end = path;
    }
    size_t hl = (size_t)(host_end - host);
    if (hl == 0 || hl >= sizeof out->host)
        return FG_EINVAL;
    memcpy(out->host, host, hl);
    out->host[hl] = '\0';
    out->path = *path ? path : "/";
    return FG_OK;
}

size_t fg_fetch_url_query_params(const char *url)
{
    const char *q = strchr(url, '?');
    if (!q || !q[1])
        return 0;
    size_t n = 1;
    for (q++; *q; q++)
        n += *q == '&';
    return n;
}
