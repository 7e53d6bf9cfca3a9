/* `flowgate conformance jsonata DIR`: runs the JSONata test suite (groups/<g>/
 * case*.json with expr, data/dataset, bindings, result/undefinedResult/code,
 * timelimit, depth) and prints counts per group and the failing cases. */
#include "jsonata/jsonata.h"

#include "cli/args.h"
#include "core/json.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMELIMIT_MS 10000

typedef struct run {
    const char *dir;
    int passed, failed;
} run;

static bool json_same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            json_t *o = json_object_get(b, k);
            if (!o || !json_same(v, o))
                return false;
        }
        return true;
    }
    return json_equal(a, b);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) {
        s[n] = 0;
        *len = (size_t)n;
    }
    fclose(f);
    return s;
}

static json_t *load_input(run *r, const json_t *tc, bool *ok)
{
    *ok = true;
    json_t *data = json_object_get(tc, "data");
    if (data)
        return json_incref(data);
    json_t *ds = json_object_get(tc, "dataset");
    if (!json_is_string(ds))
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/datasets/%s.json", r->dir, json_string_value(ds));
    json_error_t je;
    json_t *v = json_load_file(path, JSON_DECODE_ANY, &je);
    if (!v)
        *ok = false;
    return v;
}

static fg_jsonata_env *make_env(const json_t *tc)
{
    fg_jsonata_env *env = fg_jsonata_env_new();
    json_t *b = json_object_get(tc, "bindings");
    const char *k;
    json_t *v;
    if (json_is_object(b))
        json_object_foreach(b, k, v) fg_jsonata_env_bind(env, k, v);
    return env;
}

/* Runs one case; returns NULL when it passed or a malloc'd reason. */
static char *run_case(run *r, const char *groupdir, const json_t *tc)
{
    char reason[512];
    const char *expr = json_string_value(json_object_get(tc, "expr"));
    char *owned = NULL;
    size_t elen = expr ? strlen(expr) : 0;
    if (!expr && json_is_string(json_object_get(tc, "expr-file"))) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", groupdir, json_string_value(json_object_get(tc, "expr-file")));
        owned = read_text(path, &elen);
        expr = owned;
    }
    if (!expr)
        return strdup("no expr or expr-file in the case");
    bool ok;
    json_t *input = load_input(r, tc, &ok);
    fg_jsonata_limits lim = {0};
    json_t *tl = json_object_get(tc, "timelimit"), *depth = json_object_get(tc, "depth");
    lim.timeout_ms = json_is_number(tl) ? (uint64_t)json_number_value(tl) : DEFAULT_TIMELIMIT_MS;
    if (json_is_number(depth))
        lim.max_depth = (int)json_number_value(depth);
    fg_jsonata_env *env = make_env(tc);
    fg_jsonata_error err;
    json_t *out = NULL;
    fg_jsonata_expr *e = fg_jsonata_compile(expr, elen, &err);
    if (e)
        out = fg_jsonata_eval(e, input, env, &lim, &err);
    json_t *want = json_object_get(tc, "result");
    json_t *code = json_object_get(tc, "code");
    if (!code && json_is_object(json_object_get(tc, "error")))
        code = json_object_get(json_object_get(tc, "error"), "code");
    bool want_undef = json_is_true(json_object_get(tc, "undefinedResult"));
    reason[0] = 0;
    if (!ok) {
        snprintf(reason, sizeof reason, "dataset not found");
    } else if (json_is_string(code)) {
        if (out)
            snprintf(reason, sizeof reason, "expected error %s, got a result", json_string_value(code));
        else if (strcmp(err.code, json_string_value(code)) != 0)
            snprintf(reason, sizeof reason, "expected error %s, got %s: %s", json_string_value(code), err.code,
                     err.message);
    } else if (!out) {
        snprintf(reason, sizeof reason, "error %s: %s", err.code, err.message);
    } else if (want_undef || !want) {
        if (!fg_jsonata_is_undefined(out)) {
            char *got = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
            snprintf(reason, sizeof reason, "expected undefined, got %.200s", got ? got : "?");
            free(got);
        }
    } else if (fg_jsonata_is_undefined(out) || !json_same(out, want)) {
        char *got = fg_jsonata_is_undefined(out) ? strdup("undefined") : json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
        char *exp = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(reason, sizeof reason, "expected %.200s, got %.200s", exp ? exp : "?", got ? got : "?");
        free(got);
        free(exp);
    }
    json_decref(out);
    fg_jsonata_free(e);
    fg_jsonata_env_free(env);
    json_decref(input);
    free(owned);
    return reason[0] ? strdup(reason) : NULL;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir ending in suffix ("" for any). */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t l = strlen(nm), sl = strlen(suffix);
        if (nm[0] == '.' || l < sl || strcmp(nm + l - sl, suffix) != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(char *));
        }
        names[(*n)++] = strdup(nm);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof(char *), name_cmp);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void report(run *r, const char *group, const char *file, size_t idx, bool multi, char *why, int *gp, int *gf)
{
    if (!why) {
        (*gp)++;
        r->passed++;
        return;
    }
    (*gf)++;
    r->failed++;
    if (multi)
        printf("  FAIL %s/%s[%zu]: %s\n", group, file, idx, why);
    else
        printf("  FAIL %s/%s: %s\n", group, file, why);
    free(why);
}

