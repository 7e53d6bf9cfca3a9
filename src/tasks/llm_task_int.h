/* Private to the LLM task integrations: one gateway call that completes one
 * workflow task. Each integration turns its Parameters into a canonical
 * request and the collected answer into its own result shape. */
#ifndef FG_TASKS_LLM_TASK_INT_H
#define FG_TASKS_LLM_TASK_INT_H

#include "core/buf.h"
#include "flow/flow.h"
#include "llm/llm.h"

#include <jansson.h>

typedef struct fg__llm_task fg__llm_task;

/* Builds the task's result from the whole answer (a new reference), or NULL
 * after failing the task itself. */
typedef json_t *(*fg__llm_task_result_fn)(fg__llm_task *lt, fg_llm_call *call);

struct fg__llm_task {
    fg_flow_task *task;
    fg_llm_call *call;
    fg_buf text;                 /* the answer so far (bounded) */
    bool too_large;              /* the answer outgrew FG__LLM_TASK_MAX_TEXT */
    fg__llm_task_result_fn result;
    const char *error_prefix;    /* "Bedrock", "SageMaker", "Flowgate.LLM" */
    int family;                  /* invokeModel: the native family */
    char model[192];             /* the model id reported back */
};

/* The largest answer a task collects (the engine's payload limit is smaller). */
#define FG__LLM_TASK_MAX_TEXT (4u << 20)

/* Starts canon (the task takes the reference) for lt (allocated by the caller
 * with fg__llm_task_new; freed when the call ends). Returns 0 or a negative
 * fg_err (then the task was failed already). */
fg__llm_task *fg__llm_task_new(fg_flow_task *t, const char *error_prefix, fg__llm_task_result_fn result);
int fg__llm_task_start(fg_llm *llm, fg__llm_task *lt, const char *route, json_t *canon);
/* Fails the task with "<prefix>.<name>" and frees lt (before the call starts). */
int fg__llm_task_reject(fg__llm_task *lt, const char *name, const char *cause);
/* Body as an object: the object itself (new reference) or a JSON string parsed. */
json_t *fg__llm_task_body(const json_t *params, const char *key);
/* ModelId as the gateway knows it: the id as given when it is a model or alias,
 * else the id inside an ARN. */
const char *fg__llm_task_model(fg_llm *llm, const char *model_id);

int fg__task_bedrock_invoke_model(fg_flow_task *t, void *ud);
int fg__task_sagemaker_invoke_endpoint(fg_flow_task *t, void *ud);
int fg__task_llm_invoke(fg_flow_task *t, void *ud);

#endif
