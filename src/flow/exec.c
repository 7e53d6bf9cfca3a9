/* The interpreter: a resumable step machine. Each call to fg_flow_exec_step
 * advances the top frame by one phase; nothing recurses on the C stack across
 * states, so the position (frames, inputs, retry counts, Map/Parallel progress,
 * pending waits) is data that fg_flow_exec_snapshot serialises. */
#include "flow/exec_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const fg__state *cur_state(const fg__frame *f)
{
    return &f->sm->states[f->cur];
}

static int64_t now_ms(const fg_flow_exec *e)
{
    return e->clock->now_ms(e->clock->ud);
}

/* ---- frames ---------------------------------------------------------------- */

static void free_kids(fg__frame *f)
{
    for (int i = 0; i < f->nkids; i++)
        fg__frame_free(f->kids[i]);
    free(f->kids);
    f->kids = NULL;
    f->nkids = f->kids_cap = f->rr = 0;
}

static void frame_clear_state(fg__frame *f)
{
    json_decref(f->eff_input);
    f->eff_input = NULL;
    free(f->retry_counts);
    f->retry_counts = NULL;
    f->retry_total = 0;
    json_decref(f->items);
    json_decref(f->child_input);
    json_decref(f->results);
    f->items = f->child_input = f->results = NULL;
    f->child_next = f->child_total = f->failures = 0;
    f->tolerance_set = false;
    free_kids(f);
    if (f->task) {
        if (f->task->completed || f->task->released) {
            json_decref(f->task->params);
            json_decref(f->task->result);
            free(f->task->error);
            free(f->task->cause);
            free(f->task->resource);
            free(f->task->state_name);
            free(f->task);
        } else {
            fg_flow_task *t = f->task;
            t->exec = NULL; /* freed when the handler completes it */
            f->task = NULL;
            if (t->on_cancel)
                t->on_cancel(t, t->cancel_ud);
        }
        f->task = NULL;
    }
}

void fg__frame_free(fg__frame *f)
{
    if (!f)
        return;
    frame_clear_state(f);
    free(f->resume_token);
    json_decref(f->raw_input);
    json_decref(f->vars);
    json_decref(f->out);
    free(f->err);
    free(f->cause);
    free(f);
}

fg__frame *fg__frame_new(const fg__sm *sm, json_t *input, int index, int level)
{
    fg__frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->sm = sm;
    f->cur = sm->start;
    f->ph = FG__PH_ENTER;
    f->raw_input = input;
    f->vars_bytes = FG__VARS_SIZE_UNKNOWN;
    f->index_in_parent = index;
    f->level = level;
    return f;
}

int fg__frame_add_kid(fg__frame *parent, fg__frame *kid)
{
    if (parent->nkids == parent->kids_cap) {
        int nc = parent->kids_cap ? parent->kids_cap * 2 : 4;
        fg__frame **nk = realloc(parent->kids, sizeof(fg__frame *) * (size_t)nc);
        if (!nk)
            return FG_ENOMEM;
        parent->kids = nk;
        parent->kids_cap = nc;
    }
    parent->kids[parent->nkids++] = kid;
    return 0;
}

/* ---- ending -------------------------------------------------------------- */

static void exec_finish(fg_flow_exec *e, fg_flow_status st, json_t *out, const char *err,
                        const char *cause)
{
    e->status = st;
    e->output = out;
    e->error = err ? strdup(err) : NULL;
    e->cause = cause ? strdup(cause) : NULL;
    if (!e->history)
        return;
    if (st == FG_FLOW_SUCCEEDED) {
        fg__hist_add(e, "ExecutionSucceeded", "executionSucceededEventDetails",
                     json_pack("{s:O,s:{s:b}}", "output", out, "outputDetails", "truncated", 0));
    } else {
        const char *type = st == FG_FLOW_TIMED_OUT ? "ExecutionTimedOut"
                           : st == FG_FLOW_ABORTED ? "ExecutionAborted" : "ExecutionFailed";
        const char *key = st == FG_FLOW_TIMED_OUT ? "executionTimedOutEventDetails"
                          : st == FG_FLOW_ABORTED ? "executionAbortedEventDetails"
                                                  : "executionFailedEventDetails";
        json_t *d = json_object();
        if (err)
            json_object_set_new(d, "error", json_string(err));
        if (cause)
            json_object_set_new(d, "cause", json_string(cause));
        fg__hist_add(e, type, key, d);
    }
}

/* The state machine of frame f ended (out stolen). The root ends the execution;
 * a child records its result for its parent to collect. f must not be used
 * afterwards by the caller. */
static void frame_end(fg_flow_exec *e, fg__frame *f, json_t *out, bool failed, const char *err,
                      const char *cause)
{
    if (f == e->root) {
        exec_finish(e, failed ? FG_FLOW_FAILED : FG_FLOW_SUCCEEDED, out, err, cause);
        fg__frame_free(f);
        e->root = e->cur = NULL;
        return;
    }
    f->done = true;
    f->failed = failed;
    f->out = out;
    f->err = err ? strdup(err) : NULL;
    f->cause = cause ? strdup(cause) : NULL;
}

static void state_exited(fg_flow_exec *e, fg__frame *f, const json_t *out)
{
    if (!e->history)
        return;
    const fg__state *s = cur_state(f);
    char type[64];
    snprintf(type, sizeof type, "%sStateExited", fg__state_type_name(s->type));
    json_t *d = json_pack("{s:s,s:O,s:{s:b}}", "name", s->name, "output", out ? out : json_null(),
                          "outputDetails", "truncated", 0);
    if (e->assigned) { /* as AWS records them: each value as JSON text */
        json_t *av = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(e->assigned, k, v) {
            char *text = fg__json_text(v);
            json_object_set_new(av, k, json_string(text ? text : "null"));
            free(text);
        }
        json_object_set_new(d, "assignedVariables", av);
        json_object_set_new(d, "assignedVariablesDetails", json_pack("{s:b}", "truncated", 0));
        json_decref(e->assigned);
        e->assigned = NULL;
    }
    fg__hist_add(e, type, "stateExitedEventDetails", d);
}

static void go_to(fg_flow_exec *e, fg__frame *f, int next, json_t *out)
{
    frame_clear_state(f);
    free(f->resume_token);
    json_decref(f->raw_input);
    f->raw_input = out;
    f->cur = next;
    f->ph = FG__PH_ENTER;
}

static void fail_state(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause);

/* The state is left with out (stolen) for state next (-1: the state machine ends). */
static void move_on(fg_flow_exec *e, fg__frame *f, json_t *out, int next)
{
    state_exited(e, f, out);
    if (next < 0) {
        frame_clear_state(f);
        frame_end(e, f, out, false, NULL, NULL);
        return;
    }
    go_to(e, f, next, out);
}

static void transition(fg_flow_exec *e, fg__frame *f, json_t *out)
{
    move_on(e, f, out, cur_state(f)->next);
}

/* ---- errors, retry and catch ------------------------------------------------ */

static bool eval_assign(fg_flow_exec *e, fg__frame *f, const fg__assign *a, json_t *jp_doc,
                        json_t *result, json_t *error_output, json_t **out);
static bool commit_assign(fg_flow_exec *e, fg__frame *f, json_t *assigned);
static void jsonata_catch(fg_flow_exec *e, fg__frame *f, const fg__catcher *c, json_t *eo);

static double retry_delay(const fg__retrier *r, int attempt)
{
    double d = r->interval * pow(r->backoff, attempt);
    if (r->max_delay > 0 && d > r->max_delay)
        d = r->max_delay;
    if (r->jitter_full)
        d = d * fg_rand_unit();
    return d;
}

