/* Execution operations: StartExecution, StartSyncExecution, StopExecution,
 * DescribeExecution, ListExecutions, GetExecutionHistory. */
#include "sfn/api.h"

#include "core/clock.h"
#include "core/json.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void not_found(sfn_call_ctx *c, const char *type, const char *what, const char *arn)
{
    char msg[700];
    snprintf(msg, sizeof msg, "%s Does Not Exist: '%.600s'", what, arn);
    sfn_api_error(c->req, 400, type, msg);
}

/* StartExecution of a name that exists: AWS answers with the running
 * execution when the input is the same, and ExecutionAlreadyExists otherwise. */
static void answer_existing(sfn_call_ctx *c, const char *machine_arn, const char *name,
                            const char *input, const char *message)
{
    char *arn = fg_sfn_execution_arn(machine_arn, name, false);
    json_t *row = arn ? sfn_execution_row(c->s, c->account, arn) : NULL;
    if (row && !strcmp(fg_json_str(row, "status", ""), "RUNNING") &&
        !strcmp(fg_json_str(row, "input", ""), input))
        sfn_api_reply(c->req, json_pack("{s:s,s:f}", "executionArn", arn, "startDate",
                                        sfn_epoch(fg_json_int(row, "start_ms", 0))));
    else
        sfn_api_error(c->req, 400, "ExecutionAlreadyExists", message);
    json_decref(row);
    free(arn);
}

static int error_status(const char *aws_error)
{
    if (!strcmp(aws_error, "InternalServerError"))
        return 500;
    if (!strcmp(aws_error, "ServiceUnavailable"))
        return 503;
    return 400;
}

static void start(sfn_call_ctx *c, bool sync)
{
    const char *machine = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    if (!machine)
        return;
    const char *input = fg_json_str(c->in, "input", "{}");
    sfn_start p = {.account = c->account, .machine_arn = machine,
                   .name = fg_json_str(c->in, "name", NULL), .input = input,
                   .sync_req = sync ? c->req : NULL};
    sfn_exec *x = NULL;
    const char *aws_error = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = sfn_exec_start(c->s, fg_http_req_worker(c->req), &p, &x, &aws_error, &eb);
    if (rc == FG_EEXIST)
        answer_existing(c, machine, p.name, input, eb.msg);
    else if (rc)
        sfn_api_error(c->req, error_status(aws_error), aws_error, eb.msg);
    else if (!sync)
        sfn_api_reply(c->req, json_pack("{s:s,s:f}", "executionArn", x->arn, "startDate",
                                        sfn_epoch(x->start_ms)));
    sfn_exec_unref(x);
}

void sfn_op_start_execution(sfn_call_ctx *c)
{
    start(c, false);
}

void sfn_op_start_sync_execution(sfn_call_ctx *c)
{
    start(c, true);
}

static void stopped(int rc, void *ud)
{
    fg_http_req *req = ud;
    (void)rc; /* ended meanwhile: AWS answers the same */
    sfn_api_reply(req, json_pack("{s:f}", "stopDate", sfn_epoch(fg_clock_wall_ms())));
}

void sfn_op_stop_execution(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "executionArn", FG_SFN_ARN_EXECUTION);
    if (!arn)
        return;
    const char *error = fg_json_str(c->in, "error", NULL);
    const char *cause = fg_json_str(c->in, "cause", NULL);
    sfn_exec *x = sfn_live_get(c->s, c->account, arn);
    if (x) {
        sfn_exec_stop(c->s, x, error, cause, fg_http_req_worker(c->req), stopped, c->req);
        sfn_exec_unref(x);
        return;
    }
    json_t *row = sfn_execution_row(c->s, c->account, arn);
    if (!row) {
        not_found(c, "ExecutionDoesNotExist", "Execution", arn);
        return;
    }
    int64_t now = fg_clock_wall_ms();
    if (!strcmp(fg_json_str(row, "status", ""), "RUNNING")) { /* not resumed yet */
        fg_sval p[5] = {SFN_TEXT(c->account), FG_STEXT(arn), FG_STEXT(error), FG_STEXT(cause),
                        FG_SINT(now)};
        fg_store_exec(c->s->store, "UPDATE sfn_executions SET status = 'ABORTED', "
                                   "error = $3, cause = $4, stop_ms = $5 WHERE account_id = $1 "
                                   "AND arn = $2 AND status = 'RUNNING'", p, 5, NULL, NULL);
    } else {
        now = fg_json_int(row, "stop_ms", now);
    }
    json_decref(row);
    sfn_api_reply(c->req, json_pack("{s:f}", "stopDate", sfn_epoch(now)));
}

