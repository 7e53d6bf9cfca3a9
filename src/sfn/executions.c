/* Executions: start (STANDARD rows are inserted first, then every step is
 * journaled before the next one runs) and end (final row, StartSyncExecution's
 * answer, the parent Task of a nested execution). */
#include "sfn/sfn_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool on_step(fg_sfn_run *run, fg_flow_exec *e, void *ud);
static void on_done(fg_sfn_run *run, fg_flow_exec *e, void *ud);

/* ---- journal entries ------------------------------------------------------ */

static sfn_entry *entry_new(sfn_exec *x, fg_flow_exec *e)
{
    sfn_entry *en = calloc(1, sizeof *en);
    en->x = sfn_exec_ref(x);
    sfn_entry_take_events(en, x, e);
    return en;
}

static bool on_step(fg_sfn_run *run, fg_flow_exec *e, void *ud)
{
    (void)run;
    sfn_exec *x = ud;
    if (!x->durable)
        return false;
    sfn_entry *en = entry_new(x, e);
    sfn_entry_take_position(en, x, e);
    en->status = "RUNNING";
    en->wake_ms = fg_flow_exec_wake_at(e);
    sfn_journal_submit(x->svc->journal, en);
    return true;
}

/* ---- the end ----------------------------------------------------------------- */

json_t *sfn_exec_sync_result(const json_t *row, bool output_json)
{
    const char *input = fg_json_str(row, "input", "{}");
    const char *output = fg_json_str(row, "output", NULL);
    json_t *r = json_object();
    json_object_set_new(r, "ExecutionArn", json_string(fg_json_str(row, "arn", "")));
    json_object_set_new(r, "StateMachineArn", json_string(fg_json_str(row, "machine_arn", "")));
    json_object_set_new(r, "Name", json_string(fg_json_str(row, "name", "")));
    json_object_set_new(r, "Status", json_string(fg_json_str(row, "status", "")));
    json_object_set_new(r, "StartDate", json_integer(fg_json_int(row, "start_ms", 0)));
    json_object_set_new(r, "StopDate", json_integer(fg_json_int(row, "stop_ms", 0)));
    json_t *in = output_json ? json_loads(input, 0, NULL) : NULL;
    json_object_set_new(r, "Input", in ? in : json_string(input));
    json_object_set_new(r, "InputDetails", json_pack("{s:b}", "Included", 1));
    if (output) {
        json_t *out = output_json ? json_loads(output, 0, NULL) : NULL;
        json_object_set_new(r, "Output", out ? out : json_string(output));
        json_object_set_new(r, "OutputDetails", json_pack("{s:b}", "Included", 1));
    }
    if (fg_json_str(row, "error", NULL))
        json_object_set_new(r, "Error", json_string(fg_json_str(row, "error", "")));
    if (fg_json_str(row, "cause", NULL))
        json_object_set_new(r, "Cause", json_string(fg_json_str(row, "cause", "")));
    return r;
}

static json_t *final_row(const sfn_exec *x, const sfn_entry *en)
{
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "arn", x->arn, "machine_arn",
                            x->machine_arn, "name", x->name, "input", x->input, "status",
                            en->status, "start_ms", (json_int_t)x->start_ms, "stop_ms",
                            (json_int_t)en->stop_ms);
    if (en->output)
        json_object_set_new(row, "output", json_string(en->output));
    if (en->error)
        json_object_set_new(row, "error", json_string(en->error));
    if (en->cause)
        json_object_set_new(row, "cause", json_string(en->cause));
    return row;
}

/* A nested execution ended: its parent's startExecution.sync Task completes. */
static void notify_parent(sfn_exec *x, const sfn_entry *en)
{
    if (!x->parent_token || x->parent_mode == SFN_PARENT_NONE)
        return;
    json_t *row = final_row(x, en);
    json_t *result = sfn_exec_sync_result(row, x->parent_mode == SFN_PARENT_SYNC2);
    if (!strcmp(en->status, "SUCCEEDED")) {
        sfn_task_complete(x->svc, x->parent_token, result, NULL, NULL, false, NULL, NULL, NULL);
    } else {
        char *cause = json_dumps(result, JSON_COMPACT);
        sfn_task_complete(x->svc, x->parent_token, NULL, "States.TaskFailed", cause, false, NULL,
                          NULL, NULL);
        free(cause);
    }
    json_decref(result);
    json_decref(row);
}

