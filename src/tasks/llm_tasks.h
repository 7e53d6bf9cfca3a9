/* The workflow engine's LLM task integrations, all through the gateway's
 * router (aliases, retries, fallback, usage records with the execution's
 * account):
 *   arn:aws:states:::bedrock:invokeModel       Body in the model's native shape,
 *                                              result {"Body": native response}
 *   arn:aws:states:::sagemaker:invokeEndpoint  TGI {"inputs","parameters"},
 *                                              result {"Body": "[{\"generated_text\"…}]"}
 *   arn:flowgate:states:::llm:invoke           an OpenAI chat-completions request,
 *                                              result a chat.completion object
 * Handlers are asynchronous: they start a gateway call on the event loop of the
 * execution's host (an fg_http_worker, as the sfn runner sets it) and complete
 * the task from the call's callbacks; a cancelled task aborts its upstream call. */
#ifndef FG_TASKS_LLM_TASKS_H
#define FG_TASKS_LLM_TASKS_H

#include "config/config.h"
#include "flow/flow.h"
#include "llm/llm.h"

int fg_tasks_register_llm(fg_flow_registry *reg, fg_llm *llm, const fg_config *cfg);

#endif
