/* robots.txt parsing and matching. */
#include "fetch/robots.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ROBOTS_MAX_BYTES (512 * 1024)
#define ROBOTS_MAX_RULES 4096

typedef struct rule {
    char *pattern;
    size_t len;
    bool allow;
} rule;

typedef struct group {
    rule *rules;
    size_t n, cap;
    long delay_ms;
    bool delay_set;
} group;

struct fg_fetch_robots {
    group g;
    bool deny_all;
};

static int add_rule(group *g, const char *value, size_t n, bool allow)
{
    if (g->n == ROBOTS_MAX_RULES)
        return 0;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        rule *r = realloc(g->rules, cap * sizeof *r);
        if (!r)
            return -1;
        g->rules = r, g->cap = cap;
    }
    char *p = malloc(n + 1);
    if (!p)
        return -1;
    memcpy(p, value, n);
    p[n] = '\0';
    g->rules[g->n++] = (rule){p, n, allow};
    return 0;
}

static void group_free(group *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->rules[i].pattern);
    free(g->rules);
    memset(g, 0, sizeof *g);
}

/* ---- parsing ---------------------------------------------------------------- */

typedef struct line {
    const char *key, *value;
    size_t key_len, value_len;
} line;

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Splits "key: value # comment"; false for lines without a colon. */
static bool split_line(const char *s, size_t n, line *out)
{
    const char *hash = memchr(s, '#', n);
    if (hash)
        n = (size_t)(hash - s);
    const char *colon = memchr(s, ':', n);
    if (!colon)
        return false;
    out->key = s, out->key_len = (size_t)(colon - s);
    out->value = colon + 1, out->value_len = n - out->key_len - 1;
    trim(&out->key, &out->key_len);
    trim(&out->value, &out->value_len);
    return true;
}

static bool key_is(const line *l, const char *name)
{
    return l->key_len == strlen(name) && strncasecmp(l->key, name, l->key_len) == 0;
}

/* RFC 9309: the product token matches case-insensitively; "*" is the fallback. */
static int agent_match(const line *l, const char *agent)
{
    if (l->value_len == 1 && l->value[0] == '*')
        return 1;
    size_t n = strlen(agent);
    return l->value_len == n && strncasecmp(l->value, agent, n) == 0 ? 2 : 0;
}

typedef struct parser {
    const char *agent;
    group mine, star;  /* rules for our token and for "*" */
    bool in_agents;    /* the previous line was a user-agent line */
    int current;       /* 0: a group not for us, 1: "*", 2: ours (max of the agents seen) */
    bool mine_seen;    /* a group for our token had at least one rule line */
    bool err;
} parser;

static void on_line(parser *p, const line *l)
{
    if (key_is(l, "user-agent")) {
        if (!p->in_agents)
            p->current = 0;
        int m = agent_match(l, p->agent);
        if (m > p->current)
            p->current = m;
        p->in_agents = true;
        return;
    }
    bool allow = key_is(l, "allow"), disallow = key_is(l, "disallow");
    bool delay = key_is(l, "crawl-delay");
    if (!allow && !disallow && !delay)
        return; /* sitemap and unknown keys do not end a group */
    p->in_agents = false;
    group *g = p->current == 2 ? &p->mine : p->current == 1 ? &p->star : NULL;
    p->mine_seen |= p->current == 2;
    if (!g)
        return;
    if (delay) {
        char num[32];
        size_t n = l->value_len < sizeof num - 1 ? l->value_len : sizeof num - 1;
        memcpy(num, l->value, n);
        num[n] = '\0';
        char *end;
        double secs = strtod(num, &end);
        if (end != num && secs >= 0 && secs <= 86400) {
            g->delay_ms = (long)(secs * 1000);
            g->delay_set = true;
        }
    } else if (l->value_len && (l->value[0] == '/' || l->value[0] == '*')) {
        if (add_rule(g, l->value, l->value_len, allow))
            p->err = true;
    }
}

fg_fetch_robots *fg_fetch_robots_parse(const char *text, size_t len, const char *agent)
{
    parser p = {.agent = agent};
    if (len > ROBOTS_MAX_BYTES)
        len = ROBOTS_MAX_BYTES;
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && !p.err) {
        size_t end = i;
        while (end < len && text[end] != '\n' && text[end] != '\r')
            end++;
        line l;
        if (split_line(text + i, end - i, &l))
            on_line(&p, &l);
        i = end + 1;
    }
    fg_fetch_robots *r = p.err ? NULL : calloc(1, sizeof *r);
    if (r) {
        bool ours = p.mine_seen;
        r->g = ours ? p.mine : p.star;
        group_free(ours ? &p.star : &p.mine);
    } else {
        group_free(&p.mine);
        group_free(&p.star);
    }
    return r;
}

fg_fetch_robots *fg_fetch_robots_allow_all(void)
{
    return calloc(1, sizeof(fg_fetch_robots));
}

fg_fetch_robots *fg_fetch_robots_deny_all(void)
{
    fg_fetch_robots *r = calloc(1, sizeof *r);
    if (r)
        r->deny_all = true;
    return r;
}

void fg_fetch_robots_free(fg_fetch_robots *r)
{
    if (!r)
        return;
    group_free(&r->g);
    free(r);
}

/* ---- matching --------------------------------------------------------------- */

/* Whether pattern (with '*' for any run and a final '$' for the end) matches a
 * prefix of path. Iterative, with one backtrack point per '*', so hostile
 * patterns cannot take exponential time. */
static bool pattern_matches(const char *pat, size_t plen, const char *path)
{
    bool anchored = plen && pat[plen - 1] == '$';
    if (anchored)
        plen--;
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    size_t slen = strlen(path);
    for (;;) {
        if (pi == plen && (!anchored || si == slen))
            return true;
        if (pi < plen && pat[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < plen && si < slen && pat[pi] == path[si]) {
            pi++, si++;
            continue;
        }
        if (star_p == (size_t)-1 || star_s >= slen)
            return false;
        pi = star_p;
        si = ++star_s;
    }
}

bool fg_fetch_robots_allowed(const fg_fetch_robots *r, const char *path)
{
    if (strcmp(path, "/robots.txt") == 0)
        return true;
    if (r->deny_all)
        return false;
    size_t best = 0;
    bool allowed = true, found = false;
    for (size_t i = 0; i < r->g.n; i++) {
        const rule *ru = &r->g.rules[i];
        if (!pattern_matches(ru->pattern, ru->len, path))
            continue;
        if (!found || ru->len > best || (ru->len == best && ru->allow)) {
            best = ru->len;
            allowed = ru->allow;
            found = true;
        }
    }
    return allowed;
}

long fg_fetch_robots_delay_ms(const fg_fetch_robots *r)
{
    return r->g.delay_ms;
}

size_t fg_fetch_robots_rule_count(const fg_fetch_robots *r)
{
    return r->g.n;
}