static void answer_sync(sfn_exec *x, const sfn_entry *en)
{
    json_t *b = json_object();
    json_object_set_new(b, "executionArn", json_string(x->arn));
    json_object_set_new(b, "stateMachineArn", json_string(x->machine_arn));
    json_object_set_new(b, "name", json_string(x->name));
    json_object_set_new(b, "startDate", json_real(sfn_epoch(x->start_ms)));
    json_object_set_new(b, "stopDate", json_real(sfn_epoch(en->stop_ms)));
    json_object_set_new(b, "status", json_string(en->status));
    json_object_set_new(b, "input", json_string(x->input));
    json_object_set_new(b, "inputDetails", json_pack("{s:b}", "included", 1));
    if (en->output) {
        json_object_set_new(b, "output", json_string(en->output));
        json_object_set_new(b, "outputDetails", json_pack("{s:b}", "included", 1));
    }
    if (en->error)
        json_object_set_new(b, "error", json_string(en->error));
    if (en->cause)
        json_object_set_new(b, "cause", json_string(en->cause));
    json_object_set_new(b, "billingDetails",
                        json_pack("{s:i,s:I}", "billedMemoryUsedInMB", 64,
                                  "billedDurationInMilliseconds",
                                  (json_int_t)(en->stop_ms - x->start_ms + 1)));
    sfn_api_reply(x->sync_req, b);
    x->sync_req = NULL;
}

static void on_done(fg_sfn_run *run, fg_flow_exec *e, void *ud)
{
    (void)run;
    sfn_exec *x = ud;
    x->run = NULL;
    sfn_entry *en = entry_new(x, e);
    en->final = true;
    en->status = fg_flow_status_name(fg_flow_exec_status(e));
    en->stop_ms = fg_clock_wall_ms();
    if (fg_flow_exec_output(e) && fg_flow_exec_status(e) == FG_FLOW_SUCCEEDED)
        en->output = json_dumps(fg_flow_exec_output(e), JSON_COMPACT | JSON_ENCODE_ANY);
    if (fg_flow_exec_error(e))
        en->error = strdup(fg_flow_exec_error(e));
    if (fg_flow_exec_cause(e))
        en->cause = strdup(fg_flow_exec_cause(e));
    if (x->sync_req)
        answer_sync(x, en);
    if (x->durable) { /* the rest happens once the end is committed */
        sfn_journal_submit(x->svc->journal, en);
        return;
    }
    notify_parent(x, en);
    sfn_live_del(x->svc, x);
    if (x->record_at_end) {
        en->insert = true;
        sfn_journal_submit(x->svc->journal, en);
    } else {
        sfn_entry_free(en);
    }
}

void sfn_exec_committed(fg_http_worker *w, void *entry)
{
    (void)w;
    sfn_entry *en = entry;
    sfn_exec *x = en->x;
    if (!en->final) {
        sfn_activity_flush(x);
        if (x->run)
            fg_sfn_run_resume(x->run);
    } else {
        sfn_activity_drop(x);
        sfn_live_del(x->svc, x);
        notify_parent(x, en);
    }
    sfn_entry_free(en);
}

/* ---- start ---------------------------------------------------------------------- */

static bool logging_all(const char *logging)
{
    json_t *l = logging ? json_loads(logging, 0, NULL) : NULL;
    bool all = l && !strcmp(fg_json_str(l, "level", "OFF"), "ALL");
    json_decref(l);
    return all;
}

