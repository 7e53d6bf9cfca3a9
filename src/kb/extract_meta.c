/* Article metadata as Readability reads it: meta tags (Dublin Core, Open
 * Graph, Twitter, Parse.ly, Weibo), schema.org JSON-LD, <html lang>, and a
 * title cleaned of site names. */
#include "kb/extract_int.h"

#include "core/json.h"
#include "kb/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_VALUES 64

typedef struct meta_values {
    char *key[MAX_VALUES];
    const char *val[MAX_VALUES];
    int n;
} meta_values;

typedef struct jsonld {
    char *title, *byline, *excerpt, *site_name, *published;
} jsonld;

static const char *get(const meta_values *v, const char *key)
{
    for (int i = v->n - 1; i >= 0; i--) /* the last one wins, as in a JS object */
        if (strcmp(v->key[i], key) == 0)
            return v->val[i];
    return NULL;
}

static void put(meta_values *v, const char *key, size_t len, const char *val)
{
    if (v->n == MAX_VALUES)
        return;
    char *k = malloc(len + 1);
    if (!k)
        return;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)key[i]);
        if (isspace((unsigned char)c))
            continue;
        k[o++] = c == '.' ? ':' : c;
    }
    k[o] = 0;
    v->key[v->n] = k;
    v->val[v->n++] = val;
}

static bool in_list(const char *s, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncasecmp(s, *list, n) == 0)
            return true;
    return false;
}

static const char *const prop_prefixes[] = {"article", "dc", "dcterm", "og", "twitter", NULL};
static const char *const prop_names[] = {"author", "creator", "description", "published_time",
                                         "title", "site_name", NULL};
static const char *const name_prefixes[] = {"dc", "dcterm", "og", "twitter", "parsely",
                                            "weibo:article", "weibo:webpage", NULL};
static const char *const name_names[] = {"author", "creator", "pub-date", "description",
                                         "title", "site_name", NULL};

/* property="og:title twitter:title": each token prefix:name. */
static bool property_tokens(meta_values *v, const char *prop, const char *content)
{
    bool any = false;
    for (const char *p = prop; *p;) {
        while (isspace((unsigned char)*p))
            p++;
        const char *st = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        const char *colon = memchr(st, ':', (size_t)(p - st));
        if (colon && in_list(st, (size_t)(colon - st), prop_prefixes) &&
            in_list(colon + 1, (size_t)(p - colon - 1), prop_names)) {
            put(v, st, (size_t)(p - st), content);
            any = true;
        }
    }
    return any;
}

/* name="dc.title", "parsely-title", "author"... */
static void name_key(meta_values *v, const char *name, const char *content)
{
    size_t n = strlen(name);
    while (n && isspace((unsigned char)name[n - 1]))
        n--;
    while (n && isspace((unsigned char)*name))
        name++, n--;
    if (in_list(name, n, name_names)) {
        put(v, name, n, content);
        return;
    }
    for (size_t i = n; i-- > 0;) {
        if (name[i] != '-' && name[i] != '.' && name[i] != ':')
            continue;
        if (in_list(name, i, name_prefixes) && in_list(name + i + 1, n - i - 1, name_names)) {
            put(v, name, n, content);
            return;
        }
    }
}

static void collect_meta(const fg_kb_dom *dom, meta_values *v)
{
    for (fg_kb_node *n = dom->root; n; n = fg_kb_dom_next(dom->root, n, false)) {
        if (n->is_text || n->tag != GUMBO_TAG_META)
            continue;
        const char *content = fg_kb_dom_attr(n, "content"), *prop = fg_kb_dom_attr(n, "property"),
                   *name = fg_kb_dom_attr(n, "name");
        if (!content)
            continue;
        bool matched = prop && property_tokens(v, prop, content);
        if (!matched && name)
            name_key(v, name, content);
    }
}

/* ---- JSON-LD ---- */

static bool is_script(const fg_kb_node *n)
{
    return !n->is_text && n->tag == GUMBO_TAG_SCRIPT;
}

