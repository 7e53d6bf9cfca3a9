/* Task tokens and activities: SendTaskSuccess/Failure/Heartbeat, Create,
 * Delete, Describe and List activities, GetActivityTask. */
#include "sfn/api.h"

#include "core/clock.h"
#include "core/json.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct token_call {
    fg_sfn *s;
    fg_http_req *req;
    char account[64];
    char *arn; /* the owner execution */
} token_call;

static void token_done(int rc, void *ud)
{
    token_call *t = ud;
    if (rc == 0) {
        sfn_api_reply(t->req, json_object());
    } else {
        json_t *row = rc == FG_ENOTFOUND ? sfn_execution_row(t->s, t->account, t->arn) : NULL;
        if (rc == FG_ETIMEDOUT || row)
            sfn_api_error(t->req, 400, "TaskTimedOut", "Task Timed Out: the task this token "
                                                       "names is no longer waiting");
        else
            sfn_api_error(t->req, 400, "TaskDoesNotExist", "Task Does Not Exist");
        json_decref(row);
    }
    free(t->arn);
    free(t);
}

/* Checks the token and starts the call; NULL after answering the error. */
static token_call *token_call_new(sfn_call_ctx *c, const char **token)
{
    *token = sfn_api_str(c, "taskToken", true);
    if (!*token)
        return NULL;
    token_call *t = calloc(1, sizeof *t);
    t->s = c->s;
    t->req = c->req;
    if (!fg_sfn_token_owner(*token, t->account, sizeof t->account, &t->arn) ||
        strcmp(t->account, c->account) != 0) {
        sfn_api_error(c->req, 400, "InvalidToken", "Invalid Token: not a task token of this "
                                                   "service");
        free(t->arn);
        free(t);
        return NULL;
    }
    return t;
}

/* AWS's limits on what a caller sends with a task token. */
static bool within_limits(sfn_call_ctx *c)
{
    static const struct { const char *member; size_t max; } limits[] = {
        {"error", 256}, {"cause", 32768}, {"taskToken", 2048},
    };
    for (size_t i = 0; i < FG_ARRAY_LEN(limits); i++) {
        const char *v = fg_json_str(c->in, limits[i].member, NULL);
        if (v && strlen(v) > limits[i].max) {
            char msg[200];
            snprintf(msg, sizeof msg, "1 validation error detected: Value at '%s' failed to "
                     "satisfy constraint: Member must have length less than or equal to %zu",
                     limits[i].member, limits[i].max);
            sfn_api_error(c->req, 400, "ValidationException", msg);
            return false;
        }
    }
    return true;
}

void sfn_op_send_task_success(sfn_call_ctx *c)
{
    const char *token;
    const char *output = fg_json_str(c->in, "output", NULL);
    if (!within_limits(c))
        return;
    if (output && strlen(output) > c->s->limits.payload_max) {
        sfn_api_error(c->req, 400, "InvalidOutput", "Invalid Output: larger than the payload limit "
                                                    "(256 KiB)");
        return;
    }
    json_t *out = output ? json_loads(output, JSON_DECODE_ANY, NULL) : NULL;
    if (!out) {
        sfn_api_error(c->req, 400, "InvalidOutput", "Invalid Output: the output must be JSON");
        return;
    }
    token_call *t = token_call_new(c, &token);
    if (t)
        sfn_task_complete(c->s, token, out, NULL, NULL, false, fg_http_req_worker(c->req),
                          token_done, t);
    json_decref(out);
}

void sfn_op_send_task_failure(sfn_call_ctx *c)
{
    const char *token;
    if (!within_limits(c))
        return;
    token_call *t = token_call_new(c, &token);
    if (t)
        sfn_task_complete(c->s, token, NULL, fg_json_str(c->in, "error", "States.TaskFailed"),
                          fg_json_str(c->in, "cause", NULL), false, fg_http_req_worker(c->req),
                          token_done, t);
}

void sfn_op_send_task_heartbeat(sfn_call_ctx *c)
{
    const char *token;
    if (!within_limits(c))
        return;
    token_call *t = token_call_new(c, &token);
    if (t)
        sfn_task_complete(c->s, token, NULL, NULL, NULL, true, fg_http_req_worker(c->req),
                          token_done, t);
}

