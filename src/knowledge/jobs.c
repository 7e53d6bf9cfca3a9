/* Ingestion jobs: queued in the store (so a restart runs them again), taken
 * one at a time by the ingestion thread (or by the CLI on its own thread),
 * with progress and per-document errors written as they happen. */
#include "knowledge/kn_int.h"

#include "core/base64.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "kb/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation -------------------------------------------------------------- */

static int check_document(const json_t *d, size_t i, bool allow_paths, fg_errbuf *eb)
{
    if (!json_is_object(d) || !json_is_string(json_object_get(d, "name")))
        return fg_failf(eb, FG_EINVAL, "documents[%zu]: an object with a name is required", i);
    int n = json_is_string(json_object_get(d, "content")) +
            json_is_string(json_object_get(d, "contentBase64")) +
            json_is_string(json_object_get(d, "path"));
    if (n != 1)
        return fg_failf(eb, FG_EINVAL,
                        "documents[%zu]: exactly one of content or contentBase64 is required", i);
    if (json_object_get(d, "path") && !allow_paths)
        return fg_failf(eb, FG_EINVAL, "documents[%zu].path: local files are not accepted here", i);
    const json_t *ct = json_object_get(d, "contentType"), *m = json_object_get(d, "metadata");
    if ((ct && !json_is_string(ct)) || (m && !json_is_object(m)))
        return fg_failf(eb, FG_EINVAL,
                        "documents[%zu]: contentType must be a string and metadata an object", i);
    return 0;
}

static int check_url(const json_t *u, size_t i, fg_errbuf *eb)
{
    const char *url = json_is_string(u) ? json_string_value(u) : fg_json_str(u, "url", NULL);
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > 2000)
        return fg_failf(eb, FG_EINVAL, "urls[%zu]: an http or https URL is required", i);
    const json_t *m = json_is_object(u) ? json_object_get(u, "metadata") : NULL;
    if (m && !json_is_object(m))
        return fg_failf(eb, FG_EINVAL, "urls[%zu].metadata must be an object", i);
    return 0;
}

static int check_sources(const fg_knowledge *kn, const json_t *s, bool allow_paths, size_t *total,
                         fg_errbuf *eb)
{
    if (!json_is_object(s))
        return fg_failf(eb, FG_EINVAL, "the body must be a JSON object");
    const json_t *docs = json_object_get(s, "documents"), *urls = json_object_get(s, "urls"),
                 *crawl = json_object_get(s, "crawl");
    if ((docs && !json_is_array(docs)) || (urls && !json_is_array(urls)) ||
        (crawl && !json_is_object(crawl)))
        return fg_failf(eb, FG_EINVAL,
                        "documents and urls must be arrays, crawl an object (crawler options)");
    size_t n = json_array_size(docs) + json_array_size(urls);
    if (n == 0 && !crawl)
        return fg_failf(eb, FG_EINVAL, "give documents, urls or crawl");
    if (n > kn->limits.max_job_documents)
        return fg_failf(eb, FG_ELIMIT, "%zu sources, more than knowledge.max_job_documents (%zu)",
                        n, kn->limits.max_job_documents);
    size_t i;
    const json_t *v;
    int rc = 0;
    json_array_foreach(docs, i, v) if (!rc) rc = check_document(v, i, allow_paths, eb);
    json_array_foreach(urls, i, v) if (!rc) rc = check_url(v, i, eb);
    *total = n;
    return rc;
}

/* ---- the job as JSON ------------------------------------------------------------ */

static json_t *job_json(const json_t *row)
{
    const char *errors = fg_json_str(row, "errors", "[]");
    json_t *e = json_loads(errors, 0, NULL);
    char created[40] = "", finished[40] = "";
    fg_clock_format_iso8601(json_integer_value(json_object_get(row, "created_ms")), created,
                            sizeof created);
    const json_t *f = json_object_get(row, "finished_ms");
    if (json_is_integer(f))
        fg_clock_format_iso8601(json_integer_value(f), finished, sizeof finished);
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:o,s:s}", "jobId", fg_json_str(row, "id", ""),
                          "knowledgeBaseId", fg_json_str(row, "base_id", ""), "status",
                          fg_json_str(row, "status", ""), "done",
                          json_integer_value(json_object_get(row, "done")), "total",
                          json_integer_value(json_object_get(row, "total")), "failed",
                          json_integer_value(json_object_get(row, "failed")), "errors",
                          e ? e : json_array(), "createdAt", created);
    if (finished[0])
        json_object_set_new(j, "finishedAt", json_string(finished));
    return j;
}

