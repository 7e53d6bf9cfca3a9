/* The crawler: a breadth-first walk on its own libuv loop with the shared
 * HTTP client, one robots.txt and one request clock per site, every
 * connection checked against the address policy. */
#include "fetch/crawl.h"

#include "core/buf.h"
#include "core/clock.h"
#include "fetch/crawl_int.h"
#include "fetch/links.h"
#include "fetch/policy.h"
#include "fetch/robots.h"
#include "fetch/url.h"
#include "http/client.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SITES 10000
#define MAX_SEEN 500000
#define ROBOTS_MAX_BYTES (512 * 1024)

typedef struct item {
    struct item *next;
    char *url, *referrer, *link_text;
    int depth, redirects;
} item;

typedef enum { ROBOTS_NONE, ROBOTS_LOADING, ROBOTS_READY } robots_state;

typedef struct site {
    char origin[300];
    char host[256];
    fg_fetch_robots *robots;
    robots_state rstate;
    uint64_t next_ms; /* earliest start of the next request to this site */
    long delay_ms;
} site;

typedef struct crawl {
    const fg__crawl_opts *o;
    const fg_fetch_crawl_hooks *hooks;
    fg_fetch_crawl_stats *stats;
    fg_fetch_policy *policy;
    uv_loop_t loop;
    uv_timer_t timer;
    fg_http_client *client;
    item *head, *tail;
    size_t queued, max_queued;
    json_t *seen;
    site **sites;
    size_t n_sites, cap_sites;
    int active;
    size_t started;
    bool stopping, finishing, finished;
} crawl;

typedef struct fetch {
    crawl *c;
    item *it; /* NULL for robots.txt */
    site *s;
    char why[320];
    bool refused, keep_body;
    int status;
    char *ctype, *etag, *last_modified, *location;
    fg_buf body;
    fg_fetch_seen prev;
    bool has_prev;
    char host[256];   /* of the URL requested, for the address policy */
    char *robots_url; /* robots.txt: the URL asked for (redirects resolve against it) */
    int robots_hops;
} fetch;

static void pump(crawl *c);

/* ---- queue ------------------------------------------------------------------ */

static void item_free(item *it)
{
    if (!it)
        return;
    free(it->url);
    free(it->referrer);
    free(it->link_text);
    free(it);
}

static item *item_new(const char *url, const char *referrer, const char *text, int depth)
{
    item *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->url = strdup(url);
    it->referrer = referrer ? strdup(referrer) : NULL;
    it->link_text = strdup(text ? text : "");
    it->depth = depth;
    if (!it->url || !it->link_text || (referrer && !it->referrer)) {
        item_free(it);
        return NULL;
    }
    return it;
}

static void push_back(crawl *c, item *it)
{
    it->next = NULL;
    if (c->tail)
        c->tail->next = it;
    else
        c->head = it;
    c->tail = it;
    c->queued++;
}

static void push_front(crawl *c, item *it)
{
    it->next = c->head;
    c->head = it;
    if (!c->tail)
        c->tail = it;
    c->queued++;
}

static void unlink_item(crawl *c, item *prev, item *it)
{
    if (prev)
        prev->next = it->next;
    else
        c->head = it->next;
    if (c->tail == it)
        c->tail = prev;
    it->next = NULL;
    c->queued--;
}

/* Marks url seen; false when it was seen before or the set is full. */
static bool mark_seen(crawl *c, const char *url)
{
    if (json_object_get(c->seen, url) || json_object_size(c->seen) >= MAX_SEEN)
        return false;
    return json_object_set_new(c->seen, url, json_true()) == 0;
}

static void report_error(crawl *c, const char *url, const char *msg)
{
    c->stats->errors++;
    if (c->hooks->error)
        c->hooks->error(url, msg, c->hooks->ud);
}

/* ---- sites ------------------------------------------------------------------ */