static bool try_retry(fg_flow_exec *e, fg__frame *f, const char *err)
{
    const fg__state *s = cur_state(f);
    if (!strcmp(err, "States.Runtime") || !s->nretry)
        return false;
    for (int k = 0; k < s->nretry; k++) {
        const fg__retrier *r = &s->retry[k];
        if (!fg__error_matches(r->errors, err))
            continue;
        if (!f->retry_counts)
            f->retry_counts = calloc((size_t)s->nretry, sizeof(int));
        if (f->retry_counts[k] >= r->max_attempts)
            return false;
        double d = retry_delay(r, f->retry_counts[k]);
        f->retry_counts[k]++;
        f->retry_total++;
        f->wake_at = now_ms(e) + (int64_t)(d * 1000.0);
        f->ph = FG__PH_RETRY_WAIT;
        return true;
    }
    return false;
}

static bool try_catch(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause)
{
    const fg__state *s = cur_state(f);
    if (!strcmp(err, "States.Runtime"))
        return false;
    for (int k = 0; k < s->ncatch; k++) {
        const fg__catcher *c = &s->catch_[k];
        if (!fg__error_matches(c->errors, err))
            continue;
        json_t *eo = fg__error_output(err, cause);
        json_t *out, *assigned = NULL;
        if (s->jsonata) {
            jsonata_catch(e, f, c, eo);
            return true;
        }
        e->in_catch = true;
        bool ok = eval_assign(e, f, c->assign, eo, NULL, NULL, &assigned);
        e->in_catch = false;
        if (!ok) {
            json_decref(eo);
            return true;
        }
        if (c->result_path_null) {
            out = json_incref(f->raw_input);
            json_decref(eo);
        } else if (!c->result_path) {
            out = eo;
        } else {
            out = json_deep_copy(f->raw_input);
            if (fg__jp_set(c->result_path, &out, eo) != 0) {
                json_decref(out);
                char msg[300];
                snprintf(msg, sizeof msg, "Unable to apply ResultPath '%s' of the catcher",
                         fg__jp_text(c->result_path));
                json_decref(assigned);
                fail_state(e, f, "States.ResultPathMatchFailure", msg);
                return true;
            }
        }
        e->in_catch = true;
        ok = commit_assign(e, f, assigned);
        e->in_catch = false;
        if (!ok) {
            json_decref(out);
            return true;
        }
        state_exited(e, f, out);
        go_to(e, f, c->next, out);
        return true;
    }
    return false;
}

/* The current state failed: retry, catch, or fail the frame. */
static void handle_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause)
{
    if (!err || e->in_catch) { /* a failure inside a catcher is not caught again */
        fail_state(e, f, err, cause);
        return;
    }
    if (try_retry(e, f, err))
        return;
    if (try_catch(e, f, err, cause))
        return;
    fail_state(e, f, err, cause);
}

/* Fails the frame without catching (Fail states, or after catch found nothing). */
static void fail_state(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause)
{
    char *er = err ? strdup(err) : NULL;
    char *ca = cause ? strdup(cause) : NULL;
    frame_clear_state(f);
    frame_end(e, f, NULL, true, er, ca);
    free(er);
    free(ca);
}

static void runtime_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *msg)
{
    char cause[FG_ERRMSG_MAX + 200], entered[64] = "";
    if (f->entered_event)
        snprintf(entered, sizeof entered, " (entered at the event id #%d)", f->entered_event);
    snprintf(cause, sizeof cause, "An error occurred while executing the state '%s'%s. %s",
             cur_state(f)->name, entered, msg);
    if (e->history && err && !strcmp(err, "States.QueryEvaluationError")) {
        json_t *d = json_pack("{s:s,s:s,s:s}", "cause", cause, "error", err, "state",
                              cur_state(f)->name);
        if (e->eval_location)
            json_object_set_new(d, "location", json_string(e->eval_location));
        fg__hist_add(e, "EvaluationFailed", "evaluationFailedEventDetails", d);
        if (cur_state(f)->type == FG__MAP && f->ph != FG__PH_CHILDREN)
            fg__hist_add(e, "MapStateFailed", NULL, NULL);
    }
    e->eval_location = NULL;
    handle_error(e, f, err ? err : "States.Runtime", cause);
}

/* ---- evaluation helpers ---------------------------------------------------- */

static void set_state_context(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    json_t *st = json_object_get(e->context, "State");
    char ts[40];
    if (!f->entered_ms)
        f->entered_ms = now_ms(e);
    fg_clock_format_iso8601(f->entered_ms, ts, sizeof ts);
    json_object_set_new(st, "Name", json_string(s->name));
    json_object_set_new(st, "EnteredTime", json_string(ts));
    if (s->nretry)
        json_object_set_new(st, "RetryCount", json_integer(f->retry_total));
    else
        json_object_del(st, "RetryCount");
}


static void sync_context(void *ud)
{
    fg_flow_exec *e = ud;
    if (!e->context_dirty || !e->cur)
        return;
    set_state_context(e, e->cur);
    e->context_dirty = false;
}

static fg__eval_ctx make_cx(fg_flow_exec *e, const fg__frame *f, json_t *input)
{
    e->eb.code = 0;
    e->eb.msg[0] = 0;
    fg__eval_ctx cx = {.input = input, .context = e->context, .vars = f ? f->vars : NULL,
                       .max_results = e->limits.max_jsonpath_results, .eb = &e->eb,
                       .sync_context = sync_context, .sync_ud = e};
    return cx;
}

static json_t *apply_output_path(fg_flow_exec *e, fg__frame *f, json_t *out)
{
    const fg__state *s = cur_state(f);
    if (s->output_path_null) {
        json_decref(out);
        return json_object();
    }
    if (!s->output_path)
        return out;
    fg__eval_ctx cx = make_cx(e, f, out);
    json_t *r = fg__path_eval(s->output_path, &cx);
    json_decref(out);
    if (!r)
        runtime_error(e, f, "States.Runtime", e->eb.msg);
    return r;
}

static bool payload_ok(fg_flow_exec *e, fg__frame *f, const json_t *v)
{
    if (!e->limits.payload_max || !fg__json_size_over(v, e->limits.payload_max))
        return true;
    char msg[300];
    snprintf(msg, sizeof msg,
             "The state/task '%s' returned a result with a size exceeding the maximum number of "
             "bytes service limit.", cur_state(f)->name);
    handle_error(e, f, "States.DataLimitExceeded", msg);
    return false;
}

/* ---- variables and JSONata fields ------------------------------------------- */

/* Evaluates an Assign into *out (NULL when there is none). A JSONPath Assign
 * reads jp_doc as $; a JSONata one sees $states.input (the state's input),
 * $states.result and $states.errorOutput. False after a failure (handled). */
static bool eval_assign(fg_flow_exec *e, fg__frame *f, const fg__assign *a, json_t *jp_doc,
                        json_t *result, json_t *error_output, json_t **out)
{
    *out = NULL;
    if (!a)
        return true;
    fg__eval_ctx cx = make_cx(e, f, cur_state(f)->jsonata ? f->raw_input : jp_doc);
    cx.result = result;
    cx.error_output = error_output;
    *out = fg__assign_eval(a, &cx);
    if (*out)
        return true;
    e->eval_location = cx.location;
    runtime_error(e, f, cx.error, e->eb.msg);
    return false;
}

/* Makes the assigned values (stolen) visible to the states that follow. */
static bool commit_assign(fg_flow_exec *e, fg__frame *f, json_t *assigned)
{
    if (!assigned)
        return true;
    json_t *nv = fg__vars_apply(f->vars, assigned, &f->vars_bytes, &e->eb);
    if (e->history && nv) {
        json_decref(e->assigned);
        e->assigned = json_incref(assigned);
    }
    json_decref(assigned);
    if (!nv) {
        runtime_error(e, f, "States.Runtime", e->eb.msg);
        return false;
    }
    json_decref(f->vars);
    f->vars = nv;
    return true;
}

