/* The Readability algorithm over the DOM: prepare, grab the article with the
 * strictest rules that leave enough text, clean it. */
#include "kb/extract_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct grab {
    fg_kb_dom *dom;
    const fg_kb_regexes *re;
    const fg_kb_extract_opts *o;
    int flags;
    const char *title;         /* for dropping a heading that repeats it */
    bool meta_byline;          /* the metadata named the author: keep byline nodes */
    char *byline;              /* found in the page, malloc'd */
    char *dir;
    fg_kb_node **cands;        /* scored nodes */
    size_t ncands, capcands;
    fg_kb_node **to_score;
    size_t nscore, capscore;
} grab;

static bool is_tag(const fg_kb_node *n, GumboTag t)
{
    return n && !n->is_text && n->tag == t;
}

static bool is_heading(const fg_kb_node *n)
{
    return !n->is_text && n->tag >= GUMBO_TAG_H1 && n->tag <= GUMBO_TAG_H6;
}

static int push(fg_kb_node ***arr, size_t *n, size_t *cap, fg_kb_node *x)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        fg_kb_node **a = realloc(*arr, c * sizeof *a);
        if (!a)
            return FG_ENOMEM;
        *arr = a;
        *cap = c;
    }
    (*arr)[(*n)++] = x;
    return 0;
}

static const char *attr_or_empty(const fg_kb_node *n, const char *name)
{
    const char *v = fg_kb_dom_attr(n, name);
    return v ? v : "";
}

/* ---- element classes ---- */

static bool is_phrasing_tag(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_ABBR: case GUMBO_TAG_AUDIO: case GUMBO_TAG_B: case GUMBO_TAG_BDO:
    case GUMBO_TAG_BR: case GUMBO_TAG_BUTTON: case GUMBO_TAG_CITE: case GUMBO_TAG_CODE:
    case GUMBO_TAG_DATA: case GUMBO_TAG_DATALIST: case GUMBO_TAG_DFN: case GUMBO_TAG_EM:
    case GUMBO_TAG_EMBED: case GUMBO_TAG_I: case GUMBO_TAG_IMG: case GUMBO_TAG_INPUT:
    case GUMBO_TAG_KBD: case GUMBO_TAG_LABEL: case GUMBO_TAG_MARK: case GUMBO_TAG_MATH:
    case GUMBO_TAG_METER: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_OBJECT: case GUMBO_TAG_OUTPUT:
    case GUMBO_TAG_PROGRESS: case GUMBO_TAG_Q: case GUMBO_TAG_RUBY: case GUMBO_TAG_SAMP:
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_SELECT: case GUMBO_TAG_SMALL: case GUMBO_TAG_SPAN:
    case GUMBO_TAG_STRONG: case GUMBO_TAG_SUB: case GUMBO_TAG_SUP: case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_TIME: case GUMBO_TAG_VAR: case GUMBO_TAG_WBR:
        return true;
    default:
        return false;
    }
}

static bool is_phrasing(const fg_kb_node *n, int depth)
{
    if (n->is_text)
        return true;
    if (is_phrasing_tag(n->tag))
        return true;
    if ((n->tag == GUMBO_TAG_A || n->tag == GUMBO_TAG_DEL || n->tag == GUMBO_TAG_INS) && depth < 64) {
        for (fg_kb_node *c = n->first; c; c = c->next)
            if (!is_phrasing(c, depth + 1))
                return false;
        return true;
    }
    return false;
}

static bool is_div_to_p_block(GumboTag t)
{
    return t == GUMBO_TAG_BLOCKQUOTE || t == GUMBO_TAG_DL || t == GUMBO_TAG_DIV ||
           t == GUMBO_TAG_IMG || t == GUMBO_TAG_OL || t == GUMBO_TAG_P || t == GUMBO_TAG_PRE ||
           t == GUMBO_TAG_TABLE || t == GUMBO_TAG_UL;
}

static bool has_child_block(const fg_kb_node *n)
{
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d; d = fg_kb_dom_next(n, d, false))
        if (!d->is_text && is_div_to_p_block(d->tag))
            return true;
    return false;
}

static bool has_single_child_tag(const fg_kb_node *n, GumboTag tag)
{
    if (fg_kb_dom_element_count(n) != 1 || !is_tag(fg_kb_dom_first_element(n), tag))
        return false;
    for (fg_kb_node *c = n->first; c; c = c->next)
        if (c->is_text && !fg_kb_dom_is_whitespace(c))
            return false;
    return true;
}

static bool without_content(const fg_kb_node *n)
{
    if (fg_kb_dom_text_len(n) != 0)
        return false;
    size_t els = 0, brhr = 0;
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d; d = fg_kb_dom_next(n, d, false))
        if (!d->is_text) {
            els++;
            brhr += d->tag == GUMBO_TAG_BR || d->tag == GUMBO_TAG_HR;
        }
    return els == brhr;
}

