/* Splitting a URL into the parts SigV4 signs. */
#include "wire/sigv4.h"

#include <string.h>
#include <strings.h>

/* Stores s[0..n) NUL-terminated in buf; returns its offset. */
static size_t put(fg_buf *buf, const char *s, size_t n, int *rc)
{
    size_t off = buf->len;
    if (!*rc)
        *rc = fg_buf_append(buf, s, n);
    if (!*rc)
        *rc = fg_buf_putc(buf, '\0');
    return off;
}

/* The host without a port that is the scheme's default. */
static size_t host_len(const char *h, size_t n, int https)
{
    const char *dflt = https ? ":443" : ":80";
    size_t dl = strlen(dflt);
    if (n > dl && memcmp(h + n - dl, dflt, dl) == 0)
        return n - dl;
    return n;
}

int fg_sigv4_split_url(const char *url, fg_buf *buf, const char **host, const char **path,
                       const char **query, fg_errbuf *eb)
{
    int https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0)
        return fg_failf(eb, FG_EINVAL, "SigV4: URL '%s' is not http:// or https://", url);
    const char *h = url + (https ? 8 : 7);
    size_t hn = strcspn(h, "/?#");
    if (hn == 0 || memchr(h, '@', hn))
        return fg_failf(eb, FG_EINVAL, "SigV4: URL '%s' has no host or has user information",
                        url);
    const char *p = h + hn;
    size_t pn = strcspn(p, "?#");
    const char *q = p[pn] == '?' ? p + pn + 1 : p + pn;
    size_t qn = strcspn(q, "#");
    int rc = 0;
    fg_buf_reset(buf);
    /* Reserve everything up front so the offsets below stay valid pointers. */
    rc = fg_buf_reserve(buf, hn + pn + qn + 4);
    size_t ho = put(buf, h, host_len(h, hn, https), &rc);
    size_t po = put(buf, pn ? p : "/", pn ? pn : 1, &rc);
    size_t qo = put(buf, q, qn, &rc);
    if (rc)
        return fg_failf(eb, rc, "SigV4: URL too long");
    *host = buf->data + ho;
    *path = buf->data + po;
    *query = buf->data + qo;
    return 0;
}

int fg_sigv4_sign_url(const char *method, const char *url, const fg_wire_header *headers,
                      size_t nheaders, const void *body, size_t body_len,
                      const fg_sigv4_params *params, fg_sigv4_out *out, fg_errbuf *eb)
{
    fg_buf parts;
    fg_buf_init(&parts, 0);
    fg_sigv4_request req = {.method = method, .headers = headers, .nheaders = nheaders,
                            .body = body, .body_len = body_len};
    int rc = fg_sigv4_split_url(url, &parts, &req.host, &req.path, &req.query, eb);
    if (!rc)
        rc = fg_sigv4_sign(&req, params, out, eb);
    fg_buf_free(&parts);
    return rc;
}
