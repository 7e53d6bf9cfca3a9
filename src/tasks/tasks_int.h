/* What the HTTP task files share: the per-loop runtime that runs pending
 * operations (HTTP exchanges, child processes) and notices executions that
 * went away, and the configured connections and functions. */
#ifndef FG_TASKS_TASKS_INT_H
#define FG_TASKS_TASKS_INT_H

#include "core/buf.h"
#include "fetch/policy.h"
#include "flow/flow.h"
#include "http/client.h"
#include "tasks/http_tasks.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

struct fg_tasks_http {
    const fg_config *cfg;
    fg_fetch_policy *policy;
    /* Tasks without a host (flowgate run) reuse one private loop and its
     * connections, owned by the first thread that needed it. */
    struct fg__task_rt *sync_rt;
    pthread_t sync_owner;
    /* OAuth tokens of connections, shared by every worker. */
    pthread_mutex_t tokens_mu;
    struct fg__oauth_token *tokens;
    size_t n_tokens;
};

typedef struct fg__task_rt fg__task_rt;
typedef struct fg__task_op fg__task_op;

/* One pending piece of work for one task. cancel stops the work and later
 * frees the op without completing the task (the caller does that). */
struct fg__task_op {
    fg__task_op *prev, *next;
    fg__task_rt *rt;
    fg_flow_task *task;
    void (*cancel)(fg__task_op *op);
};

struct fg__task_rt {
    uv_loop_t *loop;
    uv_loop_t own_loop;    /* sync mode: a private loop */
    bool sync;
    bool running;          /* sync mode: inside fg__task_rt_finish's loop */
    fg_http_client *client;
    fg__task_op *ops;
    int pending;
};

/* The runtime for task's host: the worker's (created on first use), or a
 * private one (sync mode) that fg__task_rt_finish runs. NULL when out of memory. */
fg__task_rt *fg__task_rt_get(fg_tasks_http *t, fg_flow_task *task);
/* In sync mode: runs the loop until no operation is pending (and frees rt
 * unless it is t's cached one). */
void fg__task_rt_finish(fg_tasks_http *t, fg__task_rt *rt);

void fg__task_op_begin(fg__task_rt *rt, fg__task_op *op, fg_flow_task *task,
                       void (*cancel)(fg__task_op *op));
/* Completes the op's task (when its execution still waits for it) and takes
 * the op off the runtime's list; the caller frees the op. */
void fg__task_op_succeed(fg__task_op *op, json_t *result);
void fg__task_op_fail(fg__task_op *op, const char *error, const char *cause);
/* Takes the op off the list without completing its task (.waitForTaskToken:
 * SendTaskSuccess/Failure will). */
void fg__task_op_release(fg__task_op *op);

/* An HTTP exchange on rt's client: status, header lines and body collected up
 * to max_bytes; done runs once (not after cancel) and must free x via
 * fg__exchange_free. */
typedef struct fg__exchange fg__exchange;
struct fg__exchange {
    fg__task_op op;
    fg_http_call *call;
    const fg_fetch_policy *policy; /* NULL: no address check */
    char host[256];
    char why[320];
    bool refused;
    int status;
    fg_buf headers, body;
    void (*done)(fg__exchange *x, int err, const char *msg);
    void *ud;
    void (*free_ud)(void *ud);
};

fg__exchange *fg__exchange_new(size_t max_bytes);
int fg__exchange_start(fg__task_rt *rt, fg__exchange *x, fg_flow_task *task,
                       const fg_http_call_opts *opts);
void fg__exchange_free(fg__exchange *x);
/* Response headers as {"name": ["value", ...]} (names lowercase). */
json_t *fg__exchange_headers_json(const fg__exchange *x);
/* The value of one response header (malloc'd) or NULL. */
char *fg__exchange_header(const fg__exchange *x, const char *name);

/* OAuth client-credentials tokens of connections (http_oauth.c). */
typedef struct fg__oauth_token fg__oauth_token;
/* Copies conn's unexpired token into out (true), or false. */
bool fg__oauth_cached(fg_tasks_http *t, const json_t *conn, char *out, size_t n);
/* Asks conn's oauth_endpoint for a token as an operation of task; done gets
 * the token (cached for the next tasks) or NULL and why; rt is where the
 * operation ran. ud is freed with free_ud if the task is cancelled first. */
typedef void (*fg__oauth_done_fn)(fg__task_rt *rt, fg_flow_task *task, const char *token,
                                  const char *why, void *ud);
int fg__oauth_fetch(fg_tasks_http *t, fg__task_rt *rt, fg_flow_task *task, const json_t *conn,
                    fg__oauth_done_fn done, void *ud, void (*free_ud)(void *));
void fg__oauth_free_all(fg_tasks_http *t);

/* Handlers. */
int fg__tasks_http_invoke(fg_flow_task *task, void *ud);
int fg__tasks_lambda_invoke(fg_flow_task *task, void *ud);
int fg__tasks_lambda_arn(fg_flow_task *task, void *ud);

/* A configured function, found by FunctionName (name, ARN or name:qualifier). */
const json_t *fg__tasks_function(const fg_tasks_http *t, const char *function_name);
/* Runs the function's command with payload on stdin; done gets the exit
 * status (or minus the signal), stdout and stderr's tail. ud is malloc'd: done
 * owns it, or it is freed when the work is cancelled before done runs. */
typedef void (*fg__spawn_done_fn)(fg__task_op *op, int status, bool timed_out, bool too_big,
                                  const char *out, size_t out_len, const char *err_tail, void *ud);
int fg__tasks_spawn(fg__task_rt *rt, fg_flow_task *task, const json_t *fn, const char *payload,
                    fg__spawn_done_fn done, void *ud, char *why, size_t why_len);

#endif
