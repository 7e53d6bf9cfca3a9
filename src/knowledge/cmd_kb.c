/* flowgate kb create|list|ingest|search|documents|delete: the knowledge
 * service on the data folder's store, without a server. Ingestion runs the
 * job on this thread with a progress bar on standard error. A running server
 * does not see bases changed here until it restarts: use the HTTP API then. */
#include "knowledge/commands.h"
#include "knowledge/knowledge.h"

#include "cli/args.h"
#include "core/json.h"
#include "core/log.h"
#include "llm/llm.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct env {
    const char *config, *data, *account;
    fg_config *cfg;
    fg_store *store;
    fg_llm *llm;
    fg_knowledge *kn;
} env;

#define COMMON_OPTS(e)                                                                             \
    {"config", FG_OPT_STR, &(e).config, "FILE", "configuration file (YAML)"},                     \
        {"data", FG_OPT_STR, &(e).data, "DIR", "data folder (default: the configuration's)"},      \
        {"account", FG_OPT_STR, &(e).account, "ID", "account (default \"default\")"}

static void env_close(env *e)
{
    fg_knowledge_free(e->kn);
    fg_llm_free(e->llm);
    fg_store_close(e->store);
    fg_config_free(e->cfg);
}

static int env_open(env *e, const char *cmd)
{
    fg_log_set_level(FG_LOG_WARN);
    fg_buf problems;
    fg_buf_init(&problems, 1 << 20);
    if (fg_config_load(e->config, &e->cfg, &problems)) {
        fprintf(stderr, "%s", problems.data ? problems.data : "");
        fg_buf_free(&problems);
        return 1;
    }
    fg_buf_free(&problems);
    if (e->data)
        fg_config_set(e->cfg, "data_dir", json_string(e->data));
    if (!e->account)
        e->account = "default";
    const char *dir = fg_config_str(e->cfg, "data_dir");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "kb %s: cannot create %s: %s\n", cmd, dir, strerror(errno));
        return 1;
    }
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    /* the gateway, for bases that embed their chunks */
    if (fg_store_open(url, &e->store, &eb) || fg_llm_create(e->cfg, e->store, &e->llm, &eb) ||
        fg_knowledge_create(e->cfg, e->store, e->llm, NULL, &e->kn, &eb)) {
        fprintf(stderr, "kb %s: %s\n", cmd, eb.msg);
        return 1;
    }
    return 0;
}

static int print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s ? s : "null");
    free(s);
    json_decref(v);
    return 0;
}

static int fail(const char *cmd, const fg_errbuf *eb, env *e)
{
    fprintf(stderr, "kb %s: %s\n", cmd, eb->msg);
    env_close(e);
    return 1;
}

int fg_knowledge_cmd_create(int argc, char **argv)
{
    env e = {0};
    const char *description = "", *model = "none";
    long chunk = 0;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"description", FG_OPT_STR, &description, "TEXT", "what the base holds"},
        {"chunk-tokens", FG_OPT_INT, &chunk, "N", "chunk size in tokens (default 300)"},
        {"embedding-model", FG_OPT_STR, &model, "MODEL", "embed chunks with this gateway model (default none: lexical)"},
        {0},
    };
    const fg_cli cli = {.usage = "flowgate kb create NAME [--description TEXT]",
                        .summary = "Creates a knowledge base and prints it as JSON.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (env_open(&e, "create"))
        return 1;
    json_t *spec = json_pack("{s:s,s:s,s:s}", "name", argv[1], "description", description,
                             "embeddingModel", model), *out = NULL;
    if (chunk > 0)
        json_object_set_new(spec, "chunking", json_pack("{s:I,s:I}", "maxTokens", (json_int_t)chunk,
                                                        "overlapTokens", (json_int_t)(chunk / 6)));
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    rc = fg_knowledge_base_create(e.kn, e.account, spec, &out, &eb);
    json_decref(spec);
    if (rc)
        return fail("create", &eb, &e);
    print_json(out);
    env_close(&e);
    return 0;
}