static bool probably_visible(const fg_kb_node *n)
{
    const char *style = fg_kb_dom_attr(n, "style");
    if (style) {
        char *s = fg__kb_clean_string(style);
        bool hidden = s && (strstr(s, "display:none") || strstr(s, "display: none") ||
                            strstr(s, "visibility:hidden") || strstr(s, "visibility: hidden"));
        free(s);
        if (hidden)
            return false;
    }
    if (fg_kb_dom_attr(n, "hidden"))
        return false;
    const char *aria = fg_kb_dom_attr(n, "aria-hidden");
    if (aria && strcmp(aria, "true") == 0 && !strstr(attr_or_empty(n, "class"), "fallback-image"))
        return false;
    return true;
}

/* ---- scores ---- */

static double class_weight(const grab *g, const fg_kb_node *n)
{
    if (!(g->flags & FLAG_WEIGHT_CLASSES))
        return 0;
    double w = 0;
    const char *cls = fg_kb_dom_attr(n, "class"), *id = fg_kb_dom_attr(n, "id");
    if (fg__kb_match(&g->re->negative, cls))
        w -= 25;
    if (fg__kb_match(&g->re->positive, cls))
        w += 25;
    if (fg__kb_match(&g->re->negative, id))
        w -= 25;
    if (fg__kb_match(&g->re->positive, id))
        w += 25;
    return w;
}

static int initialize(grab *g, fg_kb_node *n)
{
    double s = 0;
    switch (n->tag) {
    case GUMBO_TAG_DIV:
        s = 5;
        break;
    case GUMBO_TAG_PRE: case GUMBO_TAG_TD: case GUMBO_TAG_BLOCKQUOTE:
        s = 3;
        break;
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_OL: case GUMBO_TAG_UL: case GUMBO_TAG_DL:
    case GUMBO_TAG_DD: case GUMBO_TAG_DT: case GUMBO_TAG_LI: case GUMBO_TAG_FORM:
        s = -3;
        break;
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_TH:
        s = -5;
        break;
    default:
        break;
    }
    n->score = s + class_weight(g, n);
    n->scored = true;
    return push(&g->cands, &g->ncands, &g->capcands, n);
}

static double link_density(const fg_kb_node *n)
{
    size_t total = fg_kb_dom_text_len(n);
    if (!total)
        return 0;
    double links = 0;
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d;) {
        if (is_tag(d, GUMBO_TAG_A)) {
            const char *href = fg_kb_dom_attr(d, "href");
            links += (double)fg_kb_dom_text_len(d) * (href && href[0] == '#' ? 0.3 : 1.0);
            d = fg_kb_dom_next(n, d, true);
        } else {
            d = fg_kb_dom_next(n, d, false);
        }
    }
    return links / (double)total;
}

/* ---- preparation ---- */

static fg_kb_node *next_non_ws(fg_kb_node *n)
{
    while (n && n->is_text && fg_kb_dom_is_whitespace(n))
        n = n->next;
    return n;
}

/* Two or more <br> in a row start a paragraph holding the phrasing content after them. */
static int replace_brs(fg_kb_dom *dom)
{
    for (fg_kb_node *n = dom->body; n; n = fg_kb_dom_next(dom->body, n, false)) {
        if (!is_tag(n, GUMBO_TAG_BR))
            continue;
        bool replaced = false;
        fg_kb_node *next = next_non_ws(n->next);
        while (is_tag(next, GUMBO_TAG_BR)) {
            replaced = true;
            fg_kb_node *sib = next_non_ws(next->next);
            fg_kb_dom_remove(next);
            next = sib;
        }
        if (!replaced)
            continue;
        fg_kb_node *p = fg_kb_dom_new_element(dom, GUMBO_TAG_P);
        if (!p)
            return FG_ENOMEM;
        fg_kb_dom_replace(n, p);
        next = p->next;
        while (next) {
            if (is_tag(next, GUMBO_TAG_BR) && is_tag(next_non_ws(next->next), GUMBO_TAG_BR))
                break;
            if (!is_phrasing(next, 0))
                break;
            fg_kb_node *sib = next->next;
            fg_kb_dom_append(p, next);
            next = sib;
        }
        while (p->last && fg_kb_dom_is_whitespace(p->last))
            fg_kb_dom_remove(p->last);
        if (is_tag(p->parent, GUMBO_TAG_P))
            p->parent->tag = GUMBO_TAG_DIV;
        n = p;
    }
    return 0;
}

static void prep_document(fg_kb_dom *dom)
{
    fg_kb_node *n = dom->root;
    while (n) {
        if (!n->is_text && (n->tag == GUMBO_TAG_SCRIPT || n->tag == GUMBO_TAG_STYLE ||
                            n->tag == GUMBO_TAG_NOSCRIPT || n->tag == GUMBO_TAG_TEMPLATE)) {
            fg_kb_node *next = fg_kb_dom_next(dom->root, n, true);
            fg_kb_dom_remove(n);
            n = next;
            continue;
        }
        if (is_tag(n, GUMBO_TAG_FONT))
            n->tag = GUMBO_TAG_SPAN;
        n = fg_kb_dom_next(dom->root, n, false);
    }
}

