/* Link extraction from an HTML page with gumbo: <a>/<area> href, <frame> and
 * <iframe> src, resolved later against <base href> when the page has one.
 * <meta name="robots" content="nofollow"> and rel="nofollow" are honoured. */
#ifndef FG_FETCH_LINKS_H
#define FG_FETCH_LINKS_H

#include <stdbool.h>
#include <stddef.h>

/* href as written; text: the link's text, whitespace collapsed, at most ~200
 * bytes (empty for frames). Nonzero stops the walk. */
typedef int (*fg_fetch_link_fn)(const char *href, const char *text, void *ud);

typedef struct fg_fetch_links_result {
    char *base;      /* <base href> as written (malloc'd) or NULL */
    size_t links;    /* links reported */
    bool nofollow;   /* the page asked not to follow its links */
} fg_fetch_links_result;

/* Parses html and calls fn for up to max_links links. Returns 0, or FG_ENOMEM /
 * FG_EPARSE when gumbo could not parse it. */
int fg_fetch_links_extract(const char *html, size_t len, size_t max_links, fg_fetch_link_fn fn,
                           void *ud, fg_fetch_links_result *out);

#endif
