/* The interpreter's simple states (see exec.c): Pass, Choice, Succeed, Fail and
 * Wait. */
#include "flow/exec_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the states --------------------------------------------------------------- */

json_t *fg__eval_params(fg_flow_exec *e, fg__frame *f, const fg__tmpl *t)
{
    fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
    json_t *r = fg__tmpl_eval(t, &cx);
    if (!r)
        fg__runtime_error(e, f, cx.error, e->eb.msg);
    return r;
}

void fg__run_pass(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    json_t *r;
    if (s->jsonata) {
        fg__jsonata_leave(e, f, NULL, s->output, s->assign, s->next);
        return;
    }
    if (s->result) {
        r = json_incref(s->result);
    } else if (s->parameters) {
        if (!(r = fg__eval_params(e, f, s->parameters)))
            return;
    } else {
        r = json_incref(f->eff_input);
    }
    fg__finish_result(e, f, r);
}

/* 1 when rule i of a Choice state matches, 0 when not, -1 after a failure. */
static int choice_rule_matches(fg_flow_exec *e, fg__frame *f, int i)
{
    const fg__state *s = fg__cur_state(f);
    if (s->jsonata) {
        json_t *v = fg__eval_jx(e, f, s->conditions[i], NULL, NULL, "boolean");
        int m = v ? json_is_true(v) : -1;
        json_decref(v);
        return m;
    }
    fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
    int m = fg__rule_eval(s->choices[i], &cx);
    if (m < 0)
        fg__runtime_error(e, f, cx.error, e->eb.msg);
    return m;
}

/* The first matching rule sets the next state and its Assign and Output take
 * effect; when none matches, Default with the state's Assign and Output. */
void fg__run_choice(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
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
        fg__fail_state(e, f, "States.NoChoiceMatched",
                   "No Matches! Configure the Default field of the Choice state.");
        return;
    }
    const fg__assign *assign = matched >= 0 ? s->choice_assign[matched] : s->assign;
    const fg__jx *output = matched >= 0 ? s->choice_output[matched] : s->output;
    if (s->jsonata)
        fg__jsonata_leave(e, f, NULL, output, assign, next);
    else
        fg__jsonpath_leave(e, f, assign, next);
}

void fg__run_succeed(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    if (s->jsonata)
        fg__jsonata_leave(e, f, NULL, s->output, NULL, -1);
    else
        fg__jsonpath_leave(e, f, NULL, -1);
}

static char *fail_field(fg_flow_exec *e, fg__frame *f, const char *lit, const fg__jp *p,
                        const fg__fn *fn, const char *field, bool *bad)
{
    if (lit)
        return strdup(lit);
    if (!p && !fn)
        return NULL;
    fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
    json_t *v = p ? fg__path_eval(p, &cx) : fg__fn_eval(fn, &cx);
    if (!v || !json_is_string(v)) {
        char msg[400];
        snprintf(msg, sizeof msg, "The JSONPath specified for the field '%s' could not be found "
                                  "in the input or is not a string", field);
        json_decref(v);
        *bad = true;
        fg__runtime_error(e, f, "States.Runtime", msg);
        return NULL;
    }
    char *r = strdup(json_string_value(v));
    json_decref(v);
    return r;
}

/* Error or Cause of a JSONata Fail state given as an expression. */
static char *fail_field_jx(fg_flow_exec *e, fg__frame *f, const fg__jx *x, bool *bad)
{
    json_t *v = fg__eval_jx(e, f, x, NULL, NULL, "string");
    if (!v) {
        *bad = true;
        return NULL;
    }
    char *r = strdup(json_string_value(v));
    json_decref(v);
    return r;
}

void fg__run_fail(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
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
    fg__fail_state(e, f, err, cause);
    free(err);
    free(cause);
}

/* ---- Wait ------------------------------------------------------------------- */

static bool wait_seconds_from(fg_flow_exec *e, fg__frame *f, const fg__jp *p, int64_t *out)
{
    fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
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
    fg__runtime_error(e, f, "States.Runtime", msg);
    return false;
}

/* Seconds or Timestamp of a JSONata Wait state given as an expression. */
static bool wait_until_jsonata(fg_flow_exec *e, fg__frame *f, int64_t now, int64_t *at)
{
    const fg__state *s = fg__cur_state(f);
    char msg[600];
    const char *want = s->seconds.jx ? "number" : "string";
    json_t *v = fg__eval_jx(e, f, s->seconds.jx ? s->seconds.jx : s->timestamp_jx, NULL, NULL, want);
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
        fg__runtime_error(e, f, "States.QueryEvaluationError", msg);
    return ok;
}

void fg__run_wait(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    int64_t now = fg__now_ms(e), at = now;
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
        fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
        json_t *v = fg__path_eval(s->timestamp_path, &cx);
        bool ok = v && json_is_string(v) && fg__timestamp_parse(json_string_value(v), &at, NULL);
        json_decref(v);
        if (!ok) {
            char msg[400];
            snprintf(msg, sizeof msg, "The TimestampPath parameter does not reference a valid "
                     "ISO-8601 extended offset date-time format string: %s",
                     fg__jp_text(s->timestamp_path));
            fg__runtime_error(e, f, "States.Runtime", msg);
            return;
        }
    }
    if (at - now > (int64_t)2147483647 * 1000) {
        fg__runtime_error(e, f, "States.Runtime", "Wait state delay is too long.");
        return;
    }
    f->wake_at = at;
    f->ph = FG__PH_WAIT;
}

void fg__wait_done(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    if (s->jsonata)
        fg__jsonata_leave(e, f, NULL, s->output, s->assign, s->next);
    else
        fg__jsonpath_leave(e, f, s->assign, s->next);
}
