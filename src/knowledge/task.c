/* The workflow task arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve:
 * Parameters in the AWS SDK integration's PascalCase (KnowledgeBaseId,
 * RetrievalQuery.Text, RetrievalConfiguration), the answer in the same case
 * ({RetrievalResults: [...]}). It searches the execution's account only; an
 * execution that carries no account searches the account "default". The
 * search runs in memory, so the task completes at once. */
#include "knowledge/kn_int.h"

#include "core/json.h"
#include "flow/flow.h"

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

static int retrieve_task(fg_flow_task *t, void *ud)
{
    fg_knowledge *kn = ud;
    const json_t *params = fg_flow_task_parameters(t);
    const char *account = fg_flow_task_account(t);
    const char *base = fg_json_str(params, "KnowledgeBaseId", NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *out = NULL;
    int rc = base ? fg_knowledge_retrieve(kn, account && *account ? account : "default", base, params, true,
                                          &out, &eb)
                  : fg_failf(&eb, FG_EINVAL, "KnowledgeBaseId is required");
    if (rc) {
        fg_flow_task_fail(t, error_name(rc), eb.msg);
        return 0;
    }
    fg_flow_task_succeed(t, out);
    json_decref(out);
    return 0;
}

int fg_knowledge_register_tasks(fg_flow_registry *reg, fg_knowledge *kn)
{
    return fg_flow_registry_add(reg, RETRIEVE_ARN, retrieve_task, kn);
}
