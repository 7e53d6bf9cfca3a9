/* Task integrations of the service: arn:aws:states:::states:startExecution
 * (request-response, .sync, .sync:2) and activities
 * (arn:aws:states:REGION:ACCOUNT:activity:NAME). A nested execution records its
 * parent's task token, so a parent Task that runs again after a restart finds
 * the child it started instead of starting another. */
#include "sfn/sfn_int.h"

#include "core/json.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The flowgate account an execution (the task's owner) belongs to. */
static bool task_account(const fg_flow_task *t, char *account, size_t n)
{
    char *arn = NULL;
    bool ok = fg_sfn_token_owner(fg_flow_task_token(t), account, n, &arn);
    free(arn);
    return ok;
}

static json_t *started_result(const char *arn, int64_t start_ms)
{
    return json_pack("{s:s,s:I}", "ExecutionArn", arn, "StartDate", (json_int_t)start_ms);
}

/* A child this task started before a restart: complete from it, or wait. */
static bool resume_child(fg_flow_task *t, const json_t *child)
{
    const char *status = fg_json_str(child, "status", "RUNNING");
    if (fg_flow_task_pattern(t) == FG_FLOW_WAIT_FOR_TOKEN)
        return true; /* SendTask* with the token completes it */
    if (fg_flow_task_pattern(t) != FG_FLOW_SYNC) {
        json_t *r = started_result(fg_json_str(child, "arn", ""), fg_json_int(child, "start_ms", 0));
        fg_flow_task_succeed(t, r);
        json_decref(r);
        return true;
    }
    if (!strcmp(status, "RUNNING"))
        return true; /* its end completes the task */
    bool json_out = strstr(fg_json_str(child, "resource_suffix", ""), ":2") != NULL;
    json_t *r = sfn_exec_sync_result(child, json_out);
    if (!strcmp(status, "SUCCEEDED")) {
        fg_flow_task_succeed(t, r);
    } else {
        char *cause = json_dumps(r, JSON_COMPACT);
        fg_flow_task_fail(t, "States.TaskFailed", cause);
        free(cause);
    }
    json_decref(r);
    return true;
}

static json_t *child_of(fg_sfn *s, const char *account, const char *token)
{
    fg_sval p[2] = {FG_STEXT(account), FG_STEXT(token)};
    json_t *rows = NULL;
    if (fg_store_query_json(s->store,
                            "SELECT arn, machine_arn, name, status, input, output, error, cause, "
                            "start_ms, stop_ms, parent_mode FROM sfn_executions "
                            "WHERE account_id = $1 AND parent_token = $2",
                            p, 2, &rows, NULL) != 0)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (row && fg_json_int(row, "parent_mode", 0) == SFN_PARENT_SYNC2)
        json_object_set_new(row, "resource_suffix", json_string(".sync:2"));
    return row;
}

static char *input_text(const json_t *input)
{
    if (!input)
        return strdup("{}");
    if (json_is_string(input))
        return strdup(json_string_value(input));
    return json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int start_execution(fg_flow_task *t, void *ud)
{
    fg_sfn *s = ud;
    fg_flow_task_release(t); /* completed by token, or below */
    const json_t *params = fg_flow_task_parameters(t);
    const char *machine = fg_json_str(params, "StateMachineArn", NULL);
    char account[64];
    fg_http_worker *w = fg_flow_task_host(t);
    if (!machine || !w || !task_account(t, account, sizeof account)) {
        fg_flow_task_fail(t, "States.Runtime",
                          machine ? "states:startExecution runs only inside the Step Functions "
                                    "service" : "StateMachineArn is required");
        return 0;
    }
    json_t *child = child_of(s, account, fg_flow_task_token(t));
    if (child) {
        resume_child(t, child);
        json_decref(child);
        return 0;
    }
    bool sync = fg_flow_task_pattern(t) == FG_FLOW_SYNC;
    bool sync2 = sync && !strcmp(fg_flow_task_resource_suffix(t), ".sync:2");
    char *input = input_text(json_object_get(params, "Input"));
    sfn_start p = {.account = account, .machine_arn = machine,
                   .name = fg_json_str(params, "Name", NULL), .input = input,
                   .parent_token = fg_flow_task_token(t),
                   .parent_mode = !sync ? SFN_PARENT_NONE : sync2 ? SFN_PARENT_SYNC2 : SFN_PARENT_SYNC};
    sfn_exec *x = NULL;
    const char *aws_error = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (sfn_exec_start(s, w, &p, &x, &aws_error, &eb) != 0) {
        char err[96];
        snprintf(err, sizeof err, "StepFunctions.%sException", aws_error);
        fg_flow_task_fail(t, err, eb.msg);
    } else if (fg_flow_task_pattern(t) == FG_FLOW_REQUEST_RESPONSE) {
        json_t *r = started_result(x->arn, x->start_ms);
        fg_flow_task_succeed(t, r);
        json_decref(r);
    }
    sfn_exec_unref(x);
    free(input);
    return 0;
}

static int activity_task(fg_flow_task *t, void *ud)
{
    fg_sfn *s = ud;
    fg_flow_task_release(t); /* SendTask* completes it by token */
    char account[64];
    char *arn = NULL;
    if (!fg_sfn_token_owner(fg_flow_task_token(t), account, sizeof account, &arn)) {
        fg_flow_task_fail(t, "States.Runtime", "activities run only inside the Step Functions service");
        return 0;
    }
    char *input = json_dumps(fg_flow_task_parameters(t), JSON_COMPACT | JSON_ENCODE_ANY);
    sfn_exec *x = sfn_live_get(s, account, arn);
    if (x && x->durable) /* handed to workers once this step is committed */
        sfn_activity_defer(x, fg_flow_task_resource(t), fg_flow_task_token(t), input);
    else
        sfn_activity_push(s, account, fg_flow_task_resource(t), fg_flow_task_token(t), input);
    sfn_exec_unref(x);
    free(input);
    free(arn);
    return 0;
}

int sfn_register_tasks(fg_sfn *s)
{
    int rc = fg_flow_registry_add(s->tasks, "arn:aws:states:::states:startExecution",
                                  start_execution, s);
    if (!rc)
        rc = fg_flow_registry_add(s->tasks, "arn:aws:states:*:*:activity:*", activity_task, s);
    return rc;
}
