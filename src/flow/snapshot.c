/* Snapshots: the whole position of an execution (its tree of frames) as JSON,
 * and back. A durable store commits the snapshot after each step and restores
 * it after a restart. */
#include "flow/exec_int.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *phases[] = {"enter", "run", "task", "wait", "retry_wait", "children"};

static json_t *frame_json(const fg__frame *f);

static json_t *frame_json(const fg__frame *f)
{
    const fg__state *s = &f->sm->states[f->cur];
    json_t *retry = json_array();
    for (int k = 0; f->retry_counts && k < s->nretry; k++)
        json_array_append_new(retry, json_integer(f->retry_counts[k]));
    json_t *o = json_pack("{s:s,s:s,s:O,s:o,s:i,s:I,s:I,s:I,s:i,s:i,s:i,s:b,s:f,s:f}", "state",
                          s->name, "phase", phases[f->ph], "input", f->raw_input, "retry_counts",
                          retry, "retry_total", f->retry_total, "entered_ms",
                          (json_int_t)f->entered_ms, "wake_at", (json_int_t)f->wake_at, "deadline",
                          (json_int_t)f->deadline, "child_next", (int)f->child_next, "failures",
                          (int)f->failures, "index", f->index_in_parent, "tolerance_set",
                          f->tolerance_set, "tolerated_count", f->tolerated_count,
                          "tolerated_pct", f->tolerated_pct);
    if (f->eff_input)
        json_object_set(o, "effective_input", f->eff_input);
    if (json_object_size(f->vars))
        json_object_set(o, "variables", f->vars);
    if (f->entered_event)
        json_object_set_new(o, "entered_event", json_integer(f->entered_event));
    if (f->items)
        json_object_set(o, "items", f->items);
    if (f->child_input)
        json_object_set(o, "child_input", f->child_input);
    if (f->results)
        json_object_set(o, "results", f->results);
    json_object_set_new(o, "child_total", json_integer((json_int_t)f->child_total));
    json_object_set_new(o, "concurrency", json_integer(f->concurrency));
    if (f->ph == FG__PH_TASK && f->task && f->task->token[0])
        json_object_set_new(o, "task_token", json_string(f->task->token));
    else if (f->resume_token)
        json_object_set_new(o, "task_token", json_string(f->resume_token));
    if (f->done) {
        json_object_set_new(o, "done", json_true());
        json_object_set_new(o, "failed", json_boolean(f->failed));
        if (f->out)
            json_object_set(o, "output", f->out);
        if (f->err)
            json_object_set_new(o, "error", json_string(f->err));
        if (f->cause)
            json_object_set_new(o, "cause", json_string(f->cause));
    }
    if (f->nkids) {
        json_t *kids = json_array();
        for (int k = 0; k < f->nkids; k++)
            json_array_append_new(kids, frame_json(f->kids[k]));
        json_object_set_new(o, "kids", kids);
    }
    return o;
}

json_t *fg_flow_exec_snapshot(const fg_flow_exec *e)
{
    json_t *frames = json_array();
    if (e->root)
        json_array_append_new(frames, frame_json(e->root));
    json_t *snap = json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:O,s:O,s:o,s:i}", "version", 1, "name",
                             e->name, "status", fg_flow_status_name(e->status), "transitions",
                             (json_int_t)e->transitions, "start_ms", (json_int_t)e->start_ms,
                             "exec_deadline", (json_int_t)e->exec_deadline, "input", e->input,
                             "context", e->context, "frames", frames, "last_event", e->last_event);
    if (e->history)
        json_object_set(snap, "history", e->history);
    if (e->history_taken)
        json_object_set_new(snap, "history_taken", json_integer((json_int_t)e->history_taken));
    return snap;
}

static int find_state(const fg__sm *sm, const char *name)
{
    for (int i = 0; name && i < sm->nstates; i++)
        if (!strcmp(sm->states[i].name, name))
            return i;
    return -1;
}

static int phase_from(const char *s)
{
    for (int i = 0; s && i < (int)FG_ARRAY_LEN(phases); i++)
        if (!strcmp(s, phases[i]))
            return i;
    return -1;
}

static json_t *take(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return v ? json_incref(v) : NULL;
}

/* The state machine a child frame runs: a branch of its parent's state. */
static const fg__sm *kid_sm(const fg__frame *p, int index)
{
    const fg__state *ps = &p->sm->states[p->cur];
    if (ps->type == FG__PARALLEL)
        return index >= 0 && index < ps->nbranches ? ps->branches[index] : NULL;
    return ps->type == FG__MAP && ps->nbranches ? ps->branches[0] : NULL;
}

static fg__frame *restore_frame(const json_t *fj, const fg__sm *sm, int level, fg_errbuf *eb);