static site *site_for(crawl *c, const char *url)
{
    fg_fetch_url_parts p;
    if (fg_fetch_url_split(url, &p))
        return NULL;
    for (size_t i = 0; i < c->n_sites; i++)
        if (strcmp(c->sites[i]->origin, p.origin) == 0)
            return c->sites[i];
    if (c->n_sites == MAX_SITES)
        return NULL;
    if (c->n_sites == c->cap_sites) {
        size_t cap = c->cap_sites ? c->cap_sites * 2 : 8;
        site **a = realloc(c->sites, cap * sizeof *a);
        if (!a)
            return NULL;
        c->sites = a, c->cap_sites = cap;
    }
    site *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    c->sites[c->n_sites++] = s;
    snprintf(s->origin, sizeof s->origin, "%s", p.origin);
    snprintf(s->host, sizeof s->host, "%s", p.host);
    s->delay_ms = c->o->delay_ms;
    s->rstate = c->o->robots ? ROBOTS_NONE : ROBOTS_READY;
    return s;
}

/* ---- one request ------------------------------------------------------------ */

static bool check_address(const struct sockaddr *sa, void *ud)
{
    fetch *f = ud;
    if (fg_fetch_policy_allows(f->c->policy, f->host, sa, f->why, sizeof f->why))
        return true;
    f->refused = true;
    return false;
}

/* The value of header name in "Name: value\r\n" lines, malloc'd, or NULL. */
static char *header_value(const char *h, size_t len, const char *name)
{
    size_t nl = strlen(name);
    const char *end = h + len;
    for (const char *p = h; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1, *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            return strndup(v, (size_t)(ve - v));
        }
        p = eol + 1;
    }
    return NULL;
}

static bool type_allowed(const fg__crawl_opts *o, const char *ctype)
{
    for (size_t i = 0; ctype && i < o->n_types; i++)
        if (strcmp(o->content_types[i], ctype) == 0)
            return true;
    return false;
}

