/* The assistants' request parsing, workflow output check and system-prompt
 * merge (contracts.md §1.4 and §2). */
#include "assist/merge.h"
#include "assist/request.h"
#include "fg_test.h"

#include <stdlib.h>
#include <string.h>

static const fg_assist_limits limits = {.max_messages = 100, .max_message_bytes = 1000};

static json_t *output(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, 0, &e);
    FG_CHECK(v != NULL);
    return v ? v : json_object();
}

#define DETAILS "\"bedrock_details\":{\"task_details\":[{\"task_name\":\"t\",\"task_model_id\":\"m\"," \
                "\"input_token\":1,\"output_token\":2}],\"total_input_tokens\":1,\"total_output_tokens\":2}"

static char *merge_claude(const char *system, const char *out_json, bool *tag_missing)
{
    json_t *o = output(out_json);
    fg_assist_merge_result r;
    char msg[200];
    int rc = fg_assist_merge_claude(system, "DOC", o, &r, msg, sizeof msg);
    json_decref(o);
    if (rc)
        return NULL;
    if (tag_missing)
        *tag_missing = r.tag_missing;
    return r.system;
}

FG_TEST(merge_without_chain_data_appends_the_context_block)
{
    char *s = merge_claude("SYS", "{" DETAILS ",\"context_data\":[{\"a\":1}]}", NULL);
    FG_CHECK_STR(s, "SYS\n\n<DOC>[{\"a\":1}]</DOC>");
    free(s);
    s = merge_claude("SYS", "{" DETAILS "}", NULL);
    FG_CHECK_STR(s, "SYS\n\n<DOC>[]</DOC>");
    free(s);
}

FG_TEST(merge_append_replace_all_and_replace_tag)
{
    char *s = merge_claude("SYS", "{" DETAILS ",\"context_data\":[],\"system_chain_data\":{\"system_chain_prompt\":"
                                  "\"P\",\"operation\":\"APPEND\"}}", NULL);
    FG_CHECK_STR(s, "SYS\n\n<DOC>[]</DOC>\n\nP");
    free(s);
    s = merge_claude("SYS", "{" DETAILS ",\"system_chain_data\":{\"system_chain_prompt\":\"P\","
                            "\"operation\":\"REPLACE_ALL\"}}", NULL);
    FG_CHECK_STR(s, "P\n\n<DOC>[]</DOC>");
    free(s);
    bool missing = true;
    s = merge_claude("a <t></t> b <t></t> c <t>x</t>", "{" DETAILS ",\"system_chain_data\":{\"system_chain_prompt\":"
                                                      "\"P\",\"operation\":\"REPLACE_TAG\",\"configuration\":"
                                                      "{\"replace_tag\":\"t\"}}}", &missing);
    FG_CHECK_STR(s, "a <t>P</t> b <t>P</t> c <t>x</t>\n\n<DOC>[]</DOC>");
    FG_CHECK(!missing);
    free(s);
    s = merge_claude("no pair", "{" DETAILS ",\"system_chain_data\":{\"system_chain_prompt\":\"P\","
                                "\"operation\":\"REPLACE_TAG\",\"configuration\":{\"replace_tag\":\"t\"}}}", &missing);
    FG_CHECK_STR(s, "no pair\n\n<DOC>[]</DOC>");
    FG_CHECK(missing);
    free(s);
}

FG_TEST(merge_replace_tag_without_a_tag_is_an_error)
{
    FG_CHECK(merge_claude("S", "{" DETAILS ",\"system_chain_data\":{\"system_chain_prompt\":\"P\","
                               "\"operation\":\"REPLACE_TAG\"}}", NULL) == NULL);
}

FG_TEST(merge_converse_has_no_context_block)
{
    struct { const char *op, *want; } cases[] = {
        {"APPEND", "S <t></t>\n\nP"}, {"REPLACE_ALL", "P"}, {"REPLACE_TAG", "S <t>P</t>"}, {"OTHER", "S <t></t>"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[400];
        snprintf(buf, sizeof buf, "{" DETAILS ",\"context_data\":[1],\"system_chain_data\":{\"system_chain_prompt\":"
                                  "\"P\",\"operation\":\"%s\",\"configuration\":{\"replace_tag\":\"t\"}}}", cases[i].op);
        json_t *o = output(buf);
        fg_assist_merge_result r;
        char msg[200];
        FG_CHECK_INT(fg_assist_merge_converse("S <t></t>", o, &r, msg, sizeof msg), 0);
        FG_CHECK_STR(r.system, cases[i].want);
        free(r.system);
        json_decref(o);
    }
}

FG_TEST(output_check_requires_bedrock_details)
{
    const char *bad[] = {"[]", "{}", "{\"bedrock_details\":{}}",
                         "{\"bedrock_details\":{\"task_details\":[],\"total_input_tokens\":\"1\",\"total_output_tokens\":1}}",
                         "{\"bedrock_details\":{\"task_details\":[{\"task_name\":1}],\"total_input_tokens\":1,\"total_output_tokens\":1}}",
                         "{" DETAILS ",\"context_data\":{}}",
                         "{" DETAILS ",\"system_chain_data\":{\"operation\":\"APPEND\"}}",
                         "{" DETAILS ",\"additional_messages\":[{\"role\":\"x\",\"content\":[]}]}"};
    char msg[200];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *o = output(bad[i]);
        FG_CHECK_INT(fg_assist_check_output(o, msg, sizeof msg), -1);
        json_decref(o);
    }
    json_t *o = output("{" DETAILS ",\"context_data\":[],\"additional_messages\":[{\"role\":\"assistant\","
                       "\"content\":[{\"text\":\"x\"}]}]}");
    FG_CHECK_INT(fg_assist_check_output(o, msg, sizeof msg), 0);
    json_decref(o);
}