/* ---- the walk that removes unlikely nodes and collects what to score ---- */

static bool valid_byline(const grab *g, const fg_kb_node *n, const char *match)
{
    const char *rel = fg_kb_dom_attr(n, "rel"), *itemprop = fg_kb_dom_attr(n, "itemprop");
    if (!((rel && strcmp(rel, "author") == 0) || (itemprop && strstr(itemprop, "author")) ||
          fg__kb_match(&g->re->byline, match)))
        return false;
    size_t len = fg_kb_dom_text_len(n);
    return len > 0 && len < 100;
}

static bool heading_repeats_title(const grab *g, const fg_kb_node *n)
{
    if (!g->title || !(is_tag(n, GUMBO_TAG_H1) || is_tag(n, GUMBO_TAG_H2)))
        return false;
    char *t = fg__kb_node_text(n, 4096);
    bool dup = t && fg__kb_text_similarity(g->title, t) > 0.75;
    free(t);
    return dup;
}

static bool unlikely_role(const char *role)
{
    static const char *const roles[] = {"menu", "menubar", "complementary", "navigation",
                                        "alert", "alertdialog", "dialog"};
    for (size_t i = 0; role && i < FG_ARRAY_LEN(roles); i++)
        if (strcmp(role, roles[i]) == 0)
            return true;
    return false;
}

/* Should n be dropped before scoring? */
static bool drop_in_walk(grab *g, fg_kb_node *n, const char *match, bool *title_dropped)
{
    if (!probably_visible(n))
        return true;
    const char *modal = fg_kb_dom_attr(n, "aria-modal"), *role = fg_kb_dom_attr(n, "role");
    if (modal && strcmp(modal, "true") == 0 && role && strcmp(role, "dialog") == 0)
        return true;
    if (!g->byline && !g->meta_byline && valid_byline(g, n, match)) {
        /* a descendant with itemprop="name" holds the name alone */
        const fg_kb_node *src = n;
        for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d; d = fg_kb_dom_next(n, d, false)) {
            const char *ip = fg_kb_dom_attr(d, "itemprop");
            if (ip && strstr(ip, "name")) {
                src = d;
                break;
            }
        }
        char *t = fg__kb_node_text(src, 4096);
        g->byline = fg__kb_clean_string(t);
        free(t);
        return true;
    }
    if (!*title_dropped && heading_repeats_title(g, n)) {
        *title_dropped = true;
        return true;
    }
    if (g->flags & FLAG_STRIP_UNLIKELYS) {
        if (fg__kb_match(&g->re->unlikely, match) && !fg__kb_match(&g->re->maybe, match) &&
            !fg_kb_dom_has_ancestor(n, GUMBO_TAG_TABLE, 3) &&
            !fg_kb_dom_has_ancestor(n, GUMBO_TAG_CODE, 3) && n->tag != GUMBO_TAG_BODY &&
            n->tag != GUMBO_TAG_A)
            return true;
        if (unlikely_role(role))
            return true;
    }
    if ((n->tag == GUMBO_TAG_DIV || n->tag == GUMBO_TAG_SECTION || n->tag == GUMBO_TAG_HEADER ||
         is_heading(n)) && without_content(n))
        return true;
    return false;
}

/* Wraps runs of phrasing children of a div in paragraphs. */
static int wrap_phrasing(grab *g, fg_kb_node *div)
{
    fg_kb_node *p = NULL;
    for (fg_kb_node *c = div->first; c;) {
        fg_kb_node *next = c->next;
        if (is_phrasing(c, 0)) {
            if (p) {
                fg_kb_dom_append(p, c);
            } else if (!fg_kb_dom_is_whitespace(c)) {
                if (!(p = fg_kb_dom_new_element(g->dom, GUMBO_TAG_P)))
                    return FG_ENOMEM;
                fg_kb_dom_replace(c, p);
                fg_kb_dom_append(p, c);
            }
        } else if (p) {
            while (p->last && fg_kb_dom_is_whitespace(p->last))
                fg_kb_dom_remove(p->last);
            p = NULL;
        }
        c = next;
    }
    return 0;
}

static bool to_score_tag(GumboTag t)
{
    return t == GUMBO_TAG_SECTION || t == GUMBO_TAG_H2 || t == GUMBO_TAG_H3 ||
           t == GUMBO_TAG_H4 || t == GUMBO_TAG_H5 || t == GUMBO_TAG_H6 || t == GUMBO_TAG_P ||
           t == GUMBO_TAG_TD || t == GUMBO_TAG_PRE;
}

