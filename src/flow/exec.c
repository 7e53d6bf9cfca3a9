/* The interpreter: a resumable step machine. Each call to fg_flow_exec_step
 * advances the top frame by one phase; nothing recurses on the C stack across
 * states, so the position (frames, inputs, retry counts, Map/Parallel progress,
 * pending waits) is data that fg_flow_exec_snapshot serialises. The states'
 * own code is in exec_states.c, exec_task.c and exec_map.c; the data flow of a
 * state (evaluation, Assign, its result) in exec_data.c. */
#include "flow/exec_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- frames ---------------------------------------------------------------- */

void fg__free_kids(fg__frame *f)
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
    fg__free_kids(f);
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

void fg__state_exited(fg_flow_exec *e, fg__frame *f, const json_t *out)
{
    if (!e->history)
        return;
    const fg__state *s = fg__cur_state(f);
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

void fg__go_to(fg_flow_exec *e, fg__frame *f, int next, json_t *out)
{
    frame_clear_state(f);
    free(f->resume_token);
    json_decref(f->raw_input);
    f->raw_input = out;
    f->cur = next;
    f->ph = FG__PH_ENTER;
}

/* The state is left with out (stolen) for state next (-1: the state machine ends). */
void fg__move_on(fg_flow_exec *e, fg__frame *f, json_t *out, int next)
{
    fg__state_exited(e, f, out);
    if (next < 0) {
        frame_clear_state(f);
        frame_end(e, f, out, false, NULL, NULL);
        return;
    }
    fg__go_to(e, f, next, out);
}

void fg__transition(fg_flow_exec *e, fg__frame *f, json_t *out)
{
    fg__move_on(e, f, out, fg__cur_state(f)->next);
}

/* ---- errors, retry and catch ------------------------------------------------ */

static double retry_delay(const fg__retrier *r, int attempt)
{
    double d = r->interval * pow(r->backoff, attempt);
    if (r->max_delay > 0 && d > r->max_delay)
        d = r->max_delay;
    if (r->jitter_full)
        d = d * fg_rand_unit();
    return d;
}

bool fg__try_retry(fg_flow_exec *e, fg__frame *f, const char *err)
{
    const fg__state *s = fg__cur_state(f);
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
        f->wake_at = fg__now_ms(e) + (int64_t)(d * 1000.0);
        f->ph = FG__PH_RETRY_WAIT;
        return true;
    }
    return false;
}

bool fg__try_catch(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause)
{
    const fg__state *s = fg__cur_state(f);
    if (!strcmp(err, "States.Runtime"))
        return false;
    for (int k = 0; k < s->ncatch; k++) {
        const fg__catcher *c = &s->catch_[k];
        if (!fg__error_matches(c->errors, err))
            continue;
        json_t *eo = fg__error_output(err, cause);
        json_t *out, *assigned = NULL;
        if (s->jsonata) {
            fg__jsonata_catch(e, f, c, eo);
            return true;
        }
        e->in_catch = true;
        bool ok = fg__eval_assign(e, f, c->assign, eo, NULL, NULL, &assigned);
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
                fg__fail_state(e, f, "States.ResultPathMatchFailure", msg);
                return true;
            }
        }
        e->in_catch = true;
        ok = fg__commit_assign(e, f, assigned);
        e->in_catch = false;
        if (!ok) {
            json_decref(out);
            return true;
        }
        fg__state_exited(e, f, out);
        fg__go_to(e, f, c->next, out);
        return true;
    }
    return false;
}

/* The current state failed: retry, catch, or fail the frame. */
void fg__handle_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause)
{
    if (!err || e->in_catch) { /* a failure inside a catcher is not caught again */
        fg__fail_state(e, f, err, cause);
        return;
    }
    if (fg__try_retry(e, f, err))
        return;
    if (fg__try_catch(e, f, err, cause))
        return;
    fg__fail_state(e, f, err, cause);
}

/* Fails the frame without catching (Fail states, or after catch found nothing). */
void fg__fail_state(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause)
{
    char *er = err ? strdup(err) : NULL;
    char *ca = cause ? strdup(cause) : NULL;
    frame_clear_state(f);
    frame_end(e, f, NULL, true, er, ca);
    free(er);
    free(ca);
}

