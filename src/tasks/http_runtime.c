/* The runtime under the HTTP tasks: one per event loop (per HTTP worker, or a
 * private one when the execution has no host), holding the HTTP client and
 * the pending operations, and failing the tasks of executions that are gone
 * (stopped, timed out) so their requests and processes do not linger. */
#include "tasks/tasks_int.h"

#include <stdlib.h>
#include <string.h>

#define RT_KEY "tasks.http"
#define WATCH_MS 200

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
    if (--rt->pending == 0 && !rt->sync)
        uv_timer_stop(&rt->watch);
}

/* Cancels the ops whose execution went away and releases their tasks. */
static void on_watch(uv_timer_t *timer)
{
    fg__task_rt *rt = timer->data;
    fg__task_op *op = rt->ops;
    while (op) {
        fg__task_op *next = op->next;
        if (!fg_flow_task_host(op->task)) {
            fg_flow_task *task = op->task;
            op_unlink(op);
            op->cancel(op);
            fg_flow_task_fail(task, "States.Runtime", "the execution ended");
        }
        op = next;
    }
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
    if (rt->pending++ == 0 && !rt->sync)
        uv_timer_start(&rt->watch, on_watch, WATCH_MS, WATCH_MS);
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
    uv_timer_init(rt->loop, &rt->watch);
    rt->watch.data = rt;
    rt->client = fg_http_client_create(rt->loop);
    return rt;
}

static void on_rt_closed(uv_handle_t *h)
{
    fg__task_rt *rt = h->data;
    if (!rt->sync) /* a private loop lives inside rt: fg__task_rt_finish frees it */
        free(rt);
}

/* Fails what is pending, releases the client and frees rt once libuv is done. */
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
    uv_timer_stop(&rt->watch);
    uv_close((uv_handle_t *)&rt->watch, on_rt_closed);
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