static void on_headers(fg_http_call *call, int status, const char *h, size_t len, void *ud)
{
    fetch *f = ud;
    f->status = status;
    f->ctype = header_value(h, len, "content-type");
    if (f->ctype) {
        f->ctype[strcspn(f->ctype, "; \t")] = '\0';
        for (char *p = f->ctype; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    f->etag = header_value(h, len, "etag");
    f->last_modified = header_value(h, len, "last-modified");
    f->location = header_value(h, len, "location");
    bool ok = status >= 200 && status < 300;
    f->keep_body = ok && (!f->it || type_allowed(f->c->o, f->ctype ? f->ctype : "text/html"));
}

static int on_data(fg_http_call *call, const char *data, size_t len, void *ud)
{
    fetch *f = ud;
    if (f->keep_body && fg_buf_append(&f->body, data, len))
        f->keep_body = f->it != NULL ? false : f->keep_body; /* robots.txt: the rest is ignored */
    return 0;
}

static void fetch_free(fetch *f)
{
    item_free(f->it);
    free(f->ctype);
    free(f->etag);
    free(f->last_modified);
    free(f->location);
    free(f->robots_url);
    fg_buf_free(&f->body);
    free(f);
}

static void on_done(fg_http_call *call, int err, const char *msg, void *ud);

static int start_request(crawl *c, fetch *f, const char *url)
{
    char ua[200], inm[300], ims[100];
    const char *headers[6];
    int nh = 0;
    snprintf(ua, sizeof ua, "User-Agent: %s", c->o->user_agent);
    headers[nh++] = ua;
    headers[nh++] = f->it ? "Accept: text/html,application/xhtml+xml,*/*;q=0.8" : "Accept: text/plain";
    if (f->has_prev && f->prev.etag[0] && !strpbrk(f->prev.etag, "\r\n")) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", f->prev.etag);
        headers[nh++] = inm;
    }
    if (f->has_prev && f->prev.last_modified[0] && !strpbrk(f->prev.last_modified, "\r\n")) {
        snprintf(ims, sizeof ims, "If-Modified-Since: %s", f->prev.last_modified);
        headers[nh++] = ims;
    }
    headers[nh] = NULL;
    fg_http_call_opts opts = {
        .method = "GET",
        .url = url,
        .headers = headers,
        .connect_timeout_ms = c->o->connect_timeout_ms,
        .timeout_ms = c->o->timeout_ms,
        .max_response_bytes = f->it ? c->o->max_page_bytes : 2 * ROBOTS_MAX_BYTES,
        .allow_address = check_address,
        .allow_address_ud = f,
    };
    static const fg_http_call_cbs cbs = {on_headers, on_data, on_done};
    fg_fetch_url_parts parts;
    if (fg_fetch_url_split(url, &parts) == 0)
        snprintf(f->host, sizeof f->host, "%s", parts.host);
    uv_update_time(&c->loop);
    f->s->next_ms = uv_now(&c->loop) + (uint64_t)f->s->delay_ms;
    c->active++;
    c->stats->requests++;
    int rc = fg_http_call_start(c->client, &opts, &cbs, f, NULL);
    if (rc)
        c->active--;
    return rc;
}

/* Fetches robots.txt at url (the site's, or where it redirected to). */
static void start_robots_at(crawl *c, site *s, const char *url, int hops)
{
    fetch *f = calloc(1, sizeof *f);
    s->rstate = ROBOTS_LOADING;
    if (f) {
        f->c = c, f->s = s, f->robots_hops = hops;
        f->robots_url = strdup(url);
        fg_buf_init(&f->body, ROBOTS_MAX_BYTES);
    }
    if (!f || !f->robots_url || start_request(c, f, url)) {
        if (f)
            fetch_free(f);
        s->robots = fg_fetch_robots_allow_all();
        s->rstate = ROBOTS_READY;
    }
}

static void start_robots(crawl *c, site *s)
{
    char url[320];
    snprintf(url, sizeof url, "%s/robots.txt", s->origin);
    start_robots_at(c, s, url, 0);
}

/* Conditional headers only where a 304 loses nothing: pages whose links are
 * not followed (at the depth limit). Other pages are compared by hash. */
static void ask_previous(crawl *c, fetch *f)
{
    if (!c->hooks->previous)
        return;
    f->has_prev = c->hooks->previous(f->it->url, &f->prev, c->hooks->ud);
    if (f->has_prev && f->it->depth < c->o->depth)
        f->prev.etag[0] = f->prev.last_modified[0] = '\0';
}

static void start_page(crawl *c, site *s, item *it)
{
    fetch *f = calloc(1, sizeof *f);
    if (!f) {
        report_error(c, it->url, "out of memory");
        item_free(it);
        return;
    }
    f->c = c, f->s = s, f->it = it;
    fg_buf_init(&f->body, c->o->max_page_bytes);
    ask_previous(c, f);
    c->started++;
    if (start_request(c, f, it->url)) {
        report_error(c, it->url, "could not start the request");
        fetch_free(f);
    }
}

/* ---- results ---------------------------------------------------------------- */

#define ROBOTS_MAX_REDIRECTS 5

static void robots_done(fetch *f, int err)
{
    site *s = f->s;
    fg_fetch_robots *r = NULL;
    char *next = NULL;
    bool redirected = !err && f->location && f->status >= 301 && f->status <= 308 &&
                      f->status != 304 && f->status != 305 && f->status != 306;
    if (redirected && f->robots_hops < ROBOTS_MAX_REDIRECTS &&
        fg_fetch_url_normalize(f->robots_url, f->location, 2048, &next) == 0) {
        start_robots_at(f->c, s, next, f->robots_hops + 1); /* RFC 9309 follows up to five */
        free(next);
        return;
    }
    if (err == FG_ELIMIT || (!err && f->status >= 200 && f->status < 300))
        r = fg_fetch_robots_parse(f->body.data ? f->body.data : "", f->body.len,
                                  f->c->o->agent_token);
    else if (f->refused || (!err && f->status < 500))
        r = fg_fetch_robots_allow_all(); /* absent; or refused: each page then says why */
    else
        r = fg_fetch_robots_deny_all(); /* unreachable or 5xx: RFC 9309 says keep out */
    s->robots = r ? r : fg_fetch_robots_deny_all();
    long d = s->robots ? fg_fetch_robots_delay_ms(s->robots) : 0;
    if (d > f->c->o->max_delay_ms)
        d = f->c->o->max_delay_ms;
    if (d > s->delay_ms)
        s->delay_ms = d;
    s->rstate = ROBOTS_READY;
}

/* The links of one page, resolved and normalised, in document order. */
typedef struct link_list {
    char **urls, **hrefs, **texts;
    size_t n, cap;
} link_list;

static void links_free(link_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->urls[i]);
        free(l->hrefs[i]);
        free(l->texts[i]);
    }
    free(l->urls);
    free(l->hrefs);
    free(l->texts);
    memset(l, 0, sizeof *l);
}

