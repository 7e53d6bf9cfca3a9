/* Resuming after a restart: every STANDARD execution still RUNNING in the store
 * is rebuilt from its last committed snapshot and history and started again on
 * a worker. A Task that was pending at the crash runs again (with the same task
 * token); Waits and retries keep their wake times. */
#include "sfn/sfn_int.h"

#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct resume {
    sfn_exec *x;
    char *snapshot; /* NULL: the first step was never committed, start over */
    char *delta;    /* what changed since the snapshot (position.c), or NULL */
} resume;

/* How many events the store holds for the execution: the engine gets the
 * count back (the next event's id follows them); the events themselves stay
 * in the store. */
static json_int_t stored_events(fg_sfn *s, const sfn_exec *x)
{
    fg_sval p[1] = {FG_SINT(x->exec_id)};
    json_t *rows = NULL;
    json_int_t n = 0;
    if (fg_store_query_json(s->store, "SELECT COUNT(*) AS n FROM sfn_events WHERE exec_id = $1",
                            p, 1, &rows, NULL) == 0)
        n = fg_json_int(json_array_get(rows, 0), "n", 0);
    json_decref(rows);
    return n;
}

static void fail_resume(sfn_exec *x, const char *why)
{
    fg_log(FG_LOG_ERROR, NULL, "sfn: cannot resume execution %s: %s", x->arn, why);
    fg_sval p[4] = {SFN_TEXT(x->account), FG_STEXT(x->arn), FG_STEXT(why),
                    FG_SINT(x->start_ms)};
    fg_store_exec(x->svc->store, "UPDATE sfn_executions SET status = 'FAILED', "
                                 "error = 'States.Runtime', cause = $3, stop_ms = $4 "
                                 "WHERE account_id = $1 AND arn = $2", p, 4, NULL, NULL);
}

static void resume_on_worker(fg_http_worker *w, void *ud)
{
    resume *r = ud;
    sfn_exec *x = r->x;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_int_t events = stored_events(x->svc, x);
    json_t *snap = sfn_position_load(r->snapshot, r->delta);
    json_t *input = json_loads(x->input, JSON_DECODE_ANY, NULL);
    if (snap) {
        json_object_set_new(snap, "history", json_array());
        json_object_set_new(snap, "history_taken", json_integer(events));
        x->events_saved = (size_t)events;
    }
    bool stopping = fg_http_worker_stopping(w); /* then it resumes at the next start */
    if (!stopping && ((r->snapshot && !snap) || !input))
        fail_resume(x, "its stored snapshot or input is not JSON");
    else if (!stopping && sfn_begin_run(x, w, input, snap, &eb) != 0)
        fail_resume(x, eb.msg);
    json_decref(snap);
    json_decref(input);
    sfn_exec_unref(x);
    free(r->snapshot);
    free(r->delta);
    free(r);
}

static sfn_machine *machine_of(fg_sfn *s, json_t *compiled, const char *definition,
                               fg_errbuf *eb)
{
    json_t *v = json_object_get(compiled, definition);
    if (v) {
        sfn_machine *m = (sfn_machine *)(intptr_t)json_integer_value(v);
        atomic_fetch_add(&m->refs, 1);
        return m;
    }
    json_t *def = json_loads(definition, 0, NULL);
    fg_flow_machine *fm = def ? fg_flow_machine_create(def, s->tasks, NULL, eb) : NULL;
    json_decref(def);
    if (!fm)
        return NULL;
    sfn_machine *m = calloc(1, sizeof *m);
    atomic_init(&m->refs, 2); /* the caller's and compiled's */
    m->m = fm;
    m->revision = strdup("");
    json_object_set_new(compiled, definition, json_integer((json_int_t)(intptr_t)m));
    return m;
}

static sfn_exec *exec_from_row(fg_sfn *s, const json_t *row)
{
    sfn_exec *x = calloc(1, sizeof *x);
    atomic_init(&x->refs, 1);
    x->svc = s;
    snprintf(x->account, sizeof x->account, "%s", fg_json_str(row, "account_id", ""));
    x->arn = strdup(fg_json_str(row, "arn", ""));
    x->machine_arn = strdup(fg_json_str(row, "machine_arn", ""));
    const char *colon = strrchr(x->machine_arn, ':');
    x->machine_name = strdup(colon ? colon + 1 : x->machine_arn);
    x->name = strdup(fg_json_str(row, "name", ""));
    x->role_arn = strdup(fg_json_str(row, "role_arn", ""));
    x->input = strdup(fg_json_str(row, "input", "{}"));
    x->key = sfn_key(x->account, x->arn);
    x->durable = true;
    x->start_ms = fg_json_int(row, "start_ms", 0);
    x->exec_id = fg_json_int(row, "exec_id", 0);
    const char *parent = fg_json_str(row, "parent_token", NULL);
    x->parent_token = parent ? strdup(parent) : NULL;
    x->parent_mode = (sfn_parent_mode)fg_json_int(row, "parent_mode", 0);
    return x;
}

static void resume_one(fg_sfn *s, json_t *compiled, const json_t *row)
{
    sfn_exec *x = exec_from_row(s, row);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    x->machine = machine_of(s, compiled, fg_json_str(row, "definition", ""), &eb);
    if (!x->machine) {
        fail_resume(x, eb.msg[0] ? eb.msg : "its definition no longer compiles");
        sfn_exec_unref(x);
        return;
    }
    resume *r = calloc(1, sizeof *r);
    r->x = x;
    const char *snap = fg_json_str(row, "snapshot", NULL);
    r->snapshot = snap ? strdup(snap) : NULL;
    const char *delta = fg_json_str(row, "delta", NULL);
    r->delta = snap && delta ? strdup(delta) : NULL;
    fg_http_worker *w = sfn_pick_worker(s);
    if (!w || sfn_post(s, w, resume_on_worker, r) != 0) {
        sfn_exec_unref(x);
        free(r->snapshot);
        free(r->delta);
        free(r);
    }
}

int sfn_exec_resume_all(fg_sfn *s, fg_errbuf *eb)
{
    json_t *rows = NULL;
    int rc = fg_store_query_json(s->store,
                                 "SELECT e.account_id, e.arn, e.machine_arn, e.name, e.definition, "
                                 "e.role_arn, e.input, e.start_ms, p.snapshot, "
                                 "COALESCE(d.delta, p.delta) AS delta, e.parent_token, "
                                 "e.parent_mode, e.exec_id FROM sfn_executions e "
                                 "LEFT JOIN sfn_positions p ON p.exec_id = e.exec_id "
                                 "LEFT JOIN sfn_deltas d ON d.exec_id = e.exec_id "
                                 "WHERE e.status = 'RUNNING' AND e.type = 'STANDARD'",
                                 NULL, 0, &rows, eb);
    if (rc)
        return rc;
    json_t *compiled = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        resume_one(s, compiled, row);
    const char *k;
    json_t *v;
    json_object_foreach(compiled, k, v)
        sfn_machine_unref((sfn_machine *)(intptr_t)json_integer_value(v));
    json_decref(compiled);
    if (json_array_size(rows))
        fg_log(FG_LOG_INFO, NULL, "sfn: resuming %zu running executions", json_array_size(rows));
    json_decref(rows);
    return 0;
}
