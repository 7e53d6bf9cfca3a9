/* The knowledge service: opens every base of the store into memory, and the
 * base operations (create, get, list, delete) scoped by account. */
#include "knowledge/kn_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "fetch/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one analyzer per thread -------------------------------------------- */

static pthread_key_t analyzer_key;
static pthread_once_t analyzer_once = PTHREAD_ONCE_INIT;

static void analyzer_destroy(void *p) { fg_kb_analyzer_free(p); }
static void analyzer_key_init(void) { pthread_key_create(&analyzer_key, analyzer_destroy); }

fg_kb_analyzer *fg__kn_analyzer(void)
{
    pthread_once(&analyzer_once, analyzer_key_init);
    fg_kb_analyzer *an = pthread_getspecific(analyzer_key);
    if (!an) {
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        an = fg_kb_analyzer_new(NULL, &eb);
        pthread_setspecific(analyzer_key, an);
    }
    return an;
}

/* ---- bases in memory ------------------------------------------------------ */

static void read_settings(kn_base *b, const char *text)
{
    json_t *s = fg_json_object_or_empty(text, strlen(text));
    json_t *c = json_object_get(s, "chunking"), *m = json_object_get(s, "bm25");
    b->chunking.max_tokens = (size_t)fg_json_num(c, "maxTokens", (double)b->chunking.max_tokens);
    b->chunking.overlap_tokens =
        (size_t)fg_json_num(c, "overlapTokens", (double)b->chunking.overlap_tokens);
    b->bm25.k1 = (float)fg_json_num(m, "k1", b->bm25.k1);
    b->bm25.b = (float)fg_json_num(m, "b", b->bm25.b);
    json_t *e = json_object_get(s, "embeddingPrefixes");
    snprintf(b->query_prefix, sizeof b->query_prefix, "%s", fg_json_str(e, "query", ""));
    snprintf(b->document_prefix, sizeof b->document_prefix, "%s", fg_json_str(e, "document", ""));
    json_decref(s);
}

static json_t *settings_json(const kn_base *b)
{
    return json_pack("{s:{s:I,s:I},s:{s:f,s:f},s:{s:s,s:s}}", "chunking", "maxTokens",
                     (json_int_t)b->chunking.max_tokens, "overlapTokens",
                     (json_int_t)b->chunking.overlap_tokens, "bm25", "k1",
                     round((double)b->bm25.k1 * 1e4) / 1e4, "b", round((double)b->bm25.b * 1e4) / 1e4,
                     "embeddingPrefixes", "query", b->query_prefix, "document", b->document_prefix);
}

static int read_prefixes(kn_base *b, const json_t *e, fg_errbuf *eb)
{
    const json_t *q = json_object_get(e, "query"), *d = json_object_get(e, "document");
    if ((e && !json_is_object(e)) || (q && !json_is_string(q)) || (d && !json_is_string(d)) ||
        json_string_length(q) >= sizeof b->query_prefix ||
        json_string_length(d) >= sizeof b->document_prefix)
        return fg_failf(eb, FG_EINVAL,
                        "embeddingPrefixes: {query, document}, strings of at most 63 bytes");
    snprintf(b->query_prefix, sizeof b->query_prefix, "%s", q ? json_string_value(q) : "");
    snprintf(b->document_prefix, sizeof b->document_prefix, "%s", d ? json_string_value(d) : "");
    return 0;
}

json_t *fg__kn_base_json(const kn_base *b)
{
    char created[40], updated[40];
    fg_clock_format_iso8601(b->created_ms, created, sizeof created);
    fg_clock_format_iso8601(b->updated_ms, updated, sizeof updated);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "knowledgeBaseId", b->id, "name",
                          b->name, "description", b->description, "embeddingModel",
                          b->embedding_model, "accountId", b->account, "chunkCount",
                          (json_int_t)b->chunks, "createdAt", created, "updatedAt", updated);
    json_t *s = settings_json(b);
    json_object_update(j, s);
    json_decref(s);
    json_object_set_new(j, "status", json_string("ACTIVE"));
    return j;
}

static int add_base(fg_knowledge *kn, kn_base *b)
{
    if (kn->nbases == kn->cap) {
        size_t cap = kn->cap ? kn->cap * 2 : 16;
        kn_base **n = realloc(kn->bases, cap * sizeof *n);
        if (!n)
            return FG_ENOMEM;
        kn->bases = n;
        kn->cap = cap;
    }
    kn->bases[kn->nbases++] = b;
    return 0;
}

typedef struct open_ctx {
    fg_knowledge *kn;
    fg_errbuf *eb;
    int rc;
} open_ctx;

static const char *col_text(const fg_sval *v) { return v->type == FG_SV_TEXT ? v->v.s.p : ""; }

