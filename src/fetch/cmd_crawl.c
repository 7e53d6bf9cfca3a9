/* flowgate crawl CONFIG [--out DIR]: runs a crawl from a seed-004-style
 * crawler config file. With --out, each page is written to DIR and indexed in
 * DIR/pages.jsonl, which the next run reads to skip unchanged pages. */
#include "cli/args.h"
#include "fetch/commands.h"
#include "core/json.h"
#include "fetch/crawl.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct crawl_cli {
    const char *out_dir;
    json_t *previous; /* url -> index entry of the last run */
    json_t *index;    /* url -> index entry of this run */
    bool quiet;
    int write_errors;
} crawl_cli;

static void hex_sha256(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32 && i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

static const char *extension(const char *ctype)
{
    if (strcmp(ctype, "text/html") == 0 || strcmp(ctype, "application/xhtml+xml") == 0)
        return "html";
    if (strcmp(ctype, "application/pdf") == 0)
        return "pdf";
    if (strcmp(ctype, "text/markdown") == 0)
        return "md";
    return strncmp(ctype, "text/", 5) == 0 ? "txt" : "bin";
}

static int write_page(crawl_cli *cc, const fg_fetch_page *p, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", cc->out_dir, file);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p->body, 1, p->body_len, f) != p->body_len) {
        fprintf(stderr, "flowgate crawl: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        cc->write_errors++;
        return 1;
    }
    return fclose(f) ? 1 : 0;
}

static int on_page(const fg_fetch_page *p, void *ud)
{
    crawl_cli *cc = ud;
    if (!cc->quiet)
        printf("page %d %zu %s\n", p->depth, p->body_len, p->url);
    if (!cc->out_dir)
        return 0;
    char url_hash[65], file[64];
    hex_sha256(p->url, strlen(p->url), url_hash);
    snprintf(file, sizeof file, "%.16s.%s", url_hash, extension(p->content_type));
    write_page(cc, p, file);
    json_t *links = json_array();
    for (size_t i = 0; i < p->n_links; i++)
        json_array_append_new(links, json_string(p->links[i]));
    json_object_set_new(cc->index, p->url,
                        json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s?, s:s?, s:s?, s:o}", "url", p->url,
                                  "file", file, "content_type", p->content_type, "depth", p->depth,
                                  "sha256", p->sha256, "link_text", p->link_text ? p->link_text : "",
                                  "referrer", p->referrer, "etag", p->etag,
                                  "last_modified", p->last_modified, "links", links));
    return 0;
}

static void on_error(const char *url, const char *message, void *ud)
{
    crawl_cli *cc = ud;
    if (!cc->quiet)
        printf("error %s: %s\n", url, message);
}

static void copy_field(const json_t *e, const char *key, char *out, size_t n)
{
    const char *v = json_string_value(json_object_get(e, key));
    snprintf(out, n, "%s", v ? v : "");
}

static bool on_previous(const char *url, fg_fetch_seen *out, void *ud)
{
    crawl_cli *cc = ud;
    const json_t *e = cc->previous ? json_object_get(cc->previous, url) : NULL;
    if (!e)
        return false;
    copy_field(e, "etag", out->etag, sizeof out->etag);
    copy_field(e, "last_modified", out->last_modified, sizeof out->last_modified);
    copy_field(e, "sha256", out->content_sha256, sizeof out->content_sha256);
    return true;
}

static void on_unchanged(const char *url, void *ud)
{
    crawl_cli *cc = ud;
    if (!cc->quiet)
        printf("unchanged %s\n", url);
    json_t *e = cc->previous ? json_object_get(cc->previous, url) : NULL;
    if (e)
        json_object_set(cc->index, url, e);
}

/* Reads DIR/pages.jsonl of an earlier run (absent: nothing). */
static json_t *load_index(const char *dir)
{
    char path[4096], line[65536];
    snprintf(path, sizeof path, "%s/pages.jsonl", dir);
    json_t *idx = json_object();
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        json_t *e = json_loads(line, 0, NULL);
        const char *url = json_string_value(json_object_get(e, "url"));
        if (url)
            json_object_set(idx, url, e);
        json_decref(e);
    }
    if (f)
        fclose(f);
    return idx;
}