/* Evaluates a JSONata field ($states.input is the state's input); want is the
 * JSON type the value must have, or NULL. NULL after a failure (handled). */
static json_t *eval_jx(fg_flow_exec *e, fg__frame *f, const fg__jx *x, json_t *result,
                       json_t *error_output, const char *want)
{
    fg__eval_ctx cx = make_cx(e, f, f->raw_input);
    cx.result = result;
    cx.error_output = error_output;
    json_t *r = want ? fg__jx_eval_as(x, &cx, want) : fg__jx_eval(x, &cx);
    if (!r) {
        e->eval_location = cx.location;
        runtime_error(e, f, cx.error, e->eb.msg);
    }
    return r;
}

/* Leaves a JSONata state for next: Assign and Output (default: the result, else
 * the input) are both computed from the values at state entry. Steals result
 * (may be NULL). */
static void jsonata_leave(fg_flow_exec *e, fg__frame *f, json_t *result, const fg__jx *output,
                          const fg__assign *assign, int next)
{
    json_t *assigned = NULL, *out = NULL;
    if (!eval_assign(e, f, assign, NULL, result, NULL, &assigned))
        goto fail;
    out = output ? eval_jx(e, f, output, result, NULL, NULL)
                 : json_incref(result ? result : f->raw_input);
    if (!out || !payload_ok(e, f, out))
        goto fail;
    json_decref(result);
    if (!commit_assign(e, f, assigned)) {
        json_decref(out);
        return;
    }
    move_on(e, f, out, next);
    return;
fail:
    json_decref(assigned);
    json_decref(out);
    json_decref(result);
}

/* Leaves a JSONPath state that has no result (Choice, Wait, Succeed): Assign
 * reads the effective input, then OutputPath. */
static void jsonpath_leave(fg_flow_exec *e, fg__frame *f, const fg__assign *assign, int next)
{
    json_t *assigned = NULL;
    if (!eval_assign(e, f, assign, f->eff_input, NULL, NULL, &assigned))
        return;
    json_t *out = apply_output_path(e, f, json_incref(f->eff_input));
    if (!out) {
        json_decref(assigned);
        return;
    }
    if (!commit_assign(e, f, assigned)) {
        json_decref(out);
        return;
    }
    move_on(e, f, out, next);
}

/* A JSONata catcher: Output (default: the error output) and Assign see
 * $states.errorOutput; a failure there fails the state. Steals eo. */
static void jsonata_catch(fg_flow_exec *e, fg__frame *f, const fg__catcher *c, json_t *eo)
{
    json_t *assigned = NULL, *out = NULL;
    int next = c->next;
    e->in_catch = true;
    bool ok = eval_assign(e, f, c->assign, NULL, NULL, eo, &assigned);
    if (ok)
        out = c->output ? eval_jx(e, f, c->output, NULL, eo, NULL) : json_incref(eo);
    if (ok && out) {
        ok = commit_assign(e, f, assigned);
    } else {
        json_decref(assigned);
        ok = false;
    }
    e->in_catch = false;
    json_decref(eo);
    if (!ok) {
        json_decref(out);
        return;
    }
    state_exited(e, f, out);
    go_to(e, f, next, out);
}

/* The state produced result (stolen): ResultSelector, ResultPath, OutputPath. */
static void finish_result(fg_flow_exec *e, fg__frame *f, json_t *result)
{
    const fg__state *s = cur_state(f);
    if (s->jsonata) {
        jsonata_leave(e, f, result, s->output, s->assign, s->next);
        return;
    }
    if (s->result_selector) {
        fg__eval_ctx cx = make_cx(e, f, result);
        json_t *r = fg__tmpl_eval(s->result_selector, &cx);
        json_decref(result);
        if (!r) {
            runtime_error(e, f, cx.error, e->eb.msg);
            return;
        }
        result = r;
    }
    if (!payload_ok(e, f, result)) {
        json_decref(result);
        return;
    }
    json_t *out, *assigned = NULL;
    if (!eval_assign(e, f, s->assign, result, NULL, NULL, &assigned)) {
        json_decref(result);
        return;
    }
    if (s->result_path_null) {
        out = json_incref(f->raw_input);
        json_decref(result);
    } else if (!s->result_path) {
        out = result;
    } else {
        out = json_deep_copy(f->raw_input);
        if (fg__jp_set(s->result_path, &out, result) != 0) {
            json_decref(out);
            char msg[400];
            snprintf(msg, sizeof msg, "Unable to apply ResultPath '%s' to the input of the state",
                     fg__jp_text(s->result_path));
            json_decref(assigned);
            runtime_error(e, f, "States.ResultPathMatchFailure", msg);
            return;
        }
    }
    out = apply_output_path(e, f, out);
    if (!out) {
        json_decref(assigned);
        return;
    }
    if (!commit_assign(e, f, assigned)) {
        json_decref(out);
        return;
    }
    transition(e, f, out);
}

/* ---- entering a state -------------------------------------------------------- */

static bool enter_state(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    /* Reading the clock costs more than a simple state: do it only when the time
     * is recorded (history) or read ($$.State.EnteredTime, set on first use). */
    f->entered_ms = e->history ? now_ms(e) : 0;
    if (++e->transitions > e->limits.max_transitions) {
        char msg[200];
        snprintf(msg, sizeof msg, "The execution exceeded the limit of %llu state transitions",
                 (unsigned long long)e->limits.max_transitions);
        fail_state(e, f, "States.Runtime", msg);
        return false;
    }
    if (e->history) {
        char type[64];
        snprintf(type, sizeof type, "%sStateEntered", fg__state_type_name(s->type));
        fg__hist_add(e, type, "stateEnteredEventDetails",
                     json_pack("{s:s,s:O,s:{s:b}}", "name", s->name, "input", f->raw_input,
                               "inputDetails", "truncated", 0));
        f->entered_event = e->last_event;
    }
    e->context_dirty = true;
    if (s->jsonata) { /* $states.input is the raw input; no InputPath */
        f->eff_input = json_incref(f->raw_input);
    } else if (s->input_path_null) {
        f->eff_input = json_object();
    } else if (s->input_path) {
        fg__eval_ctx cx = make_cx(e, f, f->raw_input);
        f->eff_input = fg__path_eval(s->input_path, &cx);
        if (!f->eff_input) {
            runtime_error(e, f, "States.Runtime", e->eb.msg);
            return false;
        }
    } else {
        f->eff_input = json_incref(f->raw_input);
    }
    f->ph = FG__PH_RUN;
    return true;
}

/* ---- the states --------------------------------------------------------------- */

static json_t *eval_params(fg_flow_exec *e, fg__frame *f, const fg__tmpl *t)
{
    fg__eval_ctx cx = make_cx(e, f, f->eff_input);
    json_t *r = fg__tmpl_eval(t, &cx);
    if (!r)
        runtime_error(e, f, cx.error, e->eb.msg);
    return r;
}

static void run_pass(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    json_t *r;
    if (s->jsonata) {
        jsonata_leave(e, f, NULL, s->output, s->assign, s->next);
        return;
    }
    if (s->result) {
        r = json_incref(s->result);
    } else if (s->parameters) {
        if (!(r = eval_params(e, f, s->parameters)))
            return;
    } else {
        r = json_incref(f->eff_input);
    }
    finish_result(e, f, r);
}

