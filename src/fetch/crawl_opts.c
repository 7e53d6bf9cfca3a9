/* The crawler's options: seed 004's keys (start_urls, CRAWLER_DEPTH,
 * ROBOTSTXT_OBEY, whitelist_patterns, blacklist_patterns, file_extensions,
 * custom_settings.CONCURRENT_REQUESTS / DOWNLOAD_DELAY / USER_AGENT /
 * CLOSESPIDER_PAGECOUNT) and flowgate's own (depth, robots, same_host,
 * allowed_hosts, max_pages, concurrency, delay_ms, user_agent), under the
 * configuration's fetch.* ceilings. */
#include "fetch/crawl_int.h"

#include "fetch/url.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_START_URLS 10000
#define MAX_PATTERNS 256

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void fg__crawl_opts_free(fg__crawl_opts *o)
{
    free_list(o->start_urls, o->n_start);
    free_list(o->whitelist, o->n_white);
    free_list(o->blacklist, o->n_black);
    free_list(o->extensions, o->n_ext);
    free_list(o->hosts, o->n_hosts);
    free_list(o->content_types, o->n_types);
    memset(o, 0, sizeof *o);
}

/* The first of options[key], options.custom_settings[alt] that is present. */
static const json_t *opt(const json_t *options, const char *key, const char *alt)
{
    const json_t *v = key ? json_object_get(options, key) : NULL;
    if (!v && alt)
        v = json_object_get(json_object_get(options, "custom_settings"), alt);
    return v;
}

static int string_list(const json_t *v, const char *key, bool lower, char ***out, size_t *n,
                       fg_errbuf *eb)
{
    *out = NULL, *n = 0;
    if (!v || json_is_null(v))
        return FG_OK;
    if (!json_is_array(v))
        return fg_failf(eb, FG_EINVAL, "crawler option %s must be a list of strings", key);
    if (json_array_size(v) > MAX_PATTERNS)
        return fg_failf(eb, FG_EINVAL, "crawler option %s has more than %d entries", key,
                        MAX_PATTERNS);
    *out = calloc(json_array_size(v) + 1, sizeof **out);
    if (!*out)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return fg_failf(eb, FG_EINVAL, "crawler option %s[%zu] must be a string", key, i);
        char *s = strdup(json_string_value(e));
        if (!s)
            return fg_failf(eb, FG_ENOMEM, "out of memory");
        for (char *c = s; lower && *c; c++)
            *c = (char)tolower((unsigned char)*c);
        (*out)[(*n)++] = s;
    }
    return FG_OK;
}

static int get_int(const json_t *v, const char *key, long min, long max, long *out, fg_errbuf *eb)
{
    if (!v || json_is_null(v))
        return FG_OK;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fg_failf(eb, FG_EINVAL, "crawler option %s must be an integer from %ld to %ld", key,
                        min, max);
    *out = (long)json_integer_value(v);
    return FG_OK;
}

static int get_bool(const json_t *v, const char *key, bool *out, fg_errbuf *eb)
{
    if (!v || json_is_null(v))
        return FG_OK;
    if (!json_is_boolean(v))
        return fg_failf(eb, FG_EINVAL, "crawler option %s must be true or false", key);
    *out = json_is_true(v);
    return FG_OK;
}

static int parse_start_urls(const json_t *options, fg__crawl_opts *o, fg_errbuf *eb)
{
    const json_t *v = json_object_get(options, "start_urls");
    if (json_is_string(v)) /* one URL written without the list */
        v = json_pack("[O]", v);
    else
        json_incref((json_t *)v);
    int rc = FG_OK;
    if (!json_is_array(v) || json_array_size(v) == 0)
        rc = fg_failf(eb, FG_EINVAL, "crawler option start_urls must be a non-empty list of URLs");
    else if (json_array_size(v) > MAX_START_URLS)
        rc = fg_failf(eb, FG_EINVAL, "crawler option start_urls has more than %d URLs",
                      MAX_START_URLS);
    else if (!(o->start_urls = calloc(json_array_size(v), sizeof *o->start_urls)))
        rc = fg_failf(eb, FG_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        char *url = NULL;
        if (!s || fg_fetch_url_normalize(NULL, s, o->max_url_length, &url))
            rc = fg_failf(eb, FG_EINVAL, "crawler option start_urls[%zu] is not an http(s) URL%s%s",
                          i, s ? ": " : "", s ? s : "");
        else
            o->start_urls[o->n_start++] = url;
    }
    json_decref((json_t *)v);
    return rc;
}

