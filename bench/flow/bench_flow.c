/* Express-execution throughput of the flow engine on three shapes:
 *  chain    - 100 states alternating Pass (Parameters + intrinsics) and Choice
 *  map      - a Map over 10,000 items with a Choice inside
 *  parallel - a Parallel state with 10 branches of 3 Pass states
 *  jsonata  - the chain written in JSONata: Pass states whose Output and Assign are
 *             {% %} expressions, Choice states with a Condition, a variable carried along
 * History is off. Prints state transitions per second (median of runs). */
#include "flow/flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *chain_def(int n)
{
    json_t *states = json_object();
    for (int i = 0; i < n; i++) {
        char name[32], next[32];
        snprintf(name, sizeof name, "S%d", i);
        snprintf(next, sizeof next, "S%d", i + 1);
        json_t *s;
        if (i % 2 == 0) {
            s = json_pack("{s:s,s:{s:s,s:s,s:s,s:s}}", "Type", "Pass", "Parameters",
                          "count.$", "States.MathAdd($.count, 1)",
                          "label.$", "States.Format('step {} of {}', $.count, $.name)",
                          "name.$", "$.name", "flag", "on");
        } else {
            s = json_pack("{s:s,s:[{s:s,s:i,s:s}],s:s}", "Type", "Choice", "Choices", "Variable",
                          "$.count", "NumericGreaterThanEquals", 0, "Next", next, "Default", "Fail");
        }
        if (i % 2 == 0) {
            if (i == n - 1)
                json_object_set_new(s, "End", json_true());
            else
                json_object_set_new(s, "Next", json_string(next));
        }
        json_object_set_new(states, name, s);
    }
    json_object_set_new(states, "Fail", json_pack("{s:s,s:s}", "Type", "Fail", "Error", "Negative"));
    if (n % 2 == 0) { /* the last state is a Choice: give it a terminal target */
        char last[32];
        snprintf(last, sizeof last, "S%d", n);
        json_object_set_new(states, last, json_pack("{s:s}", "Type", "Succeed"));
    }
    return json_pack("{s:s,s:o}", "StartAt", "S0", "States", states);
}

static json_t *map_def(void)
{
    json_error_t je;
    return json_loads(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.items\","
        "\"MaxConcurrency\":0,\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
        "\"Choices\":[{\"Variable\":\"$.v\",\"NumericLessThan\":5000,\"Next\":\"Low\"}],\"Default\":\"High\"},"
        "\"Low\":{\"Type\":\"Pass\",\"Result\":\"low\",\"End\":true},"
        "\"High\":{\"Type\":\"Pass\",\"Result\":\"high\",\"End\":true}}},\"End\":true}}}", 0, &je);
}

static json_t *parallel_def(void)
{
    json_t *branches = json_array();
    for (int b = 0; b < 10; b++) {
        char names[3][16]; /* state names are unique across the whole definition */
        for (int k = 0; k < 3; k++)
            snprintf(names[k], sizeof names[k], "B%d_%c", b, 'A' + k);
        json_t *br = json_pack("{s:s,s:{s:{s:s,s:{s:s},s:s},s:{s:s,s:s},s:{s:s,s:b}}}",
            "StartAt", names[0], "States",
            names[0], "Type", "Pass", "Parameters", "x.$", "$.x", "Next", names[1],
            names[1], "Type", "Pass", "Next", names[2],
            names[2], "Type", "Pass", "End", 1);
        json_array_append_new(branches, br);
    }
    return json_pack("{s:s,s:{s:{s:s,s:o,s:b}}}", "StartAt", "P", "States", "P", "Type", "Parallel",
                     "Branches", branches, "End", 1);
}

/* The chain in JSONata: each Pass computes its Output from $states.input and a
 * variable it also updates; each Choice tests a Condition. */