static int walk(grab *g)
{
    bool title_dropped = false;
    fg_kb_node *root = g->dom->root, *n = root;
    while (n) {
        if (n->is_text) {
            n = fg_kb_dom_next(root, n, false);
            continue;
        }
        char match[1024];
        snprintf(match, sizeof match, "%s %s", attr_or_empty(n, "class"), attr_or_empty(n, "id"));
        if (n != root && n != g->dom->body && drop_in_walk(g, n, match, &title_dropped)) {
            fg_kb_node *next = fg_kb_dom_next(root, n, true);
            fg_kb_dom_remove(n);
            n = next;
            continue;
        }
        if (to_score_tag(n->tag) && push(&g->to_score, &g->nscore, &g->capscore, n))
            return FG_ENOMEM;
        if (n->tag == GUMBO_TAG_DIV) {
            if (wrap_phrasing(g, n))
                return FG_ENOMEM;
            if (has_single_child_tag(n, GUMBO_TAG_P) && link_density(n) < 0.25) {
                fg_kb_node *child = fg_kb_dom_first_element(n);
                fg_kb_dom_replace(n, child);
                n = child;
                if (push(&g->to_score, &g->nscore, &g->capscore, n))
                    return FG_ENOMEM;
            } else if (!has_child_block(n)) {
                n->tag = GUMBO_TAG_P;
                if (push(&g->to_score, &g->nscore, &g->capscore, n))
                    return FG_ENOMEM;
            }
        }
        n = fg_kb_dom_next(root, n, false);
    }
    return 0;
}

/* ---- scoring ---- */

static bool attached(const fg_kb_node *n, const fg_kb_node *root)
{
    while (n && n != root)
        n = n->parent;
    return n == root;
}

static int score_paragraphs(grab *g)
{
    for (size_t i = 0; i < g->nscore; i++) {
        fg_kb_node *e = g->to_score[i];
        if (!e->parent || !attached(e, g->dom->root))
            continue;
        size_t len = fg_kb_dom_text_len(e);
        if (len < 25)
            continue;
        double content = 1 + (double)(fg_kb_dom_count_char(e, ',') + 1) + fmin(floor((double)len / 100), 3);
        int level = 0;
        for (fg_kb_node *a = e->parent; a && level < 5; a = a->parent, level++) {
            if (!a->parent)
                break; /* the document element's parent is the document */
            if (!a->scored && initialize(g, a))
                return FG_ENOMEM;
            double divider = level == 0 ? 1 : level == 1 ? 2 : level * 3;
            a->score += content / divider;
        }
    }
    return 0;
}

static fg_kb_node *best_candidates(grab *g, fg_kb_node **top, int ntop, int *found)
{
    *found = 0;
    for (size_t i = 0; i < g->ncands; i++) {
        fg_kb_node *c = g->cands[i];
        if (!attached(c, g->dom->root))
            continue;
        c->score *= 1 - link_density(c);
        for (int t = 0; t < ntop; t++) {
            if (t >= *found || c->score > top[t]->score) {
                int last = *found < ntop ? *found : ntop - 1;
                for (int k = last; k > t; k--)
                    top[k] = top[k - 1];
                top[t] = c;
                if (*found < ntop)
                    (*found)++;
                break;
            }
        }
    }
    return *found ? top[0] : NULL;
}

static bool in_ancestors(const fg_kb_node *n, const fg_kb_node *of)
{
    int level = 0;
    for (const fg_kb_node *a = of->parent; a; a = a->parent, level++)
        if (a == n)
            return true;
    return false;
}

static fg_kb_node *refine_top(grab *g, fg_kb_node *top, fg_kb_node **tops, int ntop)
{
    fg_kb_node *alts[16];
    int nalts = 0;
    for (int i = 1; i < ntop && nalts < 16; i++)
        if (tops[i]->score / top->score >= 0.75)
            alts[nalts++] = tops[i];
    if (nalts >= 3) {
        for (fg_kb_node *p = top->parent; p && p->tag != GUMBO_TAG_BODY; p = p->parent) {
            int containing = 0;
            for (int i = 0; i < nalts; i++)
                containing += in_ancestors(p, alts[i]);
            if (containing >= 3) {
                top = p;
                break;
            }
        }
    }
    if (!top->scored)
        initialize(g, top);
    double last = top->score, threshold = last / 3;
    for (fg_kb_node *p = top->parent; p && p->tag != GUMBO_TAG_BODY && p->parent; p = p->parent) {
        if (!p->scored)
            continue;
        if (p->score < threshold)
            break;
        if (p->score > last) {
            top = p;
            break;
        }
        last = p->score;
    }
    for (fg_kb_node *p = top->parent; p && p->tag != GUMBO_TAG_BODY && p->parent &&
                                       fg_kb_dom_element_count(p) == 1;
         p = p->parent)
        top = p;
    if (!top->scored)
        initialize(g, top);
    return top;
}

static bool sibling_belongs(grab *g, fg_kb_node *s, fg_kb_node *top, double threshold)
{
    if (s == top)
        return true;
    double bonus = 0;
    const char *tc = fg_kb_dom_attr(top, "class"), *sc = fg_kb_dom_attr(s, "class");
    if (tc && *tc && sc && strcmp(tc, sc) == 0)
        bonus = top->score * 0.2;
    if (s->scored && s->score + bonus >= threshold)
        return true;
    if (s->tag != GUMBO_TAG_P)
        return false;
    double ld = link_density(s);
    size_t len = fg_kb_dom_text_len(s);
    if (len > 80 && ld < 0.25)
        return true;
    if (len > 0 && len < 80 && ld == 0) {
        char *t = fg__kb_node_text(s, 4096);
        bool sentence = t && fg__kb_match(&g->re->sentence_end, t);
        free(t);
        return sentence;
    }
    return false;
}

