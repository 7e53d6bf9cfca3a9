/* The interpreter's Parallel and Map states (see exec.c): items, batches and
 * tolerances, child frames started in turn up to the concurrency, and their
 * results gathered in order. */
#include "flow/exec_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Parallel and Map ------------------------------------------------------- */

void fg__run_parallel(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    json_t *in = fg__task_input(e, f);
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
        json_t *v = fg__eval_jx(e, f, n->jx, NULL, NULL, "number");
        *out = v ? json_number_value(v) : -1;
        json_decref(v);
        return v != NULL;
    }
    if (!n->path)
        return false;
    fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
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
        fg__runtime_error(e, f, "States.Runtime", msg);
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
    const fg__state *s = fg__cur_state(f);
    double v;
    if (s->tolerated_count.path || s->tolerated_count.set || s->tolerated_count.jx) {
        if (!map_number(e, f, &s->tolerated_count, "ToleratedFailureCount", true, &v))
            return false;
        f->tolerated_count = v;
        f->tolerance_set = true;
        if (v < 0) {
            fg__runtime_error(e, f, "States.Runtime", "ToleratedFailureCount must be non-negative.");
            return false;
        }
    } else {
        f->tolerated_count = -1;
    }
    if (s->tolerated_pct.path || s->tolerated_pct.set || s->tolerated_pct.jx) {
        if (!map_number(e, f, &s->tolerated_pct, "ToleratedFailurePercentage", false, &v))
            return false;
        if (v < 0 || v > 100) {
            fg__runtime_error(e, f, "States.Runtime",
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
    const fg__state *s = fg__cur_state(f);
    json_t *items = s->items ? fg__eval_jx(e, f, s->items, NULL, NULL, "array")
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
        fg__runtime_error(e, f, "States.QueryEvaluationError", msg);
        return NULL;
    }
    if (json_array_size(items) > e->limits.max_map_items) {
        json_decref(items);
        fg__runtime_error(e, f, "States.Runtime", "The Map state has more items than the configured limit");
        return NULL;
    }
    return items;
}

/* The items a Map state iterates (a new reference), or NULL after a failure. */
static json_t *map_items(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
    json_t *items;
    if (s->jsonata)
        return map_items_jsonata(e, f);
    if (s->items_path) {
        fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
        if (!(items = fg__path_eval(s->items_path, &cx))) {
            fg__runtime_error(e, f, "States.Runtime", e->eb.msg);
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
        fg__runtime_error(e, f, "States.Runtime", bad);
        return NULL;
    }
    return items;
}

/* Groups the items into batches when the state has an ItemBatcher (steals items). */
static json_t *map_batch(fg_flow_exec *e, fg__frame *f, json_t *items)
{
    const fg__state *s = fg__cur_state(f);
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

void fg__run_map(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
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
    const fg__state *s = fg__cur_state(f);
    json_t *item = json_array_get(f->items, i);
    const fg__tmpl *sel = s->item_selector ? s->item_selector : s->parameters;
    if (s->has_batcher) {
        json_t *in = json_object();
        if (s->batch_input_jx) {
            json_t *bi = fg__eval_jx(e, f, s->batch_input_jx, NULL, NULL, NULL);
            if (!bi) {
                json_decref(in);
                return NULL;
            }
            json_object_set_new(in, "BatchInput", bi);
        } else if (s->batch_input) {
            fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
            json_t *bi = fg__tmpl_eval(s->batch_input, &cx);
            if (!bi) {
                json_decref(in);
                fg__runtime_error(e, f, cx.error, e->eb.msg);
                return NULL;
            }
            json_object_set_new(in, "BatchInput", bi);
        }
        json_object_set(in, "Items", item);
        return in;
    }
    if (!sel && !s->item_selector_jx)
        return json_incref(item);
    fg__sync_context(e);
    json_object_set_new(e->context, "Map",
                        json_pack("{s:{s:i,s:O}}", "Item", "Index", (int)i, "Value", item));
    json_t *r;
    if (s->item_selector_jx) {
        r = fg__eval_jx(e, f, s->item_selector_jx, NULL, NULL, NULL);
    } else {
        fg__eval_ctx cx = fg__make_cx(e, f, f->eff_input);
        r = fg__tmpl_eval(sel, &cx);
        if (!r)
            fg__runtime_error(e, f, cx.error, e->eb.msg);
    }
    json_object_del(e->context, "Map");
    return r;
}

/* Starts the next Map iteration or Parallel branch as a child frame. */
void fg__start_child(fg_flow_exec *e, fg__frame *f)
{
    const fg__state *s = fg__cur_state(f);
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
        fg__runtime_error(e, f, "States.Runtime", "Map and Parallel states are nested too deeply");
    }
}

void fg__children_finish(fg_flow_exec *e, fg__frame *f)
{
    json_t *r = f->results;
    f->results = NULL;
    if (e->history && fg__cur_state(f)->type == FG__MAP)
        fg__hist_add(e, "MapStateSucceeded", NULL, NULL);
    fg__finish_result(e, f, r);
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
    fg__free_kids(f);
    if (err && fg__try_retry(e, f, err))
        return;
    if (e->history)
        fg__hist_add(e, failed_event, NULL, NULL);
    if (err && fg__try_catch(e, f, err, cause))
        return;
    fg__fail_state(e, f, err, cause);
}

/* Child k of f ended: take its result and remove it. */
void fg__child_done(fg_flow_exec *e, fg__frame *f, int k)
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
    const fg__state *s = fg__cur_state(f);
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