static json_t *activity_row(sfn_call_ctx *c, const char *arn)
{
    fg_sval p[2] = {SFN_TEXT(c->account), FG_STEXT(arn)};
    json_t *rows = NULL;
    if (fg_store_query_json(c->s->store, "SELECT arn, name, created_ms FROM sfn_activities "
                                         "WHERE account_id = $1 AND arn = $2",
                            p, 2, &rows, NULL) != 0)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

static json_t *activity_json(const json_t *row)
{
    return json_pack("{s:s,s:s,s:f}", "activityArn", fg_json_str(row, "arn", ""), "name",
                     fg_json_str(row, "name", ""), "creationDate",
                     sfn_epoch(fg_json_int(row, "created_ms", 0)));
}

void sfn_op_create_activity(sfn_call_ctx *c)
{
    const char *name = sfn_api_str(c, "name", true);
    if (!name)
        return;
    if (!fg_sfn_name_valid(name)) {
        char msg[200];
        snprintf(msg, sizeof msg, "Invalid Name: '%.100s'", name);
        sfn_api_error(c->req, 400, "InvalidName", msg);
        return;
    }
    char *arn = fg_sfn_activity_arn(c->s->region, c->s->account, name);
    int64_t now = fg_clock_wall_ms();
    fg_sval p[4] = {SFN_TEXT(c->account), FG_STEXT(arn), FG_STEXT(name), FG_SINT(now)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_store_exec(c->s->store, "INSERT INTO sfn_activities (account_id, arn, name, "
                                        "created_ms) VALUES ($1, $2, $3, $4)", p, 4, NULL, &eb);
    json_t *row = rc == FG_EEXIST ? activity_row(c, arn) : NULL; /* idempotent */
    if (rc && !row)
        sfn_api_store_error(c, &eb);
    else
        sfn_api_reply(c->req, json_pack("{s:s,s:f}", "activityArn", arn, "creationDate",
                                        sfn_epoch(row ? fg_json_int(row, "created_ms", now) : now)));
    json_decref(row);
    free(arn);
}

void sfn_op_delete_activity(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "activityArn", FG_SFN_ARN_ACTIVITY);
    if (!arn)
        return;
    fg_sval p[2] = {SFN_TEXT(c->account), FG_STEXT(arn)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_exec(c->s->store, "DELETE FROM sfn_activities WHERE account_id = $1 AND arn = $2",
                      p, 2, NULL, &eb) != 0)
        sfn_api_store_error(c, &eb);
    else
        sfn_api_reply(c->req, json_object());
}

static bool activity_exists(sfn_call_ctx *c, const char *arn, json_t **row_out)
{
    json_t *row = activity_row(c, arn);
    if (!row) {
        char msg[700];
        snprintf(msg, sizeof msg, "Activity Does Not Exist: '%.600s'", arn);
        sfn_api_error(c->req, 400, "ActivityDoesNotExist", msg);
        return false;
    }
    if (row_out)
        *row_out = row;
    else
        json_decref(row);
    return true;
}

void sfn_op_describe_activity(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "activityArn", FG_SFN_ARN_ACTIVITY);
    json_t *row = NULL;
    if (!arn || !activity_exists(c, arn, &row))
        return;
    sfn_api_reply(c->req, activity_json(row));
    json_decref(row);
}

void sfn_op_list_activities(sfn_call_ctx *c)
{
    int64_t limit, offset;
    if (!sfn_api_page(c, &limit, &offset))
        return;
    fg_sval p[3] = {SFN_TEXT(c->account), FG_SINT(limit + 1), FG_SINT(offset)};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_query_json(c->s->store, "SELECT arn, name, created_ms FROM sfn_activities WHERE "
                                         "account_id = $1 ORDER BY name LIMIT $2 OFFSET $3",
                            p, 3, &rows, &eb) != 0) {
        sfn_api_store_error(c, &eb);
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
        if ((int64_t)i < limit)
            json_array_append_new(list, activity_json(r));
    json_t *out = json_pack("{s:o}", "activities", list);
    sfn_api_next_token(out, offset, limit, json_array_size(rows));
    json_decref(rows);
    sfn_api_reply(c->req, out);
}

void sfn_op_get_activity_task(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "activityArn", FG_SFN_ARN_ACTIVITY);
    if (!arn || !activity_exists(c, arn, NULL))
        return;
    sfn_activity_poll(c->s, c->req, c->account, arn);
}
