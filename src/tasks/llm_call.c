/* One gateway call completing one workflow task: the answer's text is
 * collected, then the integration shapes the result; failures become the
 * task's error ("<prefix>.<Exception>"); a cancelled task aborts the call. */
#include "tasks/llm_task_int.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fg__llm_task *fg__llm_task_new(fg_flow_task *t, const char *error_prefix, fg__llm_task_result_fn result)
{
    fg__llm_task *lt = calloc(1, sizeof *lt);
    if (!lt)
        return NULL;
    lt->task = t;
    lt->error_prefix = error_prefix;
    lt->result = result;
    fg_buf_init(&lt->text, FG__LLM_TASK_MAX_TEXT);
    return lt;
}

static void task_release(fg__llm_task *lt)
{
    fg_buf_free(&lt->text);
    free(lt);
}

static void fail_task(fg__llm_task *lt, const char *name, const char *cause)
{
    char error[96];
    snprintf(error, sizeof error, "%s.%s", lt->error_prefix, name);
    fg_flow_task_fail(lt->task, error, cause);
}

int fg__llm_task_reject(fg__llm_task *lt, const char *name, const char *cause)
{
    fail_task(lt, name, cause);
    task_release(lt);
    return 0;
}

/* The exception name a status maps to (AWS's names for Bedrock and SageMaker). */
static const char *status_error(int status)
{
    if (status == 400 || status == 422)
        return "ValidationException";
    if (status == 401 || status == 403)
        return "AccessDeniedException";
    if (status == 404)
        return "ResourceNotFoundException";
    if (status == 408 || status == 504)
        return "ModelTimeoutException";
    if (status == 429)
        return "ThrottlingException";
    if (status == 499)
        return "Cancelled";
    return "ServiceUnavailableException";
}

static void sink_begin(fg_llm_call *call) { (void)call; }

static void sink_event(fg_llm_call *call, const fg_llm_event *ev)
{
    fg__llm_task *lt = fg_llm_call_sink_data(call);
    if (ev->type != FG_LLM_EV_TEXT || !ev->len)
        return;
    if (!lt->too_large && fg_buf_append(&lt->text, ev->text, ev->len) != 0)
        lt->too_large = true; /* the rest is dropped; the task fails at the end */
}

static void sink_end(fg_llm_call *call)
{
    fg__llm_task *lt = fg_llm_call_sink_data(call);
    if (lt->too_large) {
        fail_task(lt, "ValidationException", "the model's answer is larger than a task result may be");
        task_release(lt);
        return;
    }
    json_t *result = lt->result(lt, call);
    if (result) {
        fg_flow_task_succeed(lt->task, result);
        json_decref(result);
    }
    task_release(lt);
}

static void sink_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    fg__llm_task *lt = fg_llm_call_sink_data(call);
    fail_task(lt, status_error(status), msg);
    task_release(lt);
}

static const fg_llm_sink_ops task_sink = {sink_begin, sink_event, sink_end, sink_fail};

/* The execution stopped waiting for this task: abort the upstream request. */
static void on_task_cancel(fg_flow_task *t, void *ud)
{
    fg__llm_task *lt = ud;
    if (lt->call)
        fg_llm_call_cancel(lt->call); /* sink_fail completes (and frees) the task */
}

int fg__llm_task_start(fg_llm *llm, fg__llm_task *lt, const char *route, json_t *canon)
{
    fg_http_worker *w = fg_flow_task_host(lt->task);
    if (!w) {
        json_decref(canon);
        return fg__llm_task_reject(lt, "ServiceUnavailableException",
                                   "this task needs the server's event loop (run the workflow "
                                   "through flowgate serve)");
    }
    fg_llm_caller caller = {.account_id = fg_flow_task_account(lt->task)};
    fg_flow_task *t = lt->task;
    fg_flow_task_on_cancel(t, on_task_cancel, lt);
    int rc = fg_llm_call_start_as(llm, w, route, &caller, canon, &task_sink, lt, &lt->call);
    /* The call may have ended already (an unknown model): then lt is gone and
     * the task completed. */
    if (rc != 0) {
        fg_flow_task_on_cancel(t, NULL, NULL);
        return fg__llm_task_reject(lt, "ServiceUnavailableException", fg_strerror(rc));
    }
    return 0;
}

json_t *fg__llm_task_body(const json_t *params, const char *key)
{
    const json_t *b = json_object_get(params, key);
    if (json_is_object(b))
        return json_incref((json_t *)b);
    if (json_is_string(b)) {
        json_error_t err;
        json_t *parsed = json_loadb(json_string_value(b), json_string_length(b), 0, &err);
        if (json_is_object(parsed))
            return parsed;
        json_decref(parsed);
    }
    return NULL;
}

const char *fg__llm_task_model(fg_llm *llm, const char *model_id)
{
    if (fg_llm_has_model(llm, model_id))
        return model_id;
    const char *slash = strrchr(model_id, '/');
    return slash ? slash + 1 : model_id;
}
