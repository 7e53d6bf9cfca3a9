/* Runs one workflow execution on an HTTP worker's event loop: steps it until it
 * waits, sleeps on a loop timer for Wait states, retries and timeouts, steps
 * again when a pending task completes, and reports the end. Task handlers find
 * the worker with fg_flow_task_host. A durable owner pauses the run after each
 * step (after_step) until the step is committed (fg_sfn_run_resume). Every
 * function but creation runs on the worker's loop thread. */
#ifndef FG_SFN_RUNNER_H
#define FG_SFN_RUNNER_H

#include "flow/flow.h"
#include "http/http.h"

typedef struct fg_sfn_run fg_sfn_run;

/* Called once on the worker's loop when the execution ended (any terminal
 * status) or was cancelled. The execution stays valid until the callback
 * returns; the run frees it afterwards unless fg_sfn_run_take_exec was called. */
typedef void (*fg_sfn_run_done_fn)(fg_sfn_run *run, fg_flow_exec *e, void *ud);
/* Called after each step that did not end the execution; returning true pauses
 * the run until fg_sfn_run_resume. */
typedef bool (*fg_sfn_run_step_fn)(fg_sfn_run *run, fg_flow_exec *e, void *ud);

/* Creates an execution of m with input (opts may be NULL; its host and
 * task_done are set by the runner) and starts stepping it on w's loop.
 * Returns 0, or a negative fg_err with a message in eb. */
int fg_sfn_run_start(fg_http_worker *w, const fg_flow_machine *m, const json_t *input,
                     const fg_flow_exec_opts *opts, fg_sfn_run_done_fn done, void *ud,
                     fg_sfn_run **out, fg_errbuf *eb);

/* The same in three steps, for executions restored from a snapshot: new, then
 * fg_sfn_run_exec_opts to fill the options the execution must be created (or
 * restored) with, then begin with the execution (the run owns it from then). */
fg_sfn_run *fg_sfn_run_new(fg_http_worker *w, fg_sfn_run_done_fn done,
                           fg_sfn_run_step_fn after_step, void *ud);
void fg_sfn_run_exec_opts(fg_sfn_run *run, fg_flow_exec_opts *o);
void fg_sfn_run_begin(fg_sfn_run *run, fg_flow_exec *e);

/* Continues a run paused by after_step. */
void fg_sfn_run_resume(fg_sfn_run *run);
/* Aborts the execution (status ABORTED with error/cause); done runs. */
void fg_sfn_run_cancel(fg_sfn_run *run, const char *error, const char *cause);
/* Stops stepping and frees the run and its execution without calling done
 * (the worker is stopping; the execution resumes from its last snapshot). */
void fg_sfn_run_abandon(fg_sfn_run *run);
/* Keeps the execution after done returns: the caller frees it. */
fg_flow_exec *fg_sfn_run_take_exec(fg_sfn_run *run);
fg_flow_exec *fg_sfn_run_exec(const fg_sfn_run *run);
fg_http_worker *fg_sfn_run_worker(const fg_sfn_run *run);

/* Transitions one run makes before it yields the loop to other work. */
#define FG_SFN_RUN_SLICE 256

#endif
