/* The crawler: walks a site from start URLs with seed 004's options (depth,
 * robots.txt, whitelist and blacklist patterns, skipped extensions, same host,
 * page limit, concurrency, per-host delay) and hands each fetched page to the
 * caller. The knowledge base's ingestion jobs and `flowgate crawl` use it. */
#ifndef FG_FETCH_CRAWL_H
#define FG_FETCH_CRAWL_H

#include "config/config.h"
#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct fg_fetch_page {
    const char *url;           /* final URL, after redirects */
    const char *content_type;  /* media type without parameters, e.g. "text/html" */
    const char *body;          /* the response body (not NUL-terminated) */
    size_t body_len;
    const char *etag;          /* NULL when the response had none */
    const char *last_modified; /* NULL when the response had none */
    int depth;                 /* start URLs are 1 */
    const char *link_text;     /* text of the link that led here ("" for start URLs) */
    const char *referrer;      /* the page that linked here, NULL for start URLs */
    int status;                /* HTTP status (200) */
    const char *const *links;  /* the page's links, resolved and normalised (HTML only) */
    size_t n_links;
    char sha256[65];           /* of the body, lowercase hex (for fg_fetch_seen next time) */
} fg_fetch_page;

/* What an earlier crawl saw of a URL: sent as If-None-Match/If-Modified-Since,
 * and compared with the new body's hash. Empty strings when unknown. */
typedef struct fg_fetch_seen {
    char etag[256];
    char last_modified[64];
    char content_sha256[65]; /* lowercase hex */
} fg_fetch_seen;

typedef struct fg_fetch_crawl_hooks {
    /* A page fetched with new content. Nonzero stops the crawl. */
    int (*page)(const fg_fetch_page *p, void *ud);
    /* A URL that could not be fetched or was refused; the crawl goes on. */
    void (*error)(const char *url, const char *message, void *ud);
    /* Optional: fills *out and returns true when an earlier crawl saw url. */
    bool (*previous)(const char *url, fg_fetch_seen *out, void *ud);
    /* Optional: url answered 304 or had the same content hash as before. */
    void (*unchanged)(const char *url, void *ud);
    void *ud;
} fg_fetch_crawl_hooks;

/* Crawls with options (a JSON object in seed 004's crawler format, see
 * docs/crawler.md) under the configuration's fetch policy (private and
 * loopback addresses, size and time limits). Blocks the calling thread until
 * the crawl ends; returns 0 when it ran (per-page problems go to hooks->error),
 * or an error code with eb filled when the options are invalid. */
int fg_fetch_crawl(const fg_config *cfg, const json_t *options, const fg_fetch_crawl_hooks *hooks,
                   fg_errbuf *eb);

/* What a crawl did, for summaries (fg_fetch_crawl_stats). */
typedef struct fg_fetch_crawl_stats {
    size_t pages;      /* pages handed to hooks->page */
    size_t unchanged;  /* pages reported unchanged */
    size_t errors;     /* URLs reported to hooks->error */
    size_t skipped;    /* links not followed (patterns, extensions, host, robots, limits) */
    size_t requests;   /* HTTP requests made, robots.txt included */
    double seconds;
} fg_fetch_crawl_stats;

/* fg_fetch_crawl that also fills *stats (may be NULL). */
int fg_fetch_crawl_ex(const fg_config *cfg, const json_t *options, const fg_fetch_crawl_hooks *hooks,
                      fg_fetch_crawl_stats *stats, fg_errbuf *eb);

#endif
