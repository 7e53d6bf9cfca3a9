#include "kb/dom.h"

#include "core/buf.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

fg_kb_node *fg_kb_dom_new_element(fg_kb_dom *dom, GumboTag tag)
{
    fg_kb_node *n = fg_arena_calloc(dom->arena, 1, sizeof *n);
    if (n) {
        n->tag = tag;
        dom->nodes++;
    }
    return n;
}

void fg_kb_dom_remove(fg_kb_node *n)
{
    fg_kb_node *p = n->parent;
    if (!p)
        return;
    if (n->prev)
        n->prev->next = n->next;
    else
        p->first = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        p->last = n->prev;
    n->parent = n->prev = n->next = NULL;
}

void fg_kb_dom_append(fg_kb_node *parent, fg_kb_node *child)
{
    fg_kb_dom_remove(child);
    child->parent = parent;
    child->prev = parent->last;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
}

void fg_kb_dom_insert_before(fg_kb_node *ref, fg_kb_node *n)
{
    fg_kb_dom_remove(n);
    n->parent = ref->parent;
    n->next = ref;
    n->prev = ref->prev;
    if (ref->prev)
        ref->prev->next = n;
    else
        ref->parent->first = n;
    ref->prev = n;
}

void fg_kb_dom_replace(fg_kb_node *old, fg_kb_node *n)
{
    if (!old->parent)
        return;
    fg_kb_dom_insert_before(old, n);
    fg_kb_dom_remove(old);
}

const char *fg_kb_dom_attr(const fg_kb_node *n, const char *name)
{
    if (n->is_text || !n->src)
        return NULL;
    const GumboAttribute *a = gumbo_get_attribute(&n->src->v.element.attributes, name);
    return a ? a->value : NULL;
}