static int links_add(link_list *l, char *url, const char *href, const char *text)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **u = realloc(l->urls, cap * sizeof *u);
        if (u)
            l->urls = u;
        char **h = u ? realloc(l->hrefs, cap * sizeof *h) : NULL;
        if (h)
            l->hrefs = h;
        char **t = h ? realloc(l->texts, cap * sizeof *t) : NULL;
        if (!t)
            return FG_ENOMEM;
        l->texts = t, l->cap = cap;
    }
    l->urls[l->n] = url;
    l->hrefs[l->n] = strdup(href);
    l->texts[l->n] = strdup(text);
    l->n++;
    return FG_OK;
}

typedef struct link_ctx {
    crawl *c;
    const item *from;
    const fg_fetch_links_result *res;
    char *base; /* <base href> resolved against the page, once seen */
    link_list *out;
} link_ctx;

static int on_link(const char *href, const char *text, void *ud)
{
    link_ctx *l = ud;
    if (l->res->base && !l->base &&
        fg_fetch_url_normalize(l->from->url, l->res->base, l->c->o->max_url_length, &l->base))
        l->base = strdup(l->from->url);
    char *url = NULL;
    if (fg_fetch_url_normalize(l->base ? l->base : l->from->url, href, l->c->o->max_url_length, &url)) {
        l->c->stats->skipped++; /* mailto:, javascript:, too long */
        return 0;
    }
    if (links_add(l->out, url, href, text)) {
        free(url);
        return 1;
    }
    return 0;
}

static bool is_html(const char *ctype)
{
    return !ctype || strcmp(ctype, "text/html") == 0 || strcmp(ctype, "application/xhtml+xml") == 0;
}

/* Every link of an HTML page (followed or not: the page hook sees them all). */
static void page_links(crawl *c, fetch *f, link_list *out)
{
    if (!is_html(f->ctype))
        return;
    fg_fetch_links_result res = {0};
    link_ctx l = {c, f->it, &res, NULL, out};
    fg_fetch_links_extract(f->body.data ? f->body.data : "", f->body.len, c->o->max_links_per_page,
                           on_link, &l, &res);
    free(res.base);
    free(l.base);
}