static sfn_exec *exec_new(fg_sfn *s, const char *account, const sfn_machine_row *row,
                          const char *name, const char *input, bool express)
{
    sfn_exec *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    atomic_init(&x->refs, 1);
    x->svc = s;
    snprintf(x->account, sizeof x->account, "%s", account);
    x->arn = fg_sfn_execution_arn(row->arn, name, express);
    x->machine_arn = fg_sfn_unqualified_arn(row->arn); /* a version's executions too */
    x->machine_name = strdup(row->name);
    x->name = strdup(name);
    x->role_arn = strdup(row->role_arn ? row->role_arn : "");
    x->input = strdup(input);
    x->express = express;
    x->durable = !express;
    x->key = x->arn ? sfn_key(account, x->arn) : NULL;
    x->start_ms = fg_clock_wall_ms();
    x->exec_id = sfn_next_exec_id(s);
    if (!x->arn || !x->key || !x->machine_arn || !x->name || !x->input) {
        sfn_exec_unref(x);
        return NULL;
    }
    return x;
}

/* The execution row and its position row (the part each step rewrites). */
static int insert_row(fg_sfn *s, const sfn_exec *x, const sfn_machine_row *row, fg_errbuf *eb)
{
    fg_sval p[15] = {SFN_TEXT(x->account), FG_STEXT(x->arn), FG_STEXT(x->machine_arn),
                     FG_STEXT(x->name), FG_STEXT("STANDARD"), FG_STEXT("RUNNING"),
                     FG_STEXT(row->definition), FG_STEXT(x->role_arn), FG_STEXT(x->input),
                     FG_SINT(x->start_ms), FG_STEXT(x->parent_token),
                     FG_SINT((int64_t)x->parent_mode), FG_SINT(x->exec_id),
                     FG_STEXT(x->version_arn), FG_STEXT(x->alias_arn)};
    fg_sval id = FG_SINT(x->exec_id);
    int rc = fg_store_begin(s->store, eb);
    if (!rc)
        rc = fg_store_exec(s->store,
                           "INSERT INTO sfn_executions (account_id, arn, machine_arn, name, type, "
                           "status, definition, role_arn, input, start_ms, parent_token, "
                           "parent_mode, exec_id, version_arn, alias_arn) VALUES ($1, $2, $3, "
                           "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                           p, 15, NULL, eb);
    if (!rc)
        rc = fg_store_exec(s->store, "INSERT INTO sfn_positions (exec_id) VALUES ($1)", &id, 1,
                           NULL, eb);
    if (!rc)
        return fg_store_commit(s->store, eb);
    fg_store_rollback(s->store);
    return rc;
}

static void exec_opts(const sfn_exec *x, fg_flow_exec_opts *o, char *prefix)
{
    o->name = x->name;
    o->machine_arn = x->machine_arn;
    o->machine_name = x->machine_name;
    o->role_arn = x->role_arn;
    o->history = x->durable || x->record_at_end;
    o->express = x->express;
    o->execution_arn = x->arn;
    o->token_prefix = prefix;
    o->account_id = x->account;
    o->limits = &x->svc->limits;
}

/* Creates the run and the execution (from snap when given) and starts it. */
int sfn_begin_run(sfn_exec *x, fg_http_worker *w, const json_t *input, const json_t *snap,
                     fg_errbuf *eb)
{
    x->worker = w;
    fg_sfn_run *run = fg_sfn_run_new(w, on_done, on_step, x);
    char *prefix = fg_sfn_token_prefix(x->account, x->arn);
    if (!run || !prefix) {
        free(run);
        free(prefix);
        return fg_failf(eb, FG_ENOMEM, "out of memory starting an execution");
    }
    fg_flow_exec_opts o = {0};
    exec_opts(x, &o, prefix);
    fg_sfn_run_exec_opts(run, &o);
    fg_flow_exec *e = snap ? fg_flow_exec_restore(x->machine->m, snap, &o, eb)
                           : fg_flow_exec_create(x->machine->m, input, &o);
    free(prefix);
    if (!e) {
        free(run);
        return eb->code ? eb->code : fg_failf(eb, FG_ENOMEM, "out of memory creating an execution");
    }
    x->run = run;
    sfn_live_put(x->svc, x);
    fg_sfn_run_begin(run, e);
    return 0;
}

static int start_checked(fg_sfn *s, fg_http_worker *w, const sfn_start *p,
                         const sfn_machine_row *row, json_t *input, sfn_exec **out,
                         const char **aws_error, fg_errbuf *eb)
{
    bool express = !strcmp(row->type, "EXPRESS");
    if (p->sync_req && !express) {
        *aws_error = "StateMachineTypeNotSupported";
        return fg_failf(eb, FG_EUNSUPPORTED, "StartSyncExecution runs EXPRESS state machines only");
    }
    char uuid[37];
    fg_rand_uuid(uuid);
    const char *name = p->name ? p->name : uuid;
    if (!fg_sfn_name_valid(name)) {
        *aws_error = "InvalidName";
        return fg_failf(eb, FG_EINVAL, "Invalid Name: '%s'", name);
    }
    sfn_machine *m = sfn_machine_for(s, p->account, row, eb);
    if (!m) {
        *aws_error = "InvalidDefinition";
        return FG_EINVAL;
    }
    sfn_exec *x = exec_new(s, p->account, row, name, p->input ? p->input : "{}", express);
    if (!x) {
        sfn_machine_unref(m);
        return fg_failf(eb, FG_ENOMEM, "out of memory starting an execution");
    }
    x->machine = m;
    x->record_at_end = express && logging_all(row->logging);
    if (x->record_at_end)
        x->definition = strdup(row->definition);
    x->parent_token = p->parent_token ? strdup(p->parent_token) : NULL;
    if (strcmp(row->arn, x->machine_arn) != 0) { /* row->arn is the version's ARN then */
        x->version_arn = strdup(row->arn);
        if (strcmp(p->machine_arn, row->arn) != 0)
            x->alias_arn = strdup(p->machine_arn);
    }
    x->parent_mode = p->parent_mode;
    x->sync_req = p->sync_req;
    int rc = x->durable ? insert_row(s, x, row, eb) : 0;
    if (rc == FG_EEXIST) {
        *aws_error = "ExecutionAlreadyExists";
        fg_errbuf_clear(eb);
        fg_failf(eb, rc, "Execution Already Exists: '%s'", x->arn);
    }
    if (!rc)
        rc = sfn_begin_run(x, w, input, NULL, eb);
    if (rc) {
        x->sync_req = NULL;
        sfn_exec_unref(x);
        return rc;
    }
    if (out)
        *out = sfn_exec_ref(x);
    sfn_exec_unref(x);
    return 0;
}

int sfn_exec_start(fg_sfn *s, fg_http_worker *w, const sfn_start *p, sfn_exec **out,
                   const char **aws_error, fg_errbuf *eb)
{
    *aws_error = "InternalServerError";
    if (atomic_load(&s->stopping)) {
        *aws_error = "ServiceUnavailable";
        return fg_failf(eb, FG_ECANCELED, "flowgate is shutting down");
    }
    if (sfn_live_count(s) >= s->max_running) {
        *aws_error = "ExecutionLimitExceeded";
        return fg_failf(eb, FG_ELIMIT, "Execution Limit Exceeded: %zu executions are running "
                        "(sfn.max_running_executions)", s->max_running);
    }
    json_error_t jerr;
    const char *text = p->input ? p->input : "{}";
    json_t *input = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!input) {
        *aws_error = "InvalidExecutionInput";
        return fg_failf(eb, FG_EINVAL, "Invalid execution input: not JSON (%s)", jerr.text);
    }
    if (strlen(text) > s->limits.payload_max) {
        json_decref(input);
        *aws_error = "InvalidExecutionInput";
        return fg_failf(eb, FG_EINVAL, "the input is larger than %zu bytes", s->limits.payload_max);
    }
    fg_sfn_arn a;
    char *base = fg_sfn_arn_parse(p->machine_arn, &a) ? fg_sfn_unqualified_arn(p->machine_arn) : NULL;
    sfn_machine_row row;
    int rc = sfn_machine_row_get(s, p->account, base ? base : p->machine_arn, &row, eb);
    free(base);
    if (rc == FG_ENOTFOUND)
        *aws_error = "StateMachineDoesNotExist";
    if (!rc && a.qualifier[0])
        rc = sfn_version_apply(s, p->account, &row, a.qualifier, aws_error, eb);
    if (!rc)
        rc = start_checked(s, w, p, &row, input, out, aws_error, eb);
    sfn_machine_row_free(&row);
    json_decref(input);
    return rc;
}