/* 1 when rule i of a Choice state matches, 0 when not, -1 after a failure. */
static int choice_rule_matches(fg_flow_exec *e, fg__frame *f, int i)
{
    const fg__state *s = cur_state(f);
    if (s->jsonata) {
        json_t *v = eval_jx(e, f, s->conditions[i], NULL, NULL, "boolean");
        int m = v ? json_is_true(v) : -1;
        json_decref(v);
        return m;
    }
    fg__eval_ctx cx = make_cx(e, f, f->eff_input);
    int m = fg__rule_eval(s->choices[i], &cx);
    if (m < 0)
        runtime_error(e, f, cx.error, e->eb.msg);
    return m;
}

/* The first matching rule sets the next state and its Assign and Output take
 * effect; when none matches, Default with the state's Assign and Output. */
static void run_choice(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    int matched = -1;
    for (int i = 0; i < s->nchoices && matched < 0; i++) {
        int m = choice_rule_matches(e, f, i);
        if (m < 0)
            return;
        if (m)
            matched = i;
    }
    int next = matched >= 0 ? s->choice_next[matched] : s->dflt;
    if (next < 0) {
        fail_state(e, f, "States.NoChoiceMatched",
                   "No Matches! Configure the Default field of the Choice state.");
        return;
    }
    const fg__assign *assign = matched >= 0 ? s->choice_assign[matched] : s->assign;
    const fg__jx *output = matched >= 0 ? s->choice_output[matched] : s->output;
    if (s->jsonata)
        jsonata_leave(e, f, NULL, output, assign, next);
    else
        jsonpath_leave(e, f, assign, next);
}

static void run_succeed(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    if (s->jsonata)
        jsonata_leave(e, f, NULL, s->output, NULL, -1);
    else
        jsonpath_leave(e, f, NULL, -1);
}

static char *fail_field(fg_flow_exec *e, fg__frame *f, const char *lit, const fg__jp *p,
                        const fg__fn *fn, const char *field, bool *bad)
{
    if (lit)
        return strdup(lit);
    if (!p && !fn)
        return NULL;
    fg__eval_ctx cx = make_cx(e, f, f->eff_input);
    json_t *v = p ? fg__path_eval(p, &cx) : fg__fn_eval(fn, &cx);
    if (!v || !json_is_string(v)) {
        char msg[400];
        snprintf(msg, sizeof msg, "The JSONPath specified for the field '%s' could not be found "
                                  "in the input or is not a string", field);
        json_decref(v);
        *bad = true;
        runtime_error(e, f, "States.Runtime", msg);
        return NULL;
    }
    char *r = strdup(json_string_value(v));
    json_decref(v);
    return r;
}

/* Error or Cause of a JSONata Fail state given as an expression. */
static char *fail_field_jx(fg_flow_exec *e, fg__frame *f, const fg__jx *x, bool *bad)
{
    json_t *v = eval_jx(e, f, x, NULL, NULL, "string");
    if (!v) {
        *bad = true;
        return NULL;
    }
    char *r = strdup(json_string_value(v));
    json_decref(v);
    return r;
}

static void run_fail(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    bool bad = false;
    char *err = s->error_jx ? fail_field_jx(e, f, s->error_jx, &bad)
                            : fail_field(e, f, s->error, s->error_path, s->error_fn, "ErrorPath", &bad);
    if (bad)
        return;
    char *cause = s->cause_jx ? fail_field_jx(e, f, s->cause_jx, &bad)
                              : fail_field(e, f, s->cause, s->cause_path, s->cause_fn, "CausePath", &bad);
    if (bad) {
        free(err);
        return;
    }
    fail_state(e, f, err, cause);
    free(err);
    free(cause);
}

/* ---- Wait ------------------------------------------------------------------- */

static bool wait_seconds_from(fg_flow_exec *e, fg__frame *f, const fg__jp *p, int64_t *out)
{
    fg__eval_ctx cx = make_cx(e, f, f->eff_input);
    json_t *v = fg__path_eval(p, &cx);
    char msg[400];
    if (!v) {
        snprintf(msg, sizeof msg, "The SecondsPath parameter does not reference an input value: %s",
                 fg__jp_text(p));
    } else if (!json_is_integer(v) &&
               !(json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))) {
        snprintf(msg, sizeof msg, "The SecondsPath parameter cannot be parsed as a long value: %s",
                 fg__jp_text(p));
    } else if (json_number_value(v) < 0) {
        snprintf(msg, sizeof msg, "The SecondsPath parameter references a negative value: %s",
                 fg__jp_text(p));
    } else {
        *out = (int64_t)json_number_value(v) * 1000;
        json_decref(v);
        return true;
    }
    json_decref(v);
    runtime_error(e, f, "States.Runtime", msg);
    return false;
}

/* Seconds or Timestamp of a JSONata Wait state given as an expression. */
static bool wait_until_jsonata(fg_flow_exec *e, fg__frame *f, int64_t now, int64_t *at)
{
    const fg__state *s = cur_state(f);
    char msg[600];
    const char *want = s->seconds.jx ? "number" : "string";
    json_t *v = eval_jx(e, f, s->seconds.jx ? s->seconds.jx : s->timestamp_jx, NULL, NULL, want);
    if (!v)
        return false;
    bool ok;
    if (s->seconds.jx) {
        double d = json_number_value(v);
        ok = d >= 0 && d == floor(d) && d <= 99999999;
        *at = now + (int64_t)d * 1000;
        snprintf(msg, sizeof msg, "The Seconds field must be a non-negative integer of at most "
                                  "99999999, but was: %g", d);
    } else {
        ok = fg__timestamp_parse(json_string_value(v), at, NULL);
        snprintf(msg, sizeof msg, "The Timestamp field cannot be parsed as an ISO-8601 extended "
                                  "offset date-time format string: %.300s", json_string_value(v));
    }
    json_decref(v);
    if (!ok)
        runtime_error(e, f, "States.QueryEvaluationError", msg);
    return ok;
}

static void run_wait(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    int64_t now = now_ms(e), at = now;
    if (s->seconds.jx || s->timestamp_jx) {
        if (!wait_until_jsonata(e, f, now, &at))
            return;
    } else if (s->seconds.set) {
        at = now + (int64_t)s->seconds.value * 1000;
    } else if (s->seconds.path) {
        int64_t d;
        if (!wait_seconds_from(e, f, s->seconds.path, &d))
            return;
        at = now + d;
    } else if (s->timestamp) {
        fg__timestamp_parse(s->timestamp, &at, NULL);
    } else if (s->timestamp_path) {
        fg__eval_ctx cx = make_cx(e, f, f->eff_input);
        json_t *v = fg__path_eval(s->timestamp_path, &cx);
        bool ok = v && json_is_string(v) && fg__timestamp_parse(json_string_value(v), &at, NULL);
        json_decref(v);
        if (!ok) {
            char msg[400];
            snprintf(msg, sizeof msg, "The TimestampPath parameter does not reference a valid "
                     "ISO-8601 extended offset date-time format string: %s",
                     fg__jp_text(s->timestamp_path));
            runtime_error(e, f, "States.Runtime", msg);
            return;
        }
    }
    if (at - now > (int64_t)2147483647 * 1000) {
        runtime_error(e, f, "States.Runtime", "Wait state delay is too long.");
        return;
    }
    f->wake_at = at;
    f->ph = FG__PH_WAIT;
}

static void wait_done(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    if (s->jsonata)
        jsonata_leave(e, f, NULL, s->output, s->assign, s->next);
    else
        jsonpath_leave(e, f, s->assign, s->next);
}

/* ---- Task ------------------------------------------------------------------- */

