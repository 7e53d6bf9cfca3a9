/* The assistants' request bodies: bytes parsed as both endpoint bodies, and
 * when one parses, its system prompt merged with a fixed workflow output in
 * every mode (the merge must accept whatever the parser let through). */
#include "assist/merge.h"
#include "assist/request.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static const char *outputs[] = {
    "{\"bedrock_details\":{\"task_details\":[],\"total_input_tokens\":0,\"total_output_tokens\":0},"
    "\"context_data\":[{\"a\":\"b\"}]}",
    "{\"bedrock_details\":{\"task_details\":[],\"total_input_tokens\":0,\"total_output_tokens\":0},"
    "\"system_chain_data\":{\"system_chain_prompt\":\"P\",\"operation\":\"REPLACE_TAG\","
    "\"configuration\":{\"replace_tag\":\"chain-information\"}}}",
    "{\"bedrock_details\":{\"task_details\":[],\"total_input_tokens\":0,\"total_output_tokens\":0},"
    "\"system_chain_data\":{\"system_chain_prompt\":\"P\",\"operation\":\"APPEND\"}}",
};

static void merge_all(const fg_assist_req *r)
{
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        json_t *o = json_loads(outputs[i], 0, NULL);
        char msg[256];
        fg_assist_merge_result m;
        if (fg_assist_check_output(o, msg, sizeof msg) == 0) {
            if (fg_assist_merge_claude(r->system, r->content_tag, o, &m, msg, sizeof msg) == 0)
                free(m.system);
            if (fg_assist_merge_converse(r->system, o, &m, msg, sizeof msg) == 0)
                free(m.system);
        }
        json_decref(o);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fg_assist_limits limits = {.max_messages = 64, .max_message_bytes = 4096};
    for (int kind = FG_ASSIST_CLAUDE; kind <= FG_ASSIST_CONVERSE; kind++) {
        fg_assist_req r;
        fg_assist_err err;
        if (fg_assist_parse((fg_assist_kind)kind, (const char *)data, size, &limits, &r, &err) == 0) {
            merge_all(&r);
            fg_assist_req_free(&r);
        }
    }
    return 0;
}
