/* Ingesting one source of a job: bytes (an uploaded file, a fetched page) into
 * blocks, chunks, and a commit to the store and the index. Every failure is a
 * per-document error on the job; the job goes on with its next source. */
#include "knowledge/kn_int.h"

#include "core/json.h"
#include "core/log.h"
#include "fetch/crawl.h"
#include "llm/llm.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fg__kn_job_error(kn_job_ctx *j, const char *source, const char *message)
{
    j->failed++;
    if (json_array_size(j->errors) < 1000)
        json_array_append_new(j->errors,
                              json_pack("{s:s,s:s}", "source", source, "message", message));
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char hex[] = "0123456789abcdef";
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = 0;
}

static bool base_settings(fg_knowledge *kn, const char *base_id, fg_kb_chunk_opts *o,
                          char *model, size_t model_len, char prefix[64])
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    kn_base *b = fg__kn_find_base(kn, NULL, base_id, &eb);
    if (!b)
        return false;
    *o = b->chunking;
    snprintf(model, model_len, "%s", fg__kn_base_semantic(b) ? b->embedding_model : "");
    snprintf(prefix, 64, "%s", b->document_prefix);
    fg__kn_unlock_bases(kn);
    return true;
}

/* The chunks' embeddings, in batches of knowledge.embedding_batch. */
static int embed_chunks(fg_knowledge *kn, const char *model, const char *prefix,
                        const fg_kb_chunks *ch, float **out, size_t *dim, fg_errbuf *eb)
{
    *out = NULL;
    *dim = 0;
    if (!kn->llm)
        return fg_failf(eb, FG_EUNSUPPORTED,
                        "the base embeds with %s, which needs the gateway's providers", model);
    size_t batch = kn->limits.embedding_batch ? kn->limits.embedding_batch : 32;
    char **texts = calloc(ch->n, sizeof *texts);
    if (!texts)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < ch->n && !rc; i++)
        if (asprintf(&texts[i], "%s%s", prefix, ch->items[i].text) < 0) {
            texts[i] = NULL;
            rc = fg_failf(eb, FG_ENOMEM, "out of memory");
        }
    float *all = NULL;
    for (size_t i = 0; !rc && i < ch->n; i += batch) {
        size_t n = ch->n - i < batch ? ch->n - i : batch, d = 0;
        float *v = NULL;
        rc = fg_llm_embed(kn->llm, "knowledge", model, (const char *const *)texts + i, n, &v, &d, eb);
        if (!rc && *dim && d != *dim)
            rc = fg_failf(eb, FG_EUPSTREAM, "%s answered %zu dimensions, then %zu", model, *dim, d);
        if (!rc && !all && !(all = malloc(ch->n * d * sizeof *all)))
            rc = fg_failf(eb, FG_ENOMEM, "out of memory");
        if (!rc) {
            memcpy(all + i * d, v, n * d * sizeof *v);
            *dim = d;
        }
        free(v);
    }
    for (size_t i = 0; i < ch->n; i++)
        free(texts[i]);
    free(texts);
    if (rc) {
        free(all);
        return rc;
    }
    *out = all;
    return 0;
}

static int chunk_and_queue(kn_job_ctx *j, const kn_doc_in *in, const fg_kb_doc *doc,
                            fg_errbuf *eb)
{
    fg_kb_chunk_opts o;
    char model[256], prefix[64];
    if (!base_settings(j->kn, j->base_id, &o, model, sizeof model, prefix))
        return fg_failf(eb, FG_ENOTFOUND, "the knowledge base was deleted");
    o.max_chunks = j->kn->limits.max_chunks_per_document;
    fg_kb_chunks ch;
    int rc = fg_kb_chunk_doc(doc, in->source, &o, &ch, eb);
    if (rc)
        return rc;
    float *vecs = NULL;
    size_t dim = 0;
    if (ch.n == 0)
        rc = fg_failf(eb, FG_EINVAL, "the document has no text");
    else if (model[0])
        rc = embed_chunks(j->kn, model, prefix, &ch, &vecs, &dim, eb);
    if (!rc)
        fg__kn_batch_add(j, in, &ch, &vecs, dim); /* takes ch and vecs */
    free(vecs);
    fg_kb_chunks_free(&ch);
    return rc;
}

