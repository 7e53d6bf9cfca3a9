/* Reaching a running execution from another thread: every execution lives on
 * one worker's loop, so task completions (SendTask*, a nested execution's end)
 * and stops are posted there, and the answer is posted back to the caller. */
#include "sfn/sfn_int.h"

#include "sfn/arn.h"

#include <stdlib.h>
#include <string.h>

typedef enum call_kind { CALL_SUCCEED, CALL_FAIL, CALL_HEARTBEAT, CALL_STOP } call_kind;

typedef struct call {
    sfn_exec *x;
    call_kind kind;
    char *token;
    json_t *result;
    char *error, *cause;
    fg_http_worker *reply_to;
    sfn_task_done_fn done;
    void *ud;
    int rc;
} call;

static void call_free(call *c)
{
    sfn_exec_unref(c->x);
    free(c->token);
    json_decref(c->result);
    free(c->error);
    free(c->cause);
    free(c);
}

static void on_reply(fg_http_worker *w, void *ud)
{
    (void)w;
    call *c = ud;
    c->done(c->rc, c->ud);
    call_free(c);
}

static void reply(call *c)
{
    if (!c->done || !c->reply_to || sfn_post(c->x->svc, c->reply_to, on_reply, c) != 0)
        call_free(c); /* nobody waits, or the caller's worker is gone */
}

static int apply_to_task(call *c, fg_flow_exec *e)
{
    fg_flow_task *t = fg_flow_exec_task_by_token(e, c->token);
    if (!t)
        return FG_ETIMEDOUT;
    if (c->kind == CALL_SUCCEED)
        fg_flow_task_succeed(t, c->result);
    else if (c->kind == CALL_FAIL)
        fg_flow_task_fail(t, c->error, c->cause);
    else
        fg_flow_task_heartbeat(t);
    return 0;
}

static void on_owner(fg_http_worker *w, void *ud)
{
    (void)w;
    call *c = ud;
    sfn_exec *x = c->x;
    if (!x->run)
        c->rc = c->kind == CALL_STOP ? FG_ENOTFOUND : FG_ETIMEDOUT;
    else if (c->kind == CALL_STOP)
        fg_sfn_run_cancel(x->run, c->error, c->cause); /* on_done clears x->run */
    else
        c->rc = apply_to_task(c, fg_sfn_run_exec(x->run));
    reply(c);
}

static void dispatch(call *c)
{
    if (sfn_post(c->x->svc, c->x->worker, on_owner, c) != 0) {
        c->rc = FG_ENOTFOUND;
        reply(c);
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void sfn_task_complete(fg_sfn *s, const char *token, const json_t *result, const char *error,
                       const char *cause, bool heartbeat, fg_http_worker *reply_to,
                       sfn_task_done_fn done, void *ud)
{
    char account[64];
    char *arn = NULL;
    sfn_exec *x = NULL;
    if (fg_sfn_token_owner(token, account, sizeof account, &arn))
        x = sfn_live_get(s, account, arn);
    free(arn);
    if (!x) {
        if (done)
            done(FG_ENOTFOUND, ud);
        return;
    }
    call *c = calloc(1, sizeof *c);
    c->x = x;
    c->kind = heartbeat ? CALL_HEARTBEAT : result ? CALL_SUCCEED : CALL_FAIL;
    c->token = strdup(token);
    c->result = result ? json_incref((json_t *)result) : NULL;
    c->error = dup_or_null(error ? error : (result || heartbeat ? NULL : "States.TaskFailed"));
    c->cause = dup_or_null(cause);
    c->reply_to = reply_to;
    c->done = done;
    c->ud = ud;
    dispatch(c);
}

void sfn_exec_stop(fg_sfn *s, sfn_exec *x, const char *error, const char *cause,
                   fg_http_worker *reply_to, sfn_task_done_fn done, void *ud)
{
    (void)s;
    call *c = calloc(1, sizeof *c);
    c->x = sfn_exec_ref(x);
    c->kind = CALL_STOP;
    c->error = dup_or_null(error);
    c->cause = dup_or_null(cause);
    c->reply_to = reply_to;
    c->done = done;
    c->ud = ud;
    dispatch(c);
}
