/* flowgate run FILE --input JSON [--history]: runs a state machine locally. */
#include "cli/args.h"
#include "cli/commands.h"
#include "core/clock.h"
#include "core/json.h"
#include "config/config.h"
#include "flow/flow.h"
#include "tasks/http_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int answer_task(fg_flow_task *t, void *ud)
{
    fg_flow_task_succeed(t, (json_t *)ud);
    return 0;
}

static json_t *load_input(const char *text, const char *file)
{
    json_error_t je;
    json_t *v = file ? fg_json_load_file(file, &je)
                     : fg_json_parse(text ? text : "{}", strlen(text ? text : "{}"), &je);
    if (!v)
        fprintf(stderr, "flowgate run: the input is not valid JSON (line %d, column %d): %s\n",
                je.line, je.column, je.text);
    return v;
}

/* Compact JSON with numbers as AWS prints them (1.1, not 1.1000000000000001). */
static void print_json(FILE *out, const json_t *v)
{
    char *s = fg_flow_json_text(v);
    fprintf(out, "%s\n", s ? s : "null");
    free(s);
}

typedef struct run_opts {
    const char *input, *input_file, *task_result, *config;
    bool history, virtual_time;
    long max_transitions;
} run_opts;

/* Runs m on in and prints the output (exit status 0) or the error (1). */
static int run_machine(const fg_flow_machine *m, json_t *in, const run_opts *ro)
{
    fg_flow_limits lim;
    fg_flow_limits_default(&lim);
    if (ro->max_transitions > 0)
        lim.max_transitions = (uint64_t)ro->max_transitions;
    int64_t now = fg_clock_wall_ms();
    fg_flow_clock vc;
    fg_flow_clock_virtual(&vc, &now);
    fg_flow_exec_opts o = {.history = ro->history, .limits = &lim,
                           .clock = ro->virtual_time ? &vc : NULL};
    fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
    fg_flow_status st = fg_flow_exec_run(e);
    int status = 1;
    if (st == FG_FLOW_SUCCEEDED) {
        print_json(stdout, fg_flow_exec_output(e));
        status = 0;
    } else {
        fprintf(stderr, "status: %s\nerror: %s\ncause: %s\n", fg_flow_status_name(st),
                fg_flow_exec_error(e) ? fg_flow_exec_error(e) : "",
                fg_flow_exec_cause(e) ? fg_flow_exec_cause(e) : "");
    }
    if (ro->history)
        print_json(stdout, fg_flow_exec_history(e));
    fg_flow_exec_free(e);
    return status;
}

static void print_problems(const char *file, const json_t *problems)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
        fprintf(stderr, "%s: %s: %s\n", file, json_string_value(json_object_get(p, "pointer")),
                json_string_value(json_object_get(p, "message")));
}

static int no_integration(fg_flow_task *t, void *ud)
{
    fg_flow_task_fail(t, "States.Runtime", "No task integration handles this resource");
    return 0;
}

/* The task integrations built into `flowgate run`: the HTTP tasks (http:invoke,
 * lambda:invoke and function ARNs, from the configuration's fetch.*,
 * connections[] and functions[]); any other resource fails at run time. */
typedef struct run_tasks {
    fg_config *cfg;
    fg_tasks_http *http;
    fg_flow_registry *reg;
} run_tasks;

static int run_tasks_create(run_tasks *rt, const char *config)
{
    fg_buf problems;
    fg_buf_init(&problems, 1 << 16);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_config_load(config, &rt->cfg, &problems)) {
        fprintf(stderr, "%s", problems.data ? problems.data : "flowgate run: bad configuration\n");
        fg_buf_free(&problems);
        return 1;
    }
    fg_buf_free(&problems);
    rt->http = fg_tasks_http_create(rt->cfg, &eb);
    rt->reg = fg_flow_registry_create();
    if (!rt->http || !rt->reg || fg_tasks_register_http(rt->reg, rt->http) ||
        fg_flow_registry_add(rt->reg, "*", no_integration, NULL)) {
        fprintf(stderr, "flowgate run: %s\n", eb.msg[0] ? eb.msg : "cannot set up the task integrations");
        return 1;
    }
    return 0;
}

static void run_tasks_free(run_tasks *rt)
{
    fg_flow_registry_free(rt->reg);
    fg_tasks_http_free(rt->http);
    fg_config_free(rt->cfg);
}

/* Loads the definition and the input, builds the machine and runs it. */
static int run_file(const char *file, const run_opts *ro)
{
    json_error_t je;
    json_t *def = fg_json_load_file(file, &je);
    if (!def) {
        if (je.line < 0)
            fprintf(stderr, "flowgate: %s\n", je.text);
        else
            fprintf(stderr, "%s:%d:%d: not valid JSON: %s\n", file, je.line, je.column, je.text);
        return 1;
    }
    json_t *in = load_input(ro->input, ro->input_file);
    json_t *answer = ro->task_result ? load_input(ro->task_result, NULL) : NULL;
    fg_flow_registry *reg = NULL;
    run_tasks tasks = {0};
    if (answer) {
        reg = fg_flow_registry_create();
        fg_flow_registry_add(reg, "*", answer_task, answer);
    } else if (!ro->task_result) {
        if (run_tasks_create(&tasks, ro->config)) {
            run_tasks_free(&tasks);
            json_decref(in);
            json_decref(def);
            return 1;
        }
        reg = tasks.reg;
        tasks.reg = NULL;
    }
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *problems = NULL;
    fg_flow_machine *m = in && (!ro->task_result || answer)
                             ? fg_flow_machine_create(def, reg, &problems, &eb) : NULL;
    int status = 1;
    if (m)
        status = run_machine(m, in, ro);
    else if (problems)
        print_problems(file, problems);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
    run_tasks_free(&tasks);
    json_decref(problems);
    json_decref(answer);
    json_decref(in);
    json_decref(def);
    return status;
}

int fg_tasks_cmd_run(int argc, char **argv)
{
    run_opts ro = {0};
    const fg_opt opts[] = {
        {"input", FG_OPT_STR, &ro.input, "JSON", "the execution input (default {})"},
        {"input-file", FG_OPT_STR, &ro.input_file, "FILE", "read the execution input from FILE"},
        {"history", FG_OPT_FLAG, &ro.history, NULL, "also print the event history"},
        {"task-result", FG_OPT_STR, &ro.task_result, "JSON",
         "answer every Task state with this result instead of running its integration"},
        {"config", FG_OPT_STR, &ro.config, "FILE",
         "configuration for the task integrations (fetch.*, connections[], functions[])"},
        {"virtual-time", FG_OPT_FLAG, &ro.virtual_time, NULL,
         "do not really sleep in Wait states and retries"},
        {"max-transitions", FG_OPT_INT, &ro.max_transitions, "N",
         "state transitions allowed (default 1000000)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    static const fg_cli tmpl = {
        .usage = "flowgate run FILE [--input JSON | --input-file FILE] [--history] [--task-result JSON]\n"
                 "                    [--config FILE]",
        .summary = "Runs an Amazon States Language state machine as an Express synchronous\n"
                   "execution and prints its output, or its error and cause (exit status 1).",
        .min_positional = 1,
        .max_positional = 1,
    };
    fg_cli cli = tmpl;
    cli.opts = opts;
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    return run_file(argv[1], &ro);
}
