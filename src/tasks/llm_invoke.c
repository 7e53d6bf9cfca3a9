/* arn:flowgate:states:::llm:invoke — Parameters are an OpenAI chat-completions
 * request ({model, messages, temperature, max_tokens, …}); the result is a
 * chat.completion object with the answer and its usage. */
#include "tasks/llm_task_int.h"

#include "core/json.h"

#include <stdio.h>
#include <string.h>

static json_t *invoke_result(fg__llm_task *lt, fg_llm_call *call)
{
    long in = fg_llm_call_input_tokens(call), out = fg_llm_call_output_tokens(call);
    return json_pack("{s:s,s:s,s:s,s:[{s:i,s:{s:s,s:s%},s:s}],s:{s:I,s:I,s:I}}", "id", "chatcmpl-task",
                     "object", "chat.completion", "model", lt->model, "choices", "index", 0, "message",
                     "role", "assistant", "content", lt->text.data ? lt->text.data : "", lt->text.len,
                     "finish_reason", fg_llm_call_finish_reason(call), "usage", "prompt_tokens",
                     (json_int_t)in, "completion_tokens", (json_int_t)out, "total_tokens",
                     (json_int_t)(in + out));
}

/* Every message must be {role: system|user|assistant, content: string or parts}. */
static const char *check_messages(const json_t *msgs, char *where, size_t n)
{
    if (!json_is_array(msgs) || !json_array_size(msgs)) {
        snprintf(where, n, "messages");
        return "must be a non-empty array";
    }
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        const char *role = fg_json_str(m, "role", "");
        const json_t *c = json_object_get(m, "content");
        snprintf(where, n, "messages[%zu]", i);
        if (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "tool"))
            return "role must be system, user, assistant or tool";
        if (!json_is_string(c) && !json_is_array(c))
            return "content must be a string or an array of parts";
    }
    return NULL;
}

int fg__task_llm_invoke(fg_flow_task *t, void *ud)
{
    fg_llm *llm = ud;
    const json_t *params = fg_flow_task_parameters(t);
    fg__llm_task *lt = fg__llm_task_new(t, "Flowgate.LLM", invoke_result);
    if (!lt)
        return FG_ENOMEM;
    const char *model = fg_json_str(params, "model", NULL);
    if (!model || !*model)
        return fg__llm_task_reject(lt, "ValidationException", "model: required (a model or alias)");
    char where[64], cause[160];
    const char *problem = check_messages(json_object_get(params, "messages"), where, sizeof where);
    if (problem) {
        snprintf(cause, sizeof cause, "%s: %s", where, problem);
        return fg__llm_task_reject(lt, "ValidationException", cause);
    }
    snprintf(lt->model, sizeof lt->model, "%s", model);
    json_t *canon = json_deep_copy(params);
    json_object_del(canon, "stream");
    json_object_del(canon, "stream_options");
    return fg__llm_task_start(llm, lt, "task:llm:invoke", canon);
}