void fg__kn_ingest_bytes(kn_job_ctx *j, const char *source, const char *source_type,
                         const char *name, const char *content_type, const char *data,
                         size_t len, const char *etag, const char *last_modified,
                         const json_t *metadata)
{
    char sha[65], old_id[40], old_sha[65], old_etag[256], old_lm[64];
    sha256_hex(data, len, sha);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__kn_doc_lookup(j->kn, j->base_id, source, old_id, old_sha, old_etag, old_lm, &eb) == 0 &&
        strcmp(old_sha, sha) == 0)
        return; /* unchanged since the last ingestion */
    kn_doc_in in = {.base_id = j->base_id, .source = source, .source_type = source_type,
                    .sha256 = sha, .etag = etag, .last_modified = last_modified,
                    .metadata = metadata, .bytes = len};
    fg_kb_doc doc;
    int rc = fg__kn_convert(name, content_type, data, len, &j->kn->limits, &doc, &eb);
    if (!rc) {
        in.title = doc.title ? doc.title : name;
        rc = chunk_and_queue(j, &in, &doc, &eb);
        fg_kb_doc_free(&doc);
    }
    if (rc) {
        in.title = name;
        fg__kn_job_error(j, source, eb.msg);
        fg__kn_doc_failed(j->kn, &in, eb.msg);
    }
}

void fg__kn_ingest_url(kn_job_ctx *j, const char *url, const json_t *metadata)
{
    kn_fetched f;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__kn_fetch_url(&j->kn->limits, j->kn->policy, url, &f, &eb) != 0) {
        kn_doc_in in = {.base_id = j->base_id, .source = url, .source_type = "WEB",
                        .metadata = metadata};
        fg__kn_job_error(j, url, eb.msg);
        fg__kn_doc_failed(j->kn, &in, eb.msg);
        fg__kn_fetched_free(&f);
        return;
    }
    fg__kn_ingest_bytes(j, url, "WEB", f.final_url, f.content_type, f.body ? f.body : "", f.len,
                        f.etag[0] ? f.etag : NULL, f.last_modified[0] ? f.last_modified : NULL,
                        metadata);
    fg__kn_fetched_free(&f);
}

/* ---- crawls through src/fetch ---------------------------------------------- */

typedef struct crawl_ctx {
    kn_job_ctx *j;
    long pages;
} crawl_ctx;

static int crawl_page(const fg_fetch_page *p, void *ud)
{
    crawl_ctx *c = ud;
    c->j->total++;
    fg__kn_ingest_bytes(c->j, p->url, "WEB", p->url, p->content_type, p->body, p->body_len,
                        p->etag, p->last_modified, NULL);
    c->j->done++;
    fg__kn_job_progress(c->j);
    return (size_t)++c->pages >= c->j->kn->limits.max_job_documents || fg__kn_stopping(c->j->kn);
}

static void crawl_error(const char *url, const char *message, void *ud)
{
    crawl_ctx *c = ud;
    c->j->total++;
    c->j->done++;
    fg__kn_job_error(c->j, url, message);
    fg__kn_job_progress(c->j);
}

static bool crawl_previous(const char *url, fg_fetch_seen *out, void *ud)
{
    crawl_ctx *c = ud;
    char id[40];
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    memset(out, 0, sizeof *out);
    return fg__kn_doc_lookup(c->j->kn, c->j->base_id, url, id, out->content_sha256, out->etag,
                             out->last_modified, &eb) == 0;
}

static void crawl_unchanged(const char *url, void *ud)
{
    crawl_ctx *c = ud;
    (void)url;
    c->j->total++;
    c->j->done++;
    fg__kn_job_progress(c->j);
}

void fg__kn_ingest_crawl(kn_job_ctx *j, const json_t *options)
{
    crawl_ctx c = {j, 0};
    fg_fetch_crawl_hooks hooks = {crawl_page, crawl_error, crawl_previous, crawl_unchanged, &c};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_fetch_crawl(j->kn->cfg, options, &hooks, &eb) != 0)
        fg__kn_job_error(j, "crawl", eb.msg);
}