static fg_kb_node *gather_siblings(grab *g, fg_kb_node *top)
{
    fg_kb_node *article = fg_kb_dom_new_element(g->dom, GUMBO_TAG_DIV);
    if (!article)
        return NULL;
    double threshold = fmax(10, top->score * 0.2);
    fg_kb_node *parent = top->parent;
    for (fg_kb_node *s = parent->first; s;) {
        fg_kb_node *next = s->next;
        if (!s->is_text && sibling_belongs(g, s, top, threshold)) {
            if (s->tag != GUMBO_TAG_DIV && s->tag != GUMBO_TAG_ARTICLE &&
                s->tag != GUMBO_TAG_SECTION && s->tag != GUMBO_TAG_P)
                s->tag = GUMBO_TAG_DIV;
            fg_kb_dom_append(article, s);
        }
        s = next;
    }
    return article;
}

/* ---- cleaning the article ---- */

static size_t count_tag(const fg_kb_node *n, GumboTag t)
{
    size_t k = 0;
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d; d = fg_kb_dom_next(n, d, false))
        k += is_tag(d, t);
    return k;
}

static bool is_video_embed(const grab *g, const fg_kb_node *n)
{
    return fg__kb_match(&g->re->videos, fg_kb_dom_attr(n, "src")) ||
           fg__kb_match(&g->re->videos, fg_kb_dom_attr(n, "data"));
}

/* Removes every descendant with tag t (videos kept for embeds). */
static void clean_tag(const grab *g, fg_kb_node *root, GumboTag t)
{
    bool embed = t == GUMBO_TAG_OBJECT || t == GUMBO_TAG_EMBED || t == GUMBO_TAG_IFRAME;
    for (fg_kb_node *d = fg_kb_dom_next(root, root, false); d;) {
        if (is_tag(d, t) && !(embed && is_video_embed(g, d))) {
            fg_kb_node *next = fg_kb_dom_next(root, d, true);
            fg_kb_dom_remove(d);
            d = next;
        } else {
            d = fg_kb_dom_next(root, d, false);
        }
    }
}

static void mark_data_tables(fg_kb_node *root)
{
    for (fg_kb_node *t = fg_kb_dom_next(root, root, false); t; t = fg_kb_dom_next(root, t, false)) {
        if (!is_tag(t, GUMBO_TAG_TABLE))
            continue;
        const char *role = fg_kb_dom_attr(t, "role"), *dt = fg_kb_dom_attr(t, "datatable");
        if ((role && strcmp(role, "presentation") == 0) || (dt && strcmp(dt, "0") == 0))
            continue;
        if (fg_kb_dom_attr(t, "summary") || count_tag(t, GUMBO_TAG_CAPTION) ||
            count_tag(t, GUMBO_TAG_COL) || count_tag(t, GUMBO_TAG_COLGROUP) ||
            count_tag(t, GUMBO_TAG_TFOOT) || count_tag(t, GUMBO_TAG_THEAD) ||
            count_tag(t, GUMBO_TAG_TH)) {
            t->data_table = true;
            continue;
        }
        if (count_tag(t, GUMBO_TAG_TABLE))
            continue;
        size_t rows = count_tag(t, GUMBO_TAG_TR), cells = count_tag(t, GUMBO_TAG_TD);
        size_t cols = rows ? (cells + rows - 1) / rows : 0;
        t->data_table = rows >= 10 || cols > 4 || rows * cols > 10;
    }
}

static bool in_data_table(const fg_kb_node *n)
{
    for (const fg_kb_node *p = n->parent; p; p = p->parent)
        if (is_tag(p, GUMBO_TAG_TABLE) && p->data_table)
            return true;
    return false;
}

static double heading_density(const fg_kb_node *n, size_t total)
{
    if (!total)
        return 0;
    size_t h = 0;
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d;) {
        if (is_heading(d)) {
            h += fg_kb_dom_text_len(d);
            d = fg_kb_dom_next(n, d, true);
        } else {
            d = fg_kb_dom_next(n, d, false);
        }
    }
    return (double)h / (double)total;
}

static size_t list_text_len(const fg_kb_node *n)
{
    size_t k = 0;
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d;) {
        if (is_tag(d, GUMBO_TAG_UL) || is_tag(d, GUMBO_TAG_OL)) {
            k += fg_kb_dom_text_len(d);
            d = fg_kb_dom_next(n, d, true);
        } else {
            d = fg_kb_dom_next(n, d, false);
        }
    }
    return k;
}