void fg__runtime_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *msg)
{
    char cause[FG_ERRMSG_MAX + 200], entered[64] = "";
    if (f->entered_event)
        snprintf(entered, sizeof entered, " (entered at the event id #%d)", f->entered_event);
    snprintf(cause, sizeof cause, "An error occurred while executing the state '%s'%s. %s",
             fg__cur_state(f)->name, entered, msg);
    if (e->history && err && !strcmp(err, "States.QueryEvaluationError")) {
        json_t *d = json_pack("{s:s,s:s,s:s}", "cause", cause, "error", err, "state",
                              fg__cur_state(f)->name);
        if (e->eval_location)
            json_object_set_new(d, "location", json_string(e->eval_location));
        fg__hist_add(e, "EvaluationFailed", "evaluationFailedEventDetails", d);
        if (fg__cur_state(f)->type == FG__MAP && f->ph != FG__PH_CHILDREN)
            fg__hist_add(e, "MapStateFailed", NULL, NULL);
    }
    e->eval_location = NULL;
    fg__handle_error(e, f, err ? err : "States.Runtime", cause);
}

/* ---- entering a state -------------------------------------------------------- */

static bool enter_state(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    /* Reading the clock costs more than a simple state: do it only when the time
     * is recorded (history) or read ($$.State.EnteredTime, set on first use). */
    f->entered_ms = e->history ? fg__now_ms(e) : 0;
    if (++e->transitions > e->limits.max_transitions) {
        char msg[200];
        snprintf(msg, sizeof msg, "The execution exceeded the limit of %llu state transitions",
                 (unsigned long long)e->limits.max_transitions);
        fg__fail_state(e, f, "States.Runtime", msg);
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
        fg__eval_ctx cx = fg__make_cx(e, f, f->raw_input);
        f->eff_input = fg__path_eval(s->input_path, &cx);
        if (!f->eff_input) {
            fg__runtime_error(e, f, "States.Runtime", e->eb.msg);
            return false;
        }
    } else {
        f->eff_input = json_incref(f->raw_input);
    }
    f->ph = FG__PH_RUN;
    return true;
}

/* ---- stepping ----------------------------------------------------------------- */

static void run_state(fg_flow_exec *e, fg__frame *f)
{
    switch (fg__cur_state(f)->type) {
    case FG__PASS: fg__run_pass(e, f); break;
    case FG__TASK: fg__run_task(e, f); break;
    case FG__CHOICE: fg__run_choice(e, f); break;
    case FG__WAIT: fg__run_wait(e, f); break;
    case FG__SUCCEED: fg__run_succeed(e, f); break;
    case FG__FAIL: fg__run_fail(e, f); break;
    case FG__PARALLEL: fg__run_parallel(e, f); break;
    case FG__MAP: fg__run_map(e, f); break;
    }
}

static void check_exec_timeout(fg_flow_exec *e)
{
    if (!e->exec_deadline || fg__now_ms(e) < e->exec_deadline)
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
        return fg__now_ms(e) < f->wake_at;
    case FG__PH_TASK: {
        const fg_flow_task *t = f->task;
        if (t->completed)
            return false;
        int64_t now = fg__now_ms(e);
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
        fg__children_finish(e, f);
        return;
    }
    if (f->child_next < f->child_total && f->nkids < f->concurrency) {
        fg__start_child(e, f);
        return;
    }
    int64_t ignore = INT64_MAX;
    for (int n = 0; n < f->nkids; n++) {
        int k = (f->rr + n) % f->nkids;
        fg__frame *kid = f->kids[k];
        if (kid->done) {
            fg__child_done(e, f, k);
            return;
        }
        if (blocked(e, kid, &ignore))
            continue;
        f->rr = k + 1;
        step_frame(e, kid);
        use_frame(e, f);
        if (kid->done)
            fg__child_done(e, f, k);
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
        fg__task_step(e, f, &ignore);
        break;
    case FG__PH_WAIT:
        if (fg__now_ms(e) >= f->wake_at)
            fg__wait_done(e, f);
        break;
    case FG__PH_RETRY_WAIT:
        if (fg__now_ms(e) >= f->wake_at)
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