void sfn_op_describe_execution(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "executionArn", FG_SFN_ARN_EXECUTION);
    if (!arn)
        return;
    json_t *row = sfn_execution_row(c->s, c->account, arn);
    if (!row) {
        not_found(c, "ExecutionDoesNotExist", "Execution", arn);
        return;
    }
    json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:{s:b}}", "executionArn", arn,
                          "stateMachineArn", fg_json_str(row, "machine_arn", ""), "name",
                          fg_json_str(row, "name", ""), "status", fg_json_str(row, "status", ""),
                          "startDate", sfn_epoch(fg_json_int(row, "start_ms", 0)), "input",
                          fg_json_str(row, "input", "{}"), "inputDetails", "included", 1);
    if (fg_json_int(row, "stop_ms", 0))
        json_object_set_new(b, "stopDate", json_real(sfn_epoch(fg_json_int(row, "stop_ms", 0))));
    if (fg_json_str(row, "output", NULL)) {
        json_object_set_new(b, "output", json_string(fg_json_str(row, "output", "")));
        json_object_set_new(b, "outputDetails", json_pack("{s:b}", "included", 1));
    }
    if (fg_json_str(row, "error", NULL))
        json_object_set_new(b, "error", json_string(fg_json_str(row, "error", "")));
    if (fg_json_str(row, "cause", NULL))
        json_object_set_new(b, "cause", json_string(fg_json_str(row, "cause", "")));
    if (fg_json_str(row, "version_arn", NULL))
        json_object_set_new(b, "stateMachineVersionArn",
                            json_string(fg_json_str(row, "version_arn", "")));
    if (fg_json_str(row, "alias_arn", NULL))
        json_object_set_new(b, "stateMachineAliasArn", json_string(fg_json_str(row, "alias_arn", "")));
    json_decref(row);
    sfn_api_reply(c->req, b);
}

static bool status_ok(sfn_call_ctx *c, const char *st)
{
    static const char *names[] = {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED",
                                  "PENDING_REDRIVE"};
    for (size_t i = 0; i < FG_ARRAY_LEN(names); i++)
        if (!strcmp(st, names[i]))
            return true;
    sfn_api_error(c->req, 400, "ValidationException",
                  "1 validation error detected: Value at 'statusFilter' failed to satisfy "
                  "constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, "
                  "TIMED_OUT, ABORTED, PENDING_REDRIVE]");
    return false;
}

