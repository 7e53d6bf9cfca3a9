/* TestState: runs one state on its own, with the given input, and reports its
 * output (or error and cause), the next state and the status. The state runs
 * inside a small machine where every state it can go to is a stub, on a virtual
 * clock (Waits and retry intervals pass at once). Task states are not sent to
 * their integrations: they fail with States.TaskFailed, which Retry and Catch
 * see as they would a failing integration. */
#include "sfn/api.h"

#include "core/clock.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_stub(json_t *states, const char *name)
{
    if (name && !json_object_get(states, name))
        json_object_set_new(states, name, json_pack("{s:s}", "Type", "Succeed"));
}

/* The states the tested state may go to, as Succeed stubs. */
static void add_targets(json_t *states, const json_t *st)
{
    add_stub(states, fg_json_str(st, "Next", NULL));
    add_stub(states, fg_json_str(st, "Default", NULL));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(st, "Choices"), i, c)
        add_stub(states, fg_json_str(c, "Next", NULL));
    json_array_foreach(json_object_get(st, "Catch"), i, c)
        add_stub(states, fg_json_str(c, "Next", NULL));
}

#define TESTED "TestedState"

static json_t *wrap(const json_t *state)
{
    json_t *states = json_object();
    json_object_set(states, TESTED, (json_t *)state);
    add_targets(states, state);
    return json_pack("{s:s,s:o}", "StartAt", TESTED, "States", states);
}

/* The error of a failure event (any *EventDetails with an "error"). */
static const json_t *failure_details(const json_t *ev)
{
    const char *k;
    json_t *d;
    json_object_foreach((json_t *)ev, k, d)
        if (json_is_object(d) && json_object_get(d, "error"))
            return d;
    return NULL;
}

/* The state entered after the tested one, from the history (NULL: none);
 * *caught gets the details of a failure on the way. */
static const char *next_state(const json_t *history, const json_t **caught)
{
    size_t i;
    json_t *ev;
    bool after = false;
    *caught = NULL;
    json_array_foreach(history, i, ev) {
        const char *type = fg_json_str(ev, "type", "");
        const json_t *d = json_object_get(ev, "stateEnteredEventDetails");
        const char *name = fg_json_str(d, "name", NULL);
        if (name && !strcmp(name, TESTED))
            after = true;
        else if (name && after)
            return name;
        if (after && (strstr(type, "Failed") || strstr(type, "TimedOut")) && failure_details(ev))
            *caught = failure_details(ev);
    }
    return NULL;
}

static int task_not_called(fg_flow_task *t, void *ud)
{
    (void)ud;
    fg_flow_task_fail(t, "States.TaskFailed", "TestState does not call task integrations");
    return 0;
}

static json_t *run_state(sfn_call_ctx *c, const json_t *machine_def, const json_t *input)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *problems = NULL;
    fg_flow_registry *reg = fg_flow_registry_create();
    if (reg)
        fg_flow_registry_add(reg, "*", task_not_called, NULL);
    fg_flow_machine *m = fg_flow_machine_create(machine_def, reg, &problems, &eb);
    fg_flow_registry_free(reg); /* the machine keeps the handler, not the table */
    if (!m) {
        char msg[800];
        json_t *p = json_array_get(problems, 0);
        snprintf(msg, sizeof msg, "Invalid State Machine Definition: '%s at %s'",
                 fg_json_str(p, "message", eb.msg), fg_json_str(p, "pointer", "/"));
        json_decref(problems);
        sfn_api_error(c->req, 400, "InvalidDefinition", msg);
        return NULL;
    }
    int64_t now = fg_clock_wall_ms();
    fg_flow_clock clock;
    fg_flow_clock_virtual(&clock, &now);
    fg_flow_exec_opts o = {.name = "TestState", .history = true, .express = true, .clock = &clock,
                           .limits = &c->s->limits};
    fg_flow_exec *e = fg_flow_exec_create(m, input, &o);
    fg_flow_status st = fg_flow_exec_run(e);
    const json_t *caught = NULL;
    const char *next = next_state(fg_flow_exec_history(e), &caught);
    json_t *out = json_object();
    if (st == FG_FLOW_SUCCEEDED) {
        char *text = json_dumps(fg_flow_exec_output(e), JSON_COMPACT | JSON_ENCODE_ANY);
        json_object_set_new(out, "output", json_string(text ? text : "null"));
        free(text);
        json_object_set_new(out, "status", json_string(caught ? "CAUGHT_ERROR" : "SUCCEEDED"));
        if (next)
            json_object_set_new(out, "nextState", json_string(next));
        if (caught) {
            json_object_set_new(out, "error", json_string(fg_json_str(caught, "error", "")));
            if (fg_json_str(caught, "cause", NULL))
                json_object_set_new(out, "cause", json_string(fg_json_str(caught, "cause", "")));
        }
    } else {
        json_object_set_new(out, "status", json_string("FAILED"));
        if (fg_flow_exec_error(e))
            json_object_set_new(out, "error", json_string(fg_flow_exec_error(e)));
        if (fg_flow_exec_cause(e))
            json_object_set_new(out, "cause", json_string(fg_flow_exec_cause(e)));
    }
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
    return out;
}

void sfn_op_test_state(sfn_call_ctx *c)
{
    const char *def = sfn_api_str(c, "definition", true);
    if (!def)
        return;
    json_t *state = json_loads(def, 0, NULL);
    if (!json_is_object(state) || !json_is_string(json_object_get(state, "Type"))) {
        json_decref(state);
        sfn_api_error(c->req, 400, "InvalidDefinition",
                      "Invalid State Machine Definition: the definition must be one state "
                      "(a JSON object with a Type)");
        return;
    }
    const char *type = fg_json_str(state, "Type", "");
    if (!strcmp(type, "Map") || !strcmp(type, "Parallel")) {
        json_decref(state);
        sfn_api_error(c->req, 400, "ValidationException", "TestState does not run Map and "
                                                         "Parallel states");
        return;
    }
    json_t *input = json_loads(fg_json_str(c->in, "input", "{}"), JSON_DECODE_ANY, NULL);
    if (!input) {
        json_decref(state);
        sfn_api_error(c->req, 400, "InvalidExecutionInput", "Invalid input: not JSON");
        return;
    }
    json_t *machine = wrap(state);
    json_t *out = run_state(c, machine, input);
    if (out)
        sfn_api_reply(c->req, out);
    json_decref(machine);
    json_decref(state);
    json_decref(input);
}
