/* See service_engine.h. Documents are named by their BEIR id; a query's chunk
 * hits are folded into document hits (the best chunk counts), as a RAG caller
 * would see documents. */
#include "service_engine.h"

#include "config/config.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "knowledge/knowledge.h"
#include "llm/llm.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct service_engine {
    char dir[64];
    fg_config *cfg;
    fg_store *store;
    fg_llm *llm;
    fg_knowledge *kn;
    char mode[16];
    json_t *docs;
    json_t *last; /* keeps the last results' strings alive */
    double load_ms;
};

static int open_kn(service_engine *s, fg_errbuf *eb)
{
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", s->dir);
    int rc = fg_store_open(url, &s->store, eb);
    if (!rc && !s->llm)
        rc = fg_llm_create(s->cfg, s->store, &s->llm, eb);
    return rc ? rc : fg_knowledge_create(s->cfg, s->store, s->llm, NULL, &s->kn, eb);
}

service_engine *service_engine_open(const char *model, const char *mode)
{
    service_engine *s = calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/fg-bench-kn-XXXXXX");
    snprintf(s->mode, sizeof s->mode, "%s", mode);
    static const char yaml[] = "knowledge:\n  max_results: 1000\n  max_job_documents: 1000000\n"
                               "  embedding_batch: 64\n"
                               "log:\n  level: warn\n"
                               "providers:\n  - name: m\n    type: mock\n"
                               "models:\n  - name: hash-embed\n    deployments: [{ provider: m }]\n";
    fg_buf problems;
    fg_buf_init(&problems, 0);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (!mkdtemp(s->dir) || fg_config_load_text("bench", yaml, sizeof yaml - 1, &s->cfg, &problems) ||
        open_kn(s, &eb)) {
        fprintf(stderr, "service engine: %s%s\n", eb.msg, problems.data ? problems.data : "");
        fg_buf_free(&problems);
        return NULL;
    }
    fg_buf_free(&problems);
    json_t *spec = json_pack("{s:s,s:s}", "name", "scifact", "embeddingModel", model ? model : "none"),
           *out = NULL;
    fg_knowledge_base_create(s->kn, "bench", spec, &out, &eb);
    json_decref(spec);
    json_decref(out);
    s->docs = json_array();
    return s;
}

void service_engine_close(service_engine *s)
{
    if (!s)
        return;
    fg_knowledge_free(s->kn);
    fg_llm_free(s->llm);
    fg_store_close(s->store);
    fg_config_free(s->cfg);
    json_decref(s->docs);
    json_decref(s->last);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
    free(s);
}

double service_engine_load_ms(const service_engine *s) { return s->load_ms; }

static int se_add(void *ctx, const char *id, const char *text, size_t len, fg_errbuf *eb)
{
    service_engine *s = ctx;
    (void)eb;
    json_t *d = json_pack("{s:s,s:s%,s:s}", "name", id, "content", text, len, "contentType", "text/plain");
    return d ? json_array_append_new(s->docs, d) : FG_ENOMEM;
}

static int se_commit(void *ctx, fg_errbuf *eb)
{
    service_engine *s = ctx;
    json_t *sources = json_pack("{s:O}", "documents", s->docs), *job = NULL;
    int rc = fg_knowledge_job_start(s->kn, "bench", "scifact", sources, false, &job, eb);
    json_decref(sources);
    json_decref(job);
    if (rc)
        return rc;
    fg_knowledge_run_jobs(s->kn, NULL, NULL);
    json_decref(s->docs);
    s->docs = json_array();
    /* reopen: the time a server start spends loading this base */
    fg_knowledge_free(s->kn);
    fg_store_close(s->store);
    s->kn = NULL;
    s->store = NULL;
    uint64_t t0 = fg_clock_mono_ns();
    rc = open_kn(s, eb);
    s->load_ms = (double)(fg_clock_mono_ns() - t0) / 1e6;
    return rc;
}

static int se_search(void *ctx, const char *query, size_t k, fg_kb_ranked *out, size_t *n,
                     fg_errbuf *eb)
{
    service_engine *s = ctx;
    json_t *req = json_pack("{s:s,s:I,s:s}", "query", query, "numberOfResults", (json_int_t)k,
                            "mode", s->mode), *res = NULL;
    int rc = fg_knowledge_search(s->kn, "bench", "scifact", req, &res, eb);
    json_decref(req);
    if (rc)
        return rc;
    json_decref(s->last);
    s->last = res;
    size_t got = 0, i;
    json_t *r;
    json_array_foreach(json_object_get(res, "results"), i, r) {
        const char *src = fg_json_str(r, "source", "");
        bool seen = false;
        for (size_t j = 0; j < got && !seen; j++)
            seen = strcmp(out[j].doc, src) == 0;
        if (!seen && got < k)
            out[got++] = (fg_kb_ranked){src, (float)json_number_value(json_object_get(r, "score"))};
    }
    *n = got;
    return 0;
}

void service_engine_bind(service_engine *s, fg_kb_engine *e)
{
    *e = (fg_kb_engine){s, se_add, se_commit, se_search};
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int service_engine_latency(service_engine *s, const char *queries_path, size_t nq, size_t k,
                           double *p50, double *p99)
{
    FILE *f = fopen(queries_path, "r");
    if (!f)
        return -1;
    double *t = calloc(nq, sizeof *t);
    char line[65536];
    size_t n = 0;
    while (n < nq && fgets(line, sizeof line, f)) {
        json_t *q = json_loads(line, 0, NULL);
        const char *text = fg_json_str(q, "text", NULL);
        if (text) {
            json_t *req = json_pack("{s:s,s:I,s:s}", "query", text, "numberOfResults",
                                    (json_int_t)k, "mode", s->mode), *res = NULL;
            fg_errbuf eb;
            fg_errbuf_clear(&eb);
            uint64_t t0 = fg_clock_mono_ns();
            int rc = fg_knowledge_search(s->kn, "bench", "scifact", req, &res, &eb);
            t[n++] = (double)(fg_clock_mono_ns() - t0) / 1e3;
            json_decref(req);
            json_decref(res);
            if (rc)
                fprintf(stderr, "search: %s\n", eb.msg);
        }
        json_decref(q);
    }
    fclose(f);
    qsort(t, n, sizeof *t, cmp_double);
    *p50 = n ? t[n / 2] : 0;
    *p99 = n ? t[n * 99 / 100] : 0;
    free(t);
    return n ? 0 : -1;
}
