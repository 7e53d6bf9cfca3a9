/* The workflow task arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve:
 * Parameters in the AWS SDK integration's PascalCase (KnowledgeBaseId,
 * RetrievalQuery.Text, RetrievalConfiguration), the answer in the same case
 * ({RetrievalResults: [...]}). It searches the execution's account only; an
 * execution that carries no account searches the account "default". When the
 * execution runs on a server worker (its host), the search (and the query's
 * embedding, a call to the model) runs on the blocking pool and the task
 * completes back on the worker's loop; without a host it completes at once. */
#include "knowledge/kn_int.h"

#include "core/json.h"
#include "flow/flow.h"
#include "http/http.h"

#include <stdlib.h>

#include <stdio.h>

#define RETRIEVE_ARN "arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve"

static const char *error_name(int rc)
{
    switch (rc) {
    case FG_ENOTFOUND: return "BedrockAgentRuntime.ResourceNotFoundException";
    case FG_EINVAL: case FG_EPARSE: case FG_EUNSUPPORTED: case FG_ELIMIT:
        return "BedrockAgentRuntime.ValidationException";
    default: return "BedrockAgentRuntime.InternalServerException";
    }
}

typedef struct retrieve_work {
    uv_work_t work;
    fg_flow_task *task;
    fg_knowledge *kn;
    char account[64];
    json_t *params; /* a copy: the pool thread reads it */
    json_t *out;
    int rc;
    fg_errbuf eb;
} retrieve_work;

static void retrieve_run(uv_work_t *w)
{
    retrieve_work *r = w->data;
    const char *base = fg_json_str(r->params, "KnowledgeBaseId", NULL);
    r->rc = base ? fg_knowledge_retrieve(r->kn, r->account, base, r->params, true, &r->out, &r->eb)
                 : fg_failf(&r->eb, FG_EINVAL, "KnowledgeBaseId is required");
}

static void retrieve_complete(uv_work_t *w, int status)
{
    retrieve_work *r = w->data;
    if (status != 0 && !r->rc)
        r->rc = fg_failf(&r->eb, FG_ECANCELED, "the server is stopping");
    if (r->rc)
        fg_flow_task_fail(r->task, error_name(r->rc), r->eb.msg);
    else
        fg_flow_task_succeed(r->task, r->out);
    json_decref(r->out);
    json_decref(r->params);
    free(r);
}

static int retrieve_task(fg_flow_task *t, void *ud)
{
    retrieve_work *r = calloc(1, sizeof *r);
    if (!r)
        return FG_ENOMEM;
    const char *account = fg_flow_task_account(t);
    r->work.data = r;
    r->task = t;
    r->kn = ud;
    r->params = json_deep_copy(fg_flow_task_parameters(t));
    snprintf(r->account, sizeof r->account, "%s", account && *account ? account : "default");
    fg_errbuf_clear(&r->eb);
    fg_http_worker *w = fg_flow_task_host(t);
    if (!w || uv_queue_work(fg_http_worker_loop(w), &r->work, retrieve_run, retrieve_complete) != 0) {
        retrieve_run(&r->work);
        retrieve_complete(&r->work, 0);
    }
    return 0;
}

int fg_knowledge_register_tasks(fg_flow_registry *reg, fg_knowledge *kn)
{
    return fg_flow_registry_add(reg, RETRIEVE_ARN, retrieve_task, kn);
}
