/* arn:aws:states:::bedrock:invokeModel — Parameters {ModelId, Body, ContentType?,
 * Accept?}: Body in the model's native shape (Anthropic Messages, Llama, Titan,
 * Mistral, Cohere), translated by src/llm/native.c to the gateway's request;
 * the result is {"Body": <the native response>, "ContentType": "application/json"},
 * so a workflow's ResultSelector reads it as it would read Bedrock's. ModelId
 * may be a model id, a Bedrock ARN or a flowgate alias. */
#include "tasks/llm_task_int.h"

#include "core/json.h"
#include "llm/native.h"

#include <stdio.h>
#include <string.h>

static json_t *invoke_model_result(fg__llm_task *lt, fg_llm_call *call)
{
    fg_llm_native_answer a = {.model = lt->model, .text = lt->text.data ? lt->text.data : "",
                              .len = lt->text.len, .finish = fg_llm_call_finish_reason(call),
                              .input_tokens = fg_llm_call_input_tokens(call),
                              .output_tokens = fg_llm_call_output_tokens(call)};
    json_t *body = fg_llm_native_response((fg_llm_native_family)lt->family, &a);
    return json_pack("{s:o,s:s}", "Body", body, "ContentType", "application/json");
}

int fg__task_bedrock_invoke_model(fg_flow_task *t, void *ud)
{
    fg_llm *llm = ud;
    const json_t *params = fg_flow_task_parameters(t);
    fg__llm_task *lt = fg__llm_task_new(t, "Bedrock", invoke_model_result);
    if (!lt)
        return FG_ENOMEM;
    const char *model_id = fg_json_str(params, "ModelId", NULL);
    if (!model_id || !*model_id)
        return fg__llm_task_reject(lt, "ValidationException", "ModelId: required (a model id or ARN)");
    if (json_object_get(params, "Input"))
        return fg__llm_task_reject(lt, "ValidationException",
                                   "Input (a body in S3) is not supported: give the Body inline");
    json_t *body = fg__llm_task_body(params, "Body");
    if (!body)
        return fg__llm_task_reject(lt, "ValidationException",
                                   "Body: required, a JSON object (or a string holding one)");
    const char *model = fg__llm_task_model(llm, model_id);
    fg_llm_native_family fam = fg_llm_native_family_of(model_id);
    if (fam == FG_NATIVE_UNKNOWN)
        fam = fg_llm_native_family_of_body(body);
    if (fam == FG_NATIVE_UNKNOWN) {
        json_decref(body);
        return fg__llm_task_reject(lt, "ValidationException",
                                   "ModelId: the model's native request format is unknown (use an "
                                   "anthropic., meta., amazon.titan-text, mistral. or cohere. model, "
                                   "or arn:flowgate:states:::llm:invoke)");
    }
    lt->family = fam;
    snprintf(lt->model, sizeof lt->model, "%s", fg_llm_native_model_id(model_id));
    char msg[300];
    json_t *canon = fg_llm_native_to_canonical(fam, body, model, msg, sizeof msg);
    json_decref(body);
    if (!canon) {
        char cause[360];
        snprintf(cause, sizeof cause, "Body.%s", msg);
        return fg__llm_task_reject(lt, "ValidationException", cause);
    }
    return fg__llm_task_start(llm, lt, "task:bedrock:invokeModel", canon);
}
