/* Registers the LLM task integrations (serve.c's slot 2). */
#include "tasks/llm_tasks.h"
#include "tasks/llm_task_int.h"

int fg_tasks_register_llm(fg_flow_registry *reg, fg_llm *llm, const fg_config *cfg)
{
    (void)cfg;
    int rc = fg_flow_registry_add(reg, "arn:aws:states:::bedrock:invokeModel", fg__task_bedrock_invoke_model, llm);
    if (!rc)
        rc = fg_flow_registry_add(reg, "arn:aws:states:::sagemaker:invokeEndpoint",
                                  fg__task_sagemaker_invoke_endpoint, llm);
    if (!rc)
        rc = fg_flow_registry_add(reg, "arn:flowgate:states:::llm:invoke", fg__task_llm_invoke, llm);
    return rc;
}
