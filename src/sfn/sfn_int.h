/* Private to src/sfn: the service, its live executions and compiled machines. */
#ifndef FG_SFN_SFN_INT_H
#define FG_SFN_SFN_INT_H

#include "sfn/runner.h"
#include "sfn/sfn.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* A store parameter from a char array (never NULL). */
#define SFN_TEXT(a) FG_STEXTN((a), strlen(a))

typedef struct sfn_journal sfn_journal;
typedef struct sfn_activities sfn_activities;

/* A compiled definition, shared by the executions that run it. */
typedef struct sfn_machine {
    atomic_int refs;
    fg_flow_machine *m;
    char *revision;
} sfn_machine;

/* A state machine row. */
typedef struct sfn_machine_row {
    char *arn, *name, *type, *definition, *role_arn, *logging, *revision;
    int64_t created_ms, updated_ms;
} sfn_machine_row;

/* How a nested execution reports to the Task that started it. */
typedef enum sfn_parent_mode {
    SFN_PARENT_NONE = 0,  /* request-response: nothing to report */
    SFN_PARENT_SYNC,      /* .sync: Output as a JSON string */
    SFN_PARENT_SYNC2      /* .sync:2: Output as JSON */
} sfn_parent_mode;

/* An execution while it runs (in the live table), and a little after. */
typedef struct sfn_exec {
    atomic_int refs;
    fg_sfn *svc;
    char account[64];
    char *key;           /* account "\n" arn: the live table's key */
    char *arn, *machine_arn, *machine_name, *name, *role_arn, *input;
    char *definition;    /* record_at_end only */
    char *version_arn;   /* started through a version or an alias (else NULL) */
    char *alias_arn;
    int64_t exec_id;     /* keys its history events (increasing, so running
                            executions' events sit together in the index) */
    bool express;
    bool durable;        /* STANDARD: each step committed before the next */
    bool record_at_end;  /* EXPRESS with logging level ALL: stored when it ends */
    sfn_machine *machine;
    fg_http_worker *worker;
    /* Worker thread only. */
    fg_sfn_run *run;     /* NULL once ended or abandoned */
    size_t events_saved; /* history events already handed to the journal */
    bool base_saved;     /* the position's lasting parts are in the journal */
    bool journal_acked;  /* set by the journal before it posts a step's
                            acknowledgement, cleared by the next submit */
    json_t *saved_context; /* the context as last written there (no State) */
    fg_http_req *sync_req; /* StartSyncExecution waiting for the end */
    char *parent_token;
    sfn_parent_mode parent_mode;
    int64_t start_ms;
    /* Worker thread only: activity tasks of the current step, handed to
     * workers once the step is committed (so a token a worker holds survives
     * a crash). */
    struct sfn_deferred_act *deferred;
} sfn_exec;

struct fg_sfn {
    const fg_config *cfg;
    fg_store *store;
    fg_auth *auth;
    fg_flow_registry *tasks;
    char region[32], account[32];
    fg_flow_limits limits;
    int64_t poll_ms;            /* GetActivityTask long poll */
    size_t max_running;         /* live executions at most */
    pthread_mutex_t lock;       /* live, machines, round robin */
    json_t *live;               /* key -> sfn_exec* (as an integer) */
    json_t *machines;           /* key -> sfn_machine* */
    sfn_journal *journal;
    sfn_activities *acts;
    fg_http_server *server;
    atomic_bool stopping;
    atomic_uint next_worker;
    fg_http_worker *stopped[256]; /* workers that stopped: no more posts to them */
    int nstopped;
    atomic_uint exec_counter;
};

/* service.c: the live table and references. */
sfn_exec *sfn_live_get(fg_sfn *s, const char *account, const char *arn); /* a new reference */
void sfn_live_put(fg_sfn *s, sfn_exec *x);
size_t sfn_live_count(fg_sfn *s);
void sfn_live_del(fg_sfn *s, sfn_exec *x);
sfn_exec *sfn_exec_ref(sfn_exec *x);
void sfn_exec_unref(sfn_exec *x);
void sfn_machine_unref(sfn_machine *m);
char *sfn_key(const char *account, const char *arn);
/* Posts fn onto worker w unless w has stopped (fg_sfn_worker_stop ran): the
 * service's only way to reach a worker from another thread, so nothing is ever
 * posted to a worker that the server may have freed. 0 or FG_ECANCELED. */
