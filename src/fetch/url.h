/* URLs as the crawler keeps them: resolved against the page they came from and
 * normalised so one document has one spelling (scheme and host lowercase,
 * default port dropped, dot segments resolved, fragment removed, needless
 * percent-encodings decoded and the rest uppercase, empty path "/"). Built on
 * libcurl's URL parser. */
#ifndef FG_FETCH_URL_H
#define FG_FETCH_URL_H

#include <stddef.h>

/* Resolves ref against base (NULL: ref must be absolute) and normalises it.
 * Only http and https URLs without user info are accepted. Returns 0 with a
 * malloc'd *out, FG_EINVAL when ref is no such URL, FG_ELIMIT when the result
 * is longer than max_len (0: no limit). */
int fg_fetch_url_normalize(const char *base, const char *ref, size_t max_len, char **out);

/* The parts of a normalised URL that the crawler needs (pointers into buffers
 * of the struct). */
typedef struct fg_fetch_url_parts {
    char origin[300];   /* "https://example.com:8443" */
    char host[256];     /* "example.com" (IPv6 without brackets) */
    const char *path;   /* "/a/b?q=1" inside the URL given */
} fg_fetch_url_parts;

/* 0, or FG_EINVAL when url is not a normalised http(s) URL or its origin is too long. */
int fg_fetch_url_split(const char *url, fg_fetch_url_parts *out);

/* Number of query parameters (0 when none). */
size_t fg_fetch_url_query_params(const char *url);

#endif