static int64_t num_field(fg_flow_exec *e, fg__frame *f, const fg__numfield *n, bool *bad)
{
    if (n->set)
        return (int64_t)n->value;
    if (n->jx) {
        json_t *v = eval_jx(e, f, n->jx, NULL, NULL, "number");
        double d = v ? json_number_value(v) : -1;
        json_decref(v);
        if (!v) {
            *bad = true;
        } else if (d < 1 || d != floor(d) || d > 99999999) {
            *bad = true;
            char msg[300];
            snprintf(msg, sizeof msg, "The field '%s' must be a positive integer, but was: %g",
                     fg__jx_field(n->jx), d);
            runtime_error(e, f, "States.QueryEvaluationError", msg);
        }
        return (int64_t)d;
    }
    if (!n->path)
        return 0;
    fg__eval_ctx cx = make_cx(e, f, f->eff_input);
    json_t *v = fg__path_eval(n->path, &cx);
    if (!v || !json_is_integer(v) || json_integer_value(v) < 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "The path '%s' does not reference a non-negative integer",
                 fg__jp_text(n->path));
        json_decref(v);
        *bad = true;
        runtime_error(e, f, "States.Runtime", msg);
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
static json_t *task_input(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    if (s->arguments)
        return eval_jx(e, f, s->arguments, NULL, NULL, NULL);
    if (s->parameters)
        return eval_params(e, f, s->parameters);
    return json_incref(f->eff_input);
}

static void run_task(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
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
    json_t *params = task_input(e, f);
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
    t->heartbeat_due = heartbeat ? now_ms(e) + t->heartbeat_ms : 0;
    f->task = t;
    f->deadline = now_ms(e) + timeout * 1000;
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
    if (is_legacy_lambda(cur_state(f))) {
        snprintf(key, sizeof key, "lambdaFunction%sEventDetails", what);
        snprintf(ev, sizeof ev, "LambdaFunction%s", what);
    } else {
        char type[64];
        const char *r = resource_short(cur_state(f)->resource, type, sizeof type);
        json_object_set_new(d, "resource", json_string(r));
        json_object_set_new(d, "resourceType", json_string(type));
        snprintf(key, sizeof key, "task%sEventDetails", what);
        snprintf(ev, sizeof ev, "Task%s", what);
    }
    fg__hist_add(e, ev, key, d);
}

/* Returns false (and the time to look again in *wake) while the task is pending. */
static bool task_step(fg_flow_exec *e, fg__frame *f, int64_t *wake)
{
    fg_flow_task *t = f->task;
    if (t->completed && !t->error) {
        json_t *r = json_incref(t->result);
        task_history(e, f, "Succeeded", json_pack("{s:O,s:{s:b}}", "output", r, "outputDetails",
                                                  "truncated", 0));
        finish_result(e, f, r);
        return true;
    }
    if (t->completed) {
        char *err = strdup(t->error), *cause = t->cause ? strdup(t->cause) : NULL;
        json_t *d = json_pack("{s:s}", "error", err);
        if (cause)
            json_object_set_new(d, "cause", json_string(cause));
        task_history(e, f, "Failed", d);
        handle_error(e, f, err, cause);
        free(err);
        free(cause);
        return true;
    }
    if (now_ms(e) >= f->deadline) {
        task_history(e, f, "TimedOut", json_pack("{s:s}", "error", "States.Timeout"));
        handle_error(e, f, "States.Timeout", "");
        return true;
    }
    if (t->heartbeat_due && now_ms(e) >= t->heartbeat_due) {
        task_history(e, f, "TimedOut", json_pack("{s:s}", "error", "States.HeartbeatTimeout"));
        handle_error(e, f, "States.HeartbeatTimeout", "");
        return true;
    }
    *wake = t->heartbeat_due && t->heartbeat_due < f->deadline ? t->heartbeat_due : f->deadline;
    return false;
}

/* ---- Parallel and Map ------------------------------------------------------- */

static void run_parallel(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    json_t *in = task_input(e, f);
    if (!in)
        return;
    f->child_input = in;
    f->child_total = (size_t)s->nbranches;
    f->concurrency = s->nbranches;
    f->child_next = 0;
    f->results = json_array();
    for (int i = 0; i < s->nbranches; i++)
        json_array_append_new(f->results, json_null());
    f->ph = FG__PH_CHILDREN;
    if (e->history)
        fg__hist_add(e, "ParallelStateStarted", NULL, NULL);
}

/* A number, or a string that holds one in full ("1", as a variable may hold it). */
static bool number_value(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return false;
    char *end;
    *out = strtod(json_string_value(v), &end);
    return *end == 0 && isfinite(*out);
}

static bool map_number(fg_flow_exec *e, fg__frame *f, const fg__numfield *n, const char *field,
                       bool integer, double *out)
{
    if (n->set) {
        *out = n->value;
        return true;
    }
    if (n->jx) {
        json_t *v = eval_jx(e, f, n->jx, NULL, NULL, "number");
        *out = v ? json_number_value(v) : -1;
        json_decref(v);
        return v != NULL;
    }
    if (!n->path)
        return false;
    fg__eval_ctx cx = make_cx(e, f, f->eff_input);
    json_t *v = fg__path_eval(n->path, &cx);
    double d = 0;
    bool ok = number_value(v, &d) && (!integer || d == floor(d));
    if (ok)
        *out = d;
    json_decref(v);
    if (!ok) {
        char msg[400];
        snprintf(msg, sizeof msg, "The %sPath field refers to a value which is not a valid %s: %s",
                 field, integer ? "integer" : "float", fg__jp_text(n->path));
        runtime_error(e, f, "States.Runtime", msg);
        *out = -1;
    }
    return ok;
}

/* Groups items into batches of at most max_items items and max_bytes bytes
 * (an item larger than max_bytes gets a batch of its own). */
static json_t *make_batches(json_t *items, double max_items, double max_bytes)
{
    json_t *out = json_array(), *batch = NULL;
    size_t per = max_items > 0 ? (size_t)max_items : json_array_size(items);
    size_t bytes = 0;
    if (per == 0)
        per = 1;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        size_t sz = max_bytes > 0 ? fg__json_size(it) + 1 : 0;
        if (!batch || json_array_size(batch) >= per ||
            (max_bytes > 0 && bytes + sz > (size_t)max_bytes && json_array_size(batch) > 0)) {
            batch = json_array();
            json_array_append_new(out, batch);
            bytes = 0;
        }
        json_array_append(batch, it);
        bytes += sz;
    }
    return out;
}

static bool map_tolerance(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    double v;
    if (s->tolerated_count.path || s->tolerated_count.set || s->tolerated_count.jx) {
        if (!map_number(e, f, &s->tolerated_count, "ToleratedFailureCount", true, &v))
            return false;
        f->tolerated_count = v;
        f->tolerance_set = true;
        if (v < 0) {
            runtime_error(e, f, "States.Runtime", "ToleratedFailureCount must be non-negative.");
            return false;
        }
    } else {
        f->tolerated_count = -1;
    }
    if (s->tolerated_pct.path || s->tolerated_pct.set || s->tolerated_pct.jx) {
        if (!map_number(e, f, &s->tolerated_pct, "ToleratedFailurePercentage", false, &v))
            return false;
        if (v < 0 || v > 100) {
            runtime_error(e, f, "States.Runtime",
                          "ToleratedFailurePercentage must be between 0 and 100.");
            return false;
        }
        f->tolerated_pct = v;
        f->tolerance_set = true;
    } else {
        f->tolerated_pct = -1;
    }
    return true;
}