int sfn_post(fg_sfn *s, fg_http_worker *w, fg_http_worker_fn fn, void *ud);
/* A worker for work that has none yet (resumed executions). */
fg_http_worker *sfn_pick_worker(fg_sfn *s);
/* A new execution id: wall time in ms shifted left 16 bits, plus a counter. */
int64_t sfn_next_exec_id(fg_sfn *s);

/* records.c: rows in the store. */
int sfn_machine_row_get(fg_sfn *s, const char *account, const char *arn, sfn_machine_row *out,
                        fg_errbuf *eb);
void sfn_machine_row_free(sfn_machine_row *r);
/* The compiled machine for a row (cached per revision); a new reference. */
sfn_machine *sfn_machine_for(fg_sfn *s, const char *account, const sfn_machine_row *row,
                             fg_errbuf *eb);
/* An execution row as DescribeExecution shows it, or NULL (FG_ENOTFOUND). */
json_t *sfn_execution_row(fg_sfn *s, const char *account, const char *arn);

/* versions.c: versions and aliases. */
json_t *sfn_version_row(fg_sfn *s, const char *account, const char *machine_arn, int64_t version);
json_t *sfn_alias_row(fg_sfn *s, const char *account, const char *machine_arn, const char *name);
/* Publishes the row's current revision as the next version (or finds the
 * version that already holds it). */
int sfn_version_publish(fg_sfn *s, const char *account, const sfn_machine_row *row,
                        const char *description, int64_t *version, int64_t *created_ms,
                        fg_errbuf *eb);
/* For a version number or alias name: the row takes the version's definition,
 * role and ARN (an alias draws one of its versions by weight). */
int sfn_version_apply(fg_sfn *s, const char *account, sfn_machine_row *row, const char *qualifier,
                      const char **aws_error, fg_errbuf *eb);

/* executions.c: starting, ending and resuming executions. */
typedef struct sfn_start {
    const char *account;
    const char *machine_arn;
    const char *name;         /* NULL: a UUID */
    const char *input;        /* JSON text; NULL: "{}" */
    const char *parent_token; /* a startExecution Task that waits for it */
    sfn_parent_mode parent_mode;
    fg_http_req *sync_req;    /* StartSyncExecution */
} sfn_start;
/* Starts on worker w (the calling thread's). On failure returns a negative
 * fg_err, *aws_error names AWS's error type and eb holds the message. On
 * success *out (may be NULL) gets a new reference. */
int sfn_exec_start(fg_sfn *s, fg_http_worker *w, const sfn_start *p, sfn_exec **out,
                   const char **aws_error, fg_errbuf *eb);
int sfn_exec_resume_all(fg_sfn *s, fg_errbuf *eb);
/* On worker w: creates x's run and execution (restored from snap when not
 * NULL, else new with input), enters it in the live table and starts it. */
int sfn_begin_run(sfn_exec *x, fg_http_worker *w, const json_t *input, const json_t *snap,
                  fg_errbuf *eb);
/* On the execution's worker: the DescribeExecution-like result of an ended
 * execution for a parent's startExecution.sync Task. */
json_t *sfn_exec_sync_result(const json_t *row, bool output_json);
/* Completes the pending task with token in whichever execution owns it (on
 * that execution's worker). result NULL: fail with error/cause. heartbeat:
 * only restart its heartbeat clock. done (may be NULL) runs on reply_to with
 * 0, or FG_ENOTFOUND when no live execution owns the token, or FG_ETIMEDOUT
 * when it owns no such pending task. */
typedef void (*sfn_task_done_fn)(int rc, void *ud);
void sfn_task_complete(fg_sfn *s, const char *token, const json_t *result, const char *error,
                       const char *cause, bool heartbeat, fg_http_worker *reply_to,
                       sfn_task_done_fn done, void *ud);