FG_TEST(parse_claude_applies_the_seed_defaults_and_samples)
{
    const char *body = "{\"bedrock_parameters\":{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                       "{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}]},"
                       "\"assistant_parameters\":{\"messages_to_sample\":2}}";
    fg_assist_req r;
    fg_assist_err e;
    FG_REQUIRE(fg_assist_parse(FG_ASSIST_CLAUDE, body, strlen(body), &limits, &r, &e) == 0);
    FG_CHECK_STR(r.model, "anthropic.claude-3-sonnet-20240229-v1:0");
    FG_CHECK_STR(r.content_tag, "DOCUMENT");
    FG_CHECK_STR(r.system, "");
    FG_CHECK_INT(json_integer_value(json_object_get(r.params, "max_tokens")), 1028);
    FG_CHECK_INT(json_integer_value(json_object_get(r.params, "top_k")), 250);
    FG_CHECK_STR(json_string_value(json_array_get(json_object_get(r.params, "stop"), 0)), "\n\nHuman:");
    const json_t *sampled = json_object_get(r.workflow_input, "PromptInput");
    FG_CHECK_INT(json_array_size(sampled), 2);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(sampled, 0), "content")), "b");
    FG_CHECK(json_is_object(json_object_get(r.workflow_input, "state_machine_custom_params")));
    FG_CHECK_INT(json_array_size(r.messages), 3);
    fg_assist_req_free(&r);
}

FG_TEST(parse_zero_to_sample_takes_every_message)
{
    const char *body = "{\"bedrock_parameters\":{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                       "{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"}]},"
                       "\"assistant_parameters\":{\"messages_to_sample\":0}}";
    fg_assist_req r;
    fg_assist_err e;
    FG_REQUIRE(fg_assist_parse(FG_ASSIST_CLAUDE, body, strlen(body), &limits, &r, &e) == 0);
    FG_CHECK_INT(json_array_size(json_object_get(r.workflow_input, "PromptInput")), 3);
    fg_assist_req_free(&r);
}

FG_TEST(parse_converse_gives_the_workflow_the_first_text)
{
    const char *body = "{\"bedrock_converse_parameters\":{\"model_id\":\"m\",\"system_prompts\":[{\"text\":\"S0\"},"
                       "{\"text\":\"S1\"}],\"inference_config\":{\"maxTokens\":7,\"topP\":0.5},"
                       "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q1\"},{\"text\":\"q2\"}]}]},"
                       "\"assistant_parameters\":{\"workflow_params\":{\"workflow_id\":\"workflow#details#1\"}}}";
    fg_assist_req r;
    fg_assist_err e;
    FG_REQUIRE(fg_assist_parse(FG_ASSIST_CONVERSE, body, strlen(body), &limits, &r, &e) == 0);
    FG_CHECK_STR(r.system, "S0");
    FG_CHECK_INT(json_array_size(r.extra_system), 1);
    FG_CHECK_STR(r.workflow_id, "workflow#details#1");
    FG_CHECK_INT(json_integer_value(json_object_get(r.params, "max_tokens")), 7);
    const json_t *m0 = json_array_get(json_object_get(r.workflow_input, "PromptInput"), 0);
    FG_CHECK_STR(json_string_value(json_object_get(m0, "content")), "q1");
    fg_assist_req_free(&r);
}

FG_TEST(parse_limits_and_paths)
{
    char big[1200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char body[1600];
    snprintf(body, sizeof body, "{\"bedrock_parameters\":{\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]},"
                                "\"assistant_parameters\":{}}", big);
    fg_assist_req r;
    fg_assist_err e;
    FG_CHECK_INT(fg_assist_parse(FG_ASSIST_CLAUDE, body, strlen(body), &limits, &r, &e), -1);
    FG_CHECK_STR(e.path, "bedrock_parameters.messages[0].content");
    const char *dup = "{\"bedrock_parameters\":{},\"bedrock_parameters\":{}}";
    FG_CHECK_INT(fg_assist_parse(FG_ASSIST_CLAUDE, dup, strlen(dup), &limits, &r, &e), -1);
    FG_CHECK_STR(e.path, "(body)");
    FG_CHECK_INT(fg_assist_parse(FG_ASSIST_CLAUDE, "", 0, &limits, &r, &e), -1);
}
