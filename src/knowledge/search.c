/* Searching one base (BM25 over its chunks, metadata filters applied while
 * ranking) and the two answer shapes: flowgate's own and Bedrock's Retrieve
 * (camelCase for the API, PascalCase for the workflow task). */
#include "knowledge/kn_int.h"

#include "core/json.h"
#include "llm/llm.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#define MAX_QUERY_BYTES 20000
#define DEFAULT_RESULTS 5

typedef struct filter_ctx {
    kn_base *b;
    const json_t *filter;
} filter_ctx;

static bool keep(uint32_t doc, void *ud)
{
    filter_ctx *f = ud;
    kn_chunk *c = doc < f->b->nslots ? f->b->slots[doc] : NULL;
    return c && (!f->filter || fg__kn_filter_match(f->filter, c->metadata));
}

/* A vector id passes when its chunk is still the live one and matches. */
static bool keep_vector(uint32_t id, void *ud)
{
    filter_ctx *f = ud;
    uint32_t doc = f->b->vec_doc[id];
    kn_chunk *c = doc < f->b->nslots ? f->b->slots[doc] : NULL;
    return c && c->vec == (int64_t)id && (!f->filter || fg__kn_filter_match(f->filter, c->metadata));
}

static int lexical(kn_base *b, const char *query, size_t k, filter_ctx *f, fg_kb_hit *h, size_t *n)
{
    return fg_kb_bm25_search(b->ix, fg__kn_analyzer(), query, strlen(query), &b->bm25, k, keep, f,
                             h, n);
}

/* Vector hits, their ids turned into index document numbers. */
static int semantic(kn_base *b, const float *qvec, size_t k, filter_ctx *f, fg_kb_hit *h, size_t *n)
{
    *n = 0;
    if (!b->vecs)
        return 0;
    int rc = b->hnsw ? fg_kb_hnsw_search(b->hnsw, qvec, k, k > 64 ? k : 64, keep_vector, f, h, n)
                     : fg_kb_vectors_search(b->vecs, qvec, k, keep_vector, f, h, n);
    for (size_t i = 0; !rc && i < *n; i++)
        h[i].doc = b->vec_doc[h[i].doc];
    return rc;
}

#define RRF_K 60.0

static int hybrid(kn_base *b, const char *query, const float *qvec, size_t k, filter_ctx *f,
                  fg_kb_hit *out, size_t *n)
{
    size_t depth = k * 4 > 50 ? k * 4 : 50, nl = 0, ns = 0;
    fg_kb_hit *l = calloc(depth, sizeof *l), *s = calloc(depth, sizeof *s);
    int rc = l && s ? 0 : FG_ENOMEM;
    if (!rc)
        rc = lexical(b, query, depth, f, l, &nl);
    if (!rc)
        rc = semantic(b, qvec, depth, f, s, &ns);
    fg_kb_ranking r[2] = {{l, nl, 1.0}, {s, ns, 1.0}};
    if (!rc)
        rc = fg_kb_rrf(r, 2, RRF_K, k, out, n);
    free(l);
    free(s);
    return rc;
}

int fg__kn_search_base(kn_base *b, const char *query, const float *qvec, kn_mode mode, size_t k,
                       const json_t *filter, kn_hit *hits, size_t *n, fg_errbuf *eb)
{
    fg_kb_hit *h = calloc(k ? k : 1, sizeof *h);
    if (!h)
        return fg_failf(eb, FG_ENOMEM, "out of memory searching");
    filter_ctx f = {b, filter};
    size_t got = 0;
    if (!qvec)
        mode = KN_LEXICAL;
    int rc = mode == KN_LEXICAL    ? lexical(b, query, k, &f, h, &got)
             : mode == KN_SEMANTIC ? semantic(b, qvec, k, &f, h, &got)
                                   : hybrid(b, query, qvec, k, &f, h, &got);
    if (rc) {
        free(h);
        return fg_failf(eb, rc, "search failed: %s", fg_strerror(rc));
    }
    for (size_t i = 0; i < got; i++)
        hits[i] = (kn_hit){b->slots[h[i].doc], h[i].score};
    *n = got;
    free(h);
    return 0;
}

