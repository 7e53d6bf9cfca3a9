/* POST / with X-Amz-Target: AWSStepFunctions.<Operation>: authentication, the
 * body, the operation table, and AWS's error shape ({"__type", "message"}). */
#include "sfn/api.h"

#include "core/json.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char ctype[] = "application/x-amz-json-1.0";

double sfn_epoch(int64_t ms)
{
    return (double)ms / 1000.0;
}

double sfn_iso_epoch(const char *iso)
{
    struct tm tm = {0};
    int ms = 0;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

void sfn_api_reply(fg_http_req *req, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    fg_http_respond(req, 200, ctype, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
}

void sfn_api_error(fg_http_req *req, int status, const char *type, const char *msg)
{
    json_t *b = json_pack("{s:s,s:s}", "__type", type, "message", msg ? msg : "");
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    fg_http_resp_header(req, "x-amzn-ErrorType", type);
    fg_http_respond(req, status, ctype, text, strlen(text));
    free(text);
}

const char *sfn_api_str(sfn_call_ctx *c, const char *member, bool required)
{
    const json_t *v = json_object_get(c->in, member);
    if (json_is_string(v))
        return json_string_value(v);
    if (!v && !required)
        return NULL;
    char msg[256];
    snprintf(msg, sizeof msg, "1 validation error detected: Value at '%s' failed to satisfy "
             "constraint: Member must %s", member, v ? "be a string" : "not be null");
    sfn_api_error(c->req, 400, "ValidationException", msg);
    return NULL;
}

const char *sfn_api_arn(sfn_call_ctx *c, const char *member, int kind)
{
    const json_t *v = json_object_get(c->in, member);
    if (!v) {
        sfn_api_str(c, member, true);
        return NULL;
    }
    const char *arn = json_string_value(v);
    fg_sfn_arn a;
    bool ok = fg_sfn_arn_parse(arn, &a) &&
              ((int)a.kind == kind || (kind == FG_SFN_ARN_EXECUTION && a.kind == FG_SFN_ARN_EXPRESS));
    if (!ok) {
        char msg[700];
        snprintf(msg, sizeof msg, "Invalid Arn: '%.600s'", arn ? arn : "");
        sfn_api_error(c->req, 400, "InvalidArn", msg);
        return NULL;
    }
    return arn;
}

bool sfn_api_page(sfn_call_ctx *c, int64_t *limit, int64_t *offset)
{
    *limit = fg_json_int(c->in, "maxResults", 0);
    if (*limit <= 0)
        *limit = 100;
    if (*limit > 1000) {
        sfn_api_error(c->req, 400, "ValidationException",
                      "1 validation error detected: Value at 'maxResults' failed to satisfy "
                      "constraint: Member must have value less than or equal to 1000");
        return false;
    }
    *offset = 0;
    const char *tok = fg_json_str(c->in, "nextToken", NULL);
    if (tok) {
        char *end = NULL;
        long long v = strtoll(tok, &end, 10);
        if (!*tok || *end || v < 0) {
            sfn_api_error(c->req, 400, "InvalidToken", "Invalid Token: the nextToken is not one "
                                                       "this API gave out");
            return false;
        }
        *offset = v;
    }
    return true;
}

void sfn_api_next_token(json_t *out, int64_t offset, int64_t limit, size_t got)
{
    if ((int64_t)got > limit) {
        char t[32];
        snprintf(t, sizeof t, "%lld", (long long)(offset + limit));
        json_object_set_new(out, "nextToken", json_string(t));
    }
}

void sfn_api_store_error(sfn_call_ctx *c, const fg_errbuf *eb)
{
    sfn_api_error(c->req, 500, "InternalServerError", eb->msg);
}

static const struct {
    const char *name;
    sfn_op_fn fn;
} ops[] = {
    {"CreateStateMachine", sfn_op_create_state_machine},
    {"UpdateStateMachine", sfn_op_update_state_machine},
    {"DeleteStateMachine", sfn_op_delete_state_machine},
    {"DescribeStateMachine", sfn_op_describe_state_machine},
    {"ListStateMachines", sfn_op_list_state_machines},
    {"ValidateStateMachineDefinition", sfn_op_validate_definition},
    {"DescribeStateMachineForExecution", sfn_op_describe_machine_for_execution},
    {"StartExecution", sfn_op_start_execution},
    {"StartSyncExecution", sfn_op_start_sync_execution},
    {"StopExecution", sfn_op_stop_execution},
    {"DescribeExecution", sfn_op_describe_execution},
    {"ListExecutions", sfn_op_list_executions},
    {"GetExecutionHistory", sfn_op_get_execution_history},
    {"SendTaskSuccess", sfn_op_send_task_success},
    {"SendTaskFailure", sfn_op_send_task_failure},
    {"SendTaskHeartbeat", sfn_op_send_task_heartbeat},
    {"CreateActivity", sfn_op_create_activity},
    {"DeleteActivity", sfn_op_delete_activity},
    {"DescribeActivity", sfn_op_describe_activity},
    {"ListActivities", sfn_op_list_activities},
    {"GetActivityTask", sfn_op_get_activity_task},
    {"TestState", sfn_op_test_state},
    {"PublishStateMachineVersion", sfn_op_publish_version},
    {"ListStateMachineVersions", sfn_op_list_versions},
    {"DeleteStateMachineVersion", sfn_op_delete_version},
    {"CreateStateMachineAlias", sfn_op_create_alias},
    {"DescribeStateMachineAlias", sfn_op_describe_alias},
    {"UpdateStateMachineAlias", sfn_op_update_alias},
    {"DeleteStateMachineAlias", sfn_op_delete_alias},
    {"ListStateMachineAliases", sfn_op_list_aliases},
};

/* SigV4-signed calls (the AWS SDKs) carry no flowgate token: they are served
 * in single-user mode only, until API keys can be looked up by credential id. */
static bool authenticate(fg_sfn *s, fg_http_req *req, char *account, size_t n)
{
    const char *authz = fg_http_req_header(req, "authorization");
    if (authz && !strncmp(authz, "AWS4-HMAC-SHA256", 16)) {
        if (!fg_auth_disabled(s->auth)) {
            sfn_api_error(req, 403, "UnrecognizedClientException",
                          "SigV4 credentials are accepted only when flowgate runs in "
                          "single-user mode; send a flowgate token instead");
            return false;
        }
        snprintf(account, n, "default");
        return true;
    }
    fg_principal p;
    if (fg_auth_request(s->auth, req, FG_ACCESS_USER, &p) != 0)
        return false;
    snprintf(account, n, "%s", p.account_id[0] ? p.account_id : "default");
    return true;
}

void sfn_api_handle(fg_http_req *req, void *ud)
{
    fg_sfn *s = ud;
    const char *target = fg_http_req_header(req, "x-amz-target");
    static const char prefix[] = "AWSStepFunctions.";
    if (!target || strncmp(target, prefix, sizeof prefix - 1) != 0) {
        sfn_api_error(req, 400, "UnknownOperationException",
                      "POST / is the Step Functions API: X-Amz-Target must be "
                      "AWSStepFunctions.<Operation>");
        return;
    }
    const char *op = target + sizeof prefix - 1;
    sfn_op_fn fn = NULL;
    for (size_t i = 0; i < FG_ARRAY_LEN(ops) && !fn; i++)
        if (!strcmp(ops[i].name, op))
            fn = ops[i].fn;
    if (!fn) {
        sfn_api_error(req, 400, "UnknownOperationException", "Unknown operation");
        return;
    }
    sfn_call_ctx c = {.s = s, .req = req};
    if (!authenticate(s, req, c.account, sizeof c.account))
        return;
    size_t len = 0;
    const char *body = fg_http_req_body(req, &len);
    json_error_t jerr;
    c.in = len ? json_loadb(body, len, 0, &jerr) : json_object();
    if (!json_is_object(c.in)) {
        json_decref(c.in);
        sfn_api_error(req, 400, "SerializationException", "The request body is not a JSON object");
        return;
    }
    fg_http_req_set_label(req, op);
    fn(&c);
    json_decref(c.in);
}