static bool fishy(const grab *g, const fg_kb_node *n)
{
    size_t len = fg_kb_dom_text_len(n);
    bool is_list = n->tag == GUMBO_TAG_UL || n->tag == GUMBO_TAG_OL ||
                   (len && (double)list_text_len(n) / (double)len > 0.9);
    double weight = class_weight(g, n);
    if (weight < 0)
        return true;
    if (fg_kb_dom_count_char(n, ',') >= 10)
        return false;
    double p = (double)count_tag(n, GUMBO_TAG_P), img = (double)count_tag(n, GUMBO_TAG_IMG);
    double li = (double)count_tag(n, GUMBO_TAG_LI) - 100, input = (double)count_tag(n, GUMBO_TAG_INPUT);
    double hd = heading_density(n, len);
    size_t embeds = 0;
    for (const fg_kb_node *d = fg_kb_dom_next(n, n, false); d; d = fg_kb_dom_next(n, d, false))
        if ((is_tag(d, GUMBO_TAG_OBJECT) || is_tag(d, GUMBO_TAG_EMBED) || is_tag(d, GUMBO_TAG_IFRAME)) &&
            !is_video_embed(g, d))
            embeds++;
    double ld = link_density(n);
    bool figure = fg_kb_dom_has_ancestor(n, GUMBO_TAG_FIGURE, 3);
    return (img > 1 && p / img < 0.5 && !figure) || (!is_list && li > p) ||
           (input > floor(p / 3)) ||
           (!is_list && hd < 0.9 && len < 25 && (img == 0 || img > 2) && !figure) ||
           (!is_list && weight < 25 && ld > 0.2) || (weight >= 25 && ld > 0.5) ||
           (embeds == 1 && len < 75) || embeds > 1;
}

/* Readability's _cleanConditionally: drops tag elements that look like clutter,
 * innermost last (document order reversed). */
static int clean_conditionally(grab *g, fg_kb_node *root, GumboTag t)
{
    if (!(g->flags & FLAG_CLEAN_CONDITIONALLY))
        return 0;
    fg_kb_node **list = NULL;
    size_t n = 0, cap = 0;
    for (fg_kb_node *d = fg_kb_dom_next(root, root, false); d; d = fg_kb_dom_next(root, d, false))
        if (is_tag(d, t) && push(&list, &n, &cap, d))
            return FG_ENOMEM;
    for (size_t i = n; i-- > 0;) {
        fg_kb_node *d = list[i];
        if (!attached(d, root) || (t == GUMBO_TAG_TABLE && d->data_table) || in_data_table(d) ||
            fg_kb_dom_has_ancestor(d, GUMBO_TAG_CODE, 0))
            continue;
        if (fishy(g, d))
            fg_kb_dom_remove(d);
    }
    free(list);
    return 0;
}

static void clean_share(const grab *g, fg_kb_node *article)
{
    for (fg_kb_node *top = article->first; top; top = top->next) {
        for (fg_kb_node *d = fg_kb_dom_next(top, top, false); d;) {
            char match[1024];
            snprintf(match, sizeof match, "%s %s", attr_or_empty(d, "class"), attr_or_empty(d, "id"));
            if (!d->is_text && fg__kb_match(&g->re->share, match) && fg_kb_dom_text_len(d) < 500) {
                fg_kb_node *next = fg_kb_dom_next(top, d, true);
                fg_kb_dom_remove(d);
                d = next;
            } else {
                d = fg_kb_dom_next(top, d, false);
            }
        }
    }
}

static void clean_headers_and_empty(const grab *g, fg_kb_node *article)
{
    for (fg_kb_node *d = fg_kb_dom_next(article, article, false); d;) {
        bool drop = false;
        if ((is_tag(d, GUMBO_TAG_H1) || is_tag(d, GUMBO_TAG_H2)) && class_weight(g, d) < 0)
            drop = true;
        if (is_tag(d, GUMBO_TAG_P) && !count_tag(d, GUMBO_TAG_IMG) && !count_tag(d, GUMBO_TAG_EMBED) &&
            !count_tag(d, GUMBO_TAG_OBJECT) && !count_tag(d, GUMBO_TAG_IFRAME) &&
            fg_kb_dom_text_len(d) == 0)
            drop = true;
        if (drop) {
            fg_kb_node *next = fg_kb_dom_next(article, d, true);
            fg_kb_dom_remove(d);
            d = next;
            continue;
        }
        if (is_tag(d, GUMBO_TAG_H1))
            d->tag = GUMBO_TAG_H2;
        d = fg_kb_dom_next(article, d, false);
    }
}