static json_t *jsonata_def(int n)
{
    json_t *states = json_object();
    for (int i = 0; i < n; i++) {
        char name[32], next[32];
        snprintf(name, sizeof name, "S%d", i);
        snprintf(next, sizeof next, "S%d", i + 1);
        json_t *s;
        if (i % 2 == 0) {
            s = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:{s:s}}", "Type", "Pass", "Output",
                          "count", "{% $states.input.count + 1 %}",
                          "label", "{% 'step ' & $states.input.count & ' of ' & $states.input.name %}",
                          "name", "{% $states.input.name %}", "flag", "on",
                          "Assign", "total", "{% $total + $states.input.count %}");
            if (i == n - 1)
                json_object_set_new(s, "End", json_true());
            else
                json_object_set_new(s, "Next", json_string(next));
        } else {
            s = json_pack("{s:s,s:[{s:s,s:s}],s:s}", "Type", "Choice", "Choices", "Condition",
                          "{% $states.input.count >= 0 %}", "Next", next, "Default", "Fail");
        }
        json_object_set_new(states, name, s);
    }
    json_object_set_new(states, "Fail", json_pack("{s:s,s:s}", "Type", "Fail", "Error", "Negative"));
    if (n % 2 == 0) {
        char last[32];
        snprintf(last, sizeof last, "S%d", n);
        json_object_set_new(states, last, json_pack("{s:s,s:s}", "Type", "Succeed", "Output",
                                                    "{% $merge([$states.input, {'total': $total}]) %}"));
    }
    json_t *init = json_pack("{s:s,s:{s:i},s:s}", "Type", "Pass", "Assign", "total", 0, "Next", "S0");
    json_object_set_new(states, "Init", init);
    return json_pack("{s:s,s:s,s:o}", "QueryLanguage", "JSONata", "StartAt", "Init", "States", states);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench(const char *name, json_t *def, json_t *input, int execs, int runs)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, NULL, NULL, &eb);
    if (!m) {
        fprintf(stderr, "%s: %s\n", name, eb.msg);
        exit(1);
    }
    double rates[16];
    uint64_t per = 0;
    for (int r = 0; r < runs; r++) {
        uint64_t transitions = 0;
        double t0 = now_s();
        for (int i = 0; i < execs; i++) {
            fg_flow_exec_opts o = {.name = "bench"};
            fg_flow_exec *e = fg_flow_exec_create(m, input, &o);
            if (fg_flow_exec_run(e) != FG_FLOW_SUCCEEDED) {
                fprintf(stderr, "%s failed: %s %s\n", name, fg_flow_exec_error(e), fg_flow_exec_cause(e));
                exit(1);
            }
            transitions += fg_flow_exec_transitions(e);
            if (r == 0 && i == 0 && getenv("BENCH_SHOW")) {
                char *out = json_dumps(fg_flow_exec_output(e), JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%s output: %.300s\n", name, out);
                free(out);
            }
            fg_flow_exec_free(e);
        }
        double dt = now_s() - t0;
        rates[r] = (double)transitions / dt;
        per = transitions / (uint64_t)execs;
    }
    qsort(rates, (size_t)runs, sizeof(double), cmp_d);
    printf("%-9s %8llu transitions/execution  median %10.0f transitions/s  (min %.0f, max %.0f, %d runs)\n",
           name, (unsigned long long)per, rates[runs / 2], rates[0], rates[runs - 1], runs);
    fg_flow_machine_free(m);
}

/* --dump DIR: writes NAME.asl.json, NAME.input.json and NAME.output.json (flowgate's
 * output) so a peer engine can run the same definitions and compare outputs. */
static void dump(const char *dir, const char *name, json_t *def, json_t *input)
{
    char path[512];
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, NULL, NULL, &eb);
    fg_flow_exec *e = fg_flow_exec_create(m, input, NULL);
    fg_flow_exec_run(e);
    snprintf(path, sizeof path, "%s/%s.asl.json", dir, name);
    json_dump_file(def, path, JSON_COMPACT);
    snprintf(path, sizeof path, "%s/%s.input.json", dir, name);
    json_dump_file(input, path, JSON_COMPACT);
    snprintf(path, sizeof path, "%s/%s.output.json", dir, name);
    json_t *meta = json_pack("{s:O,s:I}", "output", fg_flow_exec_output(e), "transitions",
                             (json_int_t)fg_flow_exec_transitions(e));
    json_dump_file(meta, path, JSON_COMPACT);
    json_decref(meta);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

int main(int argc, char **argv)
{
    const char *dump_dir = argc > 2 && !strcmp(argv[1], "--dump") ? argv[2] : NULL;
    int runs = argc > 1 && !dump_dir ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 16)
        runs = 5;
    json_t *d = chain_def(100);
    json_t *in = json_pack("{s:i,s:s}", "count", 0, "name", "bench");
    if (dump_dir)
        dump(dump_dir, "chain", d, in);
    else
        bench("chain", d, in, 2000, runs);
    json_decref(d);
    json_decref(in);
    d = map_def();
    json_t *items = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(items, json_pack("{s:i}", "v", i));
    in = json_pack("{s:o}", "items", items);
    if (dump_dir)
        dump(dump_dir, "map", d, in);
    else
        bench("map", d, in, 5, runs);
    json_decref(d);
    json_decref(in);
    d = parallel_def();
    in = json_pack("{s:i}", "x", 1);
    if (dump_dir)
        dump(dump_dir, "parallel", d, in);
    else
        bench("parallel", d, in, 5000, runs);
    json_decref(d);
    json_decref(in);
    d = jsonata_def(100);
    in = json_pack("{s:i,s:s}", "count", 0, "name", "bench");
    if (dump_dir)
        dump(dump_dir, "jsonata", d, in);
    else
        bench("jsonata", d, in, 500, runs);
    json_decref(d);
    json_decref(in);
    return 0;
}
