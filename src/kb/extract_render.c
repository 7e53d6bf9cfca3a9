/* Turns the cleaned article into blocks (headings, paragraphs, list items,
 * code, quotes, table rows), the structure the chunker splits at. */
#include "kb/extract_int.h"
#include "kb/utf8.h"

#include <stdlib.h>
#include <string.h>

typedef struct render {
    fg_kb_doc *doc;
    fg_buf cur;
    size_t cap, total, max;
    fg_kb_block_type type;
    int level;
    int rc;
    bool full;
} render;

/* Valid UTF-8 copy of s[0..n) with whitespace collapsed (kept for code). */
static char *clean_text(const char *s, size_t n, bool keep_ws)
{
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t c = fg_kb_utf8_decode(s + i, n - i, &l);
        i += l;
        if (!keep_ws && (fg_kb_is_space(c))) {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        o += fg_kb_utf8_encode(c, out + o);
    }
    while (keep_ws && o > 0 && (out[o - 1] == '\n' || out[o - 1] == ' '))
        o--;
    size_t start = 0;
    while (keep_ws && start < o && out[start] == '\n')
        start++;
    memmove(out, out + start, o - start);
    out[o - start] = 0;
    return out;
}

static void flush(render *r)
{
    if (r->rc || !r->cur.len)
        return;
    char *t = clean_text(r->cur.data, r->cur.len, r->type == FG_KB_BLOCK_CODE);
    fg_buf_reset(&r->cur);
    if (!t) {
        r->rc = FG_ENOMEM;
        return;
    }
    size_t len = strlen(t);
    if (!len || r->total + len > r->max) {
        r->full |= len > 0;
        free(t);
        return;
    }
    fg_kb_doc *d = r->doc;
    if (d->nblocks == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        fg_kb_block *b = realloc(d->blocks, cap * sizeof *b);
        if (!b) {
            free(t);
            r->rc = FG_ENOMEM;
            return;
        }
        d->blocks = b;
        r->cap = cap;
    }
    d->blocks[d->nblocks++] = (fg_kb_block){r->type, r->type == FG_KB_BLOCK_HEADING ? r->level : 0, t};
    r->total += len;
}

static void add_text(render *r, const char *s, size_t n)
{
    if (r->full)
        return;
    if (fg_buf_append(&r->cur, s, n))
        r->full = true; /* the text ceiling: the rest is dropped */
}

static int heading_level(GumboTag t)
{
    return t >= GUMBO_TAG_H1 && t <= GUMBO_TAG_H6 ? (int)(t - GUMBO_TAG_H1) + 1 : 0;
}

/* The block an element starts: 1 and the type, or 0 when it is inline. */
static int block_of(const fg_kb_node *n, fg_kb_block_type inherited, fg_kb_block_type *type, int *level)
{
    GumboTag t = n->tag, orig = n->src ? n->src->v.element.tag : t;
    if ((*level = heading_level(t)) || (*level = heading_level(orig))) {
        *type = FG_KB_BLOCK_HEADING;
        return 1;
    }
    switch (t) {
    case GUMBO_TAG_LI: case GUMBO_TAG_DT: case GUMBO_TAG_DD:
        *type = FG_KB_BLOCK_LIST_ITEM;
        return 1;
    case GUMBO_TAG_PRE:
        *type = FG_KB_BLOCK_CODE;
        return 1;
    case GUMBO_TAG_BLOCKQUOTE:
        *type = FG_KB_BLOCK_QUOTE;
        return 1;
    case GUMBO_TAG_TR:
        *type = FG_KB_BLOCK_TABLE_ROW;
        return 1;
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_DL: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
    case GUMBO_TAG_TABLE: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_FORM: case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_DETAILS: case GUMBO_TAG_SUMMARY: case GUMBO_TAG_CENTER: case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE: case GUMBO_TAG_HR: case GUMBO_TAG_BODY: case GUMBO_TAG_CAPTION:
        *type = inherited == FG_KB_BLOCK_HEADING || inherited == FG_KB_BLOCK_TABLE_ROW
                    ? FG_KB_BLOCK_PARAGRAPH : inherited;
        return 1;
    default:
        return 0;
    }
}

