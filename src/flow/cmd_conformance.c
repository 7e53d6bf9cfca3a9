/* flowgate conformance asl DIR: runs recorded Step Functions cases (format in
 * the suite's README) and prints counts per category, the failing cases with a
 * one-line reason, and "N passed, N failed". Task results are replayed from
 * the recorded history; time is virtual. */
#include "cli/args.h"
#include "cli/commands.h"
#include "core/json.h"
#include "flow/flow.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct cat_count {
    char name[128];
    int pass, fail;
} cat_count;

typedef struct runner {
    cat_count cats[128];
    int ncats;
    int pass, fail;
    int jp_pass, jp_fail;
    bool verbose;
    bool jsonpath_only;
    const char *only;
} runner;

typedef struct replay {
    json_t *events;  /* TaskSucceeded / TaskFailed / TaskTimedOut in order */
    size_t next;
    fg_flow_task *pending[16]; /* tasks that timed out: released after the run */
    int npending;
} replay;

/* ---- file discovery --------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *dir, char ***files, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(len);
        snprintf(p, len, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(p, files, n, cap);
            free(p);
        } else if (strlen(de->d_name) > 5 && !strcmp(de->d_name + strlen(de->d_name) - 5, ".json")) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *files = realloc(*files, sizeof(char *) * *cap);
            }
            (*files)[(*n)++] = p;
        } else {
            free(p);
        }
    }
    closedir(d);
}

/* ---- comparing ------------------------------------------------------------ */

static bool placeholder_match(const char *exp, const char *act)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    for (const char *p = exp; *p; p++) {
        const char *close = *p == '<' ? strchr(p, '>') : NULL;
        if (close) {
            fg_buf_putc(&b, '*');
            p = close;
        } else if (strchr("*?[\\", *p)) {
            fg_buf_putc(&b, '\\');
            fg_buf_putc(&b, *p);
        } else {
            fg_buf_putc(&b, *p);
        }
    }
    bool r = fnmatch(b.data ? b.data : "", act, 0) == 0;
    fg_buf_free(&b);
    return r;
}

static bool json_match(const json_t *exp, const json_t *act, bool ph)
{
    if (ph && json_is_string(exp)) {
        const char *s = json_string_value(exp);
        static const char *any[] = {"RandomNumberGenerated", "start-time", "entered-time",
                                    "snf_role_arn", "sfn_role_arn", "date"};
        for (size_t i = 0; i < FG_ARRAY_LEN(any); i++)
            if (!strcmp(s, any[i]))
                return true;
        if (strchr(s, '<') && strchr(s, '>')) {
            if (json_is_string(act))
                return placeholder_match(s, json_string_value(act));
            return !strcmp(s, "RandomNumberGenerated") || (s[0] == '<' && s[strlen(s) - 1] == '>');
        }
    }
    if (json_is_number(exp) && json_is_number(act))
        return json_number_value(exp) == json_number_value(act);
    if (json_typeof(exp) != json_typeof(act))
        return false;
    if (json_is_object(exp)) {
        if (json_object_size(exp) != json_object_size(act))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)exp, k, v) {
            json_t *a = json_object_get(act, k);
            if (!a || !json_match(v, a, ph))
                return false;
        }
        return true;
    }
    if (json_is_array(exp)) {
        if (json_array_size(exp) != json_array_size(act))
            return false;
        for (size_t i = 0; i < json_array_size(exp); i++)
            if (!json_match(json_array_get(exp, i), json_array_get(act, i), ph))
                return false;
        return true;
    }
    return json_equal(exp, act);
}

/* ---- replaying Task results -------------------------------------------------- */

