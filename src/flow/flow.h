/* flowgate's Amazon States Language engine: parse and validate definitions,
 * compile them once, and run executions as resumable step machines. No network
 * code: Task states call handlers registered per resource-ARN pattern. */
#ifndef FG_FLOW_FLOW_H
#define FG_FLOW_FLOW_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_flow_machine fg_flow_machine;
typedef struct fg_flow_exec fg_flow_exec;
typedef struct fg_flow_task fg_flow_task;
typedef struct fg_flow_registry fg_flow_registry;

/* Limits: every one is a parameter; fg_flow_limits_default fills AWS's values. */
typedef struct fg_flow_limits {
    size_t payload_max;        /* bytes of a state's input/output (256 KiB) */
    uint64_t max_transitions;  /* state transitions per execution */
    int max_depth;             /* Map/Parallel nesting depth */
    size_t max_map_items;      /* items one Map state may iterate */
    size_t max_history;        /* events kept in the history */
    size_t max_jsonpath_results; /* values one JSONPath may select */
    int max_concurrency;       /* Map iterations running at once when MaxConcurrency is 0 (40) */
} fg_flow_limits;

void fg_flow_limits_default(fg_flow_limits *l);

/* Time as the engine sees it: Wait states and retry intervals ask the clock,
 * so tests and the conformance runner use virtual time. */
typedef struct fg_flow_clock {
    int64_t (*now_ms)(void *ud);            /* wall time, ms since the epoch */
    void (*sleep_until)(void *ud, int64_t wall_ms);
    void *ud;
} fg_flow_clock;

/* The real clock; and a virtual one whose sleep just moves *now_ms forward. */
const fg_flow_clock *fg_flow_clock_real(void);
void fg_flow_clock_virtual(fg_flow_clock *c, int64_t *now_ms);

/* ---- Task integrations ------------------------------------------------- */

typedef enum fg_flow_pattern {
    FG_FLOW_REQUEST_RESPONSE = 0,
    FG_FLOW_SYNC,             /* resource ends in .sync (or .sync:2) */
    FG_FLOW_WAIT_FOR_TOKEN    /* resource ends in .waitForTaskToken */
} fg_flow_pattern;

/* A handler starts the work for one Task state. It completes the task now or
 * later (from the owner's event loop) with fg_flow_task_succeed/fail; it returns
 * 0, or a negative fg_err if it could not start (then it must not complete it). */
typedef int (*fg_flow_task_fn)(fg_flow_task *task, void *ud);

fg_flow_registry *fg_flow_registry_create(void);
void fg_flow_registry_free(fg_flow_registry *r);
/* pattern: a resource ARN where '*' matches any run of characters, e.g.
 * "arn:aws:states:::lambda:invoke" or "arn:aws:lambda:*:function:*". The
 * suffixes .sync/.waitForTaskToken are stripped before matching. The first
 * registered match wins. */
int fg_flow_registry_add(fg_flow_registry *r, const char *pattern, fg_flow_task_fn fn, void *ud);

/* What a handler sees. Strings and JSON are owned by the task. */
const char *fg_flow_task_resource(const fg_flow_task *t);   /* without the suffix */
fg_flow_pattern fg_flow_task_pattern(const fg_flow_task *t);
/* What the registry stripped: ".sync:2", ".sync", ".waitForTaskToken" or "". */
const char *fg_flow_task_resource_suffix(const fg_flow_task *t);
const json_t *fg_flow_task_parameters(const fg_flow_task *t);
const char *fg_flow_task_state_name(const fg_flow_task *t);
/* Every Task gets a token (token_prefix + a UUID), in $$.Task.Token for
 * .waitForTaskToken; a Task that runs again after a restore keeps it. */
const char *fg_flow_task_token(const fg_flow_task *t);
#define FG_FLOW_TOKEN_MAX 512
/* The execution's host (fg_flow_exec_opts.host); NULL once the execution is gone. */
void *fg_flow_task_host(const fg_flow_task *t);
/* The execution's name and ARN-less identity, for handlers that log or nest. */
const char *fg_flow_task_execution_name(const fg_flow_task *t);
/* The account the execution runs for (fg_flow_exec_opts.account_id; "" when
 * none or once the execution is gone), for usage records and scoping. */
const char *fg_flow_task_account(const fg_flow_task *t);
/* A pending task whose execution no longer waits for it (stopped, timed out,
 * or a sibling branch failed) calls cb once, so the handler can abort its
 * work; the handler still completes the task afterwards (which frees it). */
typedef void (*fg_flow_task_cancel_fn)(fg_flow_task *t, void *ud);
void fg_flow_task_on_cancel(fg_flow_task *t, fg_flow_task_cancel_fn cb, void *ud);
/* Completes the task; takes its own reference to result (the caller keeps and
 * releases its own). Later calls are ignored. */
void fg_flow_task_succeed(fg_flow_task *t, json_t *result);
void fg_flow_task_fail(fg_flow_task *t, const char *error, const char *cause);
/* For a handler that returns without keeping the task (it is completed later
 * through fg_flow_exec_task_by_token): the execution frees the task when it
 * stops waiting for it, instead of leaving that to the handler. Call it from
 * inside the handler, before completing the task if it does. */
void fg_flow_task_release(fg_flow_task *t);
/* SendTaskHeartbeat: restarts the HeartbeatSeconds countdown. */
void fg_flow_task_heartbeat(fg_flow_task *t);

