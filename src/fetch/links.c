/* Walks gumbo's tree without recursion and reports the links. */
#include "fetch/links.h"

#include "core/buf.h"
#include "core/error.h"

#include <ctype.h>
#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINK_TEXT_MAX 200

static const char *attr(const GumboNode *n, const char *name)
{
    const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
    return a ? a->value : NULL;
}

/* Whether a space-separated token list (rel, content) holds token. */
static bool has_token(const char *list, const char *token)
{
    size_t tl = strlen(token);
    const char *p = list;
    while (p && *p) {
        while (*p && (isspace((unsigned char)*p) || *p == ','))
            p++;
        size_t n = strcspn(p, " \t\r\n,");
        if (n == tl && strncasecmp(p, token, n) == 0)
            return true;
        p += n;
    }
    return false;
}

/* Appends the text under n, whitespace collapsed, up to LINK_TEXT_MAX bytes. */
static void link_text(const GumboNode *root, fg_buf *out)
{
    const GumboNode *stack[64];
    size_t top = 0;
    stack[top++] = root;
    bool space = false;
    while (top && out->len < LINK_TEXT_MAX) {
        const GumboNode *n = stack[--top];
        if (n->type == GUMBO_NODE_TEXT) {
            for (const char *s = n->v.text.text; *s && out->len < LINK_TEXT_MAX; s++) {
                if (isspace((unsigned char)*s)) {
                    space = out->len > 0;
                    continue;
                }
                if (space)
                    fg_buf_putc(out, ' ');
                space = false;
                fg_buf_putc(out, *s);
            }
        } else if (n->type == GUMBO_NODE_ELEMENT) {
            const GumboVector *kids = &n->v.element.children;
            for (size_t i = kids->length; i > 0 && top < 64; i--)
                stack[top++] = kids->data[i - 1];
        }
    }
}

typedef struct walk {
    size_t max_links;
    fg_fetch_link_fn fn;
    void *ud;
    fg_fetch_links_result *out;
    bool stop;
} walk;

static void report(walk *w, const GumboNode *n, const char *href, bool with_text)
{
    if (!href || w->out->nofollow || w->out->links >= w->max_links)
        return;
    const char *rel = attr(n, "rel");
    if (rel && has_token(rel, "nofollow"))
        return;
    fg_buf text;
    fg_buf_init(&text, LINK_TEXT_MAX + 8);
    if (with_text)
        link_text(n, &text);
    w->out->links++;
    if (w->fn(href, text.data ? text.data : "", w->ud))
        w->stop = true;
    fg_buf_free(&text);
}

static void visit(walk *w, const GumboNode *n)
{
    const char *v;
    switch (n->v.element.tag) {
    case GUMBO_TAG_A:
    case GUMBO_TAG_AREA:
        report(w, n, attr(n, "href"), true);
        break;
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_IFRAME:
        report(w, n, attr(n, "src"), false);
        break;
    case GUMBO_TAG_BASE:
        if (!w->out->base && (v = attr(n, "href")))
            w->out->base = strdup(v);
        break;
    case GUMBO_TAG_META:
        v = attr(n, "name");
        if (v && (strcasecmp(v, "robots") == 0 || strcasecmp(v, "flowgate") == 0)) {
            const char *c = attr(n, "content");
            if (c && (has_token(c, "nofollow") || has_token(c, "none")))
                w->out->nofollow = true;
        }
        break;
    default:
        break;
    }
}

static int walk_tree(walk *w, const GumboNode *root)
{
    size_t cap = 256, top = 0;
    const GumboNode **stack = malloc(cap * sizeof *stack);
    if (!stack)
        return FG_ENOMEM;
    stack[top++] = root;
    while (top && !w->stop) {
        const GumboNode *n = stack[--top];
        if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
            continue;
        visit(w, n);
        const GumboVector *kids = &n->v.element.children;
        if (top + kids->length > cap) {
            size_t ncap = (top + kids->length) * 2;
            const GumboNode **s = realloc(stack, ncap * sizeof *s);
            if (!s) {
                free(stack);
                return FG_ENOMEM;
            }
            stack = s, cap = ncap;
        }
        for (size_t i = kids->length; i > 0; i--)
            stack[top++] = kids->data[i - 1];
    }
    free(stack);
    return FG_OK;
}

int fg_fetch_links_extract(const char *html, size_t len, size_t max_links, fg_fetch_link_fn fn,
                           void *ud, fg_fetch_links_result *out)
{
    memset(out, 0, sizeof *out);
    GumboOptions opts = kGumboDefaultOptions;
    opts.max_errors = 100;
    GumboOutput *doc = gumbo_parse_with_options(&opts, html, len);
    if (!doc)
        return FG_EPARSE;
    walk w = {.max_links = max_links, .fn = fn, .ud = ud, .out = out};
    int rc = walk_tree(&w, doc->root);
    gumbo_destroy_output(&opts, doc);
    return rc;
}