/* Columns: id, account_id, name, description, embedding_model, settings,
 * created_ms, updated_ms. */
static int open_row(void *ud, int ncols, const char *const *names, const fg_sval *cols)
{
    (void)names;
    open_ctx *o = ud;
    kn_base *b = ncols >= 8 ? fg__kn_base_new() : NULL;
    if (!b) {
        o->rc = fg_failf(o->eb, FG_ENOMEM, "out of memory opening knowledge bases");
        return 1;
    }
    snprintf(b->id, sizeof b->id, "%.*s", (int)cols[0].v.s.n, col_text(&cols[0]));
    snprintf(b->account, sizeof b->account, "%.*s", (int)cols[1].v.s.n, col_text(&cols[1]));
    b->name = strndup(col_text(&cols[2]), cols[2].v.s.n);
    b->description = strndup(col_text(&cols[3]), cols[3].v.s.n);
    b->embedding_model = strndup(col_text(&cols[4]), cols[4].v.s.n);
    char *settings = strndup(col_text(&cols[5]), cols[5].v.s.n);
    if (settings)
        read_settings(b, settings);
    free(settings);
    b->hnsw_min = o->kn->limits.hnsw_min_chunks;
    b->created_ms = cols[6].v.i;
    b->updated_ms = cols[7].v.i;
    if (!b->name || !b->description || !b->embedding_model || add_base(o->kn, b)) {
        fg__kn_base_free(b);
        o->rc = fg_failf(o->eb, FG_ENOMEM, "out of memory opening knowledge bases");
        return 1;
    }
    return 0;
}

static int open_bases(fg_knowledge *kn, fg_errbuf *eb)
{
    open_ctx o = {kn, eb, 0};
    int rc = fg_store_query(kn->store,
                            "SELECT id, account_id, name, description, embedding_model, settings, "
                            "created_ms, updated_ms FROM kb_bases ORDER BY created_ms",
                            NULL, 0, open_row, &o, eb);
    if (rc || o.rc)
        return rc ? rc : o.rc;
    uint64_t t0 = fg_clock_mono_ns();
    size_t chunks = 0;
    for (size_t i = 0; i < kn->nbases; i++) {
        if ((rc = fg__kn_base_load(kn, kn->bases[i], eb)) != 0)
            return rc;
        chunks += kn->bases[i]->chunks;
    }
    if (kn->nbases)
        fg_info("knowledge: %zu bases, %zu chunks loaded in %.0f ms", kn->nbases, chunks,
                (double)(fg_clock_mono_ns() - t0) / 1e6);
    return 0;
}

static void read_limits(fg_knowledge *kn)
{
    const fg_config *c = kn->cfg;
    kn->limits.max_document_bytes = (size_t)fg_config_int(c, "knowledge.max_document_bytes");
    kn->limits.max_job_documents = (size_t)fg_config_int(c, "knowledge.max_job_documents");
    kn->limits.max_chunks_per_document =
        (size_t)fg_config_int(c, "knowledge.max_chunks_per_document");
    kn->limits.url_timeout_ms = (long)fg_config_int(c, "knowledge.url_timeout_ms");
    kn->limits.max_results = (size_t)fg_config_int(c, "knowledge.max_results");
    kn->limits.embedding_batch = (size_t)fg_config_int(c, "knowledge.embedding_batch");
    kn->limits.hnsw_min_chunks = (size_t)fg_config_int(c, "knowledge.hnsw_min_chunks");
}

int fg_knowledge_create(const fg_config *cfg, fg_store *store, fg_llm *llm, fg_auth *auth,
                        fg_knowledge **out, fg_errbuf *eb)
{
    fg_knowledge *kn = calloc(1, sizeof *kn);
    if (!kn)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the knowledge service");
    kn->cfg = cfg;
    kn->store = store;
    kn->llm = llm;
    kn->auth = auth;
    read_limits(kn);
    pthread_rwlock_init(&kn->lock, NULL);
    pthread_mutex_init(&kn->jmu, NULL);
    pthread_cond_init(&kn->jcv, NULL);
    kn->policy = fg_fetch_policy_from_config(cfg, eb);
    int rc = kn->policy ? open_bases(kn, eb) : FG_EINVAL;
    if (rc) {
        fg_knowledge_free(kn);
        return rc;
    }
    *out = kn;
    return 0;
}

void fg_knowledge_free(fg_knowledge *kn)
{
    if (!kn)
        return;
    fg__kn_jobs_stop(kn);
    for (size_t i = 0; i < kn->nbases; i++)
        fg__kn_base_free(kn->bases[i]);
    free(kn->bases);
    fg_fetch_policy_free(kn->policy);
    pthread_rwlock_destroy(&kn->lock);
    pthread_mutex_destroy(&kn->jmu);
    pthread_cond_destroy(&kn->jcv);
    free(kn);
}

