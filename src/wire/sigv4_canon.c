/* SigV4 canonical forms: URI encoding, the canonical URI and the canonical
 * query string. */
#include "wire/sigv4.h"

#include <stdlib.h>
#include <string.h>

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int fg_sigv4_uri_encode(fg_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (unreserved(c) || (keep_slash && c == '/')) {
            rc = fg_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = fg_buf_append(out, e, 3);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Removes empty and "." segments and resolves ".." (RFC 3986 5.2.4), as AWS
 * does for every service but S3; out gets the segments joined by '/'. */
static int normalize_path(fg_buf *out, const char *path)
{
    size_t n = strlen(path);
    const char **seg = calloc(n / 2 + 2, sizeof *seg);
    size_t *len = calloc(n / 2 + 2, sizeof *len);
    size_t k = 0;
    int rc = seg && len ? 0 : FG_ENOMEM;
    for (const char *p = path; !rc && *p;) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (k)
                k--;
        } else if (l && !(l == 1 && p[0] == '.')) {
            seg[k] = p;
            len[k++] = l;
        }
        p += l;
    }
    for (size_t i = 0; !rc && i < k; i++) {
        rc = fg_buf_putc(out, '/');
        if (!rc)
            rc = fg_buf_append(out, seg[i], len[i]);
    }
    if (!rc && (k == 0 || (n && path[n - 1] == '/')))
        rc = fg_buf_putc(out, '/');
    free(seg);
    free(len);
    return rc;
}

int fg_sigv4_canonical_uri(fg_buf *out, const char *path, int s3)
{
    if (!path || !*path)
        return fg_buf_putc(out, '/');
    if (s3) {
        int rc = path[0] == '/' ? 0 : fg_buf_putc(out, '/');
        return rc ? rc : fg_buf_puts(out, path);
    }
    fg_buf norm;
    fg_buf_init(&norm, 0);
    int rc = normalize_path(&norm, path);
    if (!rc)
        rc = fg_sigv4_uri_encode(out, norm.data, norm.len, 1);
    fg_buf_free(&norm);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends s[0..n) percent-decoded then re-encoded strictly. A '%' not
 * followed by two hex digits stands for itself. */
static int reencode(fg_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n) {
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h >= 0 && l >= 0) {
                c = (char)(h << 4 | l);
                i += 2;
            }
        }
        int rc = fg_sigv4_uri_encode(out, &c, 1, 0);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct qparam {
    size_t key, val; /* offsets of NUL-terminated strings in the storage buffer */
    const char *base;
} qparam;

static int cmp_param(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->base + x->key, y->base + y->key);
    return c ? c : strcmp(x->base + x->val, y->base + y->val);
}

static int split_params(const char *q, fg_buf *store, qparam *params, size_t *count)
{
    size_t k = 0;
    for (const char *p = q; *p;) {
        const char *e = strchr(p, '&');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l) {
            const char *eq = memchr(p, '=', l);
            size_t kl = eq ? (size_t)(eq - p) : l;
            params[k].key = store->len;
            int rc = reencode(store, p, kl);
            if (!rc)
                rc = fg_buf_putc(store, '\0');
            params[k].val = store->len;
            if (!rc && eq)
                rc = reencode(store, eq + 1, l - kl - 1);
            if (rc || (rc = fg_buf_putc(store, '\0')))
                return rc;
            k++;
        }
        p += e ? l + 1 : l;
    }
    *count = k;
    return 0;
}

int fg_sigv4_canonical_query(fg_buf *out, const char *query)
{
    if (!query || !*query)
        return 0;
    size_t n = 1;
    for (const char *p = query; *p; p++)
        n += *p == '&';
    qparam *params = calloc(n, sizeof *params);
    if (!params)
        return FG_ENOMEM;
    fg_buf store;
    fg_buf_init(&store, 0);
    size_t k = 0;
    int rc = split_params(query, &store, params, &k);
    for (size_t i = 0; i < k; i++)
        params[i].base = store.data;
    if (!rc)
        qsort(params, k, sizeof *params, cmp_param);
    for (size_t i = 0; !rc && i < k; i++)
        rc = fg_buf_printf(out, "%s%s=%s", i ? "&" : "", store.data + params[i].key,
                           store.data + params[i].val);
    fg_buf_free(&store);
    free(params);
    return rc;
}
