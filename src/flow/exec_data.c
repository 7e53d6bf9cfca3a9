/* The interpreter's data flow (see exec.c): the evaluation context, output
 * paths and the payload limit, Assign and JSONata fields, and a state's result
 * on its way out (ResultSelector, ResultPath, OutputPath, Output). */
#include "flow/exec_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- evaluation helpers ---------------------------------------------------- */

static void set_state_context(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    json_t *st = json_object_get(e->context, "State");
    char ts[40];
    if (!f->entered_ms)
        f->entered_ms = fg__now_ms(e);
    fg_clock_format_iso8601(f->entered_ms, ts, sizeof ts);
    json_object_set_new(st, "Name", json_string(s->name));
    json_object_set_new(st, "EnteredTime", json_string(ts));
    if (s->nretry)
        json_object_set_new(st, "RetryCount", json_integer(f->retry_total));
    else
        json_object_del(st, "RetryCount");
}


void fg__sync_context(void *ud)
{
    fg_flow_exec *e = ud;
    if (!e->context_dirty || !e->cur)
        return;
    set_state_context(e, e->cur);
    e->context_dirty = false;
}

fg__eval_ctx fg__make_cx(fg_flow_exec *e, const fg__frame *f, json_t *input)
{
    e->eb.code = 0;
    e->eb.msg[0] = 0;
    fg__eval_ctx cx = {.input = input, .context = e->context, .vars = f ? f->vars : NULL,
                       .max_results = e->limits.max_jsonpath_results, .eb = &e->eb,
                       .sync_context = fg__sync_context, .sync_ud = e};
    return cx;
}

static json_t *apply_output_path(fg_flow_exec *e, fg__frame *f, json_t *out)
{
    const fg__state *s = fg__cur_state(f);
    if (s->output_path_null) {
        json_decref(out);
        return json_object();
    }
    if (!s->output_path)
        return out;
    fg__eval_ctx cx = fg__make_cx(e, f, out);
    json_t *r = fg__path_eval(s->output_path, &cx);
    json_decref(out);
    if (!r)
        fg__runtime_error(e, f, "States.Runtime", e->eb.msg);
    return r;
}

static bool payload_ok(fg_flow_exec *e, fg__frame *f, const json_t *v)
{
    if (!e->limits.payload_max || !fg__json_size_over(v, e->limits.payload_max))
        return true;
    char msg[300];
    snprintf(msg, sizeof msg,
             "The state/task '%s' returned a result with a size exceeding the maximum number of "
             "bytes service limit.", fg__cur_state(f)->name);
    fg__handle_error(e, f, "States.DataLimitExceeded", msg);
    return false;
}

/* ---- variables and JSONata fields ------------------------------------------- */

/* Evaluates an Assign into *out (NULL when there is none). A JSONPath Assign
 * reads jp_doc as $; a JSONata one sees $states.input (the state's input),
 * $states.result and $states.errorOutput. False after a failure (handled). */
bool fg__eval_assign(fg_flow_exec *e, fg__frame *f, const fg__assign *a, json_t *jp_doc,
                        json_t *result, json_t *error_output, json_t **out)
{
    *out = NULL;
    if (!a)
        return true;
    fg__eval_ctx cx = fg__make_cx(e, f, fg__cur_state(f)->jsonata ? f->raw_input : jp_doc);
    cx.result = result;
    cx.error_output = error_output;
    *out = fg__assign_eval(a, &cx);
    if (*out)
        return true;
    e->eval_location = cx.location;
    fg__runtime_error(e, f, cx.error, e->eb.msg);
    return false;
}

/* Makes the assigned values (stolen) visible to the states that follow. */
bool fg__commit_assign(fg_flow_exec *e, fg__frame *f, json_t *assigned)
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
        fg__runtime_error(e, f, "States.Runtime", e->eb.msg);
        return false;
    }
    json_decref(f->vars);
    f->vars = nv;
    return true;
}

/* Evaluates a JSONata field ($states.input is the state's input); want is the
 * JSON type the value must have, or NULL. NULL after a failure (handled). */
