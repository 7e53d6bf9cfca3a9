/* arn:aws:states:::sagemaker:invokeEndpoint — Parameters {EndpointName, Body,
 * ContentType?}: Body a Hugging Face TGI request {"inputs", "parameters":
 * {max_new_tokens, temperature, top_p, stop}}; EndpointName names the
 * gateway's model (an alias). The result is SageMaker's: {"Body": "<JSON text
 * [{\"generated_text\": …}]>", "ContentType": "application/json",
 * "InvokedProductionVariant": "AllTraffic"}, so States.StringToJson($.Body)
 * works as it does against AWS. */
#include "tasks/llm_task_int.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *invoke_endpoint_result(fg__llm_task *lt, fg_llm_call *call)
{
    json_t *out = json_pack("[{s:s%}]", "generated_text", lt->text.data ? lt->text.data : "", lt->text.len);
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    json_t *r = json_pack("{s:s,s:s,s:s}", "Body", text ? text : "[]", "ContentType", "application/json",
                          "InvokedProductionVariant", "AllTraffic");
    free(text);
    return r;
}

static bool copy_param(json_t *canon, const char *to, const json_t *p, const char *key)
{
    const json_t *v = json_object_get(p, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_number(v))
        return false;
    json_object_set(canon, to, (json_t *)v);
    return true;
}

int fg__task_sagemaker_invoke_endpoint(fg_flow_task *t, void *ud)
{
    fg_llm *llm = ud;
    const json_t *params = fg_flow_task_parameters(t);
    fg__llm_task *lt = fg__llm_task_new(t, "SageMaker", invoke_endpoint_result);
    if (!lt)
        return FG_ENOMEM;
    const char *endpoint = fg_json_str(params, "EndpointName", NULL);
    if (!endpoint || !*endpoint)
        return fg__llm_task_reject(lt, "ValidationException", "EndpointName: required");
    json_t *body = fg__llm_task_body(params, "Body");
    const char *inputs = fg_json_str(body, "inputs", NULL);
    if (!inputs) {
        json_decref(body);
        return fg__llm_task_reject(lt, "ValidationException",
                                   "Body.inputs: required, a string (a TGI request)");
    }
    json_t *canon = json_pack("{s:s,s:[{s:s,s:s}]}", "model", endpoint, "messages", "role", "user",
                              "content", inputs);
    const json_t *p = json_object_get(body, "parameters");
    bool ok = copy_param(canon, "max_tokens", p, "max_new_tokens") &&
              copy_param(canon, "temperature", p, "temperature") && copy_param(canon, "top_p", p, "top_p");
    if (ok && json_is_array(json_object_get(p, "stop")))
        json_object_set(canon, "stop", json_object_get(p, "stop"));
    json_decref(body);
    if (!ok) {
        json_decref(canon);
        return fg__llm_task_reject(lt, "ValidationException",
                                   "Body.parameters: max_new_tokens, temperature and top_p must be numbers");
    }
    snprintf(lt->model, sizeof lt->model, "%s", endpoint);
    return fg__llm_task_start(llm, lt, "task:sagemaker:invokeEndpoint", canon);
}
