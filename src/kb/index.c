#include "kb/index_int.h"

#include <stdlib.h>
#include <string.h>

fg_kb_index *fg_kb_index_new(void)
{
    fg_kb_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    fg_kb_strmap_init(&ix->terms);
    fg_kb_strmap_init(&ix->ids);
    ix->fwd_off = calloc(1, sizeof *ix->fwd_off);
    if (!ix->fwd_off) {
        free(ix);
        return NULL;
    }
    return ix;
}

void fg_kb_index_free(fg_kb_index *ix)
{
    if (!ix)
        return;
    for (uint32_t t = 0; t < ix->terms.count; t++)
        free(ix->post[t].p);
    free(ix->post);
    fg_kb_strmap_free(&ix->terms);
    fg_kb_strmap_free(&ix->ids);
    free(ix->id_doc);
    free(ix->doc_id);
    free(ix->len);
    free(ix->norm);
    free(ix->live);
    free(ix->fwd_off);
    free(ix->fwd);
    free(ix->tf_scratch);
    free(ix->uniq);
    free(ix);
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * elem);
    if (!q)
        return FG_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int grow_docs(fg_kb_index *ix)
{
    if (ix->ndocs < ix->docs_cap)
        return 0;
    uint32_t cap = ix->docs_cap ? ix->docs_cap * 2 : 64;
    void *p;
    if (!(p = realloc(ix->doc_id, cap * sizeof *ix->doc_id)))
        return FG_ENOMEM;
    ix->doc_id = p;
    if (!(p = realloc(ix->len, cap * sizeof *ix->len)))
        return FG_ENOMEM;
    ix->len = p;
    if (!(p = realloc(ix->norm, cap)))
        return FG_ENOMEM;
    ix->norm = p;
    if (!(p = realloc(ix->live, cap)))
        return FG_ENOMEM;
    ix->live = p;
    if (!(p = realloc(ix->fwd_off, (cap + 1) * sizeof *ix->fwd_off)))
        return FG_ENOMEM;
    ix->fwd_off = p;
    ix->docs_cap = cap;
    return 0;
}

typedef struct collect {
    fg_kb_index *ix;
    uint32_t tokens, nuniq;
} collect;

uint32_t fg__kb_index_term(fg_kb_index *ix, const char *term, size_t len)
{
    /* room for a new term's postings first, so every term in the dictionary has them */
    if (ix->terms.count + 1 > ix->post_cap) {
        uint32_t old = ix->post_cap, cap = old;
        if (grow((void **)&ix->post, &cap, ix->terms.count + 1, sizeof *ix->post))
            return FG_KB_NO_ID;
        uint32_t *tf = realloc(ix->tf_scratch, cap * sizeof *tf);
        if (!tf)
            return FG_KB_NO_ID; /* post_cap unchanged: the next call retries */
        memset(tf + old, 0, (cap - old) * sizeof *tf);
        ix->tf_scratch = tf;
        ix->post_cap = cap;
    }
    int created = 0;
    uint32_t t = fg_kb_strmap_intern(&ix->terms, term, len, &created);
    if (t != FG_KB_NO_ID && created)
        memset(&ix->post[t], 0, sizeof ix->post[t]);
    return t;
}

static int on_term(const char *term, size_t len, unsigned pos, void *ctx)
{
    (void)pos;
    collect *c = ctx;
    fg_kb_index *ix = c->ix;
    uint32_t t = fg__kb_index_term(ix, term, len);
    if (t == FG_KB_NO_ID)
        return FG_ENOMEM;
    if (ix->tf_scratch[t]++ == 0) {
        if (grow((void **)&ix->uniq, &ix->uniq_cap, c->nuniq + 1, sizeof *ix->uniq)) {
            ix->tf_scratch[t]--;
            return FG_ENOMEM;
        }
        ix->uniq[c->nuniq++] = t;
    }
    c->tokens++;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int append_posting(fg_kb_index *ix, uint32_t term, uint32_t doc, uint32_t tf)
{
    fg_kb_postings *pl = &ix->post[term];
    if (grow((void **)&pl->p, &pl->cap, pl->n + 1, sizeof *pl->p))
        return FG_ENOMEM;
    pl->p[pl->n++] = (fg_kb_posting){doc, tf};
    pl->df++;
    return 0;
}

static int append_fwd(fg_kb_index *ix, uint32_t term, uint32_t tf)
{
    if (ix->fwd_len == ix->fwd_cap) {
        size_t cap = ix->fwd_cap ? ix->fwd_cap * 2 : 1024;
        fg_kb_posting *p = realloc(ix->fwd, cap * sizeof *p);
        if (!p)
            return FG_ENOMEM;
        ix->fwd = p;
        ix->fwd_cap = cap;
    }
    ix->fwd[ix->fwd_len++] = (fg_kb_posting){term, tf};
    return 0;
}

/* Adds the distinct terms of a new document numbered doc (in term order, so
 * forward lists are sorted) and clears their scratch counts. */
static int invert(fg_kb_index *ix, uint32_t doc, uint32_t n)
{
    if (n == 0)
        return 0;
    qsort(ix->uniq, n, sizeof *ix->uniq, cmp_u32);
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = ix->uniq[i], tf = ix->tf_scratch[t];
        ix->tf_scratch[t] = 0;
        if (!rc)
            rc = append_posting(ix, t, doc, tf);
        if (!rc)
            rc = append_fwd(ix, t, tf);
    }
    return rc;
}

