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
    fg_kb_hnsw_free(b->hnsw);
    fg_kb_vectors_free(b->vecs);
    free(b->vec_doc);
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

bool fg__kn_base_semantic(const kn_base *b)
{
    return b->embedding_model && strcmp(b->embedding_model, "none") != 0;
}

static int build_hnsw(kn_base *b)
{
    b->hnsw = fg_kb_hnsw_new(b->vecs, NULL);
    if (!b->hnsw)
        return FG_ENOMEM;
    size_t n = fg_kb_vectors_count(b->vecs);
    for (uint32_t i = 0; i < n; i++)
        if (fg_kb_hnsw_add(b->hnsw, i) != 0)
            return FG_ENOMEM;
    return 0;
}

static int add_vector(kn_base *b, kn_chunk *c, uint32_t doc, const float *vec, size_t dim,
                      fg_errbuf *eb)
{
    if (!b->vecs && !(b->vecs = fg_kb_vectors_new(dim)))
        return fg_failf(eb, FG_ENOMEM, "out of memory for vectors");
    if (fg_kb_vectors_dim(b->vecs) != dim)
        return fg_failf(eb, FG_EINVAL,
                        "the embedding has %zu dimensions, the base's others have %zu", dim,
                        fg_kb_vectors_dim(b->vecs));
    float *v = malloc(dim * sizeof *v);
    if (!v)
        return fg_failf(eb, FG_ENOMEM, "out of memory for vectors");
    memcpy(v, vec, dim * sizeof *v);
    fg_kb_normalize(v, dim);
    uint32_t id;
    int rc = fg_kb_vectors_add(b->vecs, v, &id);
    free(v);
    if (rc)
        return fg_failf(eb, FG_ENOMEM, "out of memory for vectors");
    if (id >= b->vec_cap) {
        size_t cap = b->vec_cap ? b->vec_cap * 2 : 256;
        uint32_t *m = realloc(b->vec_doc, cap * sizeof *m);
        if (!m)
            return fg_failf(eb, FG_ENOMEM, "out of memory for vectors");
        b->vec_doc = m;
        b->vec_cap = cap;
    }
    b->vec_doc[id] = doc;
    c->vec = id;
    if (b->hnsw)
        rc = fg_kb_hnsw_add(b->hnsw, id);
    else if (b->hnsw_min && fg_kb_vectors_count(b->vecs) >= b->hnsw_min)
        rc = build_hnsw(b);
    return rc ? fg_failf(eb, FG_ENOMEM, "out of memory for the vector index") : 0;
}

int fg__kn_base_add_chunk(kn_base *b, kn_chunk *c, const float *vec, size_t dim, fg_errbuf *eb)
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
    c->vec = -1;
    if (vec && (rc = add_vector(b, c, doc, vec, dim, eb)) != 0) {
        fg_kb_index_remove(b->ix, c->id);
        fg__kn_chunk_free(c);
        return rc;
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
 * source_type, title, vector (BLOB of floats, or NULL), dim. */
static int load_row(void *ud, int ncols, const char *const *names, const fg_sval *cols)
{
    (void)names;
    load_ctx *l = ud;
    if (ncols < 11)
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
    const float *vec = NULL;
    size_t dim = cols[10].type == FG_SV_INT ? (size_t)cols[10].v.i : 0;
    if (cols[9].type == FG_SV_BLOB && dim && cols[9].v.s.n == dim * sizeof(float))
        vec = (const float *)(const void *)cols[9].v.s.p; /* SQLite blobs are 8-byte aligned */
    l->rc = fg__kn_base_add_chunk(l->b, c, vec, dim, l->eb);
    return l->rc != 0;
}

int fg__kn_base_load(fg_knowledge *kn, kn_base *b, fg_errbuf *eb)
{
    load_ctx l = {b, eb, 0};
    fg_sval p[1] = {kn_text(b->id)};
    int rc = fg_store_query(kn->store,
                            "SELECT c.id, c.document_id, c.position, c.text, c.heading_path, "
                            "c.metadata, d.source, d.source_type, d.title, e.vector, e.dim FROM kb_chunks c "
                            "JOIN kb_documents d ON d.id = c.document_id "
                            "LEFT JOIN kb_embeddings e ON e.chunk_id = c.id "
                            "WHERE c.base_id = $1 "
                            "ORDER BY c.document_id, c.position",
                            p, 1, load_row, &l, eb);
    return rc ? rc : l.rc;
}
