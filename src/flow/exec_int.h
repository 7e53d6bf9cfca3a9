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
    json_t *history;
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

/* History (history.c). */
void fg__hist_add(fg_flow_exec *e, const char *type, const char *details_key, json_t *details);
const char *fg__state_type_name(fg__stype t);

#endif