static int prep_article(grab *g, fg_kb_node *article)
{
    static const GumboTag plain[] = {GUMBO_TAG_OBJECT, GUMBO_TAG_EMBED, GUMBO_TAG_FOOTER,
                                     GUMBO_TAG_LINK, GUMBO_TAG_ASIDE};
    static const GumboTag forms[] = {GUMBO_TAG_IFRAME, GUMBO_TAG_INPUT, GUMBO_TAG_TEXTAREA,
                                     GUMBO_TAG_SELECT, GUMBO_TAG_BUTTON};
    mark_data_tables(article);
    int rc = clean_conditionally(g, article, GUMBO_TAG_FORM);
    if (!rc)
        rc = clean_conditionally(g, article, GUMBO_TAG_FIELDSET);
    for (size_t i = 0; i < FG_ARRAY_LEN(plain); i++)
        clean_tag(g, article, plain[i]);
    clean_share(g, article);
    for (size_t i = 0; i < FG_ARRAY_LEN(forms); i++)
        clean_tag(g, article, forms[i]);
    if (!rc)
        rc = clean_conditionally(g, article, GUMBO_TAG_TABLE);
    if (!rc)
        rc = clean_conditionally(g, article, GUMBO_TAG_UL);
    if (!rc)
        rc = clean_conditionally(g, article, GUMBO_TAG_DIV);
    clean_headers_and_empty(g, article);
    return rc;
}

/* ---- one attempt ---- */

static fg_kb_node *wrap_body(grab *g)
{
    fg_kb_node *div = fg_kb_dom_new_element(g->dom, GUMBO_TAG_DIV);
    if (!div)
        return NULL;
    while (g->dom->body->first)
        fg_kb_dom_append(div, g->dom->body->first);
    fg_kb_dom_append(g->dom->body, div);
    initialize(g, div);
    return div;
}

static void find_dir(grab *g, const fg_kb_node *top)
{
    for (const fg_kb_node *p = top; p; p = p->parent) {
        const char *dir = fg_kb_dom_attr(p, "dir");
        if (dir && *dir) {
            g->dir = strdup(dir);
            return;
        }
    }
}

/* Runs one grab; returns the article element or NULL (FG_ENOMEM in *rc). */
static fg_kb_node *grab_article(grab *g, int *rc)
{
    prep_document(g->dom);
    if ((*rc = replace_brs(g->dom)) || (*rc = walk(g)) || (*rc = score_paragraphs(g)))
        return NULL;
    fg_kb_node *tops[32];
    int ntop = g->o->top_candidates < 32 ? g->o->top_candidates : 32, found;
    fg_kb_node *top = best_candidates(g, tops, ntop, &found);
    if (!top || top->tag == GUMBO_TAG_BODY)
        top = wrap_body(g);
    else
        top = refine_top(g, top, tops, found);
    if (!top) {
        *rc = FG_ENOMEM;
        return NULL;
    }
    find_dir(g, top);
    fg_kb_node *article = gather_siblings(g, top);
    if (!article || (*rc = prep_article(g, article))) {
        *rc = *rc ? *rc : FG_ENOMEM;
        return NULL;
    }
    return article;
}

/* ---- the entry point ---- */

static void default_opts(fg_kb_extract_opts *o, const fg_kb_extract_opts *in)
{
    static const fg_kb_extract_opts d = {32u << 20, 256, 1000000, 4096, 8u << 20, 500, 5};
    *o = in ? *in : d;
    if (!o->max_bytes)
        o->max_bytes = d.max_bytes;
    if (!o->max_depth)
        o->max_depth = d.max_depth;
    if (!o->max_nodes)
        o->max_nodes = d.max_nodes;
    if (!o->max_nesting)
        o->max_nesting = d.max_nesting;
    if (!o->max_text)
        o->max_text = d.max_text;
    if (!o->char_threshold)
        o->char_threshold = d.char_threshold;
    if (o->top_candidates <= 0)
        o->top_candidates = d.top_candidates;
}

static void grab_free(grab *g)
{
    free(g->byline);
    free(g->dir);
    free(g->cands);
    free(g->to_score);
}

/* One attempt with flags; on success the blocks are in doc (when render is set)
 * and *textlen is the article's text length. */
static int attempt(const GumboOutput *out, const fg_kb_extract_opts *o, int flags, bool render,
                   fg_kb_doc *doc, size_t *textlen, char **byline, char **dir)
{
    fg_kb_dom dom;
    grab g = {.dom = &dom, .re = fg__kb_regexes(), .o = o, .flags = flags, .title = doc->title,
              .meta_byline = doc->byline != NULL};
    int rc = fg_kb_dom_build(&dom, out, o->max_depth);
    fg_kb_node *article = rc ? NULL : grab_article(&g, &rc);
    *textlen = article ? fg_kb_dom_text_len(article) : 0;
    if (!rc && render && article) {
        rc = fg__kb_render_blocks(article, o->max_text, doc);
        *byline = g.byline, g.byline = NULL;
        *dir = g.dir, g.dir = NULL;
    }
    grab_free(&g);
    fg_kb_dom_free(&dom);
    return rc;
}

