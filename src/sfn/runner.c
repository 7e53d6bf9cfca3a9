/* An execution on an event loop. One uv_timer does everything: due now to step,
 * due later for a Wait or retry, stopped while a task is pending or while the
 * owner commits a step (paused). */
#include "sfn/runner.h"

#include "core/clock.h"

#include <stdlib.h>
#include <uv.h>

struct fg_sfn_run {
    fg_http_worker *worker;
    fg_flow_exec *exec;
    uv_timer_t timer;
    fg_sfn_run_done_fn done;
    fg_sfn_run_step_fn after_step;
    void *ud;
    bool begun;
    bool finished;
    bool keep_exec;
    bool paused;
    bool woken_while_paused; /* a task completed during the pause */
};

static void on_timer(uv_timer_t *t);

static void on_closed(uv_handle_t *h)
{
    fg_sfn_run *run = h->data;
    if (!run->keep_exec)
        fg_flow_exec_free(run->exec);
    free(run);
}

static void close_run(fg_sfn_run *run)
{
    uv_timer_stop(&run->timer);
    uv_close((uv_handle_t *)&run->timer, on_closed);
}

static void finish(fg_sfn_run *run)
{
    if (run->finished)
        return;
    run->finished = true;
    uv_timer_stop(&run->timer);
    if (run->done)
        run->done(run, run->exec, run->ud);
    close_run(run);
}

static void schedule_now(fg_sfn_run *run)
{
    if (run->finished || !run->begun)
        return;
    if (run->paused) {
        run->woken_while_paused = true;
        return;
    }
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

/* After a step that left the execution RUNNING or WAITING. */
static void continue_after(fg_sfn_run *run, fg_flow_status st)
{
    if (st == FG_FLOW_WAITING) {
        if (!uv_is_active((uv_handle_t *)&run->timer))
            sleep_until_wake(run);
        return;
    }
    schedule_now(run);
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
        if (run->after_step && run->after_step(run, run->exec, run->ud)) {
            run->paused = true;
            if (uv_is_active((uv_handle_t *)&run->timer)) { /* woken inside the step */
                run->woken_while_paused = true;
                uv_timer_stop(&run->timer);
            }
            return;
        }
        if (st == FG_FLOW_WAITING) {
            continue_after(run, st);
            return;
        }
    }
    schedule_now(run); /* yield to other work on the loop */
}

fg_sfn_run *fg_sfn_run_new(fg_http_worker *w, fg_sfn_run_done_fn done,
                           fg_sfn_run_step_fn after_step, void *ud)
{
    fg_sfn_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->worker = w;
    run->done = done;
    run->after_step = after_step;
    run->ud = ud;
    return run;
}

void fg_sfn_run_exec_opts(fg_sfn_run *run, fg_flow_exec_opts *o)
{
    o->host = run->worker;
    o->task_done = on_task_done;
    o->task_done_ud = run;
}

void fg_sfn_run_begin(fg_sfn_run *run, fg_flow_exec *e)
{
    run->exec = e;
    uv_timer_init(fg_http_worker_loop(run->worker), &run->timer);
    run->timer.data = run;
    run->begun = true;
    schedule_now(run);
}

int fg_sfn_run_start(fg_http_worker *w, const fg_flow_machine *m, const json_t *input,
                     const fg_flow_exec_opts *opts, fg_sfn_run_done_fn done, void *ud,
                     fg_sfn_run **out, fg_errbuf *eb)
{
    fg_sfn_run *run = fg_sfn_run_new(w, done, NULL, ud);
    if (!run)
        return fg_failf(eb, FG_ENOMEM, "out of memory starting an execution");
    fg_flow_exec_opts o = {0};
    if (opts)
        o = *opts;
    fg_sfn_run_exec_opts(run, &o);
    fg_flow_exec *e = fg_flow_exec_create(m, input, &o);
    if (!e) {
        free(run);
        return fg_failf(eb, FG_ENOMEM, "out of memory creating an execution");
    }
    if (out)
        *out = run;
    fg_sfn_run_begin(run, e);
    return 0;
}

void fg_sfn_run_resume(fg_sfn_run *run)
{
    if (!run->paused || run->finished)
        return;
    run->paused = false;
    fg_flow_status st = fg_flow_exec_status(run->exec);
    if (run->woken_while_paused) {
        run->woken_while_paused = false;
        st = FG_FLOW_RUNNING;
    }
    continue_after(run, st);
}

void fg_sfn_run_cancel(fg_sfn_run *run, const char *error, const char *cause)
{
    if (run->finished)
        return;
    fg_flow_exec_stop(run->exec, error, cause);
    finish(run);
}

void fg_sfn_run_abandon(fg_sfn_run *run)
{
    if (run->finished)
        return;
    run->finished = true;
    close_run(run);
}

fg_flow_exec *fg_sfn_run_take_exec(fg_sfn_run *run)
{
    run->keep_exec = true;
    return run->exec;
}

fg_flow_exec *fg_sfn_run_exec(const fg_sfn_run *run) { return run->exec; }
fg_http_worker *fg_sfn_run_worker(const fg_sfn_run *run) { return run->worker; }