json_t *fg__kn_location(const kn_chunk *c, bool pascal)
{
    if (strcmp(c->source_type, "WEB") == 0)
        return pascal ? json_pack("{s:s,s:{s:s}}", "Type", "WEB", "WebLocation", "Url", c->source)
                      : json_pack("{s:s,s:{s:s}}", "type", "WEB", "webLocation", "url", c->source);
    if (strncmp(c->source, "s3://", 5) == 0)
        return pascal ? json_pack("{s:s,s:{s:s}}", "Type", "S3", "S3Location", "Uri", c->source)
                      : json_pack("{s:s,s:{s:s}}", "type", "S3", "s3Location", "uri", c->source);
    return pascal ? json_pack("{s:s,s:{s:s}}", "Type", "CUSTOM", "CustomDocumentLocation", "Id",
                              c->source)
                  : json_pack("{s:s,s:{s:s}}", "type", "CUSTOM", "customDocumentLocation", "id",
                              c->source);
}

typedef kn_query query;

static int check_query(const fg_knowledge *kn, query *q, fg_errbuf *eb)
{
    if (!q->text || !*q->text)
        return fg_failf(eb, FG_EINVAL, "the query text is required");
    if (strlen(q->text) > MAX_QUERY_BYTES)
        return fg_failf(eb, FG_EINVAL, "the query text is longer than %d bytes", MAX_QUERY_BYTES);
    if (q->k < 1)
        return fg_failf(eb, FG_EINVAL, "numberOfResults must be at least 1");
    if (q->k > kn->limits.max_results)
        q->k = kn->limits.max_results;
    return q->filter ? fg__kn_filter_check(q->filter, eb) : 0;
}

typedef json_t *(*render_fn)(const kn_hit *h, bool pascal);

/* The query's embedding when the base has an embedding model and the mode
 * wants one; computed with no lock held (it is a call to the model). */
static int query_vector(fg_knowledge *kn, const char *account, const char *base, query *q,
                        float **qvec, fg_errbuf *eb)
{
    *qvec = NULL;
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    char model[256], prefix[64];
    snprintf(model, sizeof model, "%s", fg__kn_base_semantic(b) ? b->embedding_model : "");
    snprintf(prefix, sizeof prefix, "%s", b->query_prefix);
    fg__kn_unlock_bases(kn);
    if (!model[0] || q->mode == KN_LEXICAL)
        return 0;
    if (!kn->llm)
        return q->mode == KN_SEMANTIC
                   ? fg_failf(eb, FG_EUNSUPPORTED, "semantic search needs the gateway (flowgate serve)")
                   : 0;
    size_t dim = 0;
    char *text = NULL;
    if (asprintf(&text, "%s%s", prefix, q->text) < 0)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    const char *texts[1] = {text};
    int rc = fg_llm_embed(kn->llm, "knowledge", model, texts, 1, qvec, &dim, eb);
    free(text);
    if (!rc && (dim == 0 || !fg_kb_normalize(*qvec, dim))) {
        free(*qvec);
        *qvec = NULL;
    }
    q->dim = dim;
    return rc;
}

static int run(fg_knowledge *kn, const char *account, const char *base, query *q, render_fn render,
               bool pascal, json_t *list, fg_errbuf *eb)
{
    float *qvec = NULL;
    int rc = check_query(kn, q, eb);
    if (!rc)
        rc = query_vector(kn, account, base, q, &qvec, eb);
    if (rc)
        return rc;
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b) {
        free(qvec);
        return FG_ENOTFOUND;
    }
    kn_hit *hits = calloc(q->k, sizeof *hits);
    size_t n = 0;
    pthread_rwlock_rdlock(&b->lock);
    if (qvec && b->vecs && fg_kb_vectors_dim(b->vecs) != q->dim)
        rc = fg_failf(eb, FG_EINVAL, "the query embedding has %zu dimensions, the base's %zu",
                      q->dim, fg_kb_vectors_dim(b->vecs));
    else
        rc = hits ? fg__kn_search_base(b, q->text, qvec, q->mode, q->k, q->filter, hits, &n, eb)
                  : fg_failf(eb, FG_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        json_array_append_new(list, render(&hits[i], pascal));
    pthread_rwlock_unlock(&b->lock);
    fg__kn_unlock_bases(kn);
    free(hits);
    free(qvec);
    return rc;
}

static json_t *render_own(const kn_hit *h, bool pascal)
{
    (void)pascal;
    const kn_chunk *c = h->chunk;
    json_t *r = json_pack("{s:s,s:s,s:i,s:s,s:f,s:s,s:s,s:s,s:O,s:o}", "chunkId", c->id,
                          "documentId", c->doc_id, "position", c->position, "text", c->text,
                          "score", (double)h->score, "source", c->source, "sourceType",
                          c->source_type, "headingPath", c->heading, "metadata", c->metadata,
                          "location", fg__kn_location(c, false));
    if (c->title)
        json_object_set_new(r, "title", json_string(c->title));
    return r;
}

