/* The Step Functions service: state machines, activities and executions kept
 * in the store, the AWS JSON 1.0 API on POST / (X-Amz-Target:
 * AWSStepFunctions.<Operation>), durable STANDARD executions (each step is
 * committed before the next one runs; RUNNING executions resume at start),
 * EXPRESS executions (sync and async, in memory), and the task integrations
 * states:startExecution(.sync, .sync:2) and activities. */
#ifndef FG_SFN_SFN_H
#define FG_SFN_SFN_H

#include "auth/auth.h"
#include "config/config.h"
#include "flow/flow.h"
#include "http/http.h"
#include "store/store.h"

typedef struct fg_sfn fg_sfn;

/* Creates the service and adds its task integrations to tasks (the registry
 * every workflow shares; it must outlive the service). */
int fg_sfn_create(const fg_config *cfg, fg_store *store, fg_auth *auth, fg_flow_registry *tasks,
                  fg_sfn **out, fg_errbuf *eb);
void fg_sfn_register_routes(fg_sfn *s, fg_http_router *r);
/* Once the server's workers run: resumes every RUNNING STANDARD execution,
 * spread over the workers. */
int fg_sfn_start(fg_sfn *s, fg_http_server *server, fg_errbuf *eb);
/* From the server's on_worker_stop: drops the executions running on w (they
 * stay RUNNING in the store and resume at the next start). */
void fg_sfn_worker_stop(fg_sfn *s, fg_http_worker *w);
/* Before the server is joined: refuse new executions, answer long polls. */
void fg_sfn_stop(fg_sfn *s);
/* After the server is joined: flushes the journal and frees everything. */
void fg_sfn_free(fg_sfn *s);

#endif