/* Items of a JSONata Map state: the Items field, else the input. */
static json_t *map_items_jsonata(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    json_t *items = s->items ? eval_jx(e, f, s->items, NULL, NULL, "array")
                             : json_incref(f->raw_input);
    if (!items)
        return NULL;
    if (!json_is_array(items)) {
        char *text = fg__json_text(items);
        char msg[400];
        snprintf(msg, sizeof msg, "Map state input must be an array but was: %.300s",
                 text ? text : "");
        free(text);
        json_decref(items);
        runtime_error(e, f, "States.QueryEvaluationError", msg);
        return NULL;
    }
    if (json_array_size(items) > e->limits.max_map_items) {
        json_decref(items);
        runtime_error(e, f, "States.Runtime", "The Map state has more items than the configured limit");
        return NULL;
    }
    return items;
}

/* The items a Map state iterates (a new reference), or NULL after a failure. */
static json_t *map_items(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    json_t *items;
    if (s->jsonata)
        return map_items_jsonata(e, f);
    if (s->items_path) {
        fg__eval_ctx cx = make_cx(e, f, f->eff_input);
        if (!(items = fg__path_eval(s->items_path, &cx))) {
            runtime_error(e, f, "States.Runtime", e->eb.msg);
            return NULL;
        }
    } else {
        items = json_incref(f->eff_input);
    }
    const char *bad = !json_is_array(items) ? "Map state input must be an array"
                      : json_array_size(items) > e->limits.max_map_items
                          ? "The Map state has more items than the configured limit"
                          : NULL;
    if (bad) {
        json_decref(items);
        runtime_error(e, f, "States.Runtime", bad);
        return NULL;
    }
    return items;
}

/* Groups the items into batches when the state has an ItemBatcher (steals items). */
static json_t *map_batch(fg_flow_exec *e, fg__frame *f, json_t *items)
{
    const fg__state *s = cur_state(f);
    double mi = 0, mb = 0;
    if (!s->has_batcher)
        return items;
    if (((s->batch_max_items.set || s->batch_max_items.path || s->batch_max_items.jx) &&
         !map_number(e, f, &s->batch_max_items, "MaxItemsPerBatch", true, &mi)) ||
        ((s->batch_max_bytes.set || s->batch_max_bytes.path || s->batch_max_bytes.jx) &&
         !map_number(e, f, &s->batch_max_bytes, "MaxInputBytesPerBatch", true, &mb))) {
        json_decref(items);
        return NULL;
    }
    json_t *b = make_batches(items, mi, mb);
    json_decref(items);
    return b;
}

static void run_map(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    json_t *items = map_items(e, f);
    if (!items)
        return;
    double mc = s->max_concurrency.set ? s->max_concurrency.value : 0;
    if ((s->max_concurrency.path || s->max_concurrency.jx) &&
        !map_number(e, f, &s->max_concurrency, "MaxConcurrency", true, &mc)) {
        json_decref(items);
        return;
    }
    if (e->history)
        fg__hist_add(e, "MapStateStarted", "mapStateStartedEventDetails",
                     json_pack("{s:i}", "length", (int)json_array_size(items)));
    if (!map_tolerance(e, f)) {
        json_decref(items);
        return;
    }
    if (!(items = map_batch(e, f, items)))
        return;
    f->items = items;
    f->child_total = json_array_size(items);
    f->child_next = 0;
    f->results = json_array();
    for (size_t i = 0; i < f->child_total; i++)
        json_array_append_new(f->results, json_null());
    f->concurrency = mc > 0 ? (int)(mc < 1000 ? mc : 1000) : e->limits.max_concurrency;
    f->ph = FG__PH_CHILDREN;
}

static json_t *map_item_input(fg_flow_exec *e, fg__frame *f, size_t i)
{
    const fg__state *s = cur_state(f);
    json_t *item = json_array_get(f->items, i);
    const fg__tmpl *sel = s->item_selector ? s->item_selector : s->parameters;
    if (s->has_batcher) {
        json_t *in = json_object();
        if (s->batch_input_jx) {
            json_t *bi = eval_jx(e, f, s->batch_input_jx, NULL, NULL, NULL);
            if (!bi) {
                json_decref(in);
                return NULL;
            }
            json_object_set_new(in, "BatchInput", bi);
        } else if (s->batch_input) {
            fg__eval_ctx cx = make_cx(e, f, f->eff_input);
            json_t *bi = fg__tmpl_eval(s->batch_input, &cx);
            if (!bi) {
                json_decref(in);
                runtime_error(e, f, cx.error, e->eb.msg);
                return NULL;
            }
            json_object_set_new(in, "BatchInput", bi);
        }
        json_object_set(in, "Items", item);
        return in;
    }
    if (!sel && !s->item_selector_jx)
        return json_incref(item);
    sync_context(e);
    json_object_set_new(e->context, "Map",
                        json_pack("{s:{s:i,s:O}}", "Item", "Index", (int)i, "Value", item));
    json_t *r;
    if (s->item_selector_jx) {
        r = eval_jx(e, f, s->item_selector_jx, NULL, NULL, NULL);
    } else {
        fg__eval_ctx cx = make_cx(e, f, f->eff_input);
        r = fg__tmpl_eval(sel, &cx);
        if (!r)
            runtime_error(e, f, cx.error, e->eb.msg);
    }
    json_object_del(e->context, "Map");
    return r;
}

/* Starts the next Map iteration or Parallel branch as a child frame. */
static void start_child(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = cur_state(f);
    size_t i = f->child_next++;
    json_t *in;
    const fg__sm *sm;
    if (s->type == FG__PARALLEL) {
        in = json_incref(f->child_input);
        sm = s->branches[i];
    } else {
        if (!(in = map_item_input(e, f, i)))
            return;
        sm = s->branches[0];
        if (e->history)
            fg__hist_add(e, "MapIterationStarted", "mapIterationStartedEventDetails",
                         json_pack("{s:s,s:i}", "name", s->name, "index", (int)i));
    }
    fg__frame *kid = f->level + 1 < e->limits.max_depth ? fg__frame_new(sm, in, (int)i, f->level + 1)
                                                         : NULL;
    /* outer variables are readable inside (not in the child workflows of a distributed
     * Map); inner assignments stay inside */
    if (kid && !(s->type == FG__MAP && s->distributed)) {
        kid->vars = json_incref(f->vars);
        kid->vars_bytes = f->vars_bytes;
    }
    if (!kid || fg__frame_add_kid(f, kid) != 0) {
        if (kid)
            fg__frame_free(kid);
        else
            json_decref(in);
        runtime_error(e, f, "States.Runtime", "Map and Parallel states are nested too deeply");
    }
}

static void children_finish(fg_flow_exec *e, fg__frame *f)
{
    json_t *r = f->results;
    f->results = NULL;
    if (e->history && cur_state(f)->type == FG__MAP)
        fg__hist_add(e, "MapStateSucceeded", NULL, NULL);
    finish_result(e, f, r);
}

static bool map_exceeded(const fg__frame *f)
{
    if (!f->tolerance_set)
        return true;
    double n = (double)f->child_total;
    if (f->tolerated_count >= 0 && (double)f->failures > f->tolerated_count)
        return f->tolerated_pct < 0 || (double)f->failures * 100.0 / n > f->tolerated_pct;
    if (f->tolerated_pct >= 0 && (double)f->failures * 100.0 / n > f->tolerated_pct)
        return f->tolerated_count < 0;
    return false;
}

/* A Map iteration or Parallel branch failed the state: the other children stop,
 * and the Failed event is recorded once no retry follows. */
static void handle_child_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause,
                               const char *failed_event)
{
    free_kids(f);
    if (err && try_retry(e, f, err))
        return;
    if (e->history)
        fg__hist_add(e, failed_event, NULL, NULL);
    if (err && try_catch(e, f, err, cause))
        return;
    fail_state(e, f, err, cause);
}

