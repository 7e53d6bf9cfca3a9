/* flowgate kb extract-eval --pages DIR: extraction quality on a folder of test
 * pages (DIR/<page>/source.html, expected.html, expected-metadata.json). */
#include "cli/args.h"
#include "core/json.h"
#include "kb/commands.h"
#include "kb/extract.h"
#include "kb/extract_int.h"
#include "kb/file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX (64u << 20)

static const char *const fields[] = {"title", "byline", "excerpt", "siteName", "lang",
                                     "publishedTime", "dir"};
enum { NFIELDS = 7 };

typedef struct tally {
    size_t pages, failed;
    double f1_sum;
    size_t f1_90;
    size_t meta_ok[NFIELDS];
} tally;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool same_value(const json_t *expected, const json_t *got)
{
    const char *e = json_string_value(expected), *g = json_string_value(got);
    char *ce = fg__kb_clean_string(e), *cg = fg__kb_clean_string(g);
    bool same = (!ce && !cg) || (ce && cg && strcmp(ce, cg) == 0);
    free(ce);
    free(cg);
    return same;
}

static char *read_in(const char *dir, const char *page, const char *file, size_t *len, fg_errbuf *eb)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", dir, page, file);
    return fg_kb_read_file(path, PAGE_MAX, len, eb);
}

static void score_meta(const char *dir, const char *page, const fg_kb_doc *doc, tally *t,
                       bool verbose)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/expected-metadata.json", dir, page);
    json_error_t err;
    json_t *want = fg_json_load_file(path, &err);
    if (!want)
        return;
    json_t *got = fg_kb_doc_json(doc);
    for (int i = 0; i < NFIELDS; i++) {
        bool ok = same_value(json_object_get(want, fields[i]), json_object_get(got, fields[i]));
        t->meta_ok[i] += ok;
        if (!ok && verbose)
            printf("    %s: got %s | want %s\n", fields[i],
                   json_string_value(json_object_get(got, fields[i])) ? json_string_value(json_object_get(got, fields[i])) : "null",
                   json_string_value(json_object_get(want, fields[i])) ? json_string_value(json_object_get(want, fields[i])) : "null");
    }
    json_decref(got);
    json_decref(want);
}

static void eval_page(const char *dir, const char *page, tally *t, bool verbose)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    size_t slen, elen;
    char *src = read_in(dir, page, "source.html", &slen, &eb);
    char *exp = src ? read_in(dir, page, "expected.html", &elen, &eb) : NULL;
    if (!src || !exp) {
        free(src);
        return; /* not a page folder */
    }
    t->pages++;
    fg_kb_doc doc;
    char *want = fg_kb_html_text(exp, elen, &eb);
    if (!want || fg_kb_extract(src, slen, NULL, &doc, &eb) != 0) {
        printf("FAIL %s: %s\n", page, eb.msg);
        t->failed++;
        free(want);
        free(src);
        free(exp);
        return;
    }
    char *got = fg_kb_doc_text(&doc);
    double f1 = got ? fg_kb_shingle_f1(got, want) : 0;
    t->f1_sum += f1;
    t->f1_90 += f1 >= 0.9;
    if (verbose)
        printf("%-40s f1=%.3f\n", page, f1);
    score_meta(dir, page, &doc, t, verbose);
    free(got);
    free(want);
    fg_kb_doc_free(&doc);
    free(src);
    free(exp);
}

static char **list_pages(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **b = realloc(names, cap * sizeof *b);
            if (!b)
                break;
            names = b;
        }
        if (!(names[*n] = strdup(e->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    if (names)
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

int fg_kb_cmd_extract_eval(int argc, char **argv)
{
    const char *dir = NULL;
    bool verbose = false;
    const fg_opt opts[] = {
        {"pages", FG_OPT_STR, &dir, "DIR", "folder of <page>/{source.html,expected.html,expected-metadata.json}"},
        {"verbose", FG_OPT_FLAG, &verbose, NULL, "print each page's F1 and metadata differences"},
        {0},
    };
    const fg_cli cli = {
        .usage = "flowgate kb extract-eval --pages DIR [--verbose]",
        .summary = "Measures main-content extraction: mean F1 over word 4-gram shingles of the\n"
                   "extracted text against expected.html's text, and how many metadata fields\n"
                   "match expected-metadata.json. The last line is f1=<mean>.",
        .opts = opts,
        .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (!dir) {
        fprintf(stderr, "kb extract-eval: --pages DIR is required\n");
        return 2;
    }
    size_t n = 0;
    char **pages = list_pages(dir, &n);
    if (!pages) {
        fprintf(stderr, "kb extract-eval: cannot list %s\n", dir);
        return 1;
    }
    tally t = {0};
    for (size_t i = 0; i < n; i++) {
        eval_page(dir, pages[i], &t, verbose);
        free(pages[i]);
    }
    free(pages);
    printf("pages=%zu failed=%zu f1>=0.9: %zu\n", t.pages, t.failed, t.f1_90);
    for (int i = 0; i < NFIELDS; i++)
        printf("metadata %s: %zu/%zu\n", fields[i], t.meta_ok[i], t.pages);
    printf("f1=%.4f\n", t.pages ? t.f1_sum / (double)t.pages : 0);
    return t.pages ? 0 : 1;
}
