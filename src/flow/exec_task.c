/* The interpreter's Task state (see exec.c): the call to the registered
 * handler, its timeout and heartbeat, and the fg_flow_task API handlers use to
 * complete it. */
#include "flow/exec_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Task ------------------------------------------------------------------- */

static int64_t num_field(fg_flow_exec *e, fg__frame *f, const fg__numfield *n, bool *bad)
{
    if (n->set)
        return (int64_t)n->value;
    if (n->jx) {
        json_t *v = fg__eval_jx(e, f, n->jx, NULL, NULL, "number");
        double d = v ? json_number_value(v) : -1;
        json_decref(v);
        if (!v) {
            *bad = true;
        } else if (d < 1 || d != floor(d) || d > 99999999) {
            *bad = true;
            char msg[300];
            snprintf(msg, sizeof msg, "The field '%s' must be a positive integer, but was: %g",
                     fg__jx_field(n->jx), d);
            fg__runtime_error(e, f, "States.QueryEvaluationError", msg);
        }
        return (int64_t)d;
    }
    if (!n->path)
        return 0;
    fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
    json_t *v = fg__path_eval(n->path, &cx);
    if (!v || !json_is_integer(v) || json_integer_value(v) < 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "The path '%s' does not reference a non-negative integer",
                 fg__jp_text(n->path));
        json_decref(v);
        *bad = true;
        fg__runtime_error(e, f, "States.Runtime", msg);
        return 0;
    }
    int64_t r = json_integer_value(v);
    json_decref(v);
    return r;
}

static const char *resource_short(const char *res, char *type, size_t n)
{
    /* arn:aws:states:::lambda:invoke -> resourceType lambda, resource invoke */
    const char *last = strrchr(res, ':');
    const char *p = strstr(res, ":::");
    if (p && last && last > p + 3) {
        snprintf(type, n, "%.*s", (int)(last - (p + 3)), p + 3);
        return last + 1;
    }
    snprintf(type, n, "lambda");
    return res;
}

/* arn:aws:lambda:...:function:NAME resources record LambdaFunction* events. */
static bool is_legacy_lambda(const fg__state *s)
{
    return !strncmp(s->resource, "arn:aws:lambda:", 15);
}

/* What a Task sends or Parallel branches receive: Arguments (JSONata) or
 * Parameters (JSONPath), else the state's input. NULL after a failure. */
json_t *fg__task_input(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    if (s->arguments)
        return fg__eval_jx(e, f, s->arguments, NULL, NULL, NULL);
    if (s->parameters)
        return fg__eval_params(e, f, s->parameters);
    return json_incref(f->eff_input);
}

void fg__run_task(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    char token[FG_FLOW_TOKEN_MAX];
    if (f->resume_token) {
        snprintf(token, sizeof token, "%s", f->resume_token);
        free(f->resume_token);
        f->resume_token = NULL;
    } else {
        char u[37];
        fg_rand_uuid(u);
        snprintf(token, sizeof token, "%s%s", e->token_prefix ? e->token_prefix : "", u);
    }
    if (s->pattern == FG_FLOW_WAIT_FOR_TOKEN)
        json_object_set_new(e->context, "Task", json_pack("{s:s}", "Token", token));
    json_t *params = fg__task_input(e, f);
    if (!params)
        return;
    bool bad = false;
    int64_t timeout = num_field(e, f, &s->timeout, &bad);
    if (bad) {
        json_decref(params);
        return;
    }
    if (!s->timeout.set && !s->timeout.path && !s->timeout.jx)
        timeout = 99999999;
    int64_t heartbeat = num_field(e, f, &s->heartbeat, &bad);
    if (bad) {
        json_decref(params);
        return;
    }
    fg_flow_task *t = calloc(1, sizeof *t);
    t->exec = e;
    t->resource = strdup(s->resource_base);
    snprintf(t->suffix, sizeof t->suffix, "%s", s->resource + strlen(s->resource_base));
    t->state_name = strdup(s->name);
    t->pattern = s->pattern;
    t->params = params;
    snprintf(t->token, sizeof t->token, "%s", token);
    t->heartbeat_ms = heartbeat * 1000;
    t->heartbeat_due = heartbeat ? fg__now_ms(e) + t->heartbeat_ms : 0;
    f->task = t;
    f->deadline = fg__now_ms(e) + timeout * 1000;
    f->ph = FG__PH_TASK;
    if (e->history && is_legacy_lambda(s)) {
        fg__hist_add(e, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails",
                     json_pack("{s:O,s:{s:b},s:s}", "input", params, "inputDetails", "truncated", 0,
                               "resource", s->resource));
        fg__hist_add(e, "LambdaFunctionStarted", NULL, NULL);
    } else if (e->history) {
        char type[64];
        const char *r = resource_short(s->resource, type, sizeof type);
        fg__hist_add(e, "TaskScheduled", "taskScheduledEventDetails",
                     json_pack("{s:O,s:s,s:s,s:s}", "parameters", params, "region", "us-east-1",
                               "resource", r, "resourceType", type));
        fg__hist_add(e, "TaskStarted", "taskStartedEventDetails",
                     json_pack("{s:s,s:s}", "resource", r, "resourceType", type));
    }
    if (!s->handler) {
        fg_flow_task_fail(t, "States.Runtime", "No task integration handles this resource");
        return;
    }
    int rc = s->handler(t, s->handler_ud);
    if (rc != 0 && !t->completed)
        fg_flow_task_fail(t, "States.TaskFailed", fg_strerror(rc));
}