static int load_job(fg_knowledge *kn, const char *base_id, const char *job, json_t **out,
                    fg_errbuf *eb)
{
    json_t *rows = NULL;
    fg_sval p[2] = {kn_text(base_id), kn_text(job)};
    int rc = fg_store_query_json(kn->store,
                                 "SELECT id, base_id, status, done, total, failed, errors, "
                                 "created_ms, finished_ms FROM kb_jobs WHERE base_id = $1 AND "
                                 "($2 IS NULL OR id = $2) ORDER BY created_ms DESC LIMIT 100",
                                 p, 2, &rows, eb);
    if (rc)
        return rc;
    if (job && !json_array_size(rows)) {
        json_decref(rows);
        return fg_failf(eb, FG_ENOTFOUND, "no ingestion job %s", job);
    }
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) json_array_append_new(list, job_json(row));
    json_decref(rows);
    if (job) {
        *out = json_incref(json_array_get(list, 0));
        json_decref(list);
    } else
        *out = json_pack("{s:o}", "ingestionJobs", list);
    return 0;
}

int fg_knowledge_job_get(fg_knowledge *kn, const char *account, const char *base,
                         const char *job, json_t **out, fg_errbuf *eb)
{
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    char id[40];
    snprintf(id, sizeof id, "%s", b->id);
    fg__kn_unlock_bases(kn);
    return load_job(kn, id, job, out, eb);
}

int fg_knowledge_job_list(fg_knowledge *kn, const char *account, const char *base, json_t **out,
                          fg_errbuf *eb)
{
    return fg_knowledge_job_get(kn, account, base, NULL, out, eb);
}

int fg_knowledge_job_start(fg_knowledge *kn, const char *account, const char *base,
                           const json_t *sources, bool allow_paths, json_t **out, fg_errbuf *eb)
{
    size_t total = 0;
    int rc = check_sources(kn, sources, allow_paths, &total, eb);
    if (rc)
        return rc;
    kn_base *b = fg__kn_find_base(kn, account, base, eb);
    if (!b)
        return FG_ENOTFOUND;
    char id[37], base_id[40], acct[64];
    fg_rand_uuid(id);
    snprintf(base_id, sizeof base_id, "%s", b->id);
    snprintf(acct, sizeof acct, "%s", b->account);
    fg__kn_unlock_bases(kn);
    char *src = json_dumps(sources, JSON_COMPACT);
    fg_sval q[6] = {kn_text(id), kn_text(base_id), kn_text(acct), FG_SINT((int64_t)total),
                    FG_SINT(fg_clock_wall_ms()), kn_text(src)};
    rc = src ? fg_store_begin(kn->store, eb) : fg_failf(eb, FG_ENOMEM, "out of memory");
    if (!rc)
        rc = fg_store_exec(kn->store,
                           "INSERT INTO kb_jobs (id, base_id, account_id, status, total, created_ms) "
                           "VALUES ($1, $2, $3, 'queued', $4, $5)",
                           q, 5, NULL, eb);
    if (!rc) {
        fg_sval r[2] = {q[0], q[5]};
        rc = fg_store_exec(kn->store, "INSERT INTO kb_job_sources (job_id, sources) VALUES ($1, $2)",
                           r, 2, NULL, eb);
    }
    if (src && !rc)
        rc = fg_store_commit(kn->store, eb);
    else if (src)
        fg_store_rollback(kn->store);
    free(src);
    if (rc)
        return rc;
    pthread_mutex_lock(&kn->jmu);
    pthread_cond_signal(&kn->jcv);
    pthread_mutex_unlock(&kn->jmu);
    return load_job(kn, base_id, id, out, eb);
}

/* ---- running a job --------------------------------------------------------------- */

#define PROGRESS_MS 200

static void save_progress(kn_job_ctx *j)
{
    j->saved_ms = fg_clock_mono_ms();
    char *errors = json_dumps(j->errors, JSON_COMPACT);
    fg_sval p[5] = {kn_text(j->job_id), FG_SINT(j->done), FG_SINT(j->total), FG_SINT(j->failed),
                    kn_text(errors ? errors : "[]")};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store_exec(j->kn->store,
                  "UPDATE kb_jobs SET done = $2, total = $3, failed = $4, errors = $5 WHERE id = $1",
                  p, 5, NULL, &eb);
    free(errors);
}

void fg__kn_job_progress(kn_job_ctx *j)
{
    if (j->done >= j->total || fg_clock_mono_ms() - j->saved_ms >= PROGRESS_MS)
        save_progress(j);
    if (j->progress)
        j->progress(j->job_id, j->done, j->total, j->progress_ud);
}