static bool has_content(const fg_buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] != ' ' && b->data[i] != '\n' && b->data[i] != '\t' && b->data[i] != '\r')
            return true;
    return false;
}

static void visit(render *r, const fg_kb_node *n, int depth)
{
    if (n->is_text) {
        add_text(r, n->text, n->text_len);
        return;
    }
    if (n->tag == GUMBO_TAG_BR) {
        add_text(r, "\n", 1);
        return;
    }
    if ((n->tag == GUMBO_TAG_TD || n->tag == GUMBO_TAG_TH) && has_content(&r->cur))
        add_text(r, " | ", 3);
    fg_kb_block_type type, saved = r->type;
    int level, saved_level = r->level;
    int block = depth > 0 && block_of(n, r->type, &type, &level);
    if (block) {
        flush(r);
        r->type = type;
        r->level = level;
    }
    for (const fg_kb_node *c = n->first; c && !r->rc; c = c->next)
        visit(r, c, depth + 1);
    if (block) {
        flush(r);
        r->type = saved;
        r->level = saved_level;
    }
}

int fg__kb_render_blocks(const fg_kb_node *article, size_t max_text, fg_kb_doc *doc)
{
    render r = {.doc = doc, .max = max_text, .type = FG_KB_BLOCK_PARAGRAPH};
    fg_buf_init(&r.cur, max_text);
    visit(&r, article, 0);
    flush(&r);
    fg_buf_free(&r.cur);
    return r.rc;
}

char *fg_kb_doc_text(const fg_kb_doc *doc)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    for (size_t i = 0; i < doc->nblocks; i++) {
        const fg_kb_block *k = &doc->blocks[i];
        if (i)
            fg_buf_puts(&b, "\n\n");
        switch (k->type) {
        case FG_KB_BLOCK_HEADING:
            fg_buf_printf(&b, "%.*s ", k->level, "######");
            break;
        case FG_KB_BLOCK_LIST_ITEM:
            fg_buf_puts(&b, "- ");
            break;
        case FG_KB_BLOCK_QUOTE:
            fg_buf_puts(&b, "> ");
            break;
        case FG_KB_BLOCK_CODE:
            fg_buf_puts(&b, "```\n");
            break;
        default:
            break;
        }
        fg_buf_puts(&b, k->text);
        if (k->type == FG_KB_BLOCK_CODE)
            fg_buf_puts(&b, "\n```");
    }
    return fg_buf_detach(&b, NULL);
}

static const char *type_name(fg_kb_block_type t)
{
    static const char *const names[] = {"paragraph", "heading", "list_item", "code", "quote", "table_row"};
    return (size_t)t < FG_ARRAY_LEN(names) ? names[t] : "paragraph";
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

json_t *fg_kb_doc_json(const fg_kb_doc *doc)
{
    json_t *o = json_object(), *blocks = json_array();
    set_str(o, "title", doc->title);
    set_str(o, "byline", doc->byline);
    set_str(o, "excerpt", doc->excerpt);
    set_str(o, "siteName", doc->site_name);
    set_str(o, "lang", doc->lang);
    set_str(o, "dir", doc->dir);
    set_str(o, "publishedTime", doc->published_time);
    char *text = fg_kb_doc_text(doc);
    set_str(o, "text", text);
    free(text);
    for (size_t i = 0; i < doc->nblocks; i++) {
        json_t *b = json_object();
        json_object_set_new(b, "type", json_string(type_name(doc->blocks[i].type)));
        if (doc->blocks[i].level)
            json_object_set_new(b, "level", json_integer(doc->blocks[i].level));
        json_object_set_new(b, "text", json_string(doc->blocks[i].text));
        json_array_append_new(blocks, b);
    }
    json_object_set_new(o, "blocks", blocks);
    return o;
}