/* ---- Definitions ------------------------------------------------------- */

/* Validates a definition. Returns the number of problems and, when problems is
 * not NULL, sets it to a new JSON array of {"state","pointer","message","code"}
 * (code: SCHEMA_VALIDATION_FAILED or MISSING_TRANSITION_TARGET, as AWS reports). */
int fg_flow_validate(const json_t *def, json_t **problems);

/* Validates and compiles; reg may be NULL (then every Task resource is
 * accepted and Tasks fail at run time unless a handler is given later).
 * On failure returns NULL and fills eb with the first problem and *problems
 * (if not NULL) with all of them. */
fg_flow_machine *fg_flow_machine_create(const json_t *def, const fg_flow_registry *reg,
                                        json_t **problems, fg_errbuf *eb);
void fg_flow_machine_free(fg_flow_machine *m);

/* ---- Executions -------------------------------------------------------- */

typedef enum fg_flow_status {
    FG_FLOW_RUNNING = 0,
    FG_FLOW_WAITING,   /* a task or a wait is pending */
    FG_FLOW_SUCCEEDED,
    FG_FLOW_FAILED,
    FG_FLOW_TIMED_OUT,
    FG_FLOW_ABORTED
} fg_flow_status;

typedef struct fg_flow_exec_opts {
    const char *name;           /* execution name (a UUID when NULL) */
    const char *machine_arn;    /* for $$.StateMachine.Id */
    const char *machine_name;
    const char *role_arn;
    bool history;               /* keep the event history */
    bool express;               /* an EXPRESS execution (ARN and context differ) */
    const char *execution_arn;  /* for $$.Execution.Id (made up when NULL) */
    const char *token_prefix;   /* task tokens start with it (at most 400 bytes) */
    const fg_flow_clock *clock; /* NULL: real clock */
    const fg_flow_limits *limits; /* NULL: defaults */
    /* The runtime that drives the execution: task handlers read host with
     * fg_flow_task_host (e.g. the worker whose event loop runs the execution);
     * task_done (may be NULL) runs with task_done_ud when a pending task
     * completes (possibly inside fg_flow_exec_step), so the runtime knows to
     * step the execution again. */
    void *host;
    void (*task_done)(fg_flow_exec *e, void *ud);
    void *task_done_ud;
    const char *account_id;     /* the account it runs for (copied; NULL: none) */
} fg_flow_exec_opts;

/* input is not stolen. */
fg_flow_exec *fg_flow_exec_create(const fg_flow_machine *m, const json_t *input,
                                  const fg_flow_exec_opts *opts);
void fg_flow_exec_free(fg_flow_exec *e);
/* Runs one state transition (or one pending step). Returns the status after it. */
fg_flow_status fg_flow_exec_step(fg_flow_exec *e);
/* Runs to completion, sleeping on the execution's clock until the next wake
 * time (a Wait, a retry interval, or a pending Task's timeout). For handlers that
 * complete later from an event loop, call fg_flow_exec_step from that loop instead. */
fg_flow_status fg_flow_exec_run(fg_flow_exec *e);
/* When WAITING on a timer (a Wait, a retry, a task's timeout or the
 * execution's own TimeoutSeconds): the wall time it wakes (0 otherwise). */
int64_t fg_flow_exec_wake_at(const fg_flow_exec *e);
fg_flow_status fg_flow_exec_status(const fg_flow_exec *e);
const json_t *fg_flow_exec_output(const fg_flow_exec *e);
const char *fg_flow_exec_error(const fg_flow_exec *e);
const char *fg_flow_exec_cause(const fg_flow_exec *e);
/* The event history (an array of AWS-shaped events) but for the events already
 * taken, or NULL when off. */
const json_t *fg_flow_exec_history(const fg_flow_exec *e);
/* Hands over the events recorded since the last take (an array the caller
 * owns, possibly empty; NULL when the history is off), for a caller that
 * stores events as they come: the engine then keeps only their count, event
 * ids continue, and the history limit still counts them. */
json_t *fg_flow_exec_history_take(fg_flow_exec *e);
void fg_flow_exec_stop(fg_flow_exec *e, const char *error, const char *cause);
uint64_t fg_flow_exec_transitions(const fg_flow_exec *e);
/* The resumable state of the execution as JSON (current states, inputs,
 * retry counts, Map/Parallel progress, pending wait). */
json_t *fg_flow_exec_snapshot(const fg_flow_exec *e);
/* Rebuilds an execution of m from a snapshot (after a restart). A Task that was
 * pending when the snapshot was taken runs again; Waits keep their wake time.
 * NULL with a message in eb when the snapshot does not fit the machine. */
fg_flow_exec *fg_flow_exec_restore(const fg_flow_machine *m, const json_t *snapshot,
                                   const fg_flow_exec_opts *opts, fg_errbuf *eb);

/* The pending (not yet completed) task whose token is token, or NULL. */
fg_flow_task *fg_flow_exec_task_by_token(fg_flow_exec *e, const char *token);

const char *fg_flow_status_name(fg_flow_status s);
/* JSON text as Step Functions prints it: compact, numbers in their shortest
 * form (1.1, not 1.1000000000000001). Caller frees. */
char *fg_flow_json_text(const json_t *v);

#endif