static void ingest_document(kn_job_ctx *j, const json_t *d)
{
    const char *name = fg_json_str(d, "name", "document");
    const char *ct = fg_json_str(d, "contentType", NULL);
    const json_t *meta = json_object_get(d, "metadata");
    const char *text = fg_json_str(d, "content", NULL), *b64 = fg_json_str(d, "contentBase64", NULL),
               *path = fg_json_str(d, "path", NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (text) {
        fg__kn_ingest_bytes(j, name, "CUSTOM", name, ct, text, json_string_length(json_object_get(d, "content")),
                            NULL, NULL, meta);
        return;
    }
    char *data = NULL;
    size_t len = 0;
    if (b64) {
        fg_buf out;
        fg_buf_init(&out, j->kn->limits.max_document_bytes + 4);
        if (fg_base64_decode(&out, b64, strlen(b64)) != 0)
            fg_failf(&eb, FG_EPARSE, "contentBase64 is not valid base64 (or exceeds the size limit)");
        else
            data = fg_buf_detach(&out, &len);
        fg_buf_free(&out);
    } else
        data = fg_kb_read_file(path, j->kn->limits.max_document_bytes, &len, &eb);
    const char *source = path ? path : name;
    if (!data && eb.msg[0]) {
        kn_doc_in in = {.base_id = j->base_id, .source = source, .source_type = "CUSTOM",
                        .title = name, .metadata = meta};
        fg__kn_job_error(j, source, eb.msg);
        fg__kn_doc_failed(j->kn, &in, eb.msg);
        return;
    }
    fg__kn_ingest_bytes(j, source, path ? "FILE" : "CUSTOM", name, ct, data ? data : "", len,
                        NULL, NULL, meta);
    free(data);
}

bool fg__kn_stopping(fg_knowledge *kn)
{
    return __atomic_load_n(&kn->stopping, __ATOMIC_RELAXED);
}

static void run_sources(kn_job_ctx *j, const json_t *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(s, "documents"), i, v) {
        if (fg__kn_stopping(j->kn))
            return;
        ingest_document(j, v);
        j->done++;
        fg__kn_job_progress(j);
    }
    json_array_foreach(json_object_get(s, "urls"), i, v) {
        if (fg__kn_stopping(j->kn))
            return;
        const char *url = json_is_string(v) ? json_string_value(v) : fg_json_str(v, "url", "");
        fg__kn_ingest_url(j, url, json_is_object(v) ? json_object_get(v, "metadata") : NULL);
        j->done++;
        fg__kn_job_progress(j);
    }
    const json_t *crawl = json_object_get(s, "crawl");
    if (crawl && !fg__kn_stopping(j->kn))
        fg__kn_ingest_crawl(j, crawl);
}

/* Uploaded content is not kept once the job has run: its size stays. */
static char *strip_content(json_t *s)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(s, "documents"), i, d) {
        const json_t *c = json_object_get(d, "content");
        if (!c)
            c = json_object_get(d, "contentBase64");
        if (c)
            json_object_set_new(d, "contentLength", json_integer((json_int_t)json_string_length(c)));
        json_object_del(d, "content");
        json_object_del(d, "contentBase64");
    }
    return json_dumps(s, JSON_COMPACT);
}

static void finish_job(kn_job_ctx *j, json_t *sources)
{
    const char *status = j->failed && j->failed >= j->total ? "failed" : "complete";
    char *src = strip_content(sources);
    fg_sval p[3] = {kn_text(j->job_id), kn_text(status), FG_SINT(fg_clock_wall_ms())};
    fg_sval q[2] = {p[0], kn_text(src ? src : "{}")};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    save_progress(j);
    if (fg_store_exec(j->kn->store, "UPDATE kb_job_sources SET sources = $2 WHERE job_id = $1", q,
                      2, NULL, &eb) ||
        fg_store_exec(j->kn->store,
                      "UPDATE kb_jobs SET status = $2, finished_ms = $3 WHERE id = $1", p, 3, NULL,
                      &eb))
        fg_warn("knowledge: cannot finish job %s: %s", j->job_id, eb.msg);
    free(src);
}

typedef struct next_job {
    char id[40], base_id[40];
    json_t *sources;
    long total;
} next_job;

static int next_row(void *ud, int ncols, const char *const *names, const fg_sval *cols)
{
    (void)names;
    next_job *n = ud;
    if (ncols < 4 || cols[0].type != FG_SV_TEXT || cols[2].type != FG_SV_TEXT)
        return 1;
    snprintf(n->id, sizeof n->id, "%.*s", (int)cols[0].v.s.n, cols[0].v.s.p);
    snprintf(n->base_id, sizeof n->base_id, "%.*s", (int)cols[1].v.s.n, cols[1].v.s.p);
    n->sources = json_loadb(cols[2].v.s.p, cols[2].v.s.n, 0, NULL);
    n->total = (long)cols[3].v.i;
    return 1;
}