int fg_knowledge_cmd_list(int argc, char **argv)
{
    env e = {0};
    const fg_opt opts[] = {COMMON_OPTS(e), {0}};
    const fg_cli cli = {.usage = "flowgate kb list", .summary = "Lists the account's knowledge bases.",
                        .opts = opts, .max_positional = 0};
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (env_open(&e, "list"))
        return 1;
    json_t *out = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_knowledge_base_list(e.kn, e.account, &out, &eb))
        return fail("list", &eb, &e);
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(out, "knowledgeBases"), i, b)
        printf("%s\t%s\t%lld chunks\t%s\n", fg_json_str(b, "knowledgeBaseId", ""),
               fg_json_str(b, "name", ""),
               (long long)json_integer_value(json_object_get(b, "chunkCount")),
               fg_json_str(b, "description", ""));
    json_decref(out);
    env_close(&e);
    return 0;
}

/* ---- ingest -------------------------------------------------------------------- */

static void add_file(json_t *docs, const char *path)
{
    const char *slash = strrchr(path, '/');
    json_array_append_new(docs, json_pack("{s:s,s:s}", "name", slash ? slash + 1 : path, "path", path));
}

static int add_path(json_t *docs, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "kb ingest: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_file(docs, path);
        return 0;
    }
    if (depth > 16)
        return 0;
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "kb ingest: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) < (int)sizeof sub)
            rc = add_path(docs, sub, depth + 1);
    }
    closedir(d);
    return rc;
}

static void progress_bar(const char *job, long done, long total, void *ud)
{
    (void)job;
    (void)ud;
    if (!isatty(STDERR_FILENO))
        return;
    int width = 40, fill = total > 0 ? (int)(width * done / total) : 0;
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld documents", fill, "########################################",
            width - fill, "", done, total);
    if (done >= total)
        fputc('\n', stderr);
}

static json_t *ingest_sources(int npos, char **argv, const char *crawl)
{
    json_t *docs = json_array(), *urls = json_array();
    for (int i = 2; i <= npos; i++) {
        if (strncmp(argv[i], "http://", 7) == 0 || strncmp(argv[i], "https://", 8) == 0)
            json_array_append_new(urls, json_string(argv[i]));
        else if (add_path(docs, argv[i], 0) != 0) {
            json_decref(docs);
            json_decref(urls);
            return NULL;
        }
    }
    json_t *s = json_pack("{s:o,s:o}", "documents", docs, "urls", urls);
    if (crawl) {
        json_error_t err;
        json_t *c = json_load_file(crawl, 0, &err);
        if (!json_is_object(c)) {
            fprintf(stderr, "kb ingest: %s:%d: %s\n", crawl, err.line, c ? "not an object" : err.text);
            json_decref(c);
            json_decref(s);
            return NULL;
        }
        json_object_set_new(s, "crawl", c);
    }
    return s;
}

static int report_job(fg_knowledge *kn, const char *account, const char *base, const char *job)
{
    json_t *j = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_knowledge_job_get(kn, account, base, job, &j, &eb) != 0) {
        fprintf(stderr, "kb ingest: %s\n", eb.msg);
        return 1;
    }
    long failed = (long)json_integer_value(json_object_get(j, "failed"));
    printf("job %s: %s, %lld documents, %ld failed\n", job, fg_json_str(j, "status", ""),
           (long long)json_integer_value(json_object_get(j, "done")), failed);
    size_t i;
    json_t *err;
    json_array_foreach(json_object_get(j, "errors"), i, err)
        printf("  %s: %s\n", fg_json_str(err, "source", ""), fg_json_str(err, "message", ""));
    json_decref(j);
    return failed ? 3 : 0;
}