fg_kb_node *fg_kb_dom_next(const fg_kb_node *root, const fg_kb_node *n, bool skip_children)
{
    if (!skip_children && n->first)
        return n->first;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

fg_kb_node *fg_kb_dom_first_element(const fg_kb_node *n)
{
    fg_kb_node *c = n->first;
    while (c && c->is_text)
        c = c->next;
    return c;
}

fg_kb_node *fg_kb_dom_next_element(const fg_kb_node *n)
{
    fg_kb_node *c = n->next;
    while (c && c->is_text)
        c = c->next;
    return c;
}

size_t fg_kb_dom_element_count(const fg_kb_node *n)
{
    size_t k = 0;
    for (fg_kb_node *c = n->first; c; c = c->next)
        k += !c->is_text;
    return k;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Walks the text nodes under n in order, calling fn on each. */
#define FOR_EACH_TEXT(n, t)                                                                    \
    for (const fg_kb_node *t = (n)->is_text ? (n) : fg_kb_dom_next((n), (n), false); t;         \
         t = (t) == (n) ? NULL : fg_kb_dom_next((n), (t), false))                             \
        if (t->is_text)

int fg_kb_dom_text(const fg_kb_node *n, fg_buf *out)
{
    bool pending_space = false, any = false;
    FOR_EACH_TEXT(n, t)
    {
        for (size_t i = 0; i < t->text_len; i++) {
            char c = t->text[i];
            if (is_ws(c)) {
                pending_space = any;
                continue;
            }
            if (pending_space && fg_buf_putc(out, ' '))
                return FG_ELIMIT;
            pending_space = false;
            any = true;
            if (fg_buf_putc(out, c))
                return FG_ELIMIT;
        }
    }
    return 0;
}

size_t fg_kb_dom_text_len(const fg_kb_node *n)
{
    size_t len = 0;
    bool pending_space = false, any = false;
    FOR_EACH_TEXT(n, t)
    {
        for (size_t i = 0; i < t->text_len; i++) {
            if (is_ws(t->text[i])) {
                pending_space = any;
                continue;
            }
            len += 1 + pending_space;
            pending_space = false;
            any = true;
        }
    }
    return len;
}

size_t fg_kb_dom_count_char(const fg_kb_node *n, char c)
{
    size_t k = 0;
    FOR_EACH_TEXT(n, t)
    {
        for (size_t i = 0; i < t->text_len; i++)
            k += t->text[i] == c;
    }
    return k;
}

bool fg_kb_dom_has_ancestor(const fg_kb_node *n, GumboTag tag, int max_depth)
{
    int d = 0;
    for (const fg_kb_node *p = n->parent; p; p = p->parent) {
        if (max_depth > 0 && d++ >= max_depth)
            return false;
        if (p->tag == tag && !p->is_text)
            return true;
    }
    return false;
}

bool fg_kb_dom_is_whitespace(const fg_kb_node *n)
{
    if (n->is_text) {
        for (size_t i = 0; i < n->text_len; i++)
            if (!is_ws(n->text[i]))
                return false;
        return true;
    }
    return n->tag == GUMBO_TAG_BR;
}

/* Builds iteratively with an explicit stack of (gumbo node, child index, dom node). */
typedef struct frame {
    const GumboNode *g;
    unsigned idx;
    fg_kb_node *d;
    size_t depth;
} frame;

static fg_kb_node *convert(fg_kb_dom *dom, const GumboNode *g)
{
    if (g->type == GUMBO_NODE_ELEMENT || g->type == GUMBO_NODE_TEMPLATE) {
        fg_kb_node *n = fg_kb_dom_new_element(dom, g->v.element.tag);
        if (n)
            n->src = g;
        return n;
    }
    if (g->type == GUMBO_NODE_TEXT || g->type == GUMBO_NODE_WHITESPACE ||
        g->type == GUMBO_NODE_CDATA) {
        fg_kb_node *n = fg_kb_dom_new_element(dom, GUMBO_TAG_UNKNOWN);
        if (n) {
            n->is_text = true;
            n->text = g->v.text.text;
            n->text_len = strlen(g->v.text.text);
        }
        return n;
    }
    return (fg_kb_node *)dom; /* comments and the rest: skipped (non-NULL marker) */
}

/* The DOM's depth is capped at max_depth; gumbo's own depth is not (it is
 * bounded by the input size), so the walk keeps a growable stack. */
static int build_tree(fg_kb_dom *dom, const GumboNode *root, size_t max_depth)
{
    size_t cap = 64, sp = 0;
    frame *stack = malloc(cap * sizeof *stack);
    if (!stack || !(dom->root = convert(dom, root))) {
        free(stack);
        return FG_ENOMEM;
    }
    stack[0] = (frame){root, 0, dom->root, 0};
    int rc = 0;
    for (;;) {
        frame *f = &stack[sp];
        const GumboVector *kids = &f->g->v.element.children;
        if (f->idx >= kids->length) {
            if (sp == 0)
                break;
            sp--;
            continue;
        }
        const GumboNode *gc = kids->data[f->idx++];
        fg_kb_node *c = convert(dom, gc);
        if (!c) {
            rc = FG_ENOMEM;
            break;
        }
        if (c == (fg_kb_node *)dom)
            continue;
        size_t depth = f->depth + !c->is_text;
        if (depth <= max_depth)
            fg_kb_dom_append(f->d, c);
        else
            c = f->d; /* too deep: its content goes into the deepest allowed element */
        if (c->is_text)
            continue;
        if (sp + 1 == cap) {
            frame *bigger = realloc(stack, cap * 2 * sizeof *stack);
            if (!bigger) {
                rc = FG_ENOMEM;
                break;
            }
            stack = bigger;
            cap *= 2;
        }
        stack[sp + 1] = (frame){gc, 0, c, depth <= max_depth ? depth : max_depth};
        sp++;
    }
    free(stack);
    return rc;
}

int fg_kb_dom_build(fg_kb_dom *dom, const GumboOutput *doc, size_t max_depth)
{
    memset(dom, 0, sizeof *dom);
    dom->arena = fg_arena_create(0);
    if (!dom->arena)
        return FG_ENOMEM;
    int rc = build_tree(dom, doc->root, max_depth);
    if (rc)
        return rc;
    for (fg_kb_node *c = dom->root->first; c; c = c->next)
        if (!c->is_text && c->tag == GUMBO_TAG_BODY)
            dom->body = c;
    if (!dom->body) {
        dom->body = fg_kb_dom_new_element(dom, GUMBO_TAG_BODY);
        if (!dom->body)
            return FG_ENOMEM;
        fg_kb_dom_append(dom->root, dom->body);
    }
    return 0;
}

void fg_kb_dom_free(fg_kb_dom *dom)
{
    fg_arena_destroy(dom->arena);
    dom->arena = NULL;
}
