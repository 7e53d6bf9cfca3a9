/* What each step of a durable execution hands the journal: its new history
 * events as one text, and its position. The position is the engine's snapshot
 * split in two: the parts that last for the whole execution (name, input,
 * start, deadline, the context but for its State) are written once, as the
 * position row's snapshot, and each later step writes only the rest (frames,
 * transitions, last event, status) as the row's delta; the lasting parts are
 * written again whenever they change (a Task's token in the context). A resume
 * merges the two. */
#include "sfn/sfn_int.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

/* Snapshot members that last: kept in the base snapshot only. "history" is
 * kept row by row in sfn_events. */
static const char *const lasting[] = {"version", "name", "start_ms", "exec_deadline",
                                      "input", "context", "history"};

static bool is_lasting(const char *key)
{
    for (size_t i = 0; i < sizeof lasting / sizeof lasting[0]; i++)
        if (!strcmp(key, lasting[i]))
            return true;
    return false;
}

static int to_buf(const char *p, size_t n, void *ud)
{
    return fg_buf_append(ud, p, n) ? -1 : 0;
}

/* The step's new events are taken from the engine, which keeps only their
 * count: a durable execution's history is read from the store, so the events
 * of a long execution do not pile up in memory (growing each worker's heap
 * page by page was a fifth of the workers' time). */
void sfn_entry_take_events(sfn_entry *en, sfn_exec *x, fg_flow_exec *e)
{
    json_t *h = fg_flow_exec_history_take(e);
    size_t n = json_array_size(h);
    en->first_event = x->events_saved;
    if (n == 0) {
        json_decref(h);
        return;
    }
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_reserve(&b, 256 * n);
    en->event_len = malloc(n * sizeof *en->event_len);
    for (size_t i = 0; en->event_len && i < n; i++) {
        size_t before = b.len;
        if (json_dump_callback(json_array_get(h, i), to_buf, &b,
                               JSON_COMPACT) != 0 || b.len == before) {
            b.len = before;
            fg_buf_puts(&b, "{}");
        }
        en->event_len[i] = b.len - before;
    }
    json_decref(h);
    en->events = fg_buf_detach(&b, NULL);
    en->nevents = en->event_len && en->events ? n : 0;
    x->events_saved += n;
}

/* The context as the base snapshot keeps it: without State, which the engine
 * sets again from the current frame after a restore. A shallow copy: the
 * engine replaces the context's other members (Task, Map) rather than change
 * them in place, so comparing them is mostly comparing pointers. */
static json_t *lasting_context(const json_t *context)
{
    json_t *c = json_copy((json_t *)context);
    json_object_del(c, "State");
    return c;
}

static bool context_changed(const json_t *saved, const json_t *cur)
{
    if (!saved || !json_is_object(cur))
        return true;
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cur, k, v) {
        if (!strcmp(k, "State"))
            continue;
        if (!json_equal(v, json_object_get(saved, k)))
            return true;
        n++;
    }
    return n != json_object_size(saved);
}

static char *dump(const json_t *v)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_reserve(&b, 1024);
    if (json_dump_callback(v, to_buf, &b, JSON_COMPACT) != 0) {
        fg_buf_free(&b);
        return NULL;
    }
    return fg_buf_detach(&b, NULL);
}

void sfn_entry_take_position(sfn_entry *en, sfn_exec *x, fg_flow_exec *e)
{
    json_t *snap = fg_flow_exec_snapshot(e);
    const json_t *context = json_object_get(snap, "context");
    if (!x->base_saved || context_changed(x->saved_context, context)) {
        json_decref(x->saved_context);
        x->saved_context = lasting_context(context);
        x->base_saved = true;
        json_object_del(snap, "history");
        en->snapshot = dump(snap);
        en->delta = false;
    } else {
        json_t *d = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(snap, k, v)
            if (!is_lasting(k))
                json_object_set(d, k, v);
        en->snapshot = dump(d);
        en->delta = true;
        json_decref(d);
    }
    json_decref(snap);
}

json_t *sfn_position_load(const char *snapshot, const char *delta)
{
    json_t *snap = snapshot ? json_loads(snapshot, 0, NULL) : NULL;
    if (!snap || !delta)
        return snap;
    json_t *d = json_loads(delta, 0, NULL);
    if (!json_is_object(d) || json_object_update(snap, d) != 0) {
        json_decref(d);
        json_decref(snap);
        return NULL;
    }
    json_decref(d);
    return snap;
}