static void clear_scratch(fg_kb_index *ix, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ix->tf_scratch[ix->uniq[i]] = 0;
}

static int bind_id(fg_kb_index *ix, const char *id, uint32_t doc)
{
    /* ids are stored with their NUL so fg_kb_index_doc_id can return them as is */
    uint32_t slot = fg_kb_strmap_intern(&ix->ids, id, strlen(id) + 1, NULL);
    if (slot == FG_KB_NO_ID || grow((void **)&ix->id_doc, &ix->id_cap, slot + 1, sizeof(uint32_t)))
        return FG_ENOMEM;
    ix->id_doc[slot] = doc;
    ix->doc_id[doc] = slot;
    return 0;
}

int fg_kb_index_add(fg_kb_index *ix, fg_kb_analyzer *an, const char *id, const char *text,
                    size_t len, uint32_t *doc_out, fg_errbuf *eb)
{
    if (ix->ndocs == UINT32_MAX - 1)
        return fg_failf(eb, FG_ELIMIT, "index: too many documents");
    if (grow_docs(ix))
        return fg_failf(eb, FG_ENOMEM, "index: out of memory adding document '%s'", id);
    fg_kb_index_remove(ix, id);
    collect c = {.ix = ix};
    int rc = fg_kb_analyze(an, text, len, on_term, &c);
    uint32_t doc = ix->ndocs;
    if (!rc)
        rc = invert(ix, doc, c.nuniq);
    else
        clear_scratch(ix, c.nuniq);
    if (!rc)
        rc = bind_id(ix, id, doc);
    ix->fwd_off[doc + 1] = ix->fwd_len;
    ix->ndocs++;
    if (rc) { /* the document number is used up by a dead document */
        ix->live[doc] = 0;
        ix->len[doc] = 0;
        for (size_t i = ix->fwd_off[doc]; i < ix->fwd_len; i++)
            ix->post[ix->fwd[i].doc].df--;
        return fg_failf(eb, rc, "index: out of memory adding document '%s'", id);
    }
    ix->len[doc] = c.tokens;
    ix->norm[doc] = fg_kb_length_to_norm(c.tokens);
    ix->live[doc] = 1;
    ix->live_docs++;
    ix->total_terms += c.tokens;
    if (doc_out)
        *doc_out = doc;
    return 0;
}

int fg__kb_index_append(fg_kb_index *ix, const char *id, uint32_t length,
                        const fg_kb_posting *pairs, uint32_t n)
{
    if (ix->ndocs == UINT32_MAX - 1 || grow_docs(ix))
        return FG_ENOMEM;
    fg_kb_index_remove(ix, id);
    uint32_t doc = ix->ndocs;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        rc = append_posting(ix, pairs[i].doc, doc, pairs[i].tf);
        if (!rc)
            rc = append_fwd(ix, pairs[i].doc, pairs[i].tf);
    }
    if (!rc)
        rc = bind_id(ix, id, doc);
    ix->fwd_off[doc + 1] = ix->fwd_len;
    ix->ndocs++;
    ix->len[doc] = rc ? 0 : length;
    ix->norm[doc] = fg_kb_length_to_norm(ix->len[doc]);
    ix->live[doc] = !rc;
    if (rc) {
        for (size_t i = ix->fwd_off[doc]; i < ix->fwd_len; i++)
            ix->post[ix->fwd[i].doc].df--;
        return rc;
    }
    ix->live_docs++;
    ix->total_terms += length;
    return 0;
}

int fg_kb_index_remove(fg_kb_index *ix, const char *id)
{
    uint32_t slot = fg_kb_strmap_find(&ix->ids, id, strlen(id) + 1);
    if (slot == FG_KB_NO_ID || ix->id_doc[slot] == FG_KB_NO_ID)
        return FG_ENOTFOUND;
    uint32_t doc = ix->id_doc[slot];
    ix->id_doc[slot] = FG_KB_NO_ID;
    ix->live[doc] = 0;
    for (size_t i = ix->fwd_off[doc]; i < ix->fwd_off[doc + 1]; i++)
        ix->post[ix->fwd[i].doc].df--;
    ix->live_docs--;
    ix->total_terms -= ix->len[doc];
    return 0;
}

size_t fg_kb_index_doc_count(const fg_kb_index *ix)
{
    return ix->live_docs;
}

uint64_t fg_kb_index_total_terms(const fg_kb_index *ix)
{
    return ix->total_terms;
}

size_t fg_kb_index_term_count(const fg_kb_index *ix)
{
    return ix->terms.count;
}

uint32_t fg_kb_index_doc_freq(const fg_kb_index *ix, const char *term, size_t len)
{
    uint32_t t = fg_kb_strmap_find(&ix->terms, term, len);
    return t == FG_KB_NO_ID ? 0 : ix->post[t].df;
}

const char *fg_kb_index_doc_id(const fg_kb_index *ix, uint32_t doc)
{
    if (doc >= ix->ndocs || !ix->live[doc])
        return NULL;
    size_t len;
    return fg_kb_strmap_key(&ix->ids, ix->doc_id[doc], &len);
}

uint32_t fg_kb_index_doc_length(const fg_kb_index *ix, uint32_t doc)
{
    return doc < ix->ndocs ? ix->len[doc] : 0;
}