/* Child k of f ended: take its result and remove it. */
static void child_done(fg_flow_exec *e, fg__frame *f, int k)
{
    fg__frame *c = f->kids[k];
    memmove(&f->kids[k], &f->kids[k + 1], sizeof(fg__frame *) * (size_t)(f->nkids - k - 1));
    f->nkids--;
    int idx = c->index_in_parent;
    bool failed = c->failed;
    json_t *out = c->out;
    c->out = NULL;
    char *err = c->err, *cause = c->cause;
    c->err = c->cause = NULL;
    fg__frame_free(c);
    const fg__state *s = cur_state(f);
    if (s->type == FG__MAP && e->history)
        fg__hist_add(e, failed ? "MapIterationFailed" : "MapIterationSucceeded",
                     failed ? "mapIterationFailedEventDetails" : "mapIterationSucceededEventDetails",
                     json_pack("{s:s,s:i}", "name", s->name, "index", idx));
    if (!failed) {
        json_array_set_new(f->results, (size_t)idx, out);
    } else if (s->type == FG__PARALLEL) {
        handle_child_error(e, f, err, cause, "ParallelStateFailed");
    } else if (++f->failures, !map_exceeded(f)) {
        json_array_set_new(f->results, (size_t)idx, fg__error_output(err, cause));
    } else if (f->tolerance_set) {
        handle_child_error(e, f, "States.ExceedToleratedFailureThreshold",
                           "The specified tolerated failure threshold was exceeded", "MapStateFailed");
    } else {
        handle_child_error(e, f, err, cause, "MapStateFailed");
    }
    free(err);
    free(cause);
}

/* ---- stepping ----------------------------------------------------------------- */

static void run_state(fg_flow_exec *e, fg__frame *f)
{
    switch (cur_state(f)->type) {
    case FG__PASS: run_pass(e, f); break;
    case FG__TASK: run_task(e, f); break;
    case FG__CHOICE: run_choice(e, f); break;
    case FG__WAIT: run_wait(e, f); break;
    case FG__SUCCEED: run_succeed(e, f); break;
    case FG__FAIL: run_fail(e, f); break;
    case FG__PARALLEL: run_parallel(e, f); break;
    case FG__MAP: run_map(e, f); break;
    }
}