int fg_knowledge_search(fg_knowledge *kn, const char *account, const char *base,
                        const json_t *request, json_t **out, fg_errbuf *eb)
{
    if (!json_is_object(request))
        return fg_failf(eb, FG_EINVAL, "the body must be a JSON object");
    const json_t *k = json_object_get(request, "numberOfResults");
    if (k && !json_is_integer(k))
        return fg_failf(eb, FG_EINVAL, "numberOfResults must be an integer");
    query q = {fg_json_str(request, "query", NULL),
               k ? (size_t)(json_integer_value(k) < 0 ? 0 : json_integer_value(k)) : 10,
               json_object_get(request, "filter"), KN_HYBRID, 0};
    const char *mode = fg_json_str(request, "mode", "hybrid");
    if (strcmp(mode, "bm25") == 0)
        q.mode = KN_LEXICAL;
    else if (strcmp(mode, "vector") == 0)
        q.mode = KN_SEMANTIC;
    else if (strcmp(mode, "hybrid") != 0)
        return fg_failf(eb, FG_EINVAL, "mode must be bm25, vector or hybrid");
    json_t *list = json_array();
    int rc = run(kn, account, base, &q, render_own, false, list, eb);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o}", "results", list);
    return 0;
}

static json_t *render_bedrock(const kn_hit *h, bool pascal)
{
    const kn_chunk *c = h->chunk;
    if (pascal)
        return json_pack("{s:{s:s,s:s},s:o,s:f,s:O}", "Content", "Text", c->text, "Type", "TEXT",
                         "Location", fg__kn_location(c, true), "Score", (double)h->score,
                         "Metadata", c->metadata);
    return json_pack("{s:{s:s,s:s},s:o,s:f,s:O}", "content", "text", c->text, "type", "TEXT",
                     "location", fg__kn_location(c, false), "score", (double)h->score, "metadata",
                     c->metadata);
}

int fg__kn_parse_retrieve(const json_t *r, kn_query *q, fg_errbuf *eb)
{
    if (!json_is_object(r))
        return fg_failf(eb, FG_EINVAL, "the body must be a JSON object");
    const json_t *rq = json_object_get(r, "retrievalQuery");
    const json_t *text = json_object_get(rq, "text");
    if (!json_is_string(text))
        return fg_failf(eb, FG_EINVAL, "retrievalQuery.text is required");
    q->text = json_string_value(text);
    const json_t *rc = json_object_get(r, "retrievalConfiguration");
    const json_t *vs = json_object_get(rc, "vectorSearchConfiguration");
    if ((rc && !json_is_object(rc)) || (vs && !json_is_object(vs)))
        return fg_failf(eb, FG_EINVAL,
                        "retrievalConfiguration.vectorSearchConfiguration must be an object");
    const json_t *k = json_object_get(vs, "numberOfResults");
    if (k && !json_is_integer(k))
        return fg_failf(eb, FG_EINVAL,
                        "retrievalConfiguration.vectorSearchConfiguration.numberOfResults must be "
                        "an integer");
    q->k = k ? (size_t)(json_integer_value(k) < 0 ? 0 : json_integer_value(k)) : DEFAULT_RESULTS;
    const char *type = fg_json_str(vs, "overrideSearchType", "HYBRID");
    if (strcmp(type, "HYBRID") != 0 && strcmp(type, "SEMANTIC") != 0)
        return fg_failf(eb, FG_EINVAL, "overrideSearchType must be HYBRID or SEMANTIC");
    q->mode = strcmp(type, "SEMANTIC") == 0 ? KN_SEMANTIC : KN_HYBRID;
    q->filter = json_object_get(vs, "filter");
    return 0;
}

int fg_knowledge_retrieve(fg_knowledge *kn, const char *account, const char *base,
                          const json_t *request, bool pascal, json_t **out, fg_errbuf *eb)
{
    json_t *req = pascal ? fg__kn_camelize(request) : json_incref((json_t *)request);
    query q = {0};
    int rc = fg__kn_parse_retrieve(req, &q, eb);
    json_t *list = json_array();
    if (!rc)
        rc = run(kn, account, base, &q, render_bedrock, pascal, list, eb);
    json_decref(req);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o}", pascal ? "RetrievalResults" : "retrievalResults", list);
    return 0;
}
