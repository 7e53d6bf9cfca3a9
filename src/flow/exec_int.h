/* Private layout of an execution: a tree of frames, one per running state
 * machine (the root; each running Map iteration or Parallel branch is a child
 * of the frame whose Map/Parallel state started it). Children make progress in
 * turn, so Tasks in different branches wait at the same time. The tree is the
 * whole position and serialises to JSON. */
#ifndef FG_FLOW_EXEC_INT_H
#define FG_FLOW_EXEC_INT_H

#include "flow/flow_int.h"

typedef enum fg__phase {
    FG__PH_ENTER, FG__PH_RUN, FG__PH_TASK, FG__PH_WAIT, FG__PH_RETRY_WAIT, FG__PH_CHILDREN
} fg__phase;

struct fg_flow_task {
    fg_flow_exec *exec;     /* NULL once the execution is gone */
    char *resource;
    char *state_name;
    char token[FG_FLOW_TOKEN_MAX];
    fg_flow_pattern pattern;
    char suffix[24];        /* ".sync:2", ".sync", ".waitForTaskToken" or "" */
    json_t *params;
    bool completed;
    bool released;          /* the handler keeps no pointer to it */
    int64_t heartbeat_ms;    /* 0: no HeartbeatSeconds */
    int64_t heartbeat_due;   /* wall time by which the next heartbeat must come */
    json_t *result;
    char *error, *cause;
    fg_flow_task_cancel_fn on_cancel; /* see fg_flow_task_on_cancel */
    void *cancel_ud;
};

typedef struct fg__frame fg__frame;
struct fg__frame {
    const fg__sm *sm;
    int cur;
    fg__phase ph;
    json_t *raw_input;
    json_t *eff_input;
    int *retry_counts;
    int retry_total;
    int64_t entered_ms;
    int entered_event;      /* id of the StateEntered event (0 without a history) */
    json_t *vars;           /* the workflow variables of this scope (shared, never changed in place) */
    size_t vars_bytes;      /* their size (FG__VARS_SIZE_UNKNOWN until measured) */
    int64_t wake_at;
    /* Map / Parallel progress */
    json_t *items;          /* Map: the items (or batches); Parallel: NULL */
    json_t *child_input;    /* Parallel: the input of every branch */
    size_t child_next, child_total;
    json_t *results;
    size_t failures;
    bool tolerance_set;
    double tolerated_count, tolerated_pct;
    int concurrency;        /* children running at once */
    fg__frame **kids;       /* running children */
    int nkids, kids_cap, rr;
    /* Task */
    fg_flow_task *task;
    int64_t deadline;
    char *resume_token;     /* a restored Task reuses the token it had */
    int index_in_parent;
    int level;              /* nesting depth: 0 for the root */
    /* set when this child's state machine ended */
    bool done, failed;
    json_t *out;
    char *err, *cause;
};

struct fg_flow_exec {
    const fg_flow_machine *m;
    fg_flow_limits limits;
    const fg_flow_clock *clock;
    fg_flow_clock real_clock;
    fg__frame *root;        /* NULL once the execution ended */
    fg__frame *cur;         /* the frame being stepped ($$.State is its state) */
    fg_flow_status status;
    json_t *input;
    json_t *output;
    char *error, *cause;
    json_t *context;
    bool context_dirty;     /* State.* not yet written for the current state */
    bool in_catch;          /* evaluating a catcher: its failures are not caught */
    json_t *assigned;       /* variables the state being left assigned (for its history event) */
    const char *eval_location; /* the field whose JSONata evaluation failed, for the history */
    json_t *history;        /* the events not yet taken (fg_flow_exec_history_take) */
    size_t history_taken;   /* how many were taken */
    int last_event;
    uint64_t transitions;
    int64_t wake_at;
    int64_t start_ms;
    int64_t exec_deadline;
    fg_errbuf eb;
    char name[128];
    char *token_prefix;
    void *host;
    void (*task_done)(fg_flow_exec *e, void *ud);
    void *task_done_ud;
    char account_id[64];
};

