/* Writing ingested documents in batches: each document is prepared (converted,
 * chunked, embedded) with no store access held, then a batch of them is
 * written in one transaction, and only after the commit do their chunks enter
 * the in-memory index. One transaction per document rewrote the same B-tree
 * pages into the WAL every time; a batch writes them once. */
#include "knowledge/kn_int.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_DOCUMENTS 64
#define BATCH_BYTES (8u << 20)

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void prepared_free(kn_prepared *p)
{
    free(p->source);
    free(p->source_type);
    free(p->title);
    free(p->sha256);
    free(p->etag);
    free(p->last_modified);
    json_decref(p->metadata);
    fg_kb_chunks_free(&p->chunks);
    free(p->vecs);
}

static kn_doc_in doc_in(const kn_job_ctx *j, const kn_prepared *p)
{
    return (kn_doc_in){.base_id = j->base_id, .source = p->source, .source_type = p->source_type,
                       .title = p->title, .sha256 = p->sha256, .etag = p->etag,
                       .last_modified = p->last_modified, .metadata = p->metadata,
                       .bytes = p->bytes};
}

static void fail_all(kn_job_ctx *j, const char *message)
{
    for (size_t i = 0; i < j->npending; i++) {
        kn_doc_in in = doc_in(j, &j->pending[i]);
        fg__kn_job_error(j, in.source, message);
        fg__kn_doc_failed(j->kn, &in, message);
    }
}

/* Writes every pending document; w gets what each left for the index. */
static int write_all(kn_job_ctx *j, kn_base *b, kn_written *w, fg_errbuf *eb)
{
    int rc = fg_store_begin(j->kn->store, eb);
    for (size_t i = 0; !rc && i < j->npending; i++) {
        kn_doc_in in = doc_in(j, &j->pending[i]);
        kn_prepared *p = &j->pending[i];
        rc = fg__kn_doc_write(j->kn, b, &in, &p->chunks, p->vecs, p->dim, &w[i], eb);
    }
    if (!rc)
        return fg_store_commit(j->kn->store, eb);
    fg_store_rollback(j->kn->store);
    return rc;
}

void fg__kn_batch_flush(kn_job_ctx *j)
{
    if (!j->npending)
        return;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    kn_written *w = calloc(j->npending, sizeof *w);
    kn_base *b = w ? fg__kn_find_base(j->kn, NULL, j->base_id, &eb) : NULL;
    int rc = !w ? fg_failf(&eb, FG_ENOMEM, "out of memory")
             : !b ? FG_ENOTFOUND
                  : write_all(j, b, w, &eb);
    for (size_t i = 0; w && i < j->npending; i++) {
        kn_prepared *p = &j->pending[i];
        fg_errbuf aeb;
        fg_errbuf_clear(&aeb);
        if (!rc && fg__kn_doc_apply(b, &w[i], p->vecs, p->dim, &aeb) != 0)
            fg__kn_job_error(j, p->source, aeb.msg);
        fg__kn_written_free(&w[i]);
    }
    if (b)
        fg__kn_unlock_bases(j->kn);
    if (rc)
        fail_all(j, eb.msg[0] ? eb.msg : "the documents could not be stored");
    for (size_t i = 0; i < j->npending; i++)
        prepared_free(&j->pending[i]);
    free(w);
    j->npending = 0;
    j->pending_bytes = 0;
}

static bool pending_has(const kn_job_ctx *j, const char *source)
{
    for (size_t i = 0; i < j->npending; i++)
        if (strcmp(j->pending[i].source, source) == 0)
            return true;
    return false;
}

static size_t text_bytes(const fg_kb_chunks *ch)
{
    size_t n = 0;
    for (size_t i = 0; i < ch->n; i++)
        n += strlen(ch->items[i].text);
    return n;
}

void fg__kn_batch_add(kn_job_ctx *j, const kn_doc_in *in, fg_kb_chunks *ch, float **vecs,
                      size_t dim)
{
    if (pending_has(j, in->source))
        fg__kn_batch_flush(j);
    if (j->npending == j->pending_cap) {
        size_t cap = j->pending_cap ? j->pending_cap * 2 : 16;
        kn_prepared *n = realloc(j->pending, cap * sizeof *n);
        if (!n) {
            fg__kn_job_error(j, in->source, "out of memory");
            return;
        }
        j->pending = n;
        j->pending_cap = cap;
    }
    kn_prepared *p = &j->pending[j->npending++];
    *p = (kn_prepared){.source = dup_or_null(in->source), .source_type = dup_or_null(in->source_type),
                       .title = dup_or_null(in->title), .sha256 = dup_or_null(in->sha256),
                       .etag = dup_or_null(in->etag), .last_modified = dup_or_null(in->last_modified),
                       .metadata = in->metadata ? json_incref((json_t *)in->metadata) : NULL,
                       .bytes = in->bytes, .chunks = *ch, .vecs = *vecs, .dim = dim};
    memset(ch, 0, sizeof *ch);
    *vecs = NULL;
    j->pending_bytes += text_bytes(&p->chunks);
    if (j->npending >= BATCH_DOCUMENTS || j->pending_bytes >= BATCH_BYTES)
        fg__kn_batch_flush(j);
}