static int replay_task(fg_flow_task *t, void *ud)
{
    replay *r = ud;
    json_t *ev = json_array_get(r->events, r->next);
    if (!ev) {
        fg_flow_task_fail(t, "States.TaskFailed", "the recorded history has no result for this task");
        return 0;
    }
    r->next++;
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (!strcmp(type, "TaskSucceeded") || !strcmp(type, "LambdaFunctionSucceeded")) {
        json_t *d = json_object_get(ev, "taskSucceededEventDetails");
        if (!d)
            d = json_object_get(ev, "lambdaFunctionSucceededEventDetails");
        json_t *o = json_object_get(d, "output");
        json_t *parsed = NULL;
        if (json_is_string(o) && !strncmp(type, "Lambda", 6)) {
            json_error_t je;
            parsed = json_loads(json_string_value(o), JSON_DECODE_ANY, &je);
        }
        fg_flow_task_succeed(t, parsed ? parsed : o ? o : json_null());
        json_decref(parsed);
    } else if (!strcmp(type, "TaskFailed") || !strcmp(type, "LambdaFunctionFailed")) {
        json_t *d = json_object_get(ev, "taskFailedEventDetails");
        if (!d)
            d = json_object_get(ev, "lambdaFunctionFailedEventDetails");
        json_t *c = json_object_get(d, "cause");
        char *cause = json_is_string(c) ? strdup(json_string_value(c))
                      : c ? json_dumps(c, JSON_ENCODE_ANY | (strncmp(type, "Lambda", 6) ? JSON_COMPACT : 0))
                          : NULL;
        fg_flow_task_fail(t, fg_json_str(d, "error", "States.TaskFailed"), cause);
        free(cause);
    }
    /* TaskTimedOut: never completes; the state's timeout fires in virtual time. The
     * task is released once the execution is gone. */
    else if (r->npending < (int)FG_ARRAY_LEN(r->pending))
        r->pending[r->npending++] = t;
    else
        fg_flow_task_fail(t, "States.Timeout", NULL);
    return 0;
}

static json_t *task_events(const json_t *hist)
{
    json_t *out = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(hist, i, ev) {
        const char *t = json_string_value(json_object_get(ev, "type"));
        if (t && (!strcmp(t, "TaskSucceeded") || !strcmp(t, "TaskFailed") ||
                  !strcmp(t, "TaskTimedOut") || !strncmp(t, "LambdaFunctionSucceeded", 23) ||
                  !strcmp(t, "LambdaFunctionFailed") || !strcmp(t, "LambdaFunctionTimedOut")))
            json_array_append(out, ev);
    }
    return out;
}

/* ---- cases ------------------------------------------------------------------ */

/* TestState cases give one state: wrap it into a one-state machine. */
static void add_stub(json_t *states, const json_t *name)
{
    if (json_is_string(name) && !json_object_get(states, json_string_value(name)))
        json_object_set_new(states, json_string_value(name), json_pack("{s:s}", "Type", "Succeed"));
}

static json_t *wrap_state(json_t *st)
{
    json_t *s = json_deep_copy(st);
    if (json_object_get(s, "Next")) {
        json_object_del(s, "Next");
        json_object_set_new(s, "End", json_true());
    }
    json_t *m = json_pack("{s:s,s:{s:o}}", "StartAt", "State", "States", "State", s);
    json_t *states = json_object_get(m, "States");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(s, "Choices"), i, x) add_stub(states, json_object_get(x, "Next"));
    json_array_foreach(json_object_get(s, "Catch"), i, x) add_stub(states, json_object_get(x, "Next"));
    add_stub(states, json_object_get(s, "Default"));
    json_decref(st);
    return m;
}

/* A TestState case that names one state of a whole machine (stateName) runs that
 * state alone, in the machine's query language. Steals def. */
static json_t *named_state(const json_t *c, json_t *def)
{
    const json_t *req = json_object_get(json_object_get(c, "meta"), "test_state_request");
    const char *name = fg_json_str(req, "stateName", NULL);
    json_t *st = name ? json_object_get(json_object_get(def, "States"), name) : NULL;
    if (!json_is_object(st) || json_object_get(req, "mock"))
        return def;
    json_t *copy = json_deep_copy(st);
    const json_t *ql = json_object_get(def, "QueryLanguage");
    if (ql && !json_object_get(copy, "QueryLanguage"))
        json_object_set(copy, "QueryLanguage", (json_t *)ql);
    json_decref(def);
    json_t *m = wrap_state(copy);
    json_error_t je;
    const json_t *vs = json_object_get(req, "variables");
    json_t *vars = json_is_string(vs) ? json_loads(json_string_value(vs), 0, &je) : NULL;
    if (json_is_object(vars)) { /* TestState's variables: assigned by a Pass state first */
        json_t *pre = json_pack("{s:s,s:O,s:s}", "Type", "Pass", "Assign", vars, "Next", "State");
        if (ql)
            json_object_set(pre, "QueryLanguage", (json_t *)ql);
        json_object_set_new(json_object_get(m, "States"), "TestStateVariables", pre);
        json_object_set_new(m, "StartAt", json_string("TestStateVariables"));
    }
    json_decref(vars);
    return m;
}