/* Frames and executions (exec.c), used by the snapshot code. */
fg__frame *fg__frame_new(const fg__sm *sm, json_t *input, int index, int level);
void fg__frame_free(fg__frame *f);
int fg__frame_add_kid(fg__frame *parent, fg__frame *kid);
fg_flow_exec *fg__exec_alloc(const fg_flow_machine *m, const fg_flow_exec_opts *opts);

/* ---- between the interpreter's files ---------------------------------------
 * exec.c steps frames and runs executions; each state type's code lives in a
 * file of its own. These are the calls between them. */
static inline const fg__state *fg__cur_state(const fg__frame *f)
{
    return &f->sm->states[f->cur];
}

static inline int64_t fg__now_ms(const fg_flow_exec *e)
{
    return e->clock->now_ms(e->clock->ud);
}

/* exec.c: frames, leaving a state, errors (retry and catch). */
void fg__free_kids(fg__frame *f);
void fg__state_exited(fg_flow_exec *e, fg__frame *f, const json_t *out);
void fg__go_to(fg_flow_exec *e, fg__frame *f, int next, json_t *out);
void fg__move_on(fg_flow_exec *e, fg__frame *f, json_t *out, int next);
void fg__transition(fg_flow_exec *e, fg__frame *f, json_t *out);
bool fg__try_retry(fg_flow_exec *e, fg__frame *f, const char *err);
bool fg__try_catch(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause);
void fg__handle_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause);
void fg__fail_state(fg_flow_exec *e, fg__frame *f, const char *err, const char *cause);
void fg__runtime_error(fg_flow_exec *e, fg__frame *f, const char *err, const char *msg);

/* exec_data.c: evaluation and data flow. */
void fg__sync_context(void *ud);
fg__eval_ctx fg__make_cx(fg_flow_exec *e, const fg__frame *f, json_t *input);
bool fg__eval_assign(fg_flow_exec *e, fg__frame *f, const fg__assign *a, json_t *jp_doc,
                     json_t *result, json_t *error_output, json_t **out);
bool fg__commit_assign(fg_flow_exec *e, fg__frame *f, json_t *assigned);
json_t *fg__eval_jx(fg_flow_exec *e, fg__frame *f, const fg__jx *x, json_t *result,
                    json_t *error_output, const char *want);
void fg__jsonata_leave(fg_flow_exec *e, fg__frame *f, json_t *result, const fg__jx *output,
                       const fg__assign *assign, int next);
void fg__jsonpath_leave(fg_flow_exec *e, fg__frame *f, const fg__assign *assign, int next);
void fg__jsonata_catch(fg_flow_exec *e, fg__frame *f, const fg__catcher *c, json_t *eo);
void fg__finish_result(fg_flow_exec *e, fg__frame *f, json_t *result);

/* exec_states.c: Pass, Choice, Succeed, Fail, Wait. */
json_t *fg__eval_params(fg_flow_exec *e, fg__frame *f, const fg__tmpl *t);
void fg__run_pass(fg_flow_exec *e, fg__frame *f);
void fg__run_choice(fg_flow_exec *e, fg__frame *f);
void fg__run_succeed(fg_flow_exec *e, fg__frame *f);
void fg__run_fail(fg_flow_exec *e, fg__frame *f);
void fg__run_wait(fg_flow_exec *e, fg__frame *f);
void fg__wait_done(fg_flow_exec *e, fg__frame *f);

/* exec_task.c: Task. */
json_t *fg__task_input(fg_flow_exec *e, fg__frame *f);
void fg__run_task(fg_flow_exec *e, fg__frame *f);
bool fg__task_step(fg_flow_exec *e, fg__frame *f, int64_t *wake);

/* exec_map.c: Parallel and Map. */
void fg__run_parallel(fg_flow_exec *e, fg__frame *f);
void fg__run_map(fg_flow_exec *e, fg__frame *f);
void fg__start_child(fg_flow_exec *e, fg__frame *f);
void fg__children_finish(fg_flow_exec *e, fg__frame *f);
void fg__child_done(fg_flow_exec *e, fg__frame *f, int k);

/* History (history.c). */
void fg__hist_add(fg_flow_exec *e, const char *type, const char *details_key, json_t *details);
const char *fg__state_type_name(fg__stype t);

#endif