int fg_knowledge_cmd_ingest(int argc, char **argv)
{
    env e = {0};
    const char *crawl = NULL;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"crawl", FG_OPT_STR, &crawl, "CONFIG", "crawl with these crawler options (JSON file)"},
        {0},
    };
    const fg_cli cli = {
        .usage = "flowgate kb ingest BASE [PATH|URL]... [--crawl CONFIG.json]",
        .summary = "Ingests files (text, Markdown, HTML, PDF; folders recursively), URLs and\n"
                   "crawls into a knowledge base. Exit status 3 when some documents failed.",
        .opts = opts, .min_positional = 1, .max_positional = 100000};
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (npos < 2 && !crawl) {
        fprintf(stderr, "kb ingest: give files, URLs or --crawl\n");
        return 2;
    }
    if (env_open(&e, "ingest"))
        return 1;
    json_t *sources = ingest_sources(npos, argv, crawl), *job = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (!sources) {
        env_close(&e);
        return 1;
    }
    rc = fg_knowledge_job_start(e.kn, e.account, argv[1], sources, true, &job, &eb);
    json_decref(sources);
    if (rc)
        return fail("ingest", &eb, &e);
    char id[64];
    snprintf(id, sizeof id, "%s", fg_json_str(job, "jobId", ""));
    json_decref(job);
    fg_knowledge_run_jobs(e.kn, progress_bar, NULL);
    rc = report_job(e.kn, e.account, argv[1], id);
    env_close(&e);
    return rc;
}

int fg_knowledge_cmd_search(int argc, char **argv)
{
    env e = {0};
    long k = 5;
    bool as_json = false;
    const char *mode = "hybrid";
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"k", FG_OPT_INT, &k, "N", "results (default 5)"},
        {"json", FG_OPT_FLAG, &as_json, NULL, "print the results as JSON"},
        {"mode", FG_OPT_STR, &mode, "MODE", "bm25, vector or hybrid (default; bm25 on a base without embeddings)"},
        {0},
    };
    const fg_cli cli = {.usage = "flowgate kb search BASE QUERY [-k N] [--json]",
                        .summary = "Searches a knowledge base (BM25) and prints the best chunks.",
                        .opts = opts, .min_positional = 2, .max_positional = 2};
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (env_open(&e, "search"))
        return 1;
    json_t *q = json_pack("{s:s,s:I,s:s}", "query", argv[2], "numberOfResults", (json_int_t)k,
                          "mode", mode), *out = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    rc = fg_knowledge_search(e.kn, e.account, argv[1], q, &out, &eb);
    json_decref(q);
    if (rc)
        return fail("search", &eb, &e);
    if (as_json)
        print_json(out);
    else {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(out, "results"), i, r)
            printf("%zu. %.3f %s%s%s\n   %.300s\n", i + 1, json_number_value(json_object_get(r, "score")),
                   fg_json_str(r, "source", ""), *fg_json_str(r, "headingPath", "") ? " > " : "",
                   fg_json_str(r, "headingPath", ""), fg_json_str(r, "text", ""));
        json_decref(out);
    }
    env_close(&e);
    return 0;
}

int fg_knowledge_cmd_documents(int argc, char **argv)
{
    env e = {0};
    const fg_opt opts[] = {COMMON_OPTS(e), {0}};
    const fg_cli cli = {.usage = "flowgate kb documents BASE",
                        .summary = "Lists a base's documents: status, chunks, source, error.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (env_open(&e, "documents"))
        return 1;
    json_t *out = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_knowledge_documents(e.kn, e.account, argv[1], &out, &eb))
        return fail("documents", &eb, &e);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(out, "documents"), i, d)
        printf("%s\t%s\t%lld chunks\t%s%s%s\n", fg_json_str(d, "documentId", ""),
               fg_json_str(d, "status", ""),
               (long long)json_integer_value(json_object_get(d, "chunkCount")),
               fg_json_str(d, "source", ""), fg_json_str(d, "error", NULL) ? "\t" : "",
               fg_json_str(d, "error", ""));
    json_decref(out);
    env_close(&e);
    return 0;
}

int fg_knowledge_cmd_delete(int argc, char **argv)
{
    env e = {0};
    const fg_opt opts[] = {COMMON_OPTS(e), {0}};
    const fg_cli cli = {.usage = "flowgate kb delete BASE [DOCUMENT]",
                        .summary = "Deletes a knowledge base, or one document (id or source) of it.",
                        .opts = opts, .min_positional = 1, .max_positional = 2};
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (env_open(&e, "delete"))
        return 1;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    rc = npos == 2 ? fg_knowledge_document_delete(e.kn, e.account, argv[1], argv[2], &eb)
                   : fg_knowledge_base_delete(e.kn, e.account, argv[1], &eb);
    if (rc)
        return fail("delete", &eb, &e);
    printf("deleted %s\n", npos == 2 ? argv[2] : argv[1]);
    env_close(&e);
    return 0;
}