static json_t *case_definition(const json_t *c)
{
    const json_t *d = json_object_get(c, "definition");
    json_t *def;
    if (json_is_string(d)) {
        json_error_t je;
        def = json_loads(json_string_value(d), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    } else {
        def = json_incref((json_t *)d);
    }
    if (json_is_object(def) && json_object_get(def, "Type") && !json_object_get(def, "States"))
        def = wrap_state(def);
    else if (json_is_object(def))
        def = named_state(c, def);
    return def;
}

/* ---- the paths AWS's own test skips ------------------------------------------ */

/* Removes the member path segs[0].segs[1]... wherever it starts inside v. */
static void remove_path(json_t *v, char **segs, int nseg, int depth)
{
    if (depth > 64 || nseg == 0)
        return;
    if (json_is_object(v)) {
        json_t *at = v;
        for (int i = 0; i < nseg - 1 && at; i++)
            at = json_object_get(at, segs[i]);
        if (json_is_object(at))
            json_object_del(at, segs[nseg - 1]);
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) remove_path(x, segs, nseg, depth + 1);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) remove_path(x, segs, nseg, depth + 1);
    }
}

/* The recorded case lists paths ("$..RoleArn", "$..output.a.b") that AWS's own test
 * does not compare: they are removed from both values before comparing. Paths
 * with indexes or inner ".." are left alone (they concern histories). */
static void drop_skipped(const json_t *c, json_t *exp, json_t *act)
{
    size_t i, j;
    json_t *m, *p;
    json_array_foreach(json_object_get(json_object_get(c, "meta"), "markers"), i, m) {
        if (strcmp(fg_json_str(m, "marker", ""), "snapshot.skip_snapshot_verify") != 0)
            continue;
        json_array_foreach(json_object_get(json_object_get(m, "kwargs"), "paths"), j, p) {
            const char *path = json_string_value(p);
            if (!path || strncmp(path, "$..", 3) != 0 || strpbrk(path + 3, "[*") ||
                strstr(path + 3, ".."))
                continue;
            char *copy = strdup(path + 3), *segs[16], *save = NULL;
            int nseg = 0;
            for (char *t = strtok_r(copy, ".", &save); t && nseg < 16; t = strtok_r(NULL, ".", &save))
                segs[nseg++] = t;
            bool from_output = nseg > 1 && !strcmp(segs[0], "output");
            for (int k = 0; k < 2; k++) {
                json_t *v = k ? act : exp;
                remove_path(v, from_output ? segs + 1 : segs, from_output ? nseg - 1 : nseg, 0);
            }
            free(copy);
        }
    }
}

static bool check_exec_result(const json_t *exp, fg_flow_exec *e, bool ph, char *why, size_t n,
                              const json_t *c)
{
    const char *est = fg_json_str(exp, "status", "SUCCEEDED");
    const char *st = fg_flow_status_name(fg_flow_exec_status(e));
    if (strcmp(est, st) != 0) {
        snprintf(why, n, "status %s, expected %s (error %s: %.120s)", st, est,
                 fg_flow_exec_error(e) ? fg_flow_exec_error(e) : "-",
                 fg_flow_exec_cause(e) ? fg_flow_exec_cause(e) : "-");
        return false;
    }
    if (!strcmp(st, "SUCCEEDED")) {
        json_t *eo = json_deep_copy(json_object_get(exp, "output"));
        json_t *ao = json_deep_copy(fg_flow_exec_output(e));
        drop_skipped(c, eo, ao);
        bool same = !eo || json_match(eo, ao, ph);
        if (!same) {
            char *a = json_dumps(ao, JSON_COMPACT | JSON_ENCODE_ANY);
            char *b = json_dumps(eo, JSON_COMPACT | JSON_ENCODE_ANY);
            snprintf(why, n, "output %.150s, expected %.150s", a ? a : "", b ? b : "");
            free(a);
            free(b);
        }
        json_decref(eo);
        json_decref(ao);
        return same;
    }
    const char *ee = fg_json_str(exp, "error", NULL);
    const char *ae = fg_flow_exec_error(e);
    if (ee && (!ae || strcmp(ee, ae) != 0)) {
        snprintf(why, n, "error %s, expected %s (cause: %.150s)", ae ? ae : "(none)", ee,
                 fg_flow_exec_cause(e) ? fg_flow_exec_cause(e) : "");
        return false;
    }
    return true;
}