static int restore_fields(fg__frame *f, const json_t *fj, fg_errbuf *eb)
{
    f->eff_input = take(fj, "effective_input");
    f->vars = take(fj, "variables");
    f->entered_event = (int)fg_json_int(fj, "entered_event", 0);
    if (f->ph != FG__PH_ENTER && !f->eff_input)
        f->eff_input = json_incref(f->raw_input);
    f->retry_total = (int)fg_json_int(fj, "retry_total", 0);
    const json_t *rcs = json_object_get(fj, "retry_counts");
    int nretry = f->sm->states[f->cur].nretry;
    if (json_array_size(rcs) && nretry) {
        f->retry_counts = calloc((size_t)nretry, sizeof(int));
        for (int k = 0; k < nretry && k < (int)json_array_size(rcs); k++)
            f->retry_counts[k] = (int)json_integer_value(json_array_get(rcs, (size_t)k));
    }
    f->entered_ms = fg_json_int(fj, "entered_ms", 0);
    f->wake_at = fg_json_int(fj, "wake_at", 0);
    f->deadline = fg_json_int(fj, "deadline", 0);
    f->items = take(fj, "items");
    f->child_input = take(fj, "child_input");
    f->results = take(fj, "results");
    f->child_next = (size_t)fg_json_int(fj, "child_next", 0);
    f->child_total = (size_t)fg_json_int(fj, "child_total", 0);
    f->concurrency = (int)fg_json_int(fj, "concurrency", 1);
    f->failures = (size_t)fg_json_int(fj, "failures", 0);
    f->tolerance_set = fg_json_bool(fj, "tolerance_set", false);
    f->tolerated_count = fg_json_num(fj, "tolerated_count", -1);
    f->tolerated_pct = fg_json_num(fj, "tolerated_pct", -1);
    const char *token = fg_json_str(fj, "task_token", NULL);
    if (token)
        f->resume_token = strndup(token, FG_FLOW_TOKEN_MAX - 1);
    if (fg_json_bool(fj, "done", false)) {
        f->done = true;
        f->failed = fg_json_bool(fj, "failed", false);
        f->out = take(fj, "output");
        const char *er = fg_json_str(fj, "error", NULL), *ca = fg_json_str(fj, "cause", NULL);
        f->err = er ? strdup(er) : NULL;
        f->cause = ca ? strdup(ca) : NULL;
    }
    size_t i;
    json_t *kj;
    json_array_foreach(json_object_get(fj, "kids"), i, kj) {
        const fg__sm *ksm = kid_sm(f, (int)fg_json_int(kj, "index", -1));
        fg__frame *kid = ksm ? restore_frame(kj, ksm, f->level + 1, eb) : NULL;
        if (!kid || fg__frame_add_kid(f, kid) != 0) {
            fg__frame_free(kid);
            return fg_failf(eb, FG_EINVAL, "snapshot: a child of state '%s' does not fit",
                            f->sm->states[f->cur].name);
        }
    }
    return 0;
}

static fg__frame *restore_frame(const json_t *fj, const fg__sm *sm, int level, fg_errbuf *eb)
{
    int cur = find_state(sm, fg_json_str(fj, "state", NULL));
    int ph = phase_from(fg_json_str(fj, "phase", NULL));
    if (cur < 0 || ph < 0 || level > 1000) {
        fg_failf(eb, FG_EINVAL, "snapshot frame names state '%s', which the state machine does "
                 "not have there", fg_json_str(fj, "state", "?"));
        return NULL;
    }
    fg__frame *f = fg__frame_new(sm, take(fj, "input"), (int)fg_json_int(fj, "index", -1), level);
    if (!f)
        return NULL;
    f->cur = cur;
    f->ph = ph == FG__PH_TASK ? FG__PH_RUN : (fg__phase)ph; /* a pending Task runs again */
    if (restore_fields(f, fj, eb) != 0) {
        fg__frame_free(f);
        return NULL;
    }
    return f;
}

fg_flow_exec *fg_flow_exec_restore(const fg_flow_machine *m, const json_t *snap,
                                   const fg_flow_exec_opts *opts, fg_errbuf *eb)
{
    if (fg_json_int(snap, "version", 0) != 1) {
        fg_failf(eb, FG_EINVAL, "not a flow execution snapshot (version 1)");
        return NULL;
    }
    fg_flow_exec *e = fg__exec_alloc(m, opts);
    if (!e)
        return NULL;
    snprintf(e->name, sizeof e->name, "%s", fg_json_str(snap, "name", ""));
    e->transitions = (uint64_t)fg_json_int(snap, "transitions", 0);
    e->start_ms = fg_json_int(snap, "start_ms", 0);
    e->exec_deadline = fg_json_int(snap, "exec_deadline", 0);
    e->input = take(snap, "input");
    e->context = json_deep_copy(json_object_get(snap, "context"));
    e->context_dirty = true;
    e->last_event = (int)fg_json_int(snap, "last_event", 0);
    if (json_object_get(snap, "history")) {
        e->history = json_deep_copy(json_object_get(snap, "history"));
        e->history_taken = (size_t)fg_json_int(snap, "history_taken", 0);
    }
    const json_t *frames = json_object_get(snap, "frames");
    if (!e->input || !json_is_object(e->context) || !json_is_array(frames) ||
        json_array_size(frames) == 0) {
        fg_failf(eb, FG_EINVAL, "the snapshot lacks input, context or frames");
        fg_flow_exec_free(e);
        return NULL;
    }
    e->root = restore_frame(json_array_get(frames, 0), m->root, 0, eb);
    if (!e->root) {
        fg_flow_exec_free(e);
        return NULL;
    }
    return e;
}