static bool article_type(const char *t)
{
    static const char *const types[] = {
        "Article", "AdvertiserContentArticle", "NewsArticle", "AnalysisNewsArticle",
        "AskPublicNewsArticle", "BackgroundNewsArticle", "OpinionNewsArticle",
        "ReportageNewsArticle", "ReviewNewsArticle", "Report", "SatiricalArticle",
        "ScholarlyArticle", "MedicalScholarlyArticle", "SocialMediaPosting", "BlogPosting",
        "LiveBlogPosting", "DiscussionForumPosting", "TechArticle", "APIReference", NULL};
    return t && in_list(t, strlen(t), types);
}

static bool schema_context(const json_t *o)
{
    const json_t *ctx = json_object_get(o, "@context");
    const char *s = json_is_string(ctx) ? json_string_value(ctx)
                    : json_is_object(ctx) ? json_string_value(json_object_get(ctx, "@vocab")) : NULL;
    if (!s)
        return false;
    return strcmp(s, "http://schema.org") == 0 || strcmp(s, "https://schema.org") == 0 ||
           strcmp(s, "http://schema.org/") == 0 || strcmp(s, "https://schema.org/") == 0;
}

static const json_t *find_article(const json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
            if (json_is_object(e) && article_type(fg_json_str(e, "@type", NULL)))
                return e;
        return NULL;
    }
    if (!json_is_object(v) || !schema_context(v))
        return NULL;
    if (!json_object_get(v, "@type") && json_is_array(json_object_get(v, "@graph"))) {
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(v, "@graph"), i, e)
            if (json_is_object(e) && article_type(fg_json_str(e, "@type", NULL)))
                return e;
        return NULL;
    }
    return article_type(fg_json_str(v, "@type", NULL)) ? v : NULL;
}

static char *authors(const json_t *a)
{
    if (json_is_object(a))
        return fg__kb_clean_string(fg_json_str(a, "name", NULL));
    if (!json_is_array(a))
        return NULL;
    fg_buf b;
    fg_buf_init(&b, 4096);
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e) {
        const char *name = fg_json_str(e, "name", NULL);
        if (!name)
            continue;
        if (b.len)
            fg_buf_puts(&b, ", ");
        fg_buf_puts(&b, name);
    }
    char *s = b.len ? fg__kb_clean_string(b.data) : NULL;
    fg_buf_free(&b);
    return s;
}

static void read_jsonld_object(const json_t *o, const char *html_title, jsonld *out)
{
    const char *name = fg_json_str(o, "name", NULL), *headline = fg_json_str(o, "headline", NULL);
    if (name && headline && strcmp(name, headline) != 0 && html_title) {
        bool nm = fg__kb_text_similarity(name, html_title) > 0.75;
        bool hm = fg__kb_text_similarity(headline, html_title) > 0.75;
        out->title = fg__kb_clean_string(hm && !nm ? headline : name);
    } else {
        out->title = fg__kb_clean_string(name ? name : headline);
    }
    out->byline = authors(json_object_get(o, "author"));
    out->excerpt = fg__kb_clean_string(fg_json_str(o, "description", NULL));
    const json_t *pub = json_object_get(o, "publisher");
    out->site_name = fg__kb_clean_string(json_is_object(pub) ? fg_json_str(pub, "name", NULL) : NULL);
    out->published = fg__kb_clean_string(fg_json_str(o, "datePublished", NULL));
}

static void read_jsonld(const fg_kb_dom *dom, const char *html_title, jsonld *out)
{
    for (fg_kb_node *n = dom->root; n; n = fg_kb_dom_next(dom->root, n, false)) {
        const char *type = is_script(n) ? fg_kb_dom_attr(n, "type") : NULL;
        if (!type || strcmp(type, "application/ld+json") != 0)
            continue;
        char *text = fg__kb_node_text(n, 1u << 20);
        if (!text)
            continue;
        char *body = text;
        size_t len = strlen(body);
        if (strncmp(body, "<![CDATA[", 9) == 0)
            body += 9, len -= 9;
        if (len >= 3 && strcmp(body + len - 3, "]]>") == 0)
            len -= 3;
        json_error_t err;
        json_t *v = fg_json_parse(body, len, &err);
        free(text);
        const json_t *art = v ? find_article(v) : NULL;
        if (art)
            read_jsonld_object(art, html_title, out);
        json_decref(v);
        if (art)
            return;
    }
}

/* ---- the title ---- */