/* Compares the sequence of event types with the recorded history. */
static int history_diff = 0, history_same = 0;
static bool compare_history;

static void check_history(const json_t *c, const fg_flow_exec *e)
{
    const json_t *exp = json_object_get(c, "expected_history");
    const json_t *got = fg_flow_exec_history(e);
    if (!json_array_size(exp) || !got)
        return;
    size_t i = 0, n = json_array_size(exp) > json_array_size(got) ? json_array_size(exp)
                                                                   : json_array_size(got);
    for (; i < n; i++) {
        const char *a = fg_json_str(json_array_get(exp, i), "type", "(end)");
        const char *b = fg_json_str(json_array_get(got, i), "type", "(end)");
        if (strcmp(a, b) != 0) {
            printf("HISTORY %s: event %zu is %s, recorded %s\n", fg_json_str(c, "name", "?"), i + 1,
                   b, a);
            history_diff++;
            return;
        }
    }
    history_same++;
}

static bool run_execution(const json_t *c, char *why, size_t n)
{
    json_t *def = case_definition(c);
    const json_t *exp = json_object_get(c, "expected");
    replay rp = {task_events(json_object_get(c, "expected_history")), 0, {0}, 0};
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", replay_task, &rp);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, reg, NULL, &eb);
    bool ok = false;
    if (!m) {
        snprintf(why, n, "definition rejected: %s", eb.msg);
    } else {
        int64_t now = 1700000000000;
        fg_flow_clock vc;
        fg_flow_clock_virtual(&vc, &now);
        fg_flow_limits lim;
        fg_flow_limits_default(&lim);
        lim.max_transitions = 20000;
        /* TestState runs a state the way an Express execution would (express ARNs) */
        const char *type = fg_json_str(json_object_get(c, "meta"), "state_machine_type",
                                       strcmp(fg_json_str(c, "kind", ""), "test_state") ? "STANDARD"
                                                                                      : "EXPRESS");
        fg_flow_exec_opts o = {.clock = &vc, .limits = &lim, .machine_name = "StateMachine",
                               .express = !strcmp(type, "EXPRESS"), .history = compare_history};
        const json_t *in = json_object_get(c, "input");
        json_t *input = in ? json_incref((json_t *)in) : json_object();
        fg_flow_exec *e = fg_flow_exec_create(m, input, &o);
        fg_flow_exec_run(e);
        bool ph = true; /* recorded values hold placeholders for ARNs, dates and UUIDs */
        ok = check_exec_result(exp, e, ph, why, n, c);
        if (compare_history && ok)
            check_history(c, e);
        fg_flow_exec_free(e);
        for (int i = 0; i < rp.npending; i++)
            fg_flow_task_fail(rp.pending[i], "States.Timeout", NULL);
        json_decref(input);
    }
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
    json_decref(rp.events);
    json_decref(def);
    return ok;
}

/* The TestState API takes one state of type Task, Wait, Pass, Succeed, Fail or Choice. */
static bool test_state_supported(const json_t *c)
{
    const json_t *d = json_object_get(c, "definition");
    const char *t = fg_json_str(d, "Type", NULL);
    return !t || (strcmp(t, "Map") != 0 && strcmp(t, "Parallel") != 0);
}

static bool run_expect_invalid(const json_t *c, char *why, size_t n)
{
    if (!strcmp(fg_json_str(c, "kind", ""), "test_state_invalid") && !test_state_supported(c))
        return true;
    json_t *def = case_definition(c);
    int np = def ? fg_flow_validate(def, NULL) : 1;
    json_decref(def);
    if (np == 0)
        snprintf(why, n, "definition accepted, AWS rejects it");
    return np > 0;
}

