/* Documents and their chunks in the store: the commit of one ingested
 * document (store first, then the in-memory index), failures, listing and
 * deletion. */
#include "knowledge/kn_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lookup_ctx {
    char *id, *sha, *etag, *lm;
    bool found;
} lookup_ctx;

static void copy_col(char *dst, size_t n, const fg_sval *v)
{
    if (v->type == FG_SV_TEXT)
        snprintf(dst, n, "%.*s", (int)v->v.s.n, v->v.s.p);
    else
        dst[0] = 0;
}

static int lookup_row(void *ud, int ncols, const char *const *names, const fg_sval *cols)
{
    (void)names;
    lookup_ctx *l = ud;
    if (ncols < 4)
        return 1;
    copy_col(l->id, 40, &cols[0]);
    copy_col(l->sha, 65, &cols[1]);
    copy_col(l->etag, 256, &cols[2]);
    copy_col(l->lm, 64, &cols[3]);
    l->found = true;
    return 1;
}

int fg__kn_doc_lookup(fg_knowledge *kn, const char *base_id, const char *source, char id[40],
                      char sha[65], char etag[256], char last_modified[64], fg_errbuf *eb)
{
    lookup_ctx l = {id, sha, etag, last_modified, false};
    fg_sval p[2] = {kn_text(base_id), kn_text(source)};
    int rc = fg_store_query(kn->store,
                            "SELECT id, content_sha256, etag, last_modified FROM kb_documents "
                            "WHERE base_id = $1 AND source = $2 AND status = 'ready'",
                            p, 2, lookup_row, &l, eb);
    if (rc)
        return rc;
    return l.found ? 0 : FG_ENOTFOUND;
}

static json_t *chunk_metadata(const kn_doc_in *in, const char *doc_id, const char *chunk_id,
                              const fg_kb_chunk *c)
{
    json_t *m = json_is_object(in->metadata) ? json_deep_copy(in->metadata) : json_object();
    json_object_set_new(m, "x-amz-bedrock-kb-source-uri", json_string(in->source));
    json_object_set_new(m, "x-amz-bedrock-kb-chunk-id", json_string(chunk_id));
    json_object_set_new(m, "x-amz-bedrock-kb-document-id", json_string(doc_id));
    json_object_set_new(m, "x-amz-bedrock-kb-data-source-id", json_string(in->source_type));
    if (in->title && !json_object_get(m, "title"))
        json_object_set_new(m, "title", json_string(in->title));
    if (c->heading_path && *c->heading_path)
        json_object_set_new(m, "x-flowgate-heading-path", json_string(c->heading_path));
    return m;
}

static int upsert_document(fg_knowledge *kn, const kn_doc_in *in, const char *id, bool exists,
                           size_t nchunks, const char *status, const char *error, fg_errbuf *eb)
{
    char *meta = in->metadata ? json_dumps(in->metadata, JSON_COMPACT) : strdup("{}");
    int64_t now = fg_clock_wall_ms();
    fg_sval p[13] = {kn_text(id),        kn_text(in->base_id), kn_text(in->source),
                     kn_text(in->source_type), kn_text(in->title),   kn_text(in->sha256),
                     kn_text(in->etag),  kn_text(in->last_modified), kn_text(status),
                     kn_text(error),     kn_text(meta),        FG_SINT((int64_t)nchunks),
                     FG_SINT((int64_t)in->bytes)};
    fg_sval t = FG_SINT(now);
    int rc;
    if (exists) {
        fg_sval q[12] = {p[0], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], t, p[3]};
        rc = fg_store_exec(kn->store,
                           "UPDATE kb_documents SET title = $2, content_sha256 = $3, etag = $4, "
                           "last_modified = $5, status = $6, error = $7, metadata = $8, "
                           "chunks = $9, bytes = $10, updated_ms = $11, source_type = $12 "
                           "WHERE id = $1",
                           q, 12, NULL, eb);
    } else {
        fg_sval q[14];
        memcpy(q, p, sizeof p);
        q[13] = t;
        rc = fg_store_exec(kn->store,
                           "INSERT INTO kb_documents (id, base_id, source, source_type, title, "
                           "content_sha256, etag, last_modified, status, error, metadata, chunks, "
                           "bytes, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                           "$9, $10, $11, $12, $13, $14, $14)",
                           q, 14, NULL, eb);
    }
    free(meta);
    return rc;
}