json_t *fg__eval_jx(fg_flow_exec *e, fg__frame *f, const fg__jx *x, json_t *result,
                       json_t *error_output, const char *want)
{
    fg__eval_ctx cx = fg__make_cx(e, f, f->raw_input);
    cx.result = result;
    cx.error_output = error_output;
    json_t *r = want ? fg__jx_eval_as(x, &cx, want) : fg__jx_eval(x, &cx);
    if (!r) {
        e->eval_location = cx.location;
        fg__runtime_error(e, f, cx.error, e->eb.msg);
    }
    return r;
}

/* Leaves a JSONata state for next: Assign and Output (default: the result, else
 * the input) are both computed from the values at state entry. Steals result
 * (may be NULL). */
void fg__jsonata_leave(fg_flow_exec *e, fg__frame *f, json_t *result, const fg__jx *output,
                          const fg__assign *assign, int next)
{
    json_t *assigned = NULL, *out = NULL;
    if (!fg__eval_assign(e, f, assign, NULL, result, NULL, &assigned))
        goto fail;
    out = output ? fg__eval_jx(e, f, output, result, NULL, NULL)
                 : json_incref(result ? result : f->raw_input);
    if (!out || !payload_ok(e, f, out))
        goto fail;
    json_decref(result);
    if (!fg__commit_assign(e, f, assigned)) {
        json_decref(out);
        return;
    }
    fg__move_on(e, f, out, next);
    return;
fail:
    json_decref(assigned);
    json_decref(out);
    json_decref(result);
}

/* The last steps of leaving a JSONPath state: OutputPath over out (stolen),
 * then the assigned variables (stolen) become visible. The state's output, or
 * NULL when either failed (the state has failed). */
static json_t *output_and_assign(fg_flow_exec *e, fg__frame *f, json_t *out, json_t *assigned)
{
    out = apply_output_path(e, f, out);
    if (!out) {
        json_decref(assigned);
        return NULL;
    }
    if (!fg__commit_assign(e, f, assigned)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Leaves a JSONPath state that has no result (Choice, Wait, Succeed): Assign
 * reads the effective input, then OutputPath. */
void fg__jsonpath_leave(fg_flow_exec *e, fg__frame *f, const fg__assign *assign, int next)
{
    json_t *assigned = NULL;
    if (!fg__eval_assign(e, f, assign, f->eff_input, NULL, NULL, &assigned))
        return;
    json_t *out = output_and_assign(e, f, json_incref(f->eff_input), assigned);
    if (out)
        fg__move_on(e, f, out, next);
}

/* A JSONata catcher: Output (default: the error output) and Assign see
 * $states.errorOutput; a failure there fails the state. Steals eo. */
void fg__jsonata_catch(fg_flow_exec *e, fg__frame *f, const fg__catcher *c, json_t *eo)
{
    json_t *assigned = NULL, *out = NULL;
    int next = c->next;
    e->in_catch = true;
    bool ok = fg__eval_assign(e, f, c->assign, NULL, NULL, eo, &assigned);
    if (ok)
        out = c->output ? fg__eval_jx(e, f, c->output, NULL, eo, NULL) : json_incref(eo);
    if (ok && out) {
        ok = fg__commit_assign(e, f, assigned);
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
    fg__state_exited(e, f, out);
    fg__go_to(e, f, next, out);
}

/* The state produced result (stolen): ResultSelector, ResultPath, OutputPath. */
void fg__finish_result(fg_flow_exec *e, fg__frame *f, json_t *result)
{
    const fg__state *s = fg__cur_state(f);
    if (s->jsonata) {
        fg__jsonata_leave(e, f, result, s->output, s->assign, s->next);
        return;
    }
    if (s->result_selector) {
        fg__eval_ctx cx = fg__make_cx(e, f, result);
        json_t *r = fg__tmpl_eval(s->result_selector, &cx);
        json_decref(result);
        if (!r) {
            fg__runtime_error(e, f, cx.error, e->eb.msg);
            return;
        }
        result = r;
    }
    if (!payload_ok(e, f, result)) {
        json_decref(result);
        return;
    }
    json_t *out, *assigned = NULL;
    if (!fg__eval_assign(e, f, s->assign, result, NULL, NULL, &assigned)) {
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
            fg__runtime_error(e, f, "States.ResultPathMatchFailure", msg);
            return;
        }
    }
    out = output_and_assign(e, f, out, assigned);
    if (out)
        fg__transition(e, f, out);
}