/* DOWNLOAD_DELAY is in seconds (a number); delay_ms in milliseconds. */
static int parse_delay(const json_t *options, fg__crawl_opts *o, fg_errbuf *eb)
{
    const json_t *ms = json_object_get(options, "delay_ms");
    if (ms)
        return get_int(ms, "delay_ms", 0, 3600000, &o->delay_ms, eb);
    const json_t *s = opt(options, "DOWNLOAD_DELAY", "DOWNLOAD_DELAY");
    if (!s)
        return FG_OK;
    if (!json_is_number(s) || json_number_value(s) < 0 || json_number_value(s) > 3600)
        return fg_failf(eb, FG_EINVAL, "crawler option DOWNLOAD_DELAY must be seconds from 0 to 3600");
    o->delay_ms = lround(json_number_value(s) * 1000);
    return FG_OK;
}

static int parse_agent(const fg_config *cfg, const json_t *options, fg__crawl_opts *o,
                       fg_errbuf *eb)
{
    const json_t *v = opt(options, "user_agent", "USER_AGENT");
    const char *ua = fg_config_str(cfg, "fetch.user_agent");
    if (v && !json_is_string(v))
        return fg_failf(eb, FG_EINVAL, "crawler option user_agent must be a string");
    if (v)
        ua = json_string_value(v);
    if (!ua || !ua[0] || strpbrk(ua, "\r\n"))
        return fg_failf(eb, FG_EINVAL, "crawler option user_agent must be one non-empty line");
    snprintf(o->user_agent, sizeof o->user_agent, "%s", ua);
    size_t n = strcspn(ua, "/ \t;(");
    if (n >= sizeof o->agent_token)
        n = sizeof o->agent_token - 1;
    memcpy(o->agent_token, ua, n);
    o->agent_token[n] = '\0';
    return FG_OK;
}

static void limits_from_config(const fg_config *cfg, fg__crawl_opts *o)
{
    o->depth = 1;
    o->robots = true;
    o->same_host = true;
    o->max_pages = (size_t)fg_config_int(cfg, "fetch.max_pages");
    o->concurrency = 4;
    o->max_delay_ms = (long)fg_config_int(cfg, "fetch.max_crawl_delay_ms");
    o->max_url_length = (size_t)fg_config_int(cfg, "fetch.max_url_length");
    o->max_query_params = (size_t)fg_config_int(cfg, "fetch.max_query_params");
    o->max_page_bytes = (size_t)fg_config_int(cfg, "fetch.max_page_bytes");
    o->max_links_per_page = (size_t)fg_config_int(cfg, "fetch.max_links_per_page");
    o->max_redirects = (int)fg_config_int(cfg, "fetch.max_redirects");
    o->timeout_ms = (long)fg_config_int(cfg, "fetch.timeout_ms");
    o->connect_timeout_ms = (long)fg_config_int(cfg, "fetch.connect_timeout_ms");
}

static int parse_numbers(const fg_config *cfg, const json_t *options, fg__crawl_opts *o,
                         fg_errbuf *eb)
{
    long depth = o->depth, pages = (long)o->max_pages, conc = o->concurrency;
    long page_bytes = (long)o->max_page_bytes, timeout = o->timeout_ms;
    long max_conc = (long)fg_config_int(cfg, "fetch.max_concurrency");
    int rc = get_int(opt(options, "CRAWLER_DEPTH", NULL) ? opt(options, "CRAWLER_DEPTH", NULL)
                                                          : opt(options, "depth", "DEPTH_LIMIT"),
                     "CRAWLER_DEPTH", 1, 100, &depth, eb);
    if (!rc)
        rc = get_int(opt(options, "max_pages", "CLOSESPIDER_PAGECOUNT"), "max_pages", 1,
                     (long)o->max_pages, &pages, eb);
    if (!rc)
        rc = get_int(opt(options, "concurrency", "CONCURRENT_REQUESTS"), "concurrency", 1, 100000,
                     &conc, eb);
    if (!rc)
        rc = get_int(opt(options, "max_page_bytes", NULL), "max_page_bytes", 1024,
                     (long)o->max_page_bytes, &page_bytes, eb);
    if (!rc)
        rc = get_int(opt(options, "timeout_ms", NULL), "timeout_ms", 100, 3600000, &timeout, eb);
    o->depth = (int)depth;
    o->max_pages = (size_t)pages;
    o->concurrency = (int)(conc < max_conc ? conc : max_conc);
    o->max_page_bytes = (size_t)page_bytes;
    o->timeout_ms = timeout;
    return rc;
}