static void check_exec_timeout(fg_flow_exec *e)
{
    if (!e->exec_deadline || now_ms(e) < e->exec_deadline)
        return;
    fg__frame_free(e->root);
    e->root = e->cur = NULL;
    exec_finish(e, FG_FLOW_TIMED_OUT, NULL, "States.Timeout",
                "The execution ran longer than the state machine's TimeoutSeconds");
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* True when nothing in frame f can move now; *wake is when something may. */
static bool blocked(fg_flow_exec *e, const fg__frame *f, int64_t *wake)
{
    switch (f->ph) {
    case FG__PH_WAIT:
    case FG__PH_RETRY_WAIT:
        *wake = min64(*wake, f->wake_at);
        return now_ms(e) < f->wake_at;
    case FG__PH_TASK: {
        const fg_flow_task *t = f->task;
        if (t->completed)
            return false;
        int64_t now = now_ms(e);
        if (now >= f->deadline || (t->heartbeat_due && now >= t->heartbeat_due))
            return false;
        *wake = min64(*wake, t->heartbeat_due ? min64(t->heartbeat_due, f->deadline) : f->deadline);
        return true;
    }
    case FG__PH_CHILDREN:
        if (f->nkids == 0 || (f->child_next < f->child_total && f->nkids < f->concurrency))
            return false;
        for (int k = 0; k < f->nkids; k++)
            if (f->kids[k]->done || !blocked(e, f->kids[k], wake))
                return false;
        return true;
    default:
        return false;
    }
}

static void use_frame(fg_flow_exec *e, fg__frame *f)
{
    if (e->cur != f) {
        e->cur = f;
        e->context_dirty = true;
    }
}

static void step_frame(fg_flow_exec *e, fg__frame *f);

/* Children take turns: start one, collect a finished one, or step the next. */
static void children_step(fg_flow_exec *e, fg__frame *f)
{
    if (f->nkids == 0 && f->child_next >= f->child_total) {
        children_finish(e, f);
        return;
    }
    if (f->child_next < f->child_total && f->nkids < f->concurrency) {
        start_child(e, f);
        return;
    }
    int64_t ignore = INT64_MAX;
    for (int n = 0; n < f->nkids; n++) {
        int k = (f->rr + n) % f->nkids;
        fg__frame *kid = f->kids[k];
        if (kid->done) {
            child_done(e, f, k);
            return;
        }
        if (blocked(e, kid, &ignore))
            continue;
        f->rr = k + 1;
        step_frame(e, kid);
        use_frame(e, f);
        if (kid->done)
            child_done(e, f, k);
        return;
    }
}

static void retry_now(fg_flow_exec *e, fg__frame *f)
{
    int *rc = f->retry_counts;
    int total = f->retry_total;
    json_t *eff = json_incref(f->eff_input);
    f->retry_counts = NULL;
    frame_clear_state(f);
    f->retry_counts = rc;
    f->retry_total = total;
    f->eff_input = eff;
    e->context_dirty = true;
    f->ph = FG__PH_RUN;
}

/* One phase of frame f (f may be freed by it when it is the root). */
static void step_frame(fg_flow_exec *e, fg__frame *f)
{
    use_frame(e, f);
    int64_t ignore = INT64_MAX;
    switch (f->ph) {
    case FG__PH_ENTER:
        if (enter_state(e, f))
            run_state(e, f);
        break;
    case FG__PH_RUN:
        run_state(e, f);
        break;
    case FG__PH_TASK:
        task_step(e, f, &ignore);
        break;
    case FG__PH_WAIT:
        if (now_ms(e) >= f->wake_at)
            wait_done(e, f);
        break;
    case FG__PH_RETRY_WAIT:
        if (now_ms(e) >= f->wake_at)
            retry_now(e, f);
        break;
    case FG__PH_CHILDREN:
        children_step(e, f);
        break;
    }
}

/* Sets WAITING (and the wake time) when no frame can move now. */
static void report_pending(fg_flow_exec *e)
{
    int64_t wake = INT64_MAX;
    if (e->status == FG_FLOW_RUNNING && e->root && blocked(e, e->root, &wake)) {
        e->status = FG_FLOW_WAITING;
        e->wake_at = wake;
    }
}

fg_flow_status fg_flow_exec_step(fg_flow_exec *e)
{
    if (e->status >= FG_FLOW_SUCCEEDED)
        return e->status;
    check_exec_timeout(e);
    if (e->status >= FG_FLOW_SUCCEEDED || !e->root)
        return e->status;
    bool was_waiting = e->status == FG_FLOW_WAITING;
    e->status = FG_FLOW_RUNNING;
    e->wake_at = 0;
    if (was_waiting) { /* still nothing to do? */
        report_pending(e);
        if (e->status == FG_FLOW_WAITING)
            return e->status;
    }
    step_frame(e, e->root);
    report_pending(e);
    return e->status;
}

fg_flow_status fg_flow_exec_run(fg_flow_exec *e)
{
    for (;;) {
        fg_flow_status st = fg_flow_exec_step(e);
        if (st >= FG_FLOW_SUCCEEDED)
            return st;
        if (st == FG_FLOW_WAITING) {
            int64_t at = fg_flow_exec_wake_at(e);
            if (!at || at >= INT64_MAX / 2)
                return st;
            if (e->clock->sleep_until)
                e->clock->sleep_until(e->clock->ud, at);
        }
    }
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
    t->heartbeat_due = now_ms(t->exec) + t->heartbeat_ms;
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


/* ---- clocks and limits -------------------------------------------------------- */

static int64_t real_now(void *ud)
{
    (void)ud;
    return fg_clock_wall_ms();
}

static void real_sleep(void *ud, int64_t at)
{
    (void)ud;
    int64_t d = at - fg_clock_wall_ms();
    if (d > 0) {
        struct timespec ts = {d / 1000, (long)(d % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

const fg_flow_clock *fg_flow_clock_real(void)
{
    static const fg_flow_clock c = {real_now, real_sleep, NULL};
    return &c;
}

static int64_t virt_now(void *ud)
{
    return *(int64_t *)ud;
}

static void virt_sleep(void *ud, int64_t at)
{
    if (at > *(int64_t *)ud)
        *(int64_t *)ud = at;
}

void fg_flow_clock_virtual(fg_flow_clock *c, int64_t *now)
{
    c->now_ms = virt_now;
    c->sleep_until = virt_sleep;
    c->ud = now;
}

void fg_flow_limits_default(fg_flow_limits *l)
{
    l->payload_max = 256 * 1024;
    l->max_transitions = 1000000;
    l->max_depth = 64;
    l->max_map_items = 100000;
    l->max_history = 25000;
    l->max_jsonpath_results = 100000;
    l->max_concurrency = 40;
}

/* ---- executions ------------------------------------------------------------------ */

static json_t *make_context(fg_flow_exec *e, const fg_flow_exec_opts *o)
{
    char ts[40];
    fg_clock_format_iso8601(e->start_ms, ts, sizeof ts);
    const char *mname = o && o->machine_name ? o->machine_name : "StateMachine";
    char marn[300], earn[500];
    bool express = o && o->express;
    if (o && o->machine_arn)
        snprintf(marn, sizeof marn, "%s", o->machine_arn);
    else
        snprintf(marn, sizeof marn, "arn:aws:states:us-east-1:111111111111:stateMachine:%s", mname);
    if (o && o->execution_arn) {
        snprintf(earn, sizeof earn, "%s", o->execution_arn);
    } else if (express) { /* express:MACHINE:NAME:ID, as StartSyncExecution reports it */
        char u[37];
        fg_rand_uuid(u);
        snprintf(earn, sizeof earn, "arn:aws:states:us-east-1:111111111111:express:%s:%s:%s",
                 mname, e->name, u);
    } else {
        snprintf(earn, sizeof earn, "arn:aws:states:us-east-1:111111111111:execution:%s:%s",
                 mname, e->name);
    }
    json_t *ctx = json_pack("{s:{s:s,s:O,s:s,s:s,s:s,s:i},s:{s:s,s:s},s:{s:s,s:s}}",
                     "Execution", "Id", earn, "Input", e->input, "Name", e->name, "RoleArn",
                     o && o->role_arn ? o->role_arn : "arn:aws:iam::111111111111:role/flowgate",
                     "StartTime", ts, "RedriveCount", 0,
                     "State", "Name", "", "EnteredTime", ts,
                     "StateMachine", "Id", marn, "Name", mname);
    if (express)
        json_object_del(json_object_get(ctx, "Execution"), "RedriveCount");
    return ctx;
}

fg_flow_exec *fg__exec_alloc(const fg_flow_machine *m, const fg_flow_exec_opts *opts)
{
    fg_flow_exec *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->m = m;
    if (opts && opts->limits)
        e->limits = *opts->limits;
    else
        fg_flow_limits_default(&e->limits);
    e->clock = opts && opts->clock ? opts->clock : fg_flow_clock_real();
    if (opts) {
        e->host = opts->host;
        e->task_done = opts->task_done;
        e->task_done_ud = opts->task_done_ud;
        if (opts->token_prefix)
            e->token_prefix = strndup(opts->token_prefix, 400);
        if (opts->account_id)
            snprintf(e->account_id, sizeof e->account_id, "%s", opts->account_id);
    }
    return e;
}

fg_flow_exec *fg_flow_exec_create(const fg_flow_machine *m, const json_t *input,
                                  const fg_flow_exec_opts *opts)
{
    fg_flow_exec *e = fg__exec_alloc(m, opts);
    if (!e)
        return NULL;
    e->start_ms = e->clock->now_ms(e->clock->ud);
    if (opts && opts->name) {
        snprintf(e->name, sizeof e->name, "%s", opts->name);
    } else {
        char u[37];
        fg_rand_uuid(u);
        snprintf(e->name, sizeof e->name, "%s", u);
    }
    e->input = input ? json_incref((json_t *)input) : json_object();
    e->context = make_context(e, opts);
    if (opts && opts->history) {
        e->history = json_array();
        fg__hist_add(e, "ExecutionStarted", "executionStartedEventDetails",
                     json_pack("{s:O,s:{s:b},s:s}", "input", e->input, "inputDetails", "truncated",
                               0, "roleArn", "arn:aws:iam::111111111111:role/flowgate"));
    }
    if (m->timeout_seconds > 0)
        e->exec_deadline = e->start_ms + (int64_t)m->timeout_seconds * 1000;
    e->root = fg__frame_new(m->root, json_incref(e->input), -1, 0);
    if (!e->root) {
        fg_flow_exec_free(e);
        return NULL;
    }
    if (e->limits.payload_max && fg__json_size_over(e->input, e->limits.payload_max)) {
        fg__frame_free(e->root);
        e->root = NULL;
        exec_finish(e, FG_FLOW_FAILED, NULL, "States.DataLimitExceeded",
                    "The execution input is larger than the payload limit");
    }
    return e;
}

void fg_flow_exec_free(fg_flow_exec *e)
{
    if (!e)
        return;
    fg__frame_free(e->root);
    json_decref(e->input);
    json_decref(e->output);
    json_decref(e->context);
    json_decref(e->history);
    free(e->token_prefix);
    json_decref(e->assigned);
    free(e->error);
    free(e->cause);
    free(e);
}

void fg_flow_exec_stop(fg_flow_exec *e, const char *error, const char *cause)
{
    if (e->status >= FG_FLOW_SUCCEEDED)
        return;
    fg__frame_free(e->root);
    e->root = e->cur = NULL;
    exec_finish(e, FG_FLOW_ABORTED, NULL, error, cause);
}

int64_t fg_flow_exec_wake_at(const fg_flow_exec *e)
{
    int64_t at = e->wake_at;
    if (e->exec_deadline && (!at || e->exec_deadline < at))
        at = e->exec_deadline;
    return at;
}
fg_flow_status fg_flow_exec_status(const fg_flow_exec *e) { return e->status; }
const json_t *fg_flow_exec_output(const fg_flow_exec *e) { return e->output; }
const char *fg_flow_exec_error(const fg_flow_exec *e) { return e->error; }
const char *fg_flow_exec_cause(const fg_flow_exec *e) { return e->cause; }
const json_t *fg_flow_exec_history(const fg_flow_exec *e) { return e->history; }
uint64_t fg_flow_exec_transitions(const fg_flow_exec *e) { return e->transitions; }

static fg_flow_task *frame_task_by_token(fg__frame *f, const char *token)
{
    if (f->ph == FG__PH_TASK && f->task && !f->task->completed && !strcmp(f->task->token, token))
        return f->task;
    for (int k = 0; k < f->nkids; k++) {
        fg_flow_task *t = frame_task_by_token(f->kids[k], token);
        if (t)
            return t;
    }
    return NULL;
}

fg_flow_task *fg_flow_exec_task_by_token(fg_flow_exec *e, const char *token)
{
    return e->root && token ? frame_task_by_token(e->root, token) : NULL;
}

const char *fg_flow_status_name(fg_flow_status s)
{
    static const char *n[] = {"RUNNING", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"};
    return n[s];
}