void sfn_op_list_executions(sfn_call_ctx *c)
{
    const char *machine = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    int64_t limit, offset;
    if (!machine || !sfn_api_page(c, &limit, &offset))
        return;
    const char *st = fg_json_str(c->in, "statusFilter", NULL);
    if (st && !status_ok(c, st))
        return;
    sfn_machine_row mrow;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (sfn_machine_row_get(c->s, c->account, machine, &mrow, &eb) != 0) {
        not_found(c, "StateMachineDoesNotExist", "State Machine", machine);
        return;
    }
    sfn_machine_row_free(&mrow);
    fg_sval p[5] = {SFN_TEXT(c->account), FG_STEXT(machine), FG_STEXT(st), FG_SINT(limit + 1),
                    FG_SINT(offset)};
    json_t *rows = NULL;
    if (fg_store_query_json(c->s->store,
                            "SELECT arn, name, status, start_ms, stop_ms FROM sfn_executions "
                            "WHERE account_id = $1 AND machine_arn = $2 AND ($3 IS NULL OR "
                            "status = $3) ORDER BY start_ms DESC, arn LIMIT $4 OFFSET $5",
                            p, 5, &rows, &eb) != 0) {
        sfn_api_store_error(c, &eb);
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if ((int64_t)i >= limit)
            break;
        json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:f}", "executionArn", fg_json_str(r, "arn", ""),
                              "stateMachineArn", machine, "name", fg_json_str(r, "name", ""),
                              "status", fg_json_str(r, "status", ""), "startDate",
                              sfn_epoch(fg_json_int(r, "start_ms", 0)));
        if (fg_json_int(r, "stop_ms", 0))
            json_object_set_new(e, "stopDate", json_real(sfn_epoch(fg_json_int(r, "stop_ms", 0))));
        json_array_append_new(list, e);
    }
    json_t *out = json_pack("{s:o}", "executions", list);
    sfn_api_next_token(out, offset, limit, json_array_size(rows));
    json_decref(rows);
    sfn_api_reply(c->req, out);
}

/* The engine keeps inputs and outputs as JSON; the API sends them as text, and
 * times as epoch seconds. */
static json_t *api_event(const char *body, bool include_data)
{
    json_t *ev = json_loads(body, 0, NULL);
    if (!ev)
        return NULL;
    json_object_set_new(ev, "timestamp", json_real(sfn_iso_epoch(fg_json_str(ev, "timestamp", ""))));
    const char *k;
    json_t *d;
    json_object_foreach(ev, k, d) {
        if (!json_is_object(d))
            continue;
        static const char *texts[] = {"input", "output", "parameters"};
        for (size_t i = 0; i < FG_ARRAY_LEN(texts); i++) {
            json_t *v = json_object_get(d, texts[i]);
            if (!v || json_is_string(v))
                continue;
            if (!include_data) {
                json_object_del(d, texts[i]);
                continue;
            }
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            json_object_set_new(d, texts[i], json_string(t ? t : "null"));
            free(t);
        }
    }
    return ev;
}

void sfn_op_get_execution_history(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "executionArn", FG_SFN_ARN_EXECUTION);
    int64_t limit, offset;
    if (!arn || !sfn_api_page(c, &limit, &offset))
        return;
    json_t *row = sfn_execution_row(c->s, c->account, arn);
    if (!row) {
        not_found(c, "ExecutionDoesNotExist", "Execution", arn);
        return;
    }
    int64_t exec_id = fg_json_int(row, "exec_id", 0);
    json_decref(row);
    bool reverse = fg_json_bool(c->in, "reverseOrder", false);
    bool data = fg_json_bool(c->in, "includeExecutionData", true);
    fg_sval p[3] = {FG_SINT(exec_id), FG_SINT(limit + 1), FG_SINT(offset)};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_store_query_json(c->s->store,
                                 reverse ? "SELECT body FROM sfn_events WHERE exec_id = $1 "
                                           "ORDER BY id DESC LIMIT $2 OFFSET $3"
                                         : "SELECT body FROM sfn_events WHERE exec_id = $1 "
                                           "ORDER BY id LIMIT $2 OFFSET $3",
                                 p, 3, &rows, &eb);
    if (rc) {
        sfn_api_store_error(c, &eb);
        return;
    }
    json_t *events = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if ((int64_t)i >= limit)
            break;
        json_t *ev = api_event(fg_json_str(r, "body", "{}"), data);
        if (ev)
            json_array_append_new(events, ev);
    }
    json_t *out = json_pack("{s:o}", "events", events);
    sfn_api_next_token(out, offset, limit, json_array_size(rows));
    json_decref(rows);
    sfn_api_reply(c->req, out);
}
