/* The in-memory side of a base: a BM25 index over its chunks, rebuilt from
 * the store at open and changed chunk by chunk as documents come and go. */
#include "knowledge/kn_int.h"

#include "core/json.h"

#include <stdlib.h>
#include <string.h>

kn_base *fg__kn_base_new(void)
{
    kn_base *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->ix = fg_kb_index_new();
    if (!b->ix) {
        free(b);
        return NULL;
    }
    pthread_rwlock_init(&b->lock, NULL);
    b->bm25 = FG_KB_BM25_DEFAULTS;
    b->chunking = (fg_kb_chunk_opts){300, 50, 100000};
    return b;
}

void fg__kn_chunk_free(kn_chunk *c)
{
    if (!c)
        return;
    free(c->id);
    free(c->doc_id);
    free(c->text);
    free(c->heading);
    free(c->source);
    free(c->source_type);
    free(c->title);
    json_decref(c->metadata);
    free(c);
}

void fg__kn_base_free(kn_base *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nslots; i++)
        fg__kn_chunk_free(b->slots[i]);
    free(b->slots);
    fg_kb_index_free(b->ix);
    free(b->name);
    free(b->description);
    free(b->embedding_model);
    pthread_rwlock_destroy(&b->lock);
    free(b);
}

static int ensure_slot(kn_base *b, uint32_t doc)
{
    if (doc < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= doc)
        cap *= 2;
    kn_chunk **s = realloc(b->slots, cap * sizeof *s);
    if (!s)
        return FG_ENOMEM;
    memset(s + b->cap, 0, (cap - b->cap) * sizeof *s);
    b->slots = s;
    b->cap = cap;
    return 0;
}

int fg__kn_base_add_chunk(kn_base *b, kn_chunk *c, fg_errbuf *eb)
{
    /* The heading path and title count as text, as a reader would see them. */
    size_t tl = strlen(c->text), hl = strlen(c->heading), til = c->title ? strlen(c->title) : 0;
    char *all = malloc(tl + hl + til + 3);
    if (!all) {
        fg__kn_chunk_free(c);
        return fg_failf(eb, FG_ENOMEM, "out of memory indexing a chunk");
    }
    size_t n = 0;
    if (til) {
        memcpy(all, c->title, til);
        n = til;
        all[n++] = '\n';
    }
    memcpy(all + n, c->heading, hl);
    n += hl;
    all[n++] = '\n';
    memcpy(all + n, c->text, tl);
    n += tl;
    uint32_t doc;
    int rc = fg_kb_index_add(b->ix, fg__kn_analyzer(), c->id, all, n, &doc, eb);
    free(all);
    if (rc || (rc = ensure_slot(b, doc))) {
        fg__kn_chunk_free(c);
        return rc == FG_ENOMEM ? fg_failf(eb, rc, "out of memory indexing a chunk") : rc;
    }
    fg__kn_chunk_free(b->slots[doc]);
    b->slots[doc] = c;
    if (doc >= b->nslots)
        b->nslots = doc + 1;
    b->chunks++;
    return 0;
}

void fg__kn_base_remove_doc(kn_base *b, const char *doc_id)
{
    for (size_t i = 0; i < b->nslots; i++) {
        kn_chunk *c = b->slots[i];
        if (c && strcmp(c->doc_id, doc_id) == 0) {
            fg_kb_index_remove(b->ix, c->id);
            fg__kn_chunk_free(c);
            b->slots[i] = NULL;
            b->chunks--;
        }
    }
}

typedef struct load_ctx {
    kn_base *b;
    fg_errbuf *eb;
    int rc;
} load_ctx;

static char *dup_col(const fg_sval *v)
{
    if (v->type != FG_SV_TEXT && v->type != FG_SV_BLOB)
        return strdup("");
    return strndup(v->v.s.p, v->v.s.n);
}

/* Columns: id, document_id, position, text, heading_path, metadata, source,
 * source_type, title. */
static int load_row(void *ud, int ncols, const char *const *names, const fg_sval *cols)
{
    (void)names;
    load_ctx *l = ud;
    if (ncols < 9)
        return 1;
    kn_chunk *c = calloc(1, sizeof *c);
    if (!c) {
        l->rc = fg_failf(l->eb, FG_ENOMEM, "out of memory loading chunks");
        return 1;
    }
    c->id = dup_col(&cols[0]);
    c->doc_id = dup_col(&cols[1]);
    c->position = cols[2].type == FG_SV_INT ? (int)cols[2].v.i : 0;
    c->text = dup_col(&cols[3]);
    c->heading = dup_col(&cols[4]);
    c->metadata = cols[5].type == FG_SV_TEXT ? fg_json_object_or_empty(cols[5].v.s.p, cols[5].v.s.n)
                                            : json_object();
    c->source = dup_col(&cols[6]);
    c->source_type = dup_col(&cols[7]);
    c->title = cols[8].type == FG_SV_TEXT ? dup_col(&cols[8]) : NULL;
    if (!c->id || !c->doc_id || !c->text || !c->heading || !c->source || !c->source_type ||
        !c->metadata) {
        fg__kn_chunk_free(c);
        l->rc = fg_failf(l->eb, FG_ENOMEM, "out of memory loading chunks");
        return 1;
    }
    l->rc = fg__kn_base_add_chunk(l->b, c, l->eb);
    return l->rc != 0;
}

int fg__kn_base_load(fg_knowledge *kn, kn_base *b, fg_errbuf *eb)
{
    load_ctx l = {b, eb, 0};
    fg_sval p[1] = {kn_text(b->id)};
    int rc = fg_store_query(kn->store,
                            "SELECT c.id, c.document_id, c.position, c.text, c.heading_path, "
                            "c.metadata, d.source, d.source_type, d.title FROM kb_chunks c "
                            "JOIN kb_documents d ON d.id = c.document_id WHERE c.base_id = $1 "
                            "ORDER BY c.document_id, c.position",
                            p, 1, load_row, &l, eb);
    return rc ? rc : l.rc;
}