/* Finds the id of (base, source) in any status. */
static bool existing_id(fg_knowledge *kn, const kn_doc_in *in, char id[40])
{
    lookup_ctx l = {id, (char[65]){0}, (char[256]){0}, (char[64]){0}, false};
    fg_sval p[2] = {kn_text(in->base_id), kn_text(in->source)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store_query(kn->store,
                   "SELECT id, content_sha256, etag, last_modified FROM kb_documents "
                   "WHERE base_id = $1 AND source = $2",
                   p, 2, lookup_row, &l, &eb);
    return l.found;
}

static int insert_embedding(fg_knowledge *kn, const kn_doc_in *in, const char *chunk_id,
                            const char *model, const float *v, size_t dim, fg_errbuf *eb)
{
    fg_sval p[5] = {kn_text(chunk_id), kn_text(in->base_id), kn_text(model),
                    FG_SINT((int64_t)dim), FG_SBLOB(v, dim * sizeof *v)};
    return fg_store_exec(kn->store,
                         "INSERT INTO kb_embeddings (chunk_id, base_id, model, dim, vector) VALUES "
                         "($1, $2, $3, $4, $5)",
                         p, 5, NULL, eb);
}

static int insert_chunks(fg_knowledge *kn, const kn_doc_in *in, const char *doc_id,
                         const fg_kb_chunks *ch, const float *vecs, size_t dim, const char *model,
                         kn_chunk ***out, fg_errbuf *eb)
{
    kn_chunk **mem = calloc(ch->n ? ch->n : 1, sizeof *mem);
    if (!mem)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; !rc && i < ch->n; i++) {
        const fg_kb_chunk *c = &ch->items[i];
        char cid[64];
        snprintf(cid, sizeof cid, "%s-%zu", doc_id, i);
        json_t *m = chunk_metadata(in, doc_id, cid, c);
        char *ms = json_dumps(m, JSON_COMPACT);
        const char *heading = c->heading_path ? c->heading_path : "";
        fg_sval p[7] = {FG_STEXTN(cid, strlen(cid)),   kn_text(in->base_id), kn_text(doc_id),
                        FG_SINT((int64_t)i), kn_text(c->text), kn_text(heading), kn_text(ms)};
        rc = fg_store_exec(kn->store,
                           "INSERT INTO kb_chunks (id, base_id, document_id, position, text, "
                           "heading_path, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           p, 7, NULL, eb);
        free(ms);
        if (!rc && vecs)
            rc = insert_embedding(kn, in, cid, model, vecs + i * dim, dim, eb);
        kn_chunk *k = calloc(1, sizeof *k);
        if (k) {
            k->id = strdup(cid);
            k->doc_id = strdup(doc_id);
            k->text = strdup(c->text);
            k->heading = strdup(heading);
            k->source = strdup(in->source);
            k->source_type = strdup(in->source_type);
            k->title = in->title ? strdup(in->title) : NULL;
            k->position = (int)i;
        }
        mem[i] = k;
        if (!k || !k->id || !k->doc_id || !k->text || !k->heading || !k->source ||
            !k->source_type) {
            json_decref(m);
            rc = rc ? rc : fg_failf(eb, FG_ENOMEM, "out of memory");
        } else
            k->metadata = m;
    }
    if (rc) {
        for (size_t i = 0; i < ch->n; i++)
            fg__kn_chunk_free(mem[i]);
        free(mem);
        return rc;
    }
    *out = mem;
    return 0;
}

static int delete_doc_rows(fg_knowledge *kn, const char *doc_id, bool and_document, fg_errbuf *eb)
{
    fg_sval p[1] = {kn_text(doc_id)};
    int rc = fg_store_exec(kn->store,
                           "DELETE FROM kb_embeddings WHERE chunk_id IN (SELECT id FROM kb_chunks "
                           "WHERE document_id = $1)",
                           p, 1, NULL, eb);
    if (!rc)
        rc = fg_store_exec(kn->store, "DELETE FROM kb_chunks WHERE document_id = $1", p, 1, NULL,
                           eb);
    if (!rc && and_document)
        rc = fg_store_exec(kn->store, "DELETE FROM kb_documents WHERE id = $1", p, 1, NULL, eb);
    return rc;
}

int fg__kn_doc_write(fg_knowledge *kn, kn_base *b, const kn_doc_in *in, const fg_kb_chunks *ch,
                     const float *vecs, size_t dim, kn_written *out, fg_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    out->exists = existing_id(kn, in, out->id);
    if (!out->exists)
        fg_rand_uuid(out->id);
    int rc;
    if ((out->exists && (rc = delete_doc_rows(kn, out->id, false, eb))) ||
        (rc = upsert_document(kn, in, out->id, out->exists, ch->n, "ready", NULL, eb)) ||
        (rc = insert_chunks(kn, in, out->id, ch, vecs, dim, b->embedding_model, &out->mem, eb)))
        return rc;
    out->n = ch->n;
    return 0;
}

void fg__kn_written_free(kn_written *w)
{
    for (size_t i = 0; w->mem && i < w->n; i++)
        fg__kn_chunk_free(w->mem[i]);
    free(w->mem);
    w->mem = NULL;
}

int fg__kn_doc_apply(kn_base *b, kn_written *w, const float *vecs, size_t dim, fg_errbuf *eb)
{
    int rc = 0;
    pthread_rwlock_wrlock(&b->lock);
    if (w->exists)
        fg__kn_base_remove_doc(b, w->id);
    for (size_t i = 0; i < w->n && !rc; i++) {
        rc = fg__kn_base_add_chunk(b, w->mem[i], vecs ? vecs + i * dim : NULL, dim, eb);
        w->mem[i] = NULL;
    }
    pthread_rwlock_unlock(&b->lock);
    fg__kn_written_free(w);
    return rc;
}

void fg__kn_doc_failed(fg_knowledge *kn, const kn_doc_in *in, const char *message)
{
    char id[40];
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (existing_id(kn, in, id))
        return; /* a document that was ingested before keeps its last good content */
    fg_rand_uuid(id);
    upsert_document(kn, in, id, false, 0, "failed", message, &eb);
}

/* ---- listing and deletion ------------------------------------------------- */

int fg_knowledge_documents(fg_knowledge *kn, const char *account, const char *base, json_t **out,
                           fg_errbuf *eb)
{
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    fg_sval p[1] = {kn_text(b->id)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(kn->store,
                                 "SELECT id AS \"documentId\", source, source_type AS \"sourceType\", "
                                 "title, status, error, chunks AS \"chunkCount\", bytes, "
                                 "content_sha256 AS \"contentSha256\", created_ms AS \"createdMs\", "
                                 "updated_ms AS \"updatedMs\", metadata FROM kb_documents "
                                 "WHERE base_id = $1 ORDER BY created_ms, source",
                                 p, 1, &rows, eb);
    fg__kn_unlock_bases(kn);
    if (rc)
        return rc;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *m = fg_json_str(row, "metadata", "{}");
        json_object_set_new(row, "metadata", fg_json_object_or_empty(m, strlen(m)));
    }
    *out = json_pack("{s:o}", "documents", rows);
    return 0;
}

int fg_knowledge_document_delete(fg_knowledge *kn, const char *account, const char *base,
                                 const char *doc, fg_errbuf *eb)
{
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    json_t *rows = NULL;
    fg_sval p[2] = {kn_text(doc), kn_text(b->id)};
    int rc = fg_store_query_json(kn->store,
                                 "SELECT id FROM kb_documents WHERE (id = $1 OR source = $1) AND "
                                 "base_id = $2",
                                 p, 2, &rows, eb);
    const char *id = rc ? NULL : fg_json_str(json_array_get(rows, 0), "id", NULL);
    if (!rc && !id)
        rc = fg_failf(eb, FG_ENOTFOUND, "no document %s in knowledge base %s", doc, base);
    if (!rc && !(rc = fg_store_begin(kn->store, eb))) {
        if ((rc = delete_doc_rows(kn, id, true, eb)))
            fg_store_rollback(kn->store);
        else
            rc = fg_store_commit(kn->store, eb);
    }
    if (!rc) {
        pthread_rwlock_wrlock(&b->lock);
        fg__kn_base_remove_doc(b, id);
        pthread_rwlock_unlock(&b->lock);
    }
    json_decref(rows);
    fg__kn_unlock_bases(kn);
    return rc;
}