static bool run_validate(const json_t *c, char *why, size_t n)
{
    json_t *def = case_definition(c);
    json_t *problems = NULL;
    int np = def ? fg_flow_validate(def, &problems) : 1;
    bool want_ok = !strcmp(fg_json_str(json_object_get(c, "expected"), "result", "OK"), "OK");
    bool ok = (np == 0) == want_ok;
    if (!ok)
        snprintf(why, n, "%s, expected %s%s%.200s", np ? "invalid" : "valid",
                 want_ok ? "valid" : "invalid", np && problems ? ": " : "",
                 np && problems ? json_string_value(json_object_get(json_array_get(problems, 0), "message")) : "");
    json_decref(problems);
    json_decref(def);
    return ok;
}

static bool run_lint(const json_t *c, char *why, size_t n)
{
    json_t *def = case_definition(c);
    json_t *problems = NULL;
    int np = def ? fg_flow_validate(def, &problems) : 1;
    bool want_ok = fg_json_bool(json_object_get(c, "expected"), "valid", true);
    bool ok = (np == 0) == want_ok;
    if (!ok)
        snprintf(why, n, "%s, expected %s%s%.200s", np ? "invalid" : "valid",
                 want_ok ? "valid" : "invalid", np && problems ? ": " : "",
                 np && problems ? json_string_value(json_object_get(json_array_get(problems, 0), "message")) : "");
    json_decref(problems);
    json_decref(def);
    return ok;
}

static bool run_invalid_input(const json_t *c, char *why, size_t n)
{
    const json_t *in = json_object_get(c, "input");
    if (!json_is_string(in)) {
        snprintf(why, n, "the case needs an API this runner does not model");
        return false;
    }
    json_error_t je;
    json_t *v = fg_json_parse(json_string_value(in), json_string_length(in), &je);
    bool rejected = v == NULL || json_string_length(in) == 0;
    json_decref(v);
    if (!rejected)
        snprintf(why, n, "the input was accepted: %.100s", json_string_value(in));
    return rejected;
}

static bool run_case(const json_t *c, char *why, size_t n)
{
    const char *kind = fg_json_str(c, "kind", "");
    if (!strcmp(kind, "execution") || !strcmp(kind, "test_state"))
        return run_execution(c, why, n);
    if (!strcmp(kind, "invalid_definition") || !strcmp(kind, "test_state_invalid"))
        return run_expect_invalid(c, why, n);
    if (!strcmp(kind, "validate_definition"))
        return run_validate(c, why, n);
    if (!strcmp(kind, "lint"))
        return run_lint(c, why, n);
    if (!strcmp(kind, "invalid_input"))
        return run_invalid_input(c, why, n);
    snprintf(why, n, "unknown case kind '%s'", kind);
    return false;
}

/* ---- reporting ---------------------------------------------------------------- */

static bool jsonpath_category(const char *cat)
{
    static const char *excluded[] = {"evaluate_jsonata", "assign", "query_language", "outputdecl",
                                     "states_variables"};
    const char *leaf = strrchr(cat, '/');
    leaf = leaf ? leaf + 1 : cat;
    for (size_t i = 0; i < FG_ARRAY_LEN(excluded); i++)
        if (!strcmp(leaf, excluded[i]))
            return false;
    return true;
}

/* A case in the JSONPath target: no JSONata anywhere and no variables. */
static bool jsonpath_case(const json_t *c)
{
    char *text = json_dumps(json_object_get(c, "definition"), JSON_COMPACT | JSON_ENCODE_ANY);
    bool jp = text && !strstr(text, "JSONata") && !strstr(text, "{%") && !strstr(text, "\"Assign\"");
    free(text);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(c, "features"), i, f) {
        const char *s = json_string_value(f);
        if (s && (strstr(s, "jsonata") || strstr(s, "Assign") || strstr(s, "variables")))
            jp = false;
    }
    return jp;
}

static void count(runner *r, const char *cat, bool ok, bool jp_case)
{
    cat_count *cc = NULL;
    for (int i = 0; i < r->ncats; i++)
        if (!strcmp(r->cats[i].name, cat))
            cc = &r->cats[i];
    if (!cc && r->ncats < (int)FG_ARRAY_LEN(r->cats)) {
        cc = &r->cats[r->ncats++];
        snprintf(cc->name, sizeof cc->name, "%s", cat);
    }
    if (cc) {
        if (ok) cc->pass++; else cc->fail++;
    }
    if (ok) r->pass++; else r->fail++;
    if (jp_case) {
        if (ok) r->jp_pass++; else r->jp_fail++;
    }
}

