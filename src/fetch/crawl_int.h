/* The crawler's parsed options and the link filters, shared by the crawler's
 * files and their tests. */
#ifndef FG_FETCH_CRAWL_INT_H
#define FG_FETCH_CRAWL_INT_H

#include "config/config.h"
#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct fg__crawl_opts {
    char **start_urls;      /* normalised */
    size_t n_start;
    int depth;              /* CRAWLER_DEPTH; start URLs are 1 */
    bool robots;            /* ROBOTSTXT_OBEY */
    char **whitelist, **blacklist, **extensions, **hosts, **content_types;
    size_t n_white, n_black, n_ext, n_hosts, n_types;
    bool same_host;
    size_t max_pages;
    int concurrency;
    long delay_ms;          /* between two requests to one host */
    long max_delay_ms;      /* ceiling on robots.txt's Crawl-delay */
    char user_agent[160];
    char agent_token[64];   /* product token matched against robots.txt groups */
    size_t max_url_length, max_query_params, max_page_bytes, max_links_per_page;
    int max_redirects;
    long timeout_ms, connect_timeout_ms;
} fg__crawl_opts;

/* Parses options (seed 004's crawler format plus flowgate's keys) under the
 * configuration's fetch.* limits. FG_EINVAL with eb naming the key on error. */
int fg__crawl_opts_parse(const fg_config *cfg, const json_t *options, fg__crawl_opts *o,
                         fg_errbuf *eb);
void fg__crawl_opts_free(fg__crawl_opts *o);

/* Why a link (absolute, normalised url; href as written) is not followed, or
 * NULL when it passes the patterns, extensions, host and trap limits. */
const char *fg__crawl_link_rejected(const fg__crawl_opts *o, const char *url, const char *href);

#endif
