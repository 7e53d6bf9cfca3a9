/* The HTTP task integrations of the workflow engine:
 *   arn:aws:states:::http:invoke       an HTTP request under the fetch policy,
 *                                      with connections[] for authentication
 *   arn:aws:states:::lambda:invoke     a configured function (functions[]) with
 *   arn:aws:lambda:*:function:*        Lambda's request and result shapes
 * A function is an HTTP endpoint that receives the payload as JSON, or a local
 * executable reading JSON on stdin and writing JSON on stdout.
 * Handlers run on the event loop of the execution's host (an HTTP worker, see
 * sfn/runner.h) without blocking it; with no host (`flowgate run`) a task runs
 * to its end on a private loop before the handler returns. */
#ifndef FG_TASKS_HTTP_TASKS_H
#define FG_TASKS_HTTP_TASKS_H

#include "config/config.h"
#include "core/error.h"
#include "flow/flow.h"
#include "http/http.h"

typedef struct fg_tasks_http fg_tasks_http;

/* Reads fetch.*, connections[] and functions[]. NULL with eb filled when the
 * configuration is inconsistent (a bad CIDR, a function with neither url nor
 * command). cfg must outlive the result. */
fg_tasks_http *fg_tasks_http_create(const fg_config *cfg, fg_errbuf *eb);
/* Registers the three resource patterns; t must outlive reg's users. */
int fg_tasks_register_http(fg_flow_registry *reg, fg_tasks_http *t);
/* From the worker's on_worker_stop: fails the worker's pending tasks, kills
 * their processes and releases its HTTP client. */
void fg_tasks_http_worker_stop(fg_tasks_http *t, fg_http_worker *w);
void fg_tasks_http_free(fg_tasks_http *t);

#endif