static void run_file(runner *r, const char *root, const char *path)
{
    const char *rel = path + strlen(root);
    while (*rel == '/')
        rel++;
    char cat[128];
    const char *slash = strrchr(rel, '/');
    snprintf(cat, sizeof cat, "%.*s", slash ? (int)(slash - rel) : 1, slash ? rel : ".");
    if (r->only && !strstr(rel, r->only))
        return;
    json_error_t je;
    json_t *c = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    char why[700] = "";
    bool ok = false;
    if (!c)
        snprintf(why, sizeof why, "cannot read the case: %s", je.text);

    bool jp = c && jsonpath_category(cat) && jsonpath_case(c);
    if (r->jsonpath_only && !jp) {
        json_decref(c);
        return;
    }
    if (c)
        ok = run_case(c, why, sizeof why);
    count(r, cat, ok, jp);
    if (!ok)
        printf("FAIL %s: %s\n", rel, why);
    else if (r->verbose)
        printf("ok %s\n", rel);
    json_decref(c);
}

int fg_flow_cmd_conformance(int argc, char **argv)
{
    long floor_ = -1;
    bool verbose = false, jsonpath_only = false;
    const char *only = NULL;
    const fg_opt opts[] = {
        {"floor", FG_OPT_INT, &floor_, "N",
         "after the report, print one check that passes when at least N cases pass"},
        {"only", FG_OPT_STR, &only, "TEXT", "run only the cases whose path contains TEXT"},
        {"verbose", FG_OPT_FLAG, &verbose, NULL, "also list the passing cases"},
        {"history", FG_OPT_FLAG, &compare_history, NULL,
         "also compare event types with the recorded histories (reported, not counted)"},
        {"jsonpath", FG_OPT_FLAG, &jsonpath_only, NULL,
         "run only the JSONPath target (no JSONata, variables or query-language mixes)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    static const fg_cli tmpl = {
        .usage = "flowgate conformance asl DIR [--floor N] [--only TEXT] [--jsonpath] [--history] [--verbose]",
        .summary = "Runs every Amazon States Language conformance case under DIR: executions\n"
                   "compare status and output or error, invalid definitions must be rejected,\n"
                   "lint cases compare the verdict. Prints counts per category, each failing\n"
                   "case with a reason, and last \"N passed, N failed\".",
        .min_positional = 2,
        .max_positional = 2,
    };
    fg_cli cli = tmpl;
    cli.opts = opts;
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (strcmp(argv[1], "asl") != 0) {
        fprintf(stderr, "flowgate conformance: unknown suite '%s' (known: asl)\n", argv[1]);
        return 2;
    }
    const char *root = argv[2];
    char **files = NULL;
    size_t n = 0, cap = 0;
    collect(root, &files, &n, &cap);
    if (n == 0) {
        fprintf(stderr, "flowgate conformance: no cases (*.json) under %s\n", root);
        return 2;
    }
    qsort(files, n, sizeof(char *), cmp_str);
    runner *r = calloc(1, sizeof *r);
    r->verbose = verbose;
    r->only = only;
    r->jsonpath_only = jsonpath_only;
    for (size_t i = 0; i < n; i++) {
        run_file(r, root, files[i]);
        free(files[i]);
    }
    free(files);
    printf("\n%-40s %7s %7s\n", "category", "passed", "failed");
    for (int i = 0; i < r->ncats; i++)
        printf("%-40s %7d %7d\n", r->cats[i].name, r->cats[i].pass, r->cats[i].fail);
    int jt = r->jp_pass + r->jp_fail;
    printf("JSONPath cases (no JSONata, no variables): %d/%d passed (%.1f%%)\n", r->jp_pass, jt,
           jt ? 100.0 * r->jp_pass / jt : 0.0);
    if (compare_history)
        printf("histories: %d match the recorded event types, %d differ\n", history_same,
               history_diff);
    printf("%d passed, %d failed\n", r->pass, r->fail);
    int status = r->fail ? 1 : 0;
    if (floor_ >= 0) {
        bool met = r->pass >= floor_;
        printf("floor %ld: %s\n%d passed, %d failed\n", floor_, met ? "met" : "NOT met", met ? 1 : 0,
               met ? 0 : 1);
        status = met ? 0 : 1;
    }
    free(r);
    return status;
}