static int parse_lists(const fg_config *cfg, const json_t *options, fg__crawl_opts *o,
                       fg_errbuf *eb)
{
    int rc = string_list(json_object_get(options, "whitelist_patterns"), "whitelist_patterns",
                         false, &o->whitelist, &o->n_white, eb);
    if (!rc)
        rc = string_list(json_object_get(options, "blacklist_patterns"), "blacklist_patterns",
                         false, &o->blacklist, &o->n_black, eb);
    if (!rc)
        rc = string_list(json_object_get(options, "file_extensions"), "file_extensions", true,
                         &o->extensions, &o->n_ext, eb);
    if (!rc)
        rc = string_list(json_object_get(options, "allowed_hosts"), "allowed_hosts", true,
                         &o->hosts, &o->n_hosts, eb);
    const json_t *types = json_object_get(options, "content_types");
    if (!rc)
        rc = string_list(types ? types : fg_config_get(cfg, "fetch.content_types"),
                         "content_types", true, &o->content_types, &o->n_types, eb);
    return rc;
}

int fg__crawl_opts_parse(const fg_config *cfg, const json_t *options, fg__crawl_opts *o,
                         fg_errbuf *eb)
{
    memset(o, 0, sizeof *o);
    if (!json_is_object(options))
        return fg_failf(eb, FG_EINVAL, "the crawler options must be a JSON object");
    limits_from_config(cfg, o);
    int rc = parse_numbers(cfg, options, o, eb);
    if (!rc)
        rc = get_bool(opt(options, "ROBOTSTXT_OBEY", NULL) ? opt(options, "ROBOTSTXT_OBEY", NULL)
                                                            : opt(options, "robots", NULL),
                      "ROBOTSTXT_OBEY", &o->robots, eb);
    if (!rc)
        rc = get_bool(opt(options, "same_host", NULL), "same_host", &o->same_host, eb);
    if (!rc)
        rc = parse_delay(options, o, eb);
    if (!rc)
        rc = parse_agent(cfg, options, o, eb);
    if (!rc)
        rc = parse_lists(cfg, options, o, eb);
    if (!rc)
        rc = parse_start_urls(options, o, eb);
    if (rc)
        fg__crawl_opts_free(o);
    return rc;
}

/* ---- link filters ----------------------------------------------------------- */

/* The path's extension matches one of file_extensions (".pdf" or "pdf"). */
static bool skipped_extension(const fg__crawl_opts *o, const char *url)
{
    fg_fetch_url_parts p;
    if (!o->n_ext || fg_fetch_url_split(url, &p))
        return false;
    size_t plen = strcspn(p.path, "?");
    for (size_t i = 0; i < o->n_ext; i++) {
        const char *ext = o->extensions[i][0] == '.' ? o->extensions[i] + 1 : o->extensions[i];
        size_t el = strlen(ext);
        if (el && plen > el && p.path[plen - el - 1] == '.' &&
            strncasecmp(p.path + plen - el, ext, el) == 0)
            return true;
    }
    return false;
}

static bool host_allowed(const fg__crawl_opts *o, const char *url)
{
    fg_fetch_url_parts p;
    if (fg_fetch_url_split(url, &p))
        return false;
    if (!o->same_host)
        return true;
    for (size_t i = 0; i < o->n_start; i++) {
        fg_fetch_url_parts s;
        if (!fg_fetch_url_split(o->start_urls[i], &s) && strcmp(s.host, p.host) == 0)
            return true;
    }
    for (size_t i = 0; i < o->n_hosts; i++)
        if (strcmp(o->hosts[i], p.host) == 0)
            return true;
    return false;
}

/* A path segment repeated over and over (/a/b/a/b/a/b/...) is a trap. */
static bool repeats_segments(const char *url)
{
    fg_fetch_url_parts p;
    if (fg_fetch_url_split(url, &p))
        return false;
    size_t plen = strcspn(p.path, "?");
    const char *seg[64];
    size_t len[64], n = 0;
    for (const char *s = p.path; s < p.path + plen && n < 64;) {
        s++;
        size_t l = strcspn(s, "/?");
        seg[n] = s, len[n++] = l;
        s += l;
    }
    for (size_t i = 0; i < n; i++) {
        int same = 0;
        for (size_t j = 0; j < n; j++)
            same += len[j] == len[i] && len[i] && memcmp(seg[i], seg[j], len[i]) == 0;
        if (same > 3)
            return true;
    }
    return false;
}

const char *fg__crawl_link_rejected(const fg__crawl_opts *o, const char *url, const char *href)
{
    for (size_t i = 0; i < o->n_white; i++)
        if (!strstr(url, o->whitelist[i]))
            return "not matching whitelist_patterns";
    for (size_t i = 0; i < o->n_black; i++)
        if (strstr(url, o->blacklist[i]) || (href && strstr(href, o->blacklist[i])))
            return "matching blacklist_patterns";
    if (skipped_extension(o, url))
        return "file extension skipped";
    if (!host_allowed(o, url))
        return "another host";
    if (fg_fetch_url_query_params(url) > o->max_query_params)
        return "too many query parameters";
    if (repeats_segments(url))
        return "repeating path segments";
    return NULL;
}