static void run_group(run *r, const char *group)
{
    char gdir[4096];
    snprintf(gdir, sizeof gdir, "%s/groups/%s", r->dir, group);
    size_t n;
    char **files = list_dir(gdir, ".json", &n);
    int gp = 0, gf = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", gdir, files[i]);
        json_error_t je;
        json_t *doc = json_load_file(path, JSON_DECODE_ANY, &je);
        if (!doc) {
            char msg[300];
            snprintf(msg, sizeof msg, "unreadable case file: %s (line %d)", je.text, je.line);
            report(r, group, files[i], 0, false, strdup(msg), &gp, &gf);
            continue;
        }
        if (json_is_array(doc)) {
            for (size_t k = 0; k < json_array_size(doc); k++)
                report(r, group, files[i], k, true, run_case(r, gdir, json_array_get(doc, k)), &gp, &gf);
        } else {
            report(r, group, files[i], 0, false, run_case(r, gdir, doc), &gp, &gf);
        }
        json_decref(doc);
    }
    printf("%-36s %4d passed %4d failed\n", group, gp, gf);
    free_list(files, n);
}

static int cmd_jsonata(int argc, char **argv)
{
    const char *group = NULL;
    fg_opt opts[] = {
        {"group", FG_OPT_STR, &group, "NAME", "run only this group"},
        {NULL, 0, NULL, NULL, NULL},
    };
    fg_cli cli = {"flowgate conformance jsonata [--group NAME] DIR",
                  "Runs the JSONata test suite in DIR (groups/*/case*.json, datasets/*.json).\n"
                  "Prints counts per group, each failing case with a reason, and finally\n"
                  "'N passed, N failed'. Exits 1 when any case fails.",
                  opts, 1, 1};
    int npos = 0;
    int rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    run r = {.dir = argv[1]};
    char gdir[4096];
    snprintf(gdir, sizeof gdir, "%s/groups", r.dir);
    size_t n;
    char **groups = list_dir(gdir, "", &n);
    if (!groups) {
        fprintf(stderr, "flowgate conformance jsonata: no groups directory in %s: pass the suite's top directory\n",
                r.dir);
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        if (!group || strcmp(group, groups[i]) == 0)
            run_group(&r, groups[i]);
    free_list(groups, n);
    printf("%d passed, %d failed\n", r.passed, r.failed);
    return r.failed ? 1 : 0;
}

int fg_jsonata_cmd_conformance(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "jsonata") == 0)
        return cmd_jsonata(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: flowgate conformance SUITE [options] DIR\n\nsuites:\n"
               "  jsonata   the JSONata test suite (flowgate conformance jsonata --help)\n");
        return 0;
    }
    fprintf(stderr, "usage: flowgate conformance jsonata [--group NAME] DIR\n");
    return 2;
}