static int save_index(const char *dir, const json_t *idx)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/pages.jsonl", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return 1;
    const char *url;
    json_t *e;
    json_object_foreach((json_t *)idx, url, e) {
        char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        if (s)
            fprintf(f, "%s\n", s);
        free(s);
    }
    if (fclose(f) || rename(tmp, path)) {
        fprintf(stderr, "flowgate crawl: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

static fg_config *load_config(const char *file, bool loopback, bool private_)
{
    fg_buf problems;
    fg_buf_init(&problems, 1 << 16);
    fg_config *cfg = NULL;
    if (fg_config_load(file, &cfg, &problems)) {
        fprintf(stderr, "%s", problems.data ? problems.data : "flowgate crawl: bad configuration\n");
        fg_buf_free(&problems);
        return NULL;
    }
    fg_buf_free(&problems);
    if (loopback)
        fg_config_set(cfg, "fetch.allow_loopback", json_true());
    if (private_)
        fg_config_set(cfg, "fetch.allow_private", json_true());
    return cfg;
}

static int run(const char *file, const char *config, bool loopback, bool private_, crawl_cli *cc)
{
    json_error_t je;
    json_t *options = fg_json_load_file(file, &je);
    if (!options) {
        fprintf(stderr, "%s:%d:%d: not valid JSON: %s\n", file, je.line, je.column, je.text);
        return 1;
    }
    fg_config *cfg = load_config(config, loopback, private_);
    if (!cfg) {
        json_decref(options);
        return 1;
    }
    if (cc->out_dir && mkdir(cc->out_dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "flowgate crawl: cannot create %s: %s\n", cc->out_dir, strerror(errno));
        json_decref(options);
        fg_config_free(cfg);
        return 1;
    }
    cc->previous = cc->out_dir ? load_index(cc->out_dir) : NULL;
    cc->index = json_object();
    fg_fetch_crawl_hooks hooks = {on_page, on_error, on_previous, on_unchanged, cc};
    fg_fetch_crawl_stats st;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_fetch_crawl_ex(cfg, options, &hooks, &st, &eb);
    if (rc)
        fprintf(stderr, "flowgate crawl: %s: %s\n", file, eb.msg);
    else
        printf("pages=%zu unchanged=%zu errors=%zu skipped=%zu requests=%zu seconds=%.3f\n",
               st.pages, st.unchanged, st.errors, st.skipped, st.requests, st.seconds);
    if (!rc && cc->out_dir && save_index(cc->out_dir, cc->index))
        rc = 1;
    json_decref(cc->previous);
    json_decref(cc->index);
    json_decref(options);
    fg_config_free(cfg);
    return rc || cc->write_errors ? 1 : 0;
}

int fg_fetch_cmd_crawl(int argc, char **argv)
{
    crawl_cli cc = {0};
    const char *config = NULL;
    bool loopback = false, private_ = false;
    const fg_opt opts[] = {
        {"out", FG_OPT_STR, &cc.out_dir, "DIR",
         "write each page to DIR and index it in DIR/pages.jsonl (the next run skips unchanged pages)"},
        {"config", FG_OPT_STR, &config, "FILE", "flowgate configuration (fetch.* limits and policy)"},
        {"allow-loopback", FG_OPT_FLAG, &loopback, NULL, "allow loopback addresses (fetch.allow_loopback)"},
        {"allow-private", FG_OPT_FLAG, &private_, NULL, "allow private addresses (fetch.allow_private)"},
        {"quiet", FG_OPT_FLAG, &cc.quiet, NULL, "print only the summary line"},
        {NULL, 0, NULL, NULL, NULL},
    };
    static const fg_cli tmpl = {
        .usage = "flowgate crawl CONFIG [--out DIR] [--config FILE] [--allow-loopback] [--quiet]",
        .summary = "Crawls from a crawler config file (seed 004's format, see docs/crawler.md):\n"
                   "prints one line per page (page DEPTH BYTES URL), unchanged page and error,\n"
                   "then a summary line.",
        .min_positional = 1,
        .max_positional = 1,
    };
    fg_cli cli = tmpl;
    cli.opts = opts;
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    setvbuf(stdout, NULL, _IOLBF, 0); /* one line per page is the progress report */
    return run(argv[1], config, loopback, private_, &cc);
}
