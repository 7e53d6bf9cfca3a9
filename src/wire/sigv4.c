/* SigV4 signing: canonical headers, canonical request, string to sign,
 * signing key and the Authorization header. */
#include "wire/sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

typedef struct canon_header {
    char *name;  /* lower-case */
    char *value; /* trimmed, inner runs of spaces collapsed */
    size_t order;
} canon_header;

/* Headers a proxy may change or that carry the signature itself. */
static const char *const unsigned_headers[] = {
    "authorization", "cache-control", "connection", "expect", "from", "keep-alive",
    "max-forwards", "pragma", "proxy-authorization", "referer", "te", "trailer",
    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
};

void fg_sigv4_sha256_hex(const void *data, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    hex[64] = '\0';
}

static void hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

void fg_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, unsigned char key[32])
{
    size_t sl = strlen(secret);
    unsigned char *k0 = malloc(sl + 5);
    if (!k0) {
        memset(key, 0, 32);
        return;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, sl);
    unsigned char a[32], b[32];
    hmac(k0, sl + 4, date, a);
    hmac(a, 32, region, b);
    hmac(b, 32, service, a);
    hmac(a, 32, "aws4_request", key);
    memset(k0, 0, sl + 4);
    free(k0);
}

static int is_unsigned(const char *lname)
{
    for (size_t i = 0; i < FG_ARRAY_LEN(unsigned_headers); i++)
        if (strcmp(lname, unsigned_headers[i]) == 0)
            return 1;
    return 0;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* Trims the value and collapses runs of spaces and tabs into one space. */
static char *normalize_value(const char *v)
{
    char *d = malloc(strlen(v) + 1), *o = d;
    if (!d)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v; v++) {
        int sp = *v == ' ' || *v == '\t';
        if (sp && (v[1] == ' ' || v[1] == '\t' || v[1] == '\0'))
            continue;
        *o++ = sp ? ' ' : *v;
    }
    *o = '\0';
    return d;
}

static int cmp_header(const void *a, const void *b)
{
    const canon_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

typedef struct header_set {
    canon_header *h;
    size_t n, cap;
} header_set;

static int add_header(header_set *s, const char *name, const char *value)
{
    if (s->n == s->cap)
        return FG_EINTERNAL;
    canon_header *c = &s->h[s->n];
    c->name = lower_dup(name);
    c->value = normalize_value(value);
    c->order = s->n;
    if (!c->name || !c->value) {
        free(c->name);
        free(c->value);
        return FG_ENOMEM;
    }
    s->n++;
    return 0;
}

static void free_headers(header_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->h[i].name);
        free(s->h[i].value);
    }
    free(s->h);
}

/* Whether a caller's header is replaced by one the signer sets itself. */
static int signer_owned(const char *lname, unsigned flags, int has_token)
{
    if (strcmp(lname, "x-amz-date") == 0)
        return 1;
    if (strcmp(lname, "x-amz-security-token") == 0)
        return has_token;
    if (strcmp(lname, "x-amz-content-sha256") == 0)
        return (flags & FG_SIGV4_CONTENT_SHA256) != 0;
    return 0;
}

static int collect_headers(header_set *s, const fg_sigv4_request *req, const fg_sigv4_params *p,
                           const fg_sigv4_out *out)
{
    const char *token = p->creds->session_token;
    int has_token = token && *token, has_host = 0, rc = 0;
    s->cap = req->nheaders + 4;
    s->h = calloc(s->cap, sizeof *s->h);
    if (!s->h)
        return FG_ENOMEM;
    for (size_t i = 0; !rc && i < req->nheaders; i++) {
        char *l = lower_dup(req->headers[i].name);
        if (!l)
            return FG_ENOMEM;
        int skip = is_unsigned(l) || signer_owned(l, p->flags, has_token);
        has_host |= strcmp(l, "host") == 0;
        free(l);
        if (!skip)
            rc = add_header(s, req->headers[i].name, req->headers[i].value);
    }
    if (!rc && !has_host && req->host)
        rc = add_header(s, "host", req->host);
    if (!rc)
        rc = add_header(s, "x-amz-date", out->amz_date);
    if (!rc && has_token && !(p->flags & FG_SIGV4_TOKEN_UNSIGNED))
        rc = add_header(s, "x-amz-security-token", token);
    if (!rc && (p->flags & FG_SIGV4_CONTENT_SHA256))
        rc = add_header(s, "x-amz-content-sha256", out->payload_hash);
    if (!rc)
        qsort(s->h, s->n, sizeof *s->h, cmp_header);
    return rc;
}

/* Appends "name:v1,v2\n" lines (duplicates joined in order) to creq and the
 * names joined by ';' to signed_names. */
static int write_headers(const header_set *s, fg_buf *creq, fg_buf *signed_names)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < s->n; i++) {
        int same = i > 0 && strcmp(s->h[i].name, s->h[i - 1].name) == 0;
        if (same) {
            rc = fg_buf_printf(creq, ",%s", s->h[i].value);
            continue;
        }
        if (i > 0)
            rc = fg_buf_putc(creq, '\n');
        if (!rc)
            rc = fg_buf_printf(creq, "%s:%s", s->h[i].name, s->h[i].value);
        if (!rc)
            rc = fg_buf_printf(signed_names, "%s%s", signed_names->len ? ";" : "", s->h[i].name);
    }
    return rc ? rc : fg_buf_putc(creq, '\n');
}

