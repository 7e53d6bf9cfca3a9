#include "kb/chunk.h"

#include "core/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t fg_kb_estimate_tokens(const char *s, size_t len)
{
    size_t tokens = 0;
    for (size_t i = 0; i < len;) {
        if (isspace((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t st = i;
        while (i < len && !isspace((unsigned char)s[i]))
            i++;
        size_t punct = 0;
        for (size_t k = st; k < i; k++)
            punct += ispunct((unsigned char)s[k]) != 0;
        size_t word = i - st - punct;
        tokens += (word + 3) / 4 + punct;
    }
    return tokens;
}

/* One sentence (or a word-window of a long one) of a block. */
typedef struct unit {
    size_t block;
    const char *s;
    size_t len, tokens;
} unit;

typedef struct chunker {
    const fg_kb_doc *doc;
    fg_kb_chunk_opts o;
    fg_kb_chunks *out;
    size_t cap;
    unit *u;               /* units of the current section */
    size_t nu, capu;
    size_t doc_tokens;     /* tokens of the document before the current section */
    const char *heads[6];  /* current heading per level */
    int rc;
} chunker;

static bool sentence_end(const char *s, size_t i, size_t len)
{
    char c = s[i];
    if (c == '.' || c == '!' || c == '?') {
        if (i + 1 >= len)
            return true;
        if (s[i + 1] != ' ')
            return false;
        unsigned char nx = i + 2 < len ? (unsigned char)s[i + 2] : 0;
        /* "e.g. the" and "3.5 mm" stay together: the next sentence starts upper case */
        return isupper(nx) || isdigit(nx) || nx == '"' || nx == '(' || nx >= 0x80;
    }
    /* CJK full stops: 。！？ */
    return i + 2 < len && (unsigned char)c == 0xE3 && (unsigned char)s[i + 1] == 0x80 &&
           (unsigned char)s[i + 2] == 0x82;
}

static void add_unit(chunker *c, size_t block, const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len || c->rc)
        return;
    if (c->nu == c->capu) {
        size_t cap = c->capu ? c->capu * 2 : 64;
        unit *u = realloc(c->u, cap * sizeof *u);
        if (!u) {
            c->rc = FG_ENOMEM;
            return;
        }
        c->u = u;
        c->capu = cap;
    }
    c->u[c->nu++] = (unit){block, s, len, fg_kb_estimate_tokens(s, len)};
}

/* Cuts a word longer than the budget into pieces of max_tokens bytes (a byte
 * is never more than one token), at UTF-8 character boundaries. */
static void add_huge_word(chunker *c, size_t block, const char *s, size_t len)
{
    while (len > 0) {
        size_t n = len < c->o.max_tokens ? len : c->o.max_tokens;
        while (n < len && n > 1 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        add_unit(c, block, s, n);
        s += n;
        len -= n;
    }
}

/* Cuts an over-long sentence into word windows of at most max_tokens. */
static void add_long(chunker *c, size_t block, const char *s, size_t len)
{
    size_t st = 0, tokens = 0;
    for (size_t i = 0; i < len;) {
        size_t w = i;
        while (w < len && isspace((unsigned char)s[w]))
            w++;
        size_t e = w;
        while (e < len && !isspace((unsigned char)s[e]))
            e++;
        size_t t = fg_kb_estimate_tokens(s + w, e - w);
        if (tokens + t > c->o.max_tokens && tokens > 0) {
            add_unit(c, block, s + st, i - st);
            st = i;
            tokens = 0;
        }
        if (t > c->o.max_tokens) {
            add_huge_word(c, block, s + w, e - w);
            st = e;
            t = 0;
        }
        tokens += t;
        i = e;
    }
    add_unit(c, block, s + st, len - st);
}

static void split_block(chunker *c, size_t b)
{
    const fg_kb_block *k = &c->doc->blocks[b];
    const char *s = k->text;
    size_t len = strlen(s), st = 0;
    bool sentences = k->type != FG_KB_BLOCK_CODE && k->type != FG_KB_BLOCK_TABLE_ROW;
    for (size_t i = 0; i < len; i++) {
        bool cut = sentences ? sentence_end(s, i, len) : s[i] == '\n';
        if (!cut)
            continue;
        size_t end = i + 1 + ((unsigned char)s[i] == 0xE3 ? 2 : 0);
        if (fg_kb_estimate_tokens(s + st, end - st) > c->o.max_tokens)
            add_long(c, b, s + st, end - st);
        else
            add_unit(c, b, s + st, end - st);
        st = end;
        i = end - 1;
    }
    if (st < len) {
        if (fg_kb_estimate_tokens(s + st, len - st) > c->o.max_tokens)
            add_long(c, b, s + st, len - st);
        else
            add_unit(c, b, s + st, len - st);
    }
}

static char *heading_path(const chunker *c)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    for (int i = 0; i < 6; i++) {
        if (!c->heads[i])
            continue;
        if (b.len)
            fg_buf_puts(&b, " > ");
        fg_buf_puts(&b, c->heads[i]);
    }
    return fg_buf_detach(&b, NULL);
}

static char *join_units(const chunker *c, size_t from, size_t to)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    for (size_t i = from; i < to; i++) {
        if (i > from) {
            if (c->u[i].block != c->u[i - 1].block)
                fg_buf_puts(&b, "\n\n");
            else
                fg_buf_putc(&b, c->doc->blocks[c->u[i].block].type == FG_KB_BLOCK_CODE ? '\n' : ' ');
        }
        fg_buf_append(&b, c->u[i].s, c->u[i].len);
    }
    return fg_buf_detach(&b, NULL);
}

static void emit(chunker *c, size_t from, size_t to, size_t token_offset)
{
    fg_kb_chunks *out = c->out;
    if (c->rc)
        return;
    if (out->n >= c->o.max_chunks) {
        c->rc = FG_ELIMIT;
        return;
    }
    if (out->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        fg_kb_chunk *items = realloc(out->items, cap * sizeof *items);
        if (!items) {
            c->rc = FG_ENOMEM;
            return;
        }
        out->items = items;
        c->cap = cap;
    }
    size_t tokens = 0;
    for (size_t i = from; i < to; i++)
        tokens += c->u[i].tokens;
    fg_kb_chunk *k = &out->items[out->n];
    *k = (fg_kb_chunk){join_units(c, from, to), heading_path(c), out->n, c->u[from].block,
                       c->u[to - 1].block, token_offset, tokens};
    if (!k->text || !k->heading_path) {
        free(k->text);
        free(k->heading_path);
        c->rc = FG_ENOMEM;
        return;
    }
    out->n++;
}

/* Packs the section's units into chunks with overlap. */
static void pack_section(chunker *c)
{
    size_t ov = 0, start = 0, before = 0;
    while (start < c->nu && !c->rc) {
        size_t tokens = 0;
        for (size_t i = ov; i < start; i++)
            tokens += c->u[i].tokens;
        while (ov < start && tokens + c->u[start].tokens > c->o.max_tokens)
            tokens -= c->u[ov++].tokens;
        size_t end = start;
        while (end < c->nu && (end == start || tokens + c->u[end].tokens <= c->o.max_tokens))
            tokens += c->u[end++].tokens;
        emit(c, ov, end, c->doc_tokens + before);
        for (size_t i = start; i < end; i++)
            before += c->u[i].tokens;
        size_t back = end, otok = 0;
        while (back > start && otok + c->u[back - 1].tokens <= c->o.overlap_tokens)
            otok += c->u[--back].tokens;
        ov = back;
        start = end;
    }
    c->doc_tokens += before;
    c->nu = 0;
}

int fg_kb_chunk_doc(const fg_kb_doc *doc, const char *source, const fg_kb_chunk_opts *opts,
                    fg_kb_chunks *out, fg_errbuf *eb)
{
    chunker c = {.doc = doc, .out = out};
    c.o = opts ? *opts : (fg_kb_chunk_opts){0};
    if (!c.o.max_tokens)
        c.o.max_tokens = 300;
    if (!opts)
        c.o.overlap_tokens = 50;
    if (!c.o.max_chunks)
        c.o.max_chunks = 100000;
    if (c.o.overlap_tokens >= c.o.max_tokens)
        return fg_failf(eb, FG_EINVAL, "chunk: overlap (%zu tokens) must be below the budget (%zu)",
                        c.o.overlap_tokens, c.o.max_tokens);
    memset(out, 0, sizeof *out);
    out->source = strdup(source ? source : "");
    out->title = doc->title ? strdup(doc->title) : NULL;
    if (!out->source)
        c.rc = FG_ENOMEM;
    for (size_t b = 0; b < doc->nblocks && !c.rc; b++) {
        const fg_kb_block *k = &doc->blocks[b];
        if (k->type == FG_KB_BLOCK_HEADING && k->level >= 1 && k->level <= 6) {
            pack_section(&c);
            c.heads[k->level - 1] = k->text;
            for (int l = k->level; l < 6; l++)
                c.heads[l] = NULL;
            continue;
        }
        split_block(&c, b);
    }
    pack_section(&c);
    free(c.u);
    if (c.rc) {
        fg_kb_chunks_free(out);
        return fg_failf(eb, c.rc, c.rc == FG_ELIMIT ? "chunk: more than %zu chunks in '%s'"
                                                    : "chunk: out of memory (limit %zu) in '%s'",
                        c.o.max_chunks, source ? source : "");
    }
    return 0;
}

void fg_kb_chunks_free(fg_kb_chunks *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].text);
        free(c->items[i].heading_path);
    }
    free(c->items);
    free(c->source);
    free(c->title);
    memset(c, 0, sizeof *c);
}
