/* flowgate cache import|stats|clear: the question-answer cache in the data
 * folder's store. A running server finds imported exact and normalised
 * entries on their first miss; semantic entries and clears take effect when
 * it restarts. */
#include "cache/cache.h"
#include "cache/import.h"

#include "cli/args.h"
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_BYTES (2ull << 30)
#define MAX_LISTED_INVALID 100

int fg_cache_cmd(int argc, char **argv);

typedef struct common_opts {
    const char *config, *data, *account;
} common_opts;

/* Opens the store and cache the way `flowgate serve` would with the same
 * --config and --data. */
static int open_cache(const common_opts *o, fg_config **cfg, fg_store **store, fg_cache **cache,
                      const char *cmd)
{
    fg_buf problems;
    fg_buf_init(&problems, 1 << 20);
    if (fg_config_load(o->config, cfg, &problems)) {
        fputs(problems.data ? problems.data : "", stderr);
        fg_buf_free(&problems);
        return -1;
    }
    fg_buf_free(&problems);
    /* A command only adds and counts: no HNSW graph to build. */
    fg_config_set(*cfg, "cache.hnsw_min_entries", json_integer(0));
    const char *dir = o->data ? o->data : fg_config_str(*cfg, "data_dir");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "flowgate cache %s: cannot create data folder %s: %s\n", cmd, dir, strerror(errno));
        return -1;
    }
    char url[PATH_MAX + 32];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_open(url, store, &eb) || fg_cache_open_configured(*cfg, *store, cache, &eb)) {
        fprintf(stderr, "flowgate cache %s: %s\n", cmd, eb.msg);
        return -1;
    }
    return 0;
}