static int grab_with_retries(const GumboOutput *out, const fg_kb_extract_opts *o, fg_kb_doc *doc,
                             char **byline, char **dir)
{
    static const int sequence[] = {
        FLAG_STRIP_UNLIKELYS | FLAG_WEIGHT_CLASSES | FLAG_CLEAN_CONDITIONALLY,
        FLAG_WEIGHT_CLASSES | FLAG_CLEAN_CONDITIONALLY, FLAG_CLEAN_CONDITIONALLY, 0};
    int best = 0;
    size_t best_len = 0;
    for (size_t i = 0; i < FG_ARRAY_LEN(sequence); i++) {
        size_t len;
        int rc = attempt(out, o, sequence[i], false, doc, &len, byline, dir);
        if (rc)
            return rc;
        if (len >= o->char_threshold) {
            best = sequence[i];
            break;
        }
        if (len > best_len || i == 0) {
            best = sequence[i];
            best_len = len;
        }
    }
    size_t len;
    return attempt(out, o, best, true, doc, &len, byline, dir);
}

/* Elements that need no end tag (void, or closed implicitly by a sibling or
 * their parent's end): they do not deepen the estimate. */
static bool no_nesting(const char *name, size_t n)
{
    static const char *const tags[] = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param", "keygen", "p", "li", "dt", "dd", "option", "optgroup", "tr",
        "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "html",
        "head", "body", NULL};
    for (const char *const *t = tags; *t; t++)
        if (strlen(*t) == n && strncasecmp(name, *t, n) == 0)
            return true;
    return false;
}

/* A cheap upper-bound-ish estimate of the open-element depth: start tags
 * minus end tags, ignoring the elements above and self-closed tags. */
static size_t estimate_nesting(const char *html, size_t len)
{
    size_t depth = 0, max = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (html[i] != '<')
            continue;
        bool end = html[i + 1] == '/';
        size_t st = i + 1 + end, e = st;
        while (e < len && (isalnum((unsigned char)html[e]) || html[e] == '-'))
            e++;
        if (e == st || no_nesting(html + st, e - st))
            continue;
        const char *gt = memchr(html + e, '>', len - e);
        if (gt && gt > html + e && gt[-1] == '/')
            continue;
        if (end)
            depth -= depth > 0;
        else if (++depth > max)
            max = depth;
    }
    return max;
}

/* Rejects inputs whose tag count alone passes the ceiling, before parsing. */
static int precheck(const char *html, size_t len, const fg_kb_extract_opts *o, fg_errbuf *eb)
{
    if (len > o->max_bytes)
        return fg_failf(eb, FG_ELIMIT, "extract: page of %zu bytes is over the %zu-byte limit",
                        len, o->max_bytes);
    size_t tags = 0;
    for (const char *p = html; (p = memchr(p, '<', (size_t)(html + len - p))); p++)
        if (++tags > o->max_nodes * 2)
            return fg_failf(eb, FG_ELIMIT, "extract: page has more than %zu tags (limit %zu)",
                            o->max_nodes * 2, o->max_nodes);
    size_t depth = estimate_nesting(html, len);
    if (depth > o->max_nesting)
        return fg_failf(eb, FG_ELIMIT, "extract: elements nest about %zu deep (limit %zu)", depth,
                        o->max_nesting);
    return 0;
}

int fg_kb_extract(const char *html, size_t len, const fg_kb_extract_opts *opts, fg_kb_doc *doc,
                  fg_errbuf *eb)
{
    fg_kb_extract_opts o;
    default_opts(&o, opts);
    memset(doc, 0, sizeof *doc);
    int rc = precheck(html, len, &o, eb);
    if (rc)
        return rc;
    GumboOptions gopts = kGumboDefaultOptions;
    gopts.max_errors = 0;
    GumboOutput *out = gumbo_parse_with_options(&gopts, html, len);
    if (!out)
        return fg_failf(eb, FG_ENOMEM, "extract: out of memory parsing the page");
    fg_kb_dom meta_dom;
    rc = fg_kb_dom_build(&meta_dom, out, o.max_depth);
    if (!rc)
        rc = fg__kb_extract_meta(&meta_dom, doc);
    fg_kb_dom_free(&meta_dom);
    char *byline = NULL, *dir = NULL;
    if (!rc)
        rc = grab_with_retries(out, &o, doc, &byline, &dir);
    if (!doc->byline)
        doc->byline = byline, byline = NULL;
    doc->dir = dir;
    free(byline);
    if (!rc && !doc->excerpt) {
        for (size_t i = 0; i < doc->nblocks && !doc->excerpt; i++)
            if (doc->blocks[i].type == FG_KB_BLOCK_PARAGRAPH)
                doc->excerpt = strdup(doc->blocks[i].text);
    }
    gumbo_destroy_output(&gopts, out);
    if (rc) {
        fg_kb_doc_free(doc);
        return fg_failf(eb, rc, "extract: out of memory or over the text limit (%zu bytes)", o.max_text);
    }
    return 0;
}

void fg_kb_doc_free(fg_kb_doc *doc)
{
    free(doc->title);
    free(doc->byline);
    free(doc->excerpt);
    free(doc->site_name);
    free(doc->lang);
    free(doc->dir);
    free(doc->published_time);
    for (size_t i = 0; i < doc->nblocks; i++)
        free(doc->blocks[i].text);
    free(doc->blocks);
    memset(doc, 0, sizeof *doc);
}