static int canonical_request(const fg_sigv4_request *req, const fg_sigv4_params *p,
                             const fg_sigv4_out *out, fg_buf *creq, fg_buf *signed_names)
{
    header_set hs = {0};
    int rc = fg_buf_printf(creq, "%s\n", req->method);
    if (!rc)
        rc = fg_sigv4_canonical_uri(creq, req->path, (p->flags & FG_SIGV4_S3) != 0);
    if (!rc)
        rc = fg_buf_putc(creq, '\n');
    if (!rc)
        rc = fg_sigv4_canonical_query(creq, req->query);
    if (!rc)
        rc = fg_buf_putc(creq, '\n');
    if (!rc)
        rc = collect_headers(&hs, req, p, out);
    if (!rc)
        rc = write_headers(&hs, creq, signed_names);
    if (!rc)
        rc = fg_buf_printf(creq, "\n%s\n%s", signed_names->data, out->payload_hash);
    free_headers(&hs);
    return rc;
}

static int check_params(const fg_sigv4_request *req, const fg_sigv4_params *p, fg_errbuf *eb)
{
    const fg_aws_credentials *c = p->creds;
    if (!c || !c->access_key_id || !*c->access_key_id || !c->secret_access_key ||
        !*c->secret_access_key)
        return fg_failf(eb, FG_EINVAL,
                        "SigV4: no AWS credentials; set AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY, a profile, or the provider's credentials");
    if (!p->region || !*p->region || !p->service || !*p->service)
        return fg_failf(eb, FG_EINVAL, "SigV4: the region and the service name are required "
                                       "(set AWS_REGION or the provider's region)");
    if (!req->method || !*req->method)
        return fg_failf(eb, FG_EINVAL, "SigV4: the HTTP method is required");
    if (req->path && strpbrk(req->path, "?#"))
        return fg_failf(eb, FG_EINVAL, "SigV4: path '%s' contains '?' or '#'; pass the query "
                                       "separately", req->path);
    return 0;
}

static void set_times(fg_sigv4_out *out, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
}

static void set_payload_hash(fg_sigv4_out *out, const fg_sigv4_request *req)
{
    if (req->payload_hash) {
        snprintf(out->payload_hash, sizeof out->payload_hash, "%s", req->payload_hash);
        return;
    }
    fg_sigv4_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0,
                        out->payload_hash);
}

static int string_to_sign(fg_sigv4_out *out, const char *scope, const fg_buf *creq)
{
    char h[65];
    fg_sigv4_sha256_hex(creq->data, creq->len, h);
    fg_buf sts;
    fg_buf_init(&sts, 0);
    int rc = fg_buf_printf(&sts, ALGORITHM "\n%s\n%s\n%s", out->amz_date, scope, h);
    out->string_to_sign = rc ? NULL : fg_buf_detach(&sts, NULL);
    fg_buf_free(&sts);
    return rc;
}

static int authorization(fg_sigv4_out *out, const fg_sigv4_params *p, const char *scope,
                         const char *signed_names)
{
    char date[9];
    memcpy(date, out->amz_date, 8);
    date[8] = '\0';
    unsigned char key[32], sig[32];
    fg_sigv4_signing_key(p->creds->secret_access_key, date, p->region, p->service, key);
    hmac(key, 32, out->string_to_sign, sig);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sig[i]);
    fg_buf a;
    fg_buf_init(&a, 0);
    int rc = fg_buf_printf(&a, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                           p->creds->access_key_id, scope, signed_names, hex);
    out->authorization = rc ? NULL : fg_buf_detach(&a, NULL);
    fg_buf_free(&a);
    memset(key, 0, sizeof key);
    return rc;
}

static void list_added(fg_sigv4_out *out, const fg_sigv4_params *p)
{
    const char *token = p->creds->session_token;
    out->nadd = 0;
    out->add[out->nadd++] = (fg_wire_header){"X-Amz-Date", out->amz_date};
    if (token && *token)
        out->add[out->nadd++] = (fg_wire_header){"X-Amz-Security-Token", token};
    if (p->flags & FG_SIGV4_CONTENT_SHA256)
        out->add[out->nadd++] = (fg_wire_header){"X-Amz-Content-Sha256", out->payload_hash};
    out->add[out->nadd++] = (fg_wire_header){"Authorization", out->authorization};
}

int fg_sigv4_sign(const fg_sigv4_request *req, const fg_sigv4_params *p, fg_sigv4_out *out,
                  fg_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    int rc = check_params(req, p, eb);
    if (rc)
        return rc;
    set_times(out, p->time);
    set_payload_hash(out, req);
    char scope[256];
    snprintf(scope, sizeof scope, "%.8s/%s/%s/aws4_request", out->amz_date, p->region,
             p->service);
    fg_buf creq, names;
    fg_buf_init(&creq, 0);
    fg_buf_init(&names, 0);
    rc = canonical_request(req, p, out, &creq, &names);
    if (!rc)
        rc = string_to_sign(out, scope, &creq);
    if (!rc)
        rc = authorization(out, p, scope, names.data);
    if (!rc) {
        out->canonical_request = fg_buf_detach(&creq, NULL);
        list_added(out, p);
    }
    fg_buf_free(&creq);
    fg_buf_free(&names);
    if (rc) {
        fg_sigv4_out_free(out);
        return fg_failf(eb, rc, "SigV4: could not sign the request: %s", fg_strerror(rc));
    }
    return 0;
}

void fg_sigv4_out_free(fg_sigv4_out *o)
{
    free(o->canonical_request);
    free(o->string_to_sign);
    free(o->authorization);
    o->canonical_request = o->string_to_sign = o->authorization = NULL;
    o->nadd = 0;
}