static void follow(crawl *c, const item *from, const char *url, const char *href, const char *text)
{
    const char *why = fg__crawl_link_rejected(c->o, url, href);
    if (!why && !mark_seen(c, url))
        return; /* seen before */
    if (!why && c->queued >= c->max_queued)
        why = "queue full";
    item *it = why ? NULL : item_new(url, from->url, text, from->depth + 1);
    if (it)
        push_back(c, it);
    else
        c->stats->skipped++;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

static void unchanged(crawl *c, const char *url)
{
    c->stats->unchanged++;
    if (c->hooks->unchanged)
        c->hooks->unchanged(url, c->hooks->ud);
}

static void deliver(crawl *c, fetch *f)
{
    char hash[65];
    link_list links = {0};
    page_links(c, f, &links);
    sha256_hex(f->body.data ? f->body.data : "", f->body.len, hash);
    if (f->has_prev && strcmp(hash, f->prev.content_sha256) == 0) {
        unchanged(c, f->it->url);
    } else {
        fg_fetch_page p = {
            .url = f->it->url, .content_type = f->ctype ? f->ctype : "text/html",
            .body = f->body.data ? f->body.data : "", .body_len = f->body.len,
            .etag = f->etag, .last_modified = f->last_modified, .depth = f->it->depth,
            .link_text = f->it->link_text, .referrer = f->it->referrer, .status = f->status,
            .links = (const char *const *)links.urls, .n_links = links.n,
        };
        memcpy(p.sha256, hash, sizeof p.sha256);
        c->stats->pages++;
        if (c->hooks->page && c->hooks->page(&p, c->hooks->ud))
            c->stopping = true;
    }
    for (size_t i = 0; !c->stopping && f->it->depth < c->o->depth && i < links.n; i++)
        follow(c, f->it, links.urls[i], links.hrefs[i], links.texts[i]);
    links_free(&links);
}

static void redirect(crawl *c, fetch *f)
{
    char *url = NULL;
    char msg[160];
    item *it = f->it;
    if (it->redirects >= c->o->max_redirects) {
        snprintf(msg, sizeof msg, "more than %d redirects (fetch.max_redirects)", c->o->max_redirects);
        report_error(c, it->url, msg);
        return;
    }
    if (fg_fetch_url_normalize(it->url, f->location, c->o->max_url_length, &url)) {
        report_error(c, it->url, "redirect to an invalid or non-http(s) location");
        return;
    }
    const char *why = fg__crawl_link_rejected(c->o, url, NULL);
    if (why && strcmp(why, "another host") == 0) {
        snprintf(msg, sizeof msg, "redirected to another host (%.100s)", url);
        report_error(c, it->url, msg);
    } else if (!mark_seen(c, url)) {
        c->stats->skipped++; /* a loop, or a page already crawled */
    } else {
        item *next = item_new(url, it->referrer, it->link_text, it->depth);
        if (next) {
            next->redirects = it->redirects + 1;
            push_front(c, next);
        }
    }
    free(url);
}

static void page_failed(crawl *c, fetch *f, int err, const char *msg)
{
    char text[400];
    if (f->refused)
        snprintf(text, sizeof text, "%s", f->why);
    else if (err == FG_ELIMIT)
        snprintf(text, sizeof text, "page larger than %zu bytes (fetch.max_page_bytes)",
                 c->o->max_page_bytes);
    else if (err == FG_ETIMEDOUT)
        snprintf(text, sizeof text, "timed out after %ld ms (fetch.timeout_ms)", c->o->timeout_ms);
    else
        snprintf(text, sizeof text, "%s", msg && msg[0] ? msg : fg_strerror(err));
    report_error(c, f->it->url, text);
}

static void page_done(crawl *c, fetch *f, int err, const char *msg)
{
    char text[200];
    int st = f->status;
    if (c->stopping)
        return;
    if (err)
        page_failed(c, f, err, msg);
    else if (st == 304 && f->has_prev)
        unchanged(c, f->it->url);
    else if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) && f->location)
        redirect(c, f);
    else if (st < 200 || st >= 300) {
        snprintf(text, sizeof text, "HTTP status %d", st);
        report_error(c, f->it->url, text);
    } else if (!type_allowed(c->o, f->ctype ? f->ctype : "text/html")) {
        snprintf(text, sizeof text, "content type %.80s is not crawled (fetch.content_types)",
                 f->ctype);
        report_error(c, f->it->url, text);
    } else
        deliver(c, f);
}

static void on_done(fg_http_call *call, int err, const char *msg, void *ud)
{
    fetch *f = ud;
    crawl *c = f->c;
    c->active--;
    if (f->it)
        page_done(c, f, err, msg);
    else
        robots_done(f, err);
    fetch_free(f);
    pump(c);
}

/* ---- scheduling ------------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

/* Ends the crawl from a timer callback, outside the HTTP client's callbacks. */
static void finish_soon(crawl *c)
{
    if (c->finishing)
        return;
    c->finishing = true;
    uv_timer_start(&c->timer, on_timer, 0, 0);
}

static void drop_queue(crawl *c)
{
    while (c->head) {
        item *it = c->head;
        unlink_item(c, NULL, it);
        c->stats->skipped++;
        item_free(it);
    }
}

/* Whether it may be fetched under its site's robots.txt (reports start URLs). */
static bool robots_allow(crawl *c, site *s, const item *it)
{
    fg_fetch_url_parts p;
    if (!s->robots || fg_fetch_url_split(it->url, &p) || fg_fetch_robots_allowed(s->robots, p.path))
        return true;
    if (it->depth == 1)
        report_error(c, it->url, "disallowed by robots.txt");
    else
        c->stats->skipped++;
    return false;
}