/* Takes the oldest queued job and marks it running. */
static bool claim(fg_knowledge *kn, next_job *n)
{
    memset(n, 0, sizeof *n);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_query(kn->store,
                       "SELECT j.id, j.base_id, s.sources, j.total FROM kb_jobs j JOIN "
                       "kb_job_sources s ON s.job_id = j.id WHERE j.status = 'queued' "
                       "ORDER BY j.created_ms LIMIT 1",
                       NULL, 0, next_row, n, &eb) || !n->id[0])
        return false;
    fg_sval p[1] = {kn_text(n->id)};
    int64_t changed = 0;
    /* another process (a server and the CLI on one store) may have taken it */
    if (fg_store_exec(kn->store, "UPDATE kb_jobs SET status = 'running' WHERE id = $1 AND "
                                 "status = 'queued'",
                      p, 1, &changed, &eb) || changed != 1) {
        json_decref(n->sources);
        return changed == 0 && !eb.code ? claim(kn, n) : false;
    }
    if (!n->sources) {
        fg_store_exec(kn->store, "UPDATE kb_jobs SET status = 'failed' WHERE id = $1", p, 1, NULL,
                      &eb);
        return claim(kn, n);
    }
    return true;
}

static void run_job(fg_knowledge *kn, next_job *n, fg_knowledge_progress_fn progress, void *ud)
{
    kn_job_ctx j = {.kn = kn, .job_id = n->id, .base_id = n->base_id, .total = n->total,
                    .errors = json_array(), .progress = progress, .progress_ud = ud};
    uint64_t t0 = fg_clock_mono_ns();
    run_sources(&j, n->sources);
    fg__kn_batch_flush(&j);
    free(j.pending);
    if (fg__kn_stopping(kn)) {
        /* the server is stopping: the job runs again at the next start */
        fg_sval p[1] = {kn_text(n->id)};
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        fg_store_exec(kn->store, "UPDATE kb_jobs SET status = 'queued' WHERE id = $1", p, 1, NULL, &eb);
        json_decref(j.errors);
        json_decref(n->sources);
        return;
    }
    finish_job(&j, n->sources);
    fg_info("knowledge: job %s done: %ld documents, %ld failed, %.0f ms", n->id, j.done, j.failed,
            (double)(fg_clock_mono_ns() - t0) / 1e6);
    json_decref(j.errors);
    json_decref(n->sources);
}

int fg_knowledge_run_jobs(fg_knowledge *kn, fg_knowledge_progress_fn progress, void *ud)
{
    next_job n;
    int count = 0;
    while (claim(kn, &n)) {
        run_job(kn, &n, progress, ud);
        count++;
    }
    return count;
}

static void *job_thread(void *arg)
{
    fg_knowledge *kn = arg;
    pthread_mutex_lock(&kn->jmu);
    while (!kn->stopping) {
        pthread_mutex_unlock(&kn->jmu);
        next_job n;
        bool got = claim(kn, &n);
        if (got)
            run_job(kn, &n, NULL, NULL);
        pthread_mutex_lock(&kn->jmu);
        if (!got && !kn->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 5;
            pthread_cond_timedwait(&kn->jcv, &kn->jmu, &ts);
        }
    }
    pthread_mutex_unlock(&kn->jmu);
    return NULL;
}

int fg_knowledge_start(fg_knowledge *kn, fg_errbuf *eb)
{
    fg_errbuf ignore;
    fg_errbuf_clear(&ignore);
    fg_store_exec(kn->store, "UPDATE kb_jobs SET status = 'queued' WHERE status = 'running'", NULL,
                  0, NULL, &ignore);
    if (pthread_create(&kn->thread, NULL, job_thread, kn) != 0)
        return fg_failf(eb, FG_EIO, "cannot start the ingestion thread");
    kn->thread_started = true;
    return 0;
}

void fg__kn_jobs_stop(fg_knowledge *kn)
{
    if (!kn->thread_started)
        return;
    pthread_mutex_lock(&kn->jmu);
    __atomic_store_n(&kn->stopping, true, __ATOMIC_RELAXED);
    pthread_cond_signal(&kn->jcv);
    pthread_mutex_unlock(&kn->jmu);
    pthread_join(kn->thread, NULL);
    kn->thread_started = false;
}