static const char *const separators[] = {"|", "-", "\xE2\x80\x93", "\xE2\x80\x94", "\\",
                                         "/", ">", "\xC2\xBB", NULL};

static size_t sep_at(const char *s)
{
    for (const char *const *p = separators; *p; p++)
        if (strncmp(s, *p, strlen(*p)) == 0)
            return strlen(*p);
    return 0;
}

static size_t word_count(const char *s)
{
    size_t n = 0;
    bool in = false;
    for (; s && *s; s++) {
        bool sp = isspace((unsigned char)*s);
        n += !sp && !in;
        in = !sp;
    }
    return n;
}

static bool has_spaced_sep(const char *s, bool hierarchical_only)
{
    for (const char *p = s; *p; p++) {
        size_t l;
        if (*p == ' ' && (l = sep_at(p + 1)) && p[1 + l] == ' ') {
            if (!hierarchical_only || (p[1] != '|' && p[1] != '-' && l == 1) || l == 2)
                return true;
        }
    }
    return false;
}

/* Text before the last separator that is followed by a space. */
static char *before_last_sep(const char *s)
{
    const char *cut = NULL;
    for (const char *p = s; *p; p++) {
        size_t l = sep_at(p);
        if (l && p[l] == ' ')
            cut = p;
    }
    if (!cut)
        return fg__kb_clean_string(s);
    char *head = strndup(s, (size_t)(cut - s));
    char *r = fg__kb_clean_string(head);
    free(head);
    return r;
}

static char *after_first(const char *s, char c_or_sep)
{
    for (const char *p = s; *p; p++) {
        size_t l = c_or_sep ? (*p == c_or_sep) : sep_at(p);
        if (l)
            return fg__kb_clean_string(p + l);
    }
    return fg__kb_clean_string(s);
}

static char *after_last(const char *s, char c)
{
    const char *p = strrchr(s, c);
    return fg__kb_clean_string(p ? p + 1 : s);
}

static bool heading_equals(const fg_kb_dom *dom, const char *title, GumboTag only, size_t *count,
                           char **only_text)
{
    bool eq = false;
    for (fg_kb_node *n = dom->root; n; n = fg_kb_dom_next(dom->root, n, false)) {
        if (n->is_text || !(n->tag == GUMBO_TAG_H1 || (only != GUMBO_TAG_H1 && n->tag == GUMBO_TAG_H2)))
            continue;
        char *t = fg__kb_node_text(n, 4096);
        eq |= t && title && strcmp(t, title) == 0;
        if (n->tag == GUMBO_TAG_H1 && count && (*count)++ == 0 && only_text)
            *only_text = t, t = NULL;
        free(t);
    }
    return eq;
}

static char *strip_all_seps(const char *s)
{
    char *o = strdup(s);
    if (!o)
        return NULL;
    size_t k = 0;
    for (const char *p = s; *p;) {
        size_t l = sep_at(p);
        if (l) {
            p += l;
            continue;
        }
        o[k++] = *p++;
    }
    o[k] = 0;
    return o;
}

char *fg__kb_article_title(const fg_kb_dom *dom)
{
    char *orig = NULL;
    for (fg_kb_node *n = dom->root; n && !orig; n = fg_kb_dom_next(dom->root, n, false))
        if (!n->is_text && n->tag == GUMBO_TAG_TITLE)
            orig = fg__kb_node_text(n, 4096);
    char *o = fg__kb_clean_string(orig);
    free(orig);
    if (!o)
        return NULL;
    char *cur = NULL;
    bool hier = false;
    if (has_spaced_sep(o, false)) {
        hier = has_spaced_sep(o, true);
        cur = before_last_sep(o);
        if (word_count(cur) < 3) {
            free(cur);
            cur = after_first(o, 0);
        }
    } else if (strstr(o, ": ")) {
        if (!heading_equals(dom, o, GUMBO_TAG_H2, NULL, NULL)) {
            cur = after_last(o, ':');
            if (word_count(cur) < 3) {
                free(cur);
                cur = after_first(o, ':');
            } else {
                char *head = strndup(o, (size_t)(strchr(o, ':') - o));
                if (word_count(head) > 5) {
                    free(cur);
                    cur = NULL;
                }
                free(head);
            }
        }
    } else if (strlen(o) > 150 || strlen(o) < 15) {
        size_t h1 = 0;
        char *h1text = NULL;
        heading_equals(dom, NULL, GUMBO_TAG_H1, &h1, &h1text);
        if (h1 == 1)
            cur = fg__kb_clean_string(h1text);
        free(h1text);
    }
    if (!cur)
        cur = strdup(o);
    size_t wc = word_count(cur);
    char *stripped = strip_all_seps(o);
    if (wc <= 4 && (!hier || wc != word_count(stripped) - 1)) {
        free(cur);
        cur = strdup(o);
    }
    free(stripped);
    free(o);
    return cur;
}

