/* Markdown and plain text into blocks: ATX headings, fenced code, list items,
 * block quotes and paragraphs (lines joined until a blank line). Inline
 * markup is kept as written. */
#include "kb/chunk.h"

#include "core/buf.h"
#include "kb/utf8.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct md {
    fg_kb_doc *doc;
    size_t cap;
    fg_buf para;
    fg_kb_block_type type;
    int rc;
} md;

/* Adds a block with a valid-UTF-8 copy of s (whitespace collapsed unless code). */
static void add_block(md *m, fg_kb_block_type type, int level, const char *s, size_t len)
{
    if (m->rc)
        return;
    char *t = malloc(len * 3 + 1);
    if (!t) {
        m->rc = FG_ENOMEM;
        return;
    }
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < len;) {
        size_t l;
        uint32_t c = fg_kb_utf8_decode(s + i, len - i, &l);
        i += l;
        if (type != FG_KB_BLOCK_CODE && fg_kb_is_space(c)) {
            space = o > 0;
            continue;
        }
        if (space)
            t[o++] = ' ';
        space = false;
        o += fg_kb_utf8_encode(c, t + o);
    }
    while (o && (t[o - 1] == '\n' || t[o - 1] == ' '))
        o--;
    t[o] = 0;
    if (!o) {
        free(t);
        return;
    }
    fg_kb_doc *d = m->doc;
    if (d->nblocks == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        fg_kb_block *b = realloc(d->blocks, cap * sizeof *b);
        if (!b) {
            free(t);
            m->rc = FG_ENOMEM;
            return;
        }
        d->blocks = b;
        m->cap = cap;
    }
    d->blocks[d->nblocks++] = (fg_kb_block){type, level, t};
}

static void flush(md *m)
{
    if (m->para.len)
        add_block(m, m->type, 0, m->para.data, m->para.len);
    fg_buf_reset(&m->para);
    m->type = FG_KB_BLOCK_PARAGRAPH;
}

static void append_line(md *m, fg_kb_block_type type, const char *s, size_t len)
{
    if (m->para.len && m->type != type)
        flush(m);
    m->type = type;
    if (m->para.len)
        fg_buf_putc(&m->para, type == FG_KB_BLOCK_CODE ? '\n' : ' ');
    if (fg_buf_append(&m->para, s, len))
        m->rc = FG_ELIMIT;
}

static size_t list_marker(const char *s, size_t len)
{
    if (len >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ')
        return 2;
    size_t i = 0;
    while (i < len && i < 9 && isdigit((unsigned char)s[i]))
        i++;
    if (i > 0 && i + 1 < len && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ')
        return i + 2;
    return 0;
}

static void line(md *m, const char *s, size_t len, bool *in_code)
{
    size_t ind = 0;
    while (ind < len && ind < 4 && s[ind] == ' ')
        ind++;
    const char *t = s + ind;
    size_t tl = len - ind;
    if (tl >= 3 && (strncmp(t, "```", 3) == 0 || strncmp(t, "~~~", 3) == 0)) {
        flush(m);
        *in_code = !*in_code;
        m->type = *in_code ? FG_KB_BLOCK_CODE : FG_KB_BLOCK_PARAGRAPH;
        return;
    }
    if (*in_code) {
        m->type = FG_KB_BLOCK_CODE;
        if (m->para.len)
            fg_buf_putc(&m->para, '\n');
        if (fg_buf_append(&m->para, s, len))
            m->rc = FG_ELIMIT;
        return;
    }
    if (tl == 0) {
        flush(m);
        return;
    }
    int level = 0;
    while (level < (int)tl && level < 7 && t[level] == '#')
        level++;
    if (level >= 1 && level <= 6 && ((size_t)level == tl || t[level] == ' ')) {
        flush(m);
        size_t e = tl;
        while (e > (size_t)level && (t[e - 1] == '#' || t[e - 1] == ' '))
            e--;
        add_block(m, FG_KB_BLOCK_HEADING, level, t + level, e - (size_t)level);
        return;
    }
    size_t lm = list_marker(t, tl);
    if (lm) {
        flush(m);
        append_line(m, FG_KB_BLOCK_LIST_ITEM, t + lm, tl - lm);
        return;
    }
    if (t[0] == '>') {
        size_t skip = tl > 1 && t[1] == ' ' ? 2 : 1;
        append_line(m, FG_KB_BLOCK_QUOTE, t + skip, tl - skip);
        return;
    }
    append_line(m, m->type == FG_KB_BLOCK_LIST_ITEM ? FG_KB_BLOCK_LIST_ITEM : FG_KB_BLOCK_PARAGRAPH,
                t, tl);
}

int fg_kb_markdown_doc(const char *text, size_t len, fg_kb_doc *doc, fg_errbuf *eb)
{
    memset(doc, 0, sizeof *doc);
    md m = {.doc = doc, .type = FG_KB_BLOCK_PARAGRAPH};
    fg_buf_init(&m.para, len + 16);
    bool in_code = false;
    for (size_t i = 0; i < len && !m.rc;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        size_t l = e - i;
        if (l && text[i + l - 1] == '\r')
            l--;
        line(&m, text + i, l, &in_code);
        i = e + 1;
    }
    flush(&m);
    fg_buf_free(&m.para);
    for (size_t b = 0; b < doc->nblocks && !doc->title; b++)
        if (doc->blocks[b].type == FG_KB_BLOCK_HEADING && doc->blocks[b].level == 1)
            doc->title = strdup(doc->blocks[b].text);
    if (m.rc) {
        fg_kb_doc_free(doc);
        return fg_failf(eb, m.rc, "markdown: out of memory");
    }
    return 0;
}