static void pump(crawl *c)
{
    if (c->finishing)
        return;
    uv_update_time(&c->loop);
    uint64_t now = uv_now(&c->loop), wake = 0;
    item *prev = NULL, *it = c->head;
    while (it && !c->stopping && c->active < c->o->concurrency && c->started < c->o->max_pages) {
        item *next = it->next;
        site *s = site_for(c, it->url);
        if (s && s->rstate == ROBOTS_NONE)
            start_robots(c, s);
        if (s && s->rstate != ROBOTS_READY) {
            prev = it, it = next;
            continue;
        }
        if (s && s->next_ms > now) {
            wake = !wake || s->next_ms < wake ? s->next_ms : wake;
            prev = it, it = next;
            continue;
        }
        unlink_item(c, prev, it);
        if (!s) {
            report_error(c, it->url, "too many sites in one crawl");
            item_free(it);
        } else if (!robots_allow(c, s, it))
            item_free(it);
        else
            start_page(c, s, it);
        it = next;
    }
    if (c->active == 0 && (!c->head || c->stopping || c->started >= c->o->max_pages)) {
        drop_queue(c);
        finish_soon(c);
    } else if (wake) /* a site waits for its delay: come back then, busy or not */
        uv_timer_start(&c->timer, on_timer, wake - now, 0);
}

static void on_timer(uv_timer_t *t)
{
    crawl *c = t->data;
    if (!c->finishing) {
        pump(c);
        return;
    }
    if (c->finished)
        return;
    c->finished = true;
    fg_http_client_destroy(c->client);
    c->client = NULL;
    uv_close((uv_handle_t *)&c->timer, NULL);
}

/* ---- the crawl -------------------------------------------------------------- */

static int seed_queue(crawl *c)
{
    for (size_t i = 0; i < c->o->n_start; i++) {
        if (!mark_seen(c, c->o->start_urls[i]))
            continue;
        item *it = item_new(c->o->start_urls[i], NULL, "", 1);
        if (!it)
            return FG_ENOMEM;
        push_back(c, it);
    }
    return FG_OK;
}

static void crawl_free(crawl *c)
{
    drop_queue(c);
    for (size_t i = 0; i < c->n_sites; i++) {
        fg_fetch_robots_free(c->sites[i]->robots);
        free(c->sites[i]);
    }
    free(c->sites);
    json_decref(c->seen);
    fg_fetch_policy_free(c->policy);
}

static int run_crawl(crawl *c, fg_errbuf *eb)
{
    if (uv_loop_init(&c->loop))
        return fg_failf(eb, FG_EIO, "could not create the crawler's event loop");
    uv_timer_init(&c->loop, &c->timer);
    c->timer.data = c;
    c->client = fg_http_client_create(&c->loop);
    if (!c->client) {
        uv_close((uv_handle_t *)&c->timer, NULL);
        uv_run(&c->loop, UV_RUN_DEFAULT);
        uv_loop_close(&c->loop);
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the HTTP client");
    }
    pump(c);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    return FG_OK;
}

int fg_fetch_crawl_ex(const fg_config *cfg, const json_t *options, const fg_fetch_crawl_hooks *hooks,
                      fg_fetch_crawl_stats *stats, fg_errbuf *eb)
{
    fg_fetch_crawl_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    fg__crawl_opts o;
    int rc = fg__crawl_opts_parse(cfg, options, &o, eb);
    if (rc)
        return rc;
    uint64_t t0 = fg_clock_mono_ns();
    crawl c = {.o = &o, .hooks = hooks, .stats = stats};
    c.max_queued = o.max_pages * 4 > 1000 ? o.max_pages * 4 : 1000;
    c.policy = fg_fetch_policy_from_config(cfg, eb);
    c.seen = json_object();
    if (!c.policy)
        rc = eb && eb->code ? eb->code : FG_EINVAL;
    else if (!c.seen || seed_queue(&c))
        rc = fg_failf(eb, FG_ENOMEM, "out of memory starting the crawl");
    if (!rc)
        rc = run_crawl(&c, eb);
    crawl_free(&c);
    fg__crawl_opts_free(&o);
    stats->seconds = (double)(fg_clock_mono_ns() - t0) / 1e9;
    return rc;
}

int fg_fetch_crawl(const fg_config *cfg, const json_t *options, const fg_fetch_crawl_hooks *hooks,
                   fg_errbuf *eb)
{
    return fg_fetch_crawl_ex(cfg, options, hooks, NULL, eb);
}