static void close_cache(fg_config *cfg, fg_store *store, fg_cache *cache)
{
    fg_cache_free(cache);
    fg_store_close(store);
    fg_config_free(cfg);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "flowgate cache import: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = cap < MAX_FILE_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                fprintf(stderr, "flowgate cache import: %s is bigger than 2 GiB\n", path);
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

typedef struct import_run {
    fg_cache *cache;
    size_t total, imported, invalid, failed;
    bool quiet;
} import_run;

static void progress(import_run *r, size_t index)
{
    size_t step = r->total >= 100000 ? r->total / 10 : 10000;
    if (!r->quiet && (index + 1) % step == 0)
        fprintf(stderr, "  %zu of %zu items\n", index + 1, r->total);
}

#define BATCH 5000

static int on_entry(void *ud, size_t index, const fg_cache_entry *e)
{
    import_run *r = ud;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if ((r->imported + 1) % BATCH == 0 &&
        (fg_cache_batch_end(r->cache, &eb) || fg_cache_batch_begin(r->cache, &eb))) {
        fprintf(stderr, "flowgate cache import: %s\n", eb.msg);
        return -1;
    }
    if (fg_cache_put(r->cache, e, &eb)) {
        if (r->invalid + r->failed < MAX_LISTED_INVALID)
            fprintf(stderr, "item %zu: %s\n", index, eb.msg);
        r->failed++;
    } else {
        r->imported++;
    }
    progress(r, index);
    return 0;
}

static void on_invalid(void *ud, size_t index, const char *msg)
{
    import_run *r = ud;
    if (r->invalid + r->failed < MAX_LISTED_INVALID)
        fprintf(stderr, "item %zu: %s\n", index, msg);
    r->invalid++;
    progress(r, index);
}

static int cmd_import(int argc, char **argv)
{
    common_opts o = {.account = "default"};
    bool quiet = false;
    const fg_opt opts[] = {
        {"config", FG_OPT_STR, &o.config, "FILE", "configuration (data_dir, cache.*) as for serve"},
        {"data", FG_OPT_STR, &o.data, "DIR", "data folder (default: the configuration's data_dir)"},
        {"account", FG_OPT_STR, &o.account, "ID", "account the entries belong to (default: default)"},
        {"quiet", FG_OPT_FLAG, &quiet, NULL, "no progress lines"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate cache import FILE [--account ID] [--data DIR] [--config FILE]",
        .summary = "Imports question-answer pairs into the cache. FILE (- for standard input) is\n"
                   "the seed's bulk format, a JSON list of {\"id\": node_id + prompt, \"responses\":\n"
                   "\"{\\\"completion\\\": ...}\"}, or flowgate's {\"flowgate_cache\": 1, \"entries\":\n"
                   "[...]} (docs/cache.md). Invalid items are listed by index (from 0) and the\n"
                   "valid ones imported; the exit status is 1 when any item was invalid.\n"
                   "A running server finds exact and normalised entries at once (on their first\n"
                   "miss); semantic entries after a restart.",
        .opts = opts, .min_positional = 1, .max_positional = 1,
    };
    int npos = 0;
    int rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    const char *path = argv[1];
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data)
        return 1;
    fg_config *cfg = NULL;
    fg_store *store = NULL;
    import_run r = {.quiet = quiet};
    if (open_cache(&o, &cfg, &store, &r.cache, "import")) {
        free(data);
        close_cache(cfg, store, r.cache);
        return 1;
    }
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_cache_import_format format;
    const fg_cache_import_cbs cbs = {on_entry, on_invalid};
    rc = fg_cache_batch_begin(r.cache, &eb);
    if (!rc)
        rc = fg_cache_import_parse(data, len, o.account, &cbs, &r, &format, &r.total, &eb);
    if (fg_cache_batch_end(r.cache, &eb) && !rc)
        rc = FG_EIO;
    free(data);
    if (rc) {
        fprintf(stderr, "flowgate cache import: %s: %s\n", path, eb.msg);
        close_cache(cfg, store, r.cache);
        return 1;
    }
    if (r.invalid + r.failed > MAX_LISTED_INVALID)
        fprintf(stderr, "... %zu more invalid items not listed\n", r.invalid + r.failed - MAX_LISTED_INVALID);
    printf("imported %zu of %zu items (%s format) into account %s; %zu invalid\n", r.imported, r.total,
           format == FG_IMPORT_SEED ? "seed" : "flowgate", o.account, r.invalid + r.failed);
    close_cache(cfg, store, r.cache);
    return r.invalid + r.failed ? 1 : 0;
}

static int cmd_stats(int argc, char **argv)
{
    common_opts o = {0};
    bool as_json = false;
    const fg_opt opts[] = {
        {"config", FG_OPT_STR, &o.config, "FILE", "configuration (data_dir, cache.*) as for serve"},
        {"data", FG_OPT_STR, &o.data, "DIR", "data folder (default: the configuration's data_dir)"},
        {"json", FG_OPT_FLAG, &as_json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate cache stats [--data DIR] [--config FILE] [--json]",
        .summary = "Counts the live cache entries per mode and the bytes they hold. Hits, misses\n"
                   "and time saved of a running server are in its /metrics.",
        .opts = opts, .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    fg_config *cfg = NULL;
    fg_store *store = NULL;
    fg_cache *cache = NULL;
    if (open_cache(&o, &cfg, &store, &cache, "stats")) {
        close_cache(cfg, store, cache);
        return 1;
    }
    fg_cache_stats st;
    fg_cache_stats_get(cache, &st);
    if (as_json)
        printf("{\"exact\":%zu,\"normalised\":%zu,\"semantic\":%zu,\"bytes\":%zu}\n", st.entries[0],
               st.entries[1], st.entries[2], st.bytes);
    else
        printf("entries: exact %zu, normalised %zu, semantic %zu; %zu bytes of keys and answers\n",
               st.entries[0], st.entries[1], st.entries[2], st.bytes);
    close_cache(cfg, store, cache);
    return 0;
}

static int cmd_clear(int argc, char **argv)
{
    common_opts o = {0};
    const fg_opt opts[] = {
        {"config", FG_OPT_STR, &o.config, "FILE", "configuration (data_dir, cache.*) as for serve"},
        {"data", FG_OPT_STR, &o.data, "DIR", "data folder (default: the configuration's data_dir)"},
        {"account", FG_OPT_STR, &o.account, "ID", "only this account's entries (default: every account)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate cache clear [--account ID] [--data DIR] [--config FILE]",
        .summary = "Removes cache entries: every entry, or one account's. A running server\n"
                   "keeps serving what it holds in memory until it restarts.",
        .opts = opts, .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    fg_config *cfg = NULL;
    fg_store *store = NULL;
    fg_cache *cache = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    size_t removed = 0;
    if (open_cache(&o, &cfg, &store, &cache, "clear") || fg_cache_clear(cache, o.account, &removed, &eb)) {
        if (eb.msg[0])
            fprintf(stderr, "flowgate cache clear: %s\n", eb.msg);
        close_cache(cfg, store, cache);
        return 1;
    }
    printf("removed %zu entries\n", removed);
    close_cache(cfg, store, cache);
    return 0;
}

int fg_cache_cmd(int argc, char **argv)
{
    static const fg_cli_sub subs[] = {
        {"import", cmd_import, "Import a bulk file of question-answer pairs (seed or flowgate format)"},
        {"stats", cmd_stats, "Count the entries per mode"},
        {"clear", cmd_clear, "Remove every entry, or one account's"},
    };
    return fg_cli_dispatch("cache", "The question-answer cache in the data folder's store.", subs,
                           sizeof subs / sizeof subs[0], argc, argv);
}
