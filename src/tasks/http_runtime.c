/* The runtime under the HTTP tasks: one per event loop (per HTTP worker, or a
 * private one when the execution has no host), holding the HTTP client and
 * the pending operations. When an execution stops waiting for a task (stopped,
 * timed out, a sibling branch failed) the engine cancels the task, and its
 * request or process is stopped at once. */
#include "tasks/tasks_int.h"

#include <stdlib.h>
#include <string.h>

#define RT_KEY "tasks.http"

/* ---- operations ------------------------------------------------------------- */

static void op_unlink(fg__task_op *op)
{
    fg__task_rt *rt = op->rt;
    if (!rt)
        return;
    if (op->prev)
        op->prev->next = op->next;
    else
        rt->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
    op->rt = NULL;
    rt->pending--;
    if (op->task)
        fg_flow_task_on_cancel(op->task, NULL, NULL);
}

/* The execution no longer waits for the op's task: stop the work and release
 * the task (the engine frees it once it is completed). */
static void on_task_cancel(fg_flow_task *task, void *ud)
{
    fg__task_op *op = ud;
    op_unlink(op);
    op->cancel(op);
    fg_flow_task_fail(task, "States.Runtime", "the execution ended");
}

void fg__task_op_begin(fg__task_rt *rt, fg__task_op *op, fg_flow_task *task,
                       void (*cancel)(fg__task_op *op))
{
    op->rt = rt;
    op->task = task;
    op->cancel = cancel;
    op->prev = NULL;
    op->next = rt->ops;
    if (rt->ops)
        rt->ops->prev = op;
    rt->ops = op;
    rt->pending++;
    fg_flow_task_on_cancel(task, on_task_cancel, op);
}

void fg__task_op_succeed(fg__task_op *op, json_t *result)
{
    fg_flow_task *task = op->task;
    op_unlink(op);
    if (task)
        fg_flow_task_succeed(task, result);
    op->task = NULL;
}

void fg__task_op_fail(fg__task_op *op, const char *error, const char *cause)
{
    fg_flow_task *task = op->task;
    op_unlink(op);
    if (task)
        fg_flow_task_fail(task, error, cause);
    op->task = NULL;
}

void fg__task_op_release(fg__task_op *op)
{
    op_unlink(op);
    op->task = NULL;
}

/* ---- runtimes --------------------------------------------------------------- */

static fg__task_rt *rt_new(uv_loop_t *loop, bool sync)
{
    fg__task_rt *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    rt->sync = sync;
    rt->loop = loop;
    if (sync) {
        if (uv_loop_init(&rt->own_loop)) {
            free(rt);
            return NULL;
        }
        rt->loop = &rt->own_loop;
    }
    rt->client = fg_http_client_create(rt->loop);
    return rt;
}

/* Fails what is pending and releases the client (its handles close on the
 * loop's next turn; they do not point into rt). */
static void rt_close(fg__task_rt *rt)
{
    while (rt->ops) {
        fg__task_op *op = rt->ops;
        fg_flow_task *task = op->task;
        op_unlink(op);
        op->cancel(op);
        fg_flow_task_fail(task, "States.Runtime", "flowgate is shutting down");
    }
    fg_http_client_destroy(rt->client);
    rt->client = NULL;
}

/* A private loop for tasks without a host: the thread that first needs one
 * keeps it (with its connections) until fg_tasks_http_free. */
static fg__task_rt *sync_rt(fg_tasks_http *t)
{
    if (t->sync_rt && pthread_equal(t->sync_owner, pthread_self()) && !t->sync_rt->running)
        return t->sync_rt;
    fg__task_rt *rt = rt_new(NULL, true);
    if (rt && !t->sync_rt) {
        t->sync_rt = rt;
        t->sync_owner = pthread_self();
    }
    return rt;
}

fg__task_rt *fg__task_rt_get(fg_tasks_http *t, fg_flow_task *task)
{
    fg_http_worker *w = fg_flow_task_host(task);
    if (!w)
        return sync_rt(t);
    fg__task_rt *rt = fg_http_worker_data(w, RT_KEY);
    if (!rt && (rt = rt_new(fg_http_worker_loop(w), false)))
        fg_http_worker_set_data(w, RT_KEY, rt);
    return rt;
}

static void rt_free_sync(fg__task_rt *rt)
{
    rt_close(rt);
    uv_run(rt->loop, UV_RUN_DEFAULT);
    uv_loop_close(rt->loop);
    free(rt);
}

void fg__task_rt_finish(fg_tasks_http *t, fg__task_rt *rt)
{
    if (!rt->sync)
        return;
    rt->running = true;
    while (rt->pending)
        uv_run(rt->loop, UV_RUN_ONCE);
    rt->running = false;
    if (rt != t->sync_rt)
        rt_free_sync(rt);
}

void fg_tasks_http_worker_stop(fg_tasks_http *t, fg_http_worker *w)
{
    fg__task_rt *rt = fg_http_worker_data(w, RT_KEY);
    if (!rt)
        return;
    fg_http_worker_set_data(w, RT_KEY, NULL);
    rt_close(rt);
    free(rt);
}

/* ---- the integration -------------------------------------------------------- */

static int check_functions(const fg_config *cfg, fg_errbuf *eb)
{
    const json_t *fns = fg_config_get(cfg, "functions");
    size_t i;
    const json_t *fn;
    json_array_foreach(fns, i, fn) {
        const json_t *url = json_object_get(fn, "url"), *cmd = json_object_get(fn, "command");
        if (!url == !cmd || (cmd && json_array_size(cmd) == 0))
            return fg_failf(eb, FG_EINVAL,
                            "functions[%zu] (%s): give either url (an HTTP endpoint) or command "
                            "(an executable and its arguments)",
                            i, json_string_value(json_object_get(fn, "name")));
    }
    return FG_OK;
}

fg_tasks_http *fg_tasks_http_create(const fg_config *cfg, fg_errbuf *eb)
{
    if (check_functions(cfg, eb))
        return NULL;
    fg_tasks_http *t = calloc(1, sizeof *t);
    if (!t) {
        fg_failf(eb, FG_ENOMEM, "out of memory");
        return NULL;
    }
    t->cfg = cfg;
    pthread_mutex_init(&t->tokens_mu, NULL);
    t->policy = fg_fetch_policy_from_config(cfg, eb);
    if (!t->policy) {
        free(t);
        return NULL;
    }
    return t;
}

void fg_tasks_http_free(fg_tasks_http *t)
{
    if (!t)
        return;
    if (t->sync_rt)
        rt_free_sync(t->sync_rt);
    fg_fetch_policy_free(t->policy);
    fg__oauth_free_all(t);
    pthread_mutex_destroy(&t->tokens_mu);
    free(t);
}

int fg_tasks_register_http(fg_flow_registry *reg, fg_tasks_http *t)
{
    int rc = fg_flow_registry_add(reg, "arn:aws:states:::http:invoke", fg__tasks_http_invoke, t);
    if (!rc)
        rc = fg_flow_registry_add(reg, "arn:aws:states:::lambda:invoke", fg__tasks_lambda_invoke, t);
    if (!rc)
        rc = fg_flow_registry_add(reg, "arn:aws:lambda:*:function:*", fg__tasks_lambda_arn, t);
    return rc;
}
