/* A test double for arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve,
 * registered only when assistants.test_retrieve_file is set (until a
 * knowledge base answers Retrieve for real). The file, read at each call:
 *   {"RetrievalResults": [{"content": {"text": …}, "location": {…}, "score": …}],
 *    "fail": {"error": "BedrockAgentRuntime.ResourceNotFoundException",
 *             "cause": "…", "when_query_contains": "…"}}
 * "fail" makes the task fail (every call, or only when the query text holds
 * when_query_contains): the seed's retrieve-error path. A missing or broken
 * file fails the task with ResourceNotFoundException too. */
#include "assist/assist.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool should_fail(const json_t *fail, const char *query)
{
    if (!json_is_object(fail))
        return false;
    const char *when = fg_json_str(fail, "when_query_contains", NULL);
    return !when || strstr(query, when) != NULL;
}

static int retrieve(fg_flow_task *t, void *ud)
{
    const char *file = ud;
    const json_t *p = fg_flow_task_parameters(t);
    const char *kb = fg_json_str(p, "KnowledgeBaseId", NULL);
    const char *query = fg_json_str(json_object_get(p, "RetrievalQuery"), "Text", NULL);
    if (!kb || !query) {
        fg_flow_task_fail(t, "BedrockAgentRuntime.ValidationException",
                          "KnowledgeBaseId and RetrievalQuery.Text are required");
        return 0;
    }
    json_error_t jerr;
    json_t *doc = fg_json_load_file(file, &jerr);
    if (!json_is_object(doc)) {
        char cause[400];
        snprintf(cause, sizeof cause, "test retrieve file %s: %s", file, doc ? "not a JSON object" : jerr.text);
        fg_flow_task_fail(t, "BedrockAgentRuntime.ResourceNotFoundException", cause);
        json_decref(doc);
        return 0;
    }
    const json_t *fail = json_object_get(doc, "fail");
    if (should_fail(fail, query)) {
        fg_flow_task_fail(t, fg_json_str(fail, "error", "BedrockAgentRuntime.ResourceNotFoundException"),
                          fg_json_str(fail, "cause", "the test retrieve file says this call fails"));
    } else {
        const json_t *results = json_object_get(doc, "RetrievalResults");
        json_t *list = json_is_array(results) ? json_incref((json_t *)results) : json_array();
        json_t *out = json_pack("{s:o}", "RetrievalResults", list);
        fg_flow_task_succeed(t, out);
        json_decref(out);
    }
    json_decref(doc);
    return 0;
}

int fg_assist_register_test_tasks(fg_flow_registry *reg, const fg_config *cfg, fg_errbuf *eb)
{
    const char *file = fg_config_str(cfg, "assistants.test_retrieve_file");
    if (!file || !*file)
        return 0;
    if (fg_flow_registry_add(reg, "arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve", retrieve, (void *)file))
        return fg_failf(eb, FG_ENOMEM, "out of memory registering the test retrieve handler");
    return 0;
}
