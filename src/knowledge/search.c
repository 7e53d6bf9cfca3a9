/* Searching one base (BM25 over its chunks, metadata filters applied while
 * ranking) and the two answer shapes: flowgate's own and Bedrock's Retrieve
 * (camelCase for the API, PascalCase for the workflow task). */
#include "knowledge/kn_int.h"

#include "core/json.h"

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

int fg__kn_search_base(kn_base *b, const char *query, size_t k, const json_t *filter,
                       kn_hit *hits, size_t *n, fg_errbuf *eb)
{
    fg_kb_hit *h = calloc(k ? k : 1, sizeof *h);
    if (!h)
        return fg_failf(eb, FG_ENOMEM, "out of memory searching");
    filter_ctx f = {b, filter};
    size_t got = 0;
    int rc = fg_kb_bm25_search(b->ix, fg__kn_analyzer(), query, strlen(query), &b->bm25, k, keep,
                               &f, h, &got);
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
    if (q->k < 1 || q->k > kn->limits.max_results)
        return fg_failf(eb, FG_EINVAL, "numberOfResults must be 1 to %zu", kn->limits.max_results);
    return q->filter ? fg__kn_filter_check(q->filter, eb) : 0;
}

typedef json_t *(*render_fn)(const kn_hit *h, bool pascal);

static int run(fg_knowledge *kn, const char *account, const char *base, query *q, render_fn render,
               bool pascal, json_t *list, fg_errbuf *eb)
{
    int rc = check_query(kn, q, eb);
    if (rc)
        return rc;
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    kn_hit *hits = calloc(q->k, sizeof *hits);
    size_t n = 0;
    pthread_rwlock_rdlock(&b->lock);
    rc = hits ? fg__kn_search_base(b, q->text, q->k, q->filter, hits, &n, eb)
              : fg_failf(eb, FG_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        json_array_append_new(list, render(&hits[i], pascal));
    pthread_rwlock_unlock(&b->lock);
    fg__kn_unlock_bases(kn);
    free(hits);
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
               json_object_get(request, "filter")};
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
