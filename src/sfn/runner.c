/* An execution on an event loop. One uv_timer does everything: due now to step,
 * due later for a Wait or retry, stopped while a task is pending. */
#include "sfn/runner.h"

#include "core/clock.h"

#include <stdlib.h>
#include <uv.h>

struct fg_sfn_run {
    fg_http_worker *worker;
    fg_flow_exec *exec;
    uv_timer_t timer;
    fg_sfn_run_done_fn done;
    void *ud;
    bool finished;
    bool keep_exec;
};

static void on_timer(uv_timer_t *t);

static void on_closed(uv_handle_t *h)
{
    fg_sfn_run *run = h->data;
    if (!run->keep_exec)
        fg_flow_exec_free(run->exec);
    free(run);
}

static void finish(fg_sfn_run *run)
{
    if (run->finished)
        return;
    run->finished = true;
    uv_timer_stop(&run->timer);
    if (run->done)
        run->done(run, run->exec, run->ud);
    uv_close((uv_handle_t *)&run->timer, on_closed);
}

static void schedule_now(fg_sfn_run *run)
{
    if (!run->finished)
        uv_timer_start(&run->timer, on_timer, 0, 0);
}

/* A task completed (possibly inside fg_flow_exec_step): step again soon. */
static void on_task_done(fg_flow_exec *e, void *ud)
{
    (void)e;
    schedule_now(ud);
}

static void sleep_until_wake(fg_sfn_run *run)
{
    int64_t at = fg_flow_exec_wake_at(run->exec);
    if (!at)
        return; /* a pending task: on_task_done wakes us */
    int64_t now = fg_clock_wall_ms();
    uint64_t delay = at > now ? (uint64_t)(at - now) : 0;
    uv_timer_start(&run->timer, on_timer, delay, 0);
}

static void on_timer(uv_timer_t *t)
{
    fg_sfn_run *run = t->data;
    for (int i = 0; i < FG_SFN_RUN_SLICE; i++) {
        fg_flow_status st = fg_flow_exec_step(run->exec);
        if (st >= FG_FLOW_SUCCEEDED) {
            finish(run);
            return;
        }
        if (st == FG_FLOW_WAITING) {
            if (!uv_is_active((uv_handle_t *)&run->timer))
                sleep_until_wake(run);
            return;
        }
    }
    schedule_now(run); /* yield to other work on the loop */
}

int fg_sfn_run_start(fg_http_worker *w, const fg_flow_machine *m, const json_t *input,
                     const fg_flow_exec_opts *opts, fg_sfn_run_done_fn done, void *ud,
                     fg_sfn_run **out, fg_errbuf *eb)
{
    fg_sfn_run *run = calloc(1, sizeof *run);
    if (!run)
        return fg_failf(eb, FG_ENOMEM, "out of memory starting an execution");
    fg_flow_exec_opts o = {0};
    if (opts)
        o = *opts;
    o.host = w;
    o.task_done = on_task_done;
    o.task_done_ud = run;
    run->worker = w;
    run->done = done;
    run->ud = ud;
    run->exec = fg_flow_exec_create(m, input, &o);
    if (!run->exec) {
        free(run);
        return fg_failf(eb, FG_ENOMEM, "out of memory creating an execution");
    }
    uv_timer_init(fg_http_worker_loop(w), &run->timer);
    run->timer.data = run;
    if (out)
        *out = run;
    schedule_now(run);
    return 0;
}

void fg_sfn_run_cancel(fg_sfn_run *run, const char *error, const char *cause)
{
    if (run->finished)
        return;
    fg_flow_exec_stop(run->exec, error, cause);
    finish(run);
}

fg_flow_exec *fg_sfn_run_take_exec(fg_sfn_run *run)
{
    run->keep_exec = true;
    return run->exec;
}

fg_http_worker *fg_sfn_run_worker(const fg_sfn_run *run) { return run->worker; }