/* ---- entities left in meta values ("&amp;quot;" in the page) ---- */

static char *unescape(const char *s)
{
    if (!s)
        return NULL;
    char *out = malloc(strlen(s) * 2 + 1);
    if (!out)
        return NULL;
    static const struct { const char *name; char c; } named[] = {
        {"quot;", '"'}, {"amp;", '&'}, {"apos;", '\''}, {"lt;", '<'}, {"gt;", '>'}};
    size_t o = 0;
    for (const char *p = s; *p;) {
        if (*p == '&') {
            bool done = false;
            for (size_t i = 0; i < FG_ARRAY_LEN(named) && !done; i++)
                if (strncmp(p + 1, named[i].name, strlen(named[i].name)) == 0) {
                    out[o++] = named[i].c;
                    p += 1 + strlen(named[i].name);
                    done = true;
                }
            if (!done && p[1] == '#') {
                char *end;
                bool hex = p[2] == 'x' || p[2] == 'X';
                unsigned long cp = strtoul(p + 2 + hex, &end, hex ? 16 : 10);
                if (*end == ';' && end > p + 2 + hex) {
                    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        cp = 0xFFFD;
                    o += fg_kb_utf8_encode((uint32_t)cp, out + o);
                    p = end + 1;
                    done = true;
                }
            }
            if (done)
                continue;
        }
        out[o++] = *p++;
    }
    out[o] = 0;
    char *clean = fg__kb_clean_string(out);
    free(out);
    return clean;
}

static const char *first_of(const meta_values *v, const char *const *keys)
{
    for (; *keys; keys++) {
        const char *x = get(v, *keys);
        if (x && *x)
            return x;
    }
    return NULL;
}

static bool is_url(const char *s)
{
    return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0);
}

static char *pick(char *jsonld_value, const meta_values *v, const char *const *keys)
{
    if (jsonld_value) {
        char *u = unescape(jsonld_value);
        free(jsonld_value);
        return u;
    }
    return unescape(first_of(v, keys));
}

int fg__kb_extract_meta(const fg_kb_dom *dom, fg_kb_doc *doc)
{
    static const char *const title_keys[] = {"dc:title", "dcterm:title", "og:title",
        "weibo:article:title", "weibo:webpage:title", "title", "twitter:title", "parsely-title", NULL};
    static const char *const byline_keys[] = {"dc:creator", "dcterm:creator", "author",
                                              "parsely-author", NULL};
    static const char *const excerpt_keys[] = {"dc:description", "dcterm:description",
        "og:description", "weibo:article:description", "weibo:webpage:description",
        "description", "twitter:description", NULL};
    static const char *const site_keys[] = {"og:site_name", NULL};
    static const char *const time_keys[] = {"article:published_time", "parsely-pub-date", NULL};
    meta_values v = {0};
    jsonld j = {0};
    collect_meta(dom, &v);
    char *html_title = fg__kb_article_title(dom);
    read_jsonld(dom, html_title, &j);
    doc->title = pick(j.title, &v, title_keys);
    if (!doc->title)
        doc->title = html_title, html_title = NULL;
    doc->byline = pick(j.byline, &v, byline_keys);
    const char *aa = get(&v, "article:author");
    if (!doc->byline && aa && !is_url(aa))
        doc->byline = unescape(aa);
    doc->excerpt = pick(j.excerpt, &v, excerpt_keys);
    doc->site_name = pick(j.site_name, &v, site_keys);
    doc->published_time = pick(j.published, &v, time_keys);
    doc->lang = fg__kb_clean_string(fg_kb_dom_attr(dom->root, "lang"));
    free(html_title);
    for (int i = 0; i < v.n; i++)
        free(v.key[i]);
    return 0;
}