/* ---- lookups ---------------------------------------------------------------- */

static bool visible(const kn_base *b, const char *account)
{
    return !account || strcmp(b->account, account) == 0;
}

kn_base *fg__kn_find_base(fg_knowledge *kn, const char *account, const char *base, fg_errbuf *eb)
{
    pthread_rwlock_rdlock(&kn->lock);
    for (size_t i = 0; base && i < kn->nbases; i++)
        if (visible(kn->bases[i], account) && strcmp(kn->bases[i]->id, base) == 0)
            return kn->bases[i];
    for (size_t i = 0; base && i < kn->nbases; i++)
        if (visible(kn->bases[i], account) && strcmp(kn->bases[i]->name, base) == 0)
            return kn->bases[i];
    pthread_rwlock_unlock(&kn->lock);
    fg_failf(eb, FG_ENOTFOUND, "no knowledge base %s", base ? base : "(none)");
    return NULL;
}

void fg__kn_unlock_bases(fg_knowledge *kn) { pthread_rwlock_unlock(&kn->lock); }

int fg_knowledge_base_get(fg_knowledge *kn, const char *account, const char *base, json_t **out,
                          fg_errbuf *eb)
{
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    pthread_rwlock_rdlock(&b->lock);
    *out = fg__kn_base_json(b);
    pthread_rwlock_unlock(&b->lock);
    fg__kn_unlock_bases(kn);
    return 0;
}

int fg_knowledge_base_list(fg_knowledge *kn, const char *account, json_t **out, fg_errbuf *eb)
{
    (void)eb;
    json_t *list = json_array();
    pthread_rwlock_rdlock(&kn->lock);
    for (size_t i = 0; i < kn->nbases; i++)
        if (visible(kn->bases[i], account)) {
            pthread_rwlock_rdlock(&kn->bases[i]->lock);
            json_array_append_new(list, fg__kn_base_json(kn->bases[i]));
            pthread_rwlock_unlock(&kn->bases[i]->lock);
        }
    pthread_rwlock_unlock(&kn->lock);
    *out = json_pack("{s:o}", "knowledgeBases", list);
    return 0;
}

/* ---- create and delete ---------------------------------------------------- */

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
            c != '-' && c != '_' && c != '.' && c != ' ')
            return false;
    }
    return true;
}

static void new_base_id(char out[11])
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[10];
    fg_rand_bytes(r, sizeof r);
    for (int i = 0; i < 10; i++)
        out[i] = digits[r[i] % 36];
    out[10] = 0;
}

static int base_from_spec(fg_knowledge *kn, kn_base *b, const json_t *spec, fg_errbuf *eb)
{
    const char *name = fg_json_str(spec, "name", NULL);
    if (!name || !valid_name(name))
        return fg_failf(eb, FG_EINVAL,
                        "name: 1 to 100 letters, digits, spaces, '-', '_' or '.' required");
    const json_t *desc = json_object_get(spec, "description");
    if (desc && (!json_is_string(desc) || json_string_length(desc) > 2000))
        return fg_failf(eb, FG_EINVAL, "description: a string of at most 2000 characters");
    const json_t *em = json_object_get(spec, "embeddingModel");
    if (em && (!json_is_string(em) || json_string_length(em) == 0 || json_string_length(em) > 200))
        return fg_failf(eb, FG_EINVAL,
                        "embeddingModel: a model name of the gateway, or \"none\" for lexical "
                        "search only");
    const char *model = em ? json_string_value(em) : "none";
    b->chunking.max_tokens = (size_t)fg_config_int(kn->cfg, "knowledge.chunk_tokens");
    b->chunking.overlap_tokens = (size_t)fg_config_int(kn->cfg, "knowledge.chunk_overlap_tokens");
    const json_t *c = json_object_get(spec, "chunking"), *m = json_object_get(spec, "bm25");
    double mt = fg_json_num(c, "maxTokens", (double)b->chunking.max_tokens);
    double ot = fg_json_num(c, "overlapTokens", (double)b->chunking.overlap_tokens);
    if (mt < 16 || mt > 8192 || ot < 0 || ot >= mt)
        return fg_failf(eb, FG_EINVAL,
                        "chunking: maxTokens 16..8192 and overlapTokens 0..maxTokens-1");
    double k1 = fg_json_num(m, "k1", 1.2), bb = fg_json_num(m, "b", 0.75);
    if (k1 < 0 || k1 > 10 || bb < 0 || bb > 1)
        return fg_failf(eb, FG_EINVAL, "bm25: k1 0..10 and b 0..1");
    if (read_prefixes(b, json_object_get(spec, "embeddingPrefixes"), eb))
        return FG_EINVAL;
    b->chunking.max_tokens = (size_t)mt;
    b->chunking.overlap_tokens = (size_t)ot;
    b->bm25.k1 = (float)k1;
    b->bm25.b = (float)bb;
    b->name = strdup(name);
    b->description = strdup(desc ? json_string_value(desc) : "");
    b->embedding_model = strdup(model);
    if (!b->name || !b->description || !b->embedding_model)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    return 0;
}

