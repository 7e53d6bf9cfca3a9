/* AWS Signature Version 4 (AWS4-HMAC-SHA256) for requests sent in headers:
 * the canonical request, the string to sign, the signing key and the
 * Authorization header, with session tokens and payload hashes. Pure: no
 * clock and no I/O; the caller passes the time. */
#ifndef FG_WIRE_SIGV4_H
#define FG_WIRE_SIGV4_H

#include "core/buf.h"
#include "core/error.h"
#include "wire/aws_credentials.h"

#include <stddef.h>
#include <stdint.h>

typedef struct fg_wire_header {
    const char *name;
    const char *value;
} fg_wire_header;

enum {
    /* S3 rules: the path is signed as given (no dot-segment or slash
     * normalisation, no second percent-encoding). */
    FG_SIGV4_S3 = 1u << 0,
    /* Adds and signs X-Amz-Content-Sha256 (S3 requires it). */
    FG_SIGV4_CONTENT_SHA256 = 1u << 1,
    /* Adds X-Amz-Security-Token after signing instead of signing it (the
     * few services that want it so); by default it is signed. */
    FG_SIGV4_TOKEN_UNSIGNED = 1u << 2,
};

typedef struct fg_sigv4_request {
    const char *method;          /* "GET", "POST" */
    const char *host;            /* signed as the host header unless headers has one */
    const char *path;            /* as on the request line, percent-encoded; NULL or "" is "/" */
    const char *query;           /* without '?', percent-encoded; may be NULL */
    const fg_wire_header *headers; /* to sign; hop-by-hop ones are skipped */
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *payload_hash;    /* hex SHA-256 or "UNSIGNED-PAYLOAD"; NULL: hash body */
} fg_sigv4_request;

typedef struct fg_sigv4_params {
    const char *region;          /* "us-east-1" */
    const char *service;         /* "bedrock", "s3", "sagemaker" */
    const fg_aws_credentials *creds;
    int64_t time;                /* seconds since the epoch (UTC) */
    unsigned flags;              /* FG_SIGV4_* */
} fg_sigv4_params;

/* The result. The strings are owned (fg_sigv4_out_free). */
typedef struct fg_sigv4_out {
    char amz_date[17];           /* 20150830T123600Z */
    char payload_hash[65];       /* hex, or "UNSIGNED-PAYLOAD" */
    char *canonical_request;
    char *string_to_sign;
    char *authorization;
    fg_wire_header add[4];       /* the headers to add to the request */
    size_t nadd;
} fg_sigv4_out;

void fg_sigv4_out_free(fg_sigv4_out *o);

/* Signs req. out->add lists X-Amz-Date, X-Amz-Security-Token (with a session
 * token), X-Amz-Content-Sha256 (with FG_SIGV4_CONTENT_SHA256) and
 * Authorization; their values point into out. FG_EINVAL (with a message) for
 * missing credentials, region or service, or a malformed path. */
int fg_sigv4_sign(const fg_sigv4_request *req, const fg_sigv4_params *params, fg_sigv4_out *out,
                  fg_errbuf *eb);

/* The same for a whole URL (http or https; the host header is taken from it). */
int fg_sigv4_sign_url(const char *method, const char *url, const fg_wire_header *headers,
                      size_t nheaders, const void *body, size_t body_len,
                      const fg_sigv4_params *params, fg_sigv4_out *out, fg_errbuf *eb);

/* Splits an http(s) URL into host (with a non-default port), path and query
 * for fg_sigv4_request; the parts are copied into buf (cleared first). */
int fg_sigv4_split_url(const char *url, fg_buf *buf, const char **host, const char **path,
                       const char **query, fg_errbuf *eb);

/* The steps, exposed for tests and for debugging signature mismatches. */
/* Appends the canonical URI of path (S3 rules when s3 is non-zero). */
int fg_sigv4_canonical_uri(fg_buf *out, const char *path, int s3);
/* Appends the canonical query string of query (percent-encoded, no '?'). */
int fg_sigv4_canonical_query(fg_buf *out, const char *query);
/* Appends s percent-encoded: everything but A-Z a-z 0-9 - . _ ~ (and '/' when
 * keep_slash is non-zero) becomes %XX with upper-case hex digits. */
int fg_sigv4_uri_encode(fg_buf *out, const char *s, size_t n, int keep_slash);
/* The signing key: HMAC chain over date (YYYYMMDD), region, service, "aws4_request". */
void fg_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, unsigned char key[32]);
/* Hex SHA-256 of data (65 bytes with the NUL). */
void fg_sigv4_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
