/* The AWS JSON 1.0 API: one request context per call and the operations,
 * grouped by what they act on (api_machines.c, api_executions.c, api_tasks.c). */
#ifndef FG_SFN_API_H
#define FG_SFN_API_H

#include "sfn/sfn_int.h"

typedef struct sfn_call_ctx {
    fg_sfn *s;
    fg_http_req *req;
    json_t *in;          /* the request body (an object) */
    char account[64];    /* the caller's flowgate account */
} sfn_call_ctx;

typedef void (*sfn_op_fn)(sfn_call_ctx *c);

/* A string member; NULL (after answering ValidationException) when required
 * and missing or not a string. */
const char *sfn_api_str(sfn_call_ctx *c, const char *member, bool required);
/* An ARN member of the given kind; NULL after answering InvalidArn. */
const char *sfn_api_arn(sfn_call_ctx *c, const char *member, int kind);
/* maxResults and nextToken (an offset); false after answering an error. */
bool sfn_api_page(sfn_call_ctx *c, int64_t *limit, int64_t *offset);
/* Sets nextToken in out when more rows follow. */
void sfn_api_next_token(json_t *out, int64_t offset, int64_t limit, size_t got);
/* Answers the error of a failed store call. */
void sfn_api_store_error(sfn_call_ctx *c, const fg_errbuf *eb);
/* Epoch seconds of an ISO 8601 time as the engine writes it (0 when not one). */
double sfn_iso_epoch(const char *iso);

void sfn_op_create_state_machine(sfn_call_ctx *c);
void sfn_op_update_state_machine(sfn_call_ctx *c);
void sfn_op_delete_state_machine(sfn_call_ctx *c);
void sfn_op_describe_state_machine(sfn_call_ctx *c);
void sfn_op_list_state_machines(sfn_call_ctx *c);
void sfn_op_validate_definition(sfn_call_ctx *c);
void sfn_op_describe_machine_for_execution(sfn_call_ctx *c);
void sfn_op_start_execution(sfn_call_ctx *c);
void sfn_op_start_sync_execution(sfn_call_ctx *c);
void sfn_op_stop_execution(sfn_call_ctx *c);
void sfn_op_describe_execution(sfn_call_ctx *c);
void sfn_op_list_executions(sfn_call_ctx *c);
void sfn_op_get_execution_history(sfn_call_ctx *c);
void sfn_op_send_task_success(sfn_call_ctx *c);
void sfn_op_send_task_failure(sfn_call_ctx *c);
void sfn_op_send_task_heartbeat(sfn_call_ctx *c);
void sfn_op_create_activity(sfn_call_ctx *c);
void sfn_op_delete_activity(sfn_call_ctx *c);
void sfn_op_describe_activity(sfn_call_ctx *c);
void sfn_op_list_activities(sfn_call_ctx *c);
void sfn_op_get_activity_task(sfn_call_ctx *c);
void sfn_op_test_state(sfn_call_ctx *c);
void sfn_op_publish_version(sfn_call_ctx *c);
void sfn_op_list_versions(sfn_call_ctx *c);
void sfn_op_delete_version(sfn_call_ctx *c);
void sfn_op_create_alias(sfn_call_ctx *c);
void sfn_op_describe_alias(sfn_call_ctx *c);
void sfn_op_update_alias(sfn_call_ctx *c);
void sfn_op_delete_alias(sfn_call_ctx *c);
void sfn_op_list_aliases(sfn_call_ctx *c);
/* Publishes row's current revision: {stateMachineVersionArn, creationDate}, or
 * NULL after answering a store error. */
json_t *sfn_api_publish(sfn_call_ctx *c, const sfn_machine_row *row, const char *description);

#endif