/* Stops a live execution on its worker (done as above; FG_ENOTFOUND: not live). */
void sfn_exec_stop(fg_sfn *s, sfn_exec *x, const char *error, const char *cause,
                   fg_http_worker *reply_to, sfn_task_done_fn done, void *ud);

/* journal.c: commits steps in batches on its own thread. */
typedef struct sfn_entry {
    sfn_exec *x;            /* a reference */
    char *snapshot;         /* NULL once the execution ended */
    bool delta;             /* snapshot holds only what changed (position.c) */
    const char *status;
    int64_t wake_ms;
    char *events;           /* event JSON texts one after another, */
    size_t *event_len;      /* their lengths, */
    size_t nevents;         /* ids from first_event + 1 */
    size_t first_event;
    bool final, insert;     /* insert: an EXPRESS execution recorded at its end */
    char *output, *error, *cause;
    int64_t stop_ms;
    struct sfn_entry *next;
} sfn_entry;
sfn_journal *sfn_journal_start(fg_sfn *s);
/* Queues e; once committed, sfn_exec_committed(e) runs on e->x's worker. */
void sfn_journal_submit(sfn_journal *j, sfn_entry *e);
void sfn_journal_stop(sfn_journal *j);
void sfn_exec_committed(fg_http_worker *w, void *entry);
void sfn_entry_free(sfn_entry *e);

/* checkpoint.c: WAL checkpoints off the journal's commits, on their own thread
 * and connection db (owned from then on, closed by stop even on failure). */
typedef struct sfn_checkpointer sfn_checkpointer;
sfn_checkpointer *sfn_checkpointer_start(fg_store *db);
/* The journal committed steps: a checkpoint runs every so many. */
void sfn_checkpointer_note(sfn_checkpointer *c, size_t steps);
/* On the journal's thread between two batches: after a checkpoint, copies the
 * frames the journal appended while it ran, so that the next batch starts the
 * WAL over. */
void sfn_checkpointer_catch_up(sfn_checkpointer *c, fg_store *journal_db);
void sfn_checkpointer_stop(sfn_checkpointer *c);

/* position.c: what a step writes. Appends the history events the journal has
 * not seen yet to en; sets en's position: the whole snapshot when its lasting
 * parts are not written yet or changed, else only the rest (en->delta). */
void sfn_entry_take_events(sfn_entry *en, sfn_exec *x, fg_flow_exec *e);
void sfn_entry_take_position(sfn_entry *en, sfn_exec *x, fg_flow_exec *e);
/* A stored position (the row's snapshot and delta) as one snapshot, or NULL
 * when it is not JSON. */
json_t *sfn_position_load(const char *snapshot, const char *delta);

/* integrations.c: the task handlers the service registers. */
int sfn_register_tasks(fg_sfn *s);

/* activities.c: queued activity tasks and their long polls. */
sfn_activities *sfn_activities_create(void);
void sfn_activities_free(sfn_activities *a);
/* Durable executions: queue the activity task on x until its step is committed;
 * sfn_activity_flush hands the queued tasks over, sfn_activity_drop frees them. */
void sfn_activity_defer(sfn_exec *x, const char *activity_arn, const char *token, const char *input);
void sfn_activity_flush(sfn_exec *x);
void sfn_activity_drop(sfn_exec *x);
void sfn_activity_push(fg_sfn *s, const char *account, const char *activity_arn,
                       const char *token, const char *input);
/* Answers req with the next task of the activity, waiting up to poll_ms. */
void sfn_activity_poll(fg_sfn *s, fg_http_req *req, const char *account,
                       const char *activity_arn);
/* Answers every waiting poll with no task (shutdown). */
void sfn_activities_release(fg_sfn *s);

/* api*.c */
void sfn_api_handle(fg_http_req *req, void *ud);
/* Answers an AWS-shaped error: {"__type": type, "message": msg}. */
void sfn_api_error(fg_http_req *req, int status, const char *type, const char *msg);
void sfn_api_reply(fg_http_req *req, json_t *body); /* steals body */
double sfn_epoch(int64_t ms);

#endif