static void task_history(fg_flow_exec *e, const fg__frame *f, const char *what, json_t *d)
{
    if (!e->history) {
        json_decref(d);
        return;
    }
    char key[64], ev[64];
    if (is_legacy_lambda(fg__cur_state(f))) {
        snprintf(key, sizeof key, "lambdaFunction%sEventDetails", what);
        snprintf(ev, sizeof ev, "LambdaFunction%s", what);
    } else {
        char type[64];
        const char *r = resource_short(fg__cur_state(f)->resource, type, sizeof type);
        json_object_set_new(d, "resource", json_string(r));
        json_object_set_new(d, "resourceType", json_string(type));
        snprintf(key, sizeof key, "task%sEventDetails", what);
        snprintf(ev, sizeof ev, "Task%s", what);
    }
    fg__hist_add(e, ev, key, d);
}

/* Returns false (and the time to look again in *wake) while the task is pending. */
bool fg__task_step(fg_flow_exec *e, fg__frame *f, int64_t *wake)
{
    fg_flow_task *t = f->task;
    if (t->completed && !t->error) {
        json_t *r = json_incref(t->result);
        task_history(e, f, "Succeeded", json_pack("{s:O,s:{s:b}}", "output", r, "outputDetails",
                                                  "truncated", 0));
        fg__finish_result(e, f, r);
        return true;
    }
    if (t->completed) {
        char *err = strdup(t->error), *cause = t->cause ? strdup(t->cause) : NULL;
        json_t *d = json_pack("{s:s}", "error", err);
        if (cause)
            json_object_set_new(d, "cause", json_string(cause));
        task_history(e, f, "Failed", d);
        fg__handle_error(e, f, err, cause);
        free(err);
        free(cause);
        return true;
    }
    if (fg__now_ms(e) >= f->deadline) {
        task_history(e, f, "TimedOut", json_pack("{s:s}", "error", "States.Timeout"));
        fg__handle_error(e, f, "States.Timeout", "");
        return true;
    }
    if (t->heartbeat_due && fg__now_ms(e) >= t->heartbeat_due) {
        task_history(e, f, "TimedOut", json_pack("{s:s}", "error", "States.HeartbeatTimeout"));
        fg__handle_error(e, f, "States.HeartbeatTimeout", "");
        return true;
    }
    *wake = t->heartbeat_due && t->heartbeat_due < f->deadline ? t->heartbeat_due : f->deadline;
    return false;
}

/* ---- tasks ------------------------------------------------------------------ */

/* Tells the runtime a pending task completed, so it steps the execution again. */
static void notify_task_done(fg_flow_task *t)
{
    if (t->exec && t->exec->task_done)
        t->exec->task_done(t->exec, t->exec->task_done_ud);
}

static void task_free(fg_flow_task *t)
{
    json_decref(t->params);
    json_decref(t->result);
    free(t->error);
    free(t->cause);
    free(t->resource);
    free(t->state_name);
    free(t);
}

void fg_flow_task_succeed(fg_flow_task *t, json_t *result)
{
    if (t->completed)
        return;
    t->completed = true;
    t->result = json_incref(result);
    if (!t->exec)
        task_free(t);
    else
        notify_task_done(t);
}

void fg_flow_task_fail(fg_flow_task *t, const char *error, const char *cause)
{
    if (t->completed)
        return;
    t->completed = true;
    t->error = strdup(error ? error : "States.TaskFailed");
    t->cause = cause ? strdup(cause) : NULL;
    if (!t->exec)
        task_free(t);
    else
        notify_task_done(t);
}

void fg_flow_task_release(fg_flow_task *t)
{
    t->released = true;
}

void fg_flow_task_heartbeat(fg_flow_task *t)
{
    if (t->completed || !t->exec || !t->heartbeat_ms)
        return;
    t->heartbeat_due = fg__now_ms(t->exec) + t->heartbeat_ms;
}

const char *fg_flow_task_resource(const fg_flow_task *t) { return t->resource; }
fg_flow_pattern fg_flow_task_pattern(const fg_flow_task *t) { return t->pattern; }
const char *fg_flow_task_resource_suffix(const fg_flow_task *t) { return t->suffix; }
const json_t *fg_flow_task_parameters(const fg_flow_task *t) { return t->params; }
const char *fg_flow_task_state_name(const fg_flow_task *t) { return t->state_name; }
const char *fg_flow_task_token(const fg_flow_task *t) { return t->token; }
void *fg_flow_task_host(const fg_flow_task *t) { return t->exec ? t->exec->host : NULL; }
const char *fg_flow_task_execution_name(const fg_flow_task *t)
{
    return t->exec ? t->exec->name : "";
}
const char *fg_flow_task_account(const fg_flow_task *t) { return t->exec ? t->exec->account_id : ""; }

void fg_flow_task_on_cancel(fg_flow_task *t, fg_flow_task_cancel_fn cb, void *ud)
{
    t->on_cancel = cb;
    t->cancel_ud = ud;
}