static int insert_base(fg_knowledge *kn, kn_base *b, fg_errbuf *eb)
{
    json_t *s = settings_json(b);
    char *settings = json_dumps(s, JSON_COMPACT);
    json_decref(s);
    fg_sval p[8] = {kn_text(b->id),       kn_text(b->account),  kn_text(b->name),
                    kn_text(b->description), kn_text(b->embedding_model), kn_text(settings),
                    FG_SINT(b->created_ms),  FG_SINT(b->updated_ms)};
    int rc = fg_store_exec(kn->store,
                           "INSERT INTO kb_bases (id, account_id, name, description, "
                           "embedding_model, settings, created_ms, updated_ms) VALUES "
                           "($1, $2, $3, $4, $5, $6, $7, $8)",
                           p, 8, NULL, eb);
    free(settings);
    return rc;
}

static bool name_taken(fg_knowledge *kn, const char *account, const char *name)
{
    for (size_t i = 0; i < kn->nbases; i++)
        if (strcmp(kn->bases[i]->account, account) == 0 && strcmp(kn->bases[i]->name, name) == 0)
            return true;
    return false;
}

int fg_knowledge_base_create(fg_knowledge *kn, const char *account, const json_t *spec,
                             json_t **out, fg_errbuf *eb)
{
    if (!json_is_object(spec))
        return fg_failf(eb, FG_EINVAL, "the body must be a JSON object");
    kn_base *b = fg__kn_base_new();
    if (!b)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    int rc = base_from_spec(kn, b, spec, eb);
    if (rc) {
        fg__kn_base_free(b);
        return rc;
    }
    new_base_id(b->id);
    b->hnsw_min = kn->limits.hnsw_min_chunks;
    snprintf(b->account, sizeof b->account, "%s", account && *account ? account : "default");
    b->created_ms = b->updated_ms = fg_clock_wall_ms();
    pthread_rwlock_wrlock(&kn->lock);
    if (name_taken(kn, b->account, b->name))
        rc = fg_failf(eb, FG_EEXIST, "a knowledge base named %s exists already", b->name);
    else if (!(rc = insert_base(kn, b, eb)) && add_base(kn, b))
        rc = fg_failf(eb, FG_ENOMEM, "out of memory");
    if (!rc)
        *out = fg__kn_base_json(b);
    pthread_rwlock_unlock(&kn->lock);
    if (rc)
        fg__kn_base_free(b);
    return rc;
}

static int delete_rows(fg_knowledge *kn, const char *id, fg_errbuf *eb)
{
    static const char *const sql[] = {
        "DELETE FROM kb_embeddings WHERE base_id = $1", "DELETE FROM kb_chunks WHERE base_id = $1",
        "DELETE FROM kb_documents WHERE base_id = $1",
        "DELETE FROM kb_job_sources WHERE job_id IN (SELECT id FROM kb_jobs WHERE base_id = $1)",
        "DELETE FROM kb_jobs WHERE base_id = $1",
        "DELETE FROM kb_bases WHERE id = $1"};
    fg_sval p[1] = {kn_text(id)};
    int rc = fg_store_begin(kn->store, eb);
    for (size_t i = 0; !rc && i < FG_ARRAY_LEN(sql); i++)
        rc = fg_store_exec(kn->store, sql[i], p, 1, NULL, eb);
    if (rc) {
        fg_store_rollback(kn->store);
        return rc;
    }
    return fg_store_commit(kn->store, eb);
}

int fg_knowledge_base_delete(fg_knowledge *kn, const char *account, const char *base,
                             fg_errbuf *eb)
{
    pthread_rwlock_wrlock(&kn->lock);
    size_t i = 0;
    for (; i < kn->nbases; i++)
        if (visible(kn->bases[i], account) &&
            (strcmp(kn->bases[i]->id, base) == 0 || strcmp(kn->bases[i]->name, base) == 0))
            break;
    int rc = i == kn->nbases ? fg_failf(eb, FG_ENOTFOUND, "no knowledge base %s", base)
                             : delete_rows(kn, kn->bases[i]->id, eb);
    if (!rc) {
        fg__kn_base_free(kn->bases[i]);
        memmove(&kn->bases[i], &kn->bases[i + 1], (kn->nbases - i - 1) * sizeof *kn->bases);
        kn->nbases--;
    }
    pthread_rwlock_unlock(&kn->lock);
    return rc;
}
