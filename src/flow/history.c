/* The execution event history: AWS's event types, ids and previousEventId. */
#include "flow/exec_int.h"

#include "core/clock.h"

#include <string.h>

const char *fg__state_type_name(fg__stype t)
{
    static const char *names[] = {"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"};
    return names[t];
}

void fg__hist_add(fg_flow_exec *e, const char *type, const char *details_key, json_t *details)
{
    size_t recorded = e->history ? e->history_taken + json_array_size(e->history) : 0;
    if (!e->history || recorded >= e->limits.max_history) {
        json_decref(details);
        return;
    }
    char ts[40];
    fg_clock_format_iso8601(e->clock->now_ms(e->clock->ud), ts, sizeof ts);
    json_t *ev = json_object();
    int id = (int)recorded + 1;
    json_object_set_new(ev, "id", json_integer(id));
    json_object_set_new(ev, "previousEventId", json_integer(e->last_event));
    json_object_set_new(ev, "timestamp", json_string(ts));
    json_object_set_new(ev, "type", json_string(type));
    if (details_key && details)
        json_object_set_new(ev, details_key, details);
    else
        json_decref(details);
    json_array_append_new(e->history, ev);
    e->last_event = id;
}

json_t *fg_flow_exec_history_take(fg_flow_exec *e)
{
    if (!e->history)
        return NULL;
    json_t *taken = e->history;
    e->history = json_array();
    e->history_taken += json_array_size(taken);
    return taken;
}
