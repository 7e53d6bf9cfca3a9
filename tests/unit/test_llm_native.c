/* Bedrock InvokeModel native bodies: family detection, native request ->
 * canonical, and the native response shapes (src/llm/native.c). */
#include "llm/native.h"
#include "fg_test.h"

#include <string.h>

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *v = json_loads(s, 0, &e);
    FG_CHECK(v != NULL);
    return v ? v : json_object();
}

FG_TEST(native_family_from_ids_and_arns)
{
    FG_CHECK_INT(fg_llm_native_family_of("anthropic.claude-3-haiku-20240307-v1:0"), FG_NATIVE_ANTHROPIC);
    FG_CHECK_INT(fg_llm_native_family_of("us.anthropic.claude-3-5-sonnet-20240620-v1:0"), FG_NATIVE_ANTHROPIC);
    FG_CHECK_INT(fg_llm_native_family_of("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0"),
                 FG_NATIVE_LLAMA);
    FG_CHECK_INT(fg_llm_native_family_of("amazon.titan-text-express-v1"), FG_NATIVE_TITAN);
    FG_CHECK_INT(fg_llm_native_family_of("mistral.mistral-7b-instruct-v0:2"), FG_NATIVE_MISTRAL);
    FG_CHECK_INT(fg_llm_native_family_of("cohere.command-text-v14"), FG_NATIVE_COHERE);
    FG_CHECK_INT(fg_llm_native_family_of("my-alias"), FG_NATIVE_UNKNOWN);
    FG_CHECK_STR(fg_llm_native_model_id("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3"), "meta.llama3");
    json_t *b = J("{\"inputText\":\"x\"}");
    FG_CHECK_INT(fg_llm_native_family_of_body(b), FG_NATIVE_TITAN);
    json_decref(b);
    b = J("{\"anthropic_version\":\"bedrock-2023-05-31\",\"messages\":[]}");
    FG_CHECK_INT(fg_llm_native_family_of_body(b), FG_NATIVE_ANTHROPIC);
    json_decref(b);
}

static json_t *canon(fg_llm_native_family f, const char *body)
{
    json_t *b = J(body);
    char msg[200] = "";
    json_t *c = fg_llm_native_to_canonical(f, b, "m", msg, sizeof msg);
    json_decref(b);
    return c;
}

FG_TEST(native_requests_become_canonical)
{
    json_t *c = canon(FG_NATIVE_ANTHROPIC, "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":9,"
                                           "\"system\":\"S\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                                           "{\"role\":\"assistant\",\"content\":\"<k>\"}]}");
    FG_REQUIRE(c != NULL);
    FG_CHECK_STR(json_string_value(json_object_get(c, "model")), "m");
    json_t *msgs = json_object_get(c, "messages");
    FG_CHECK_INT(json_array_size(msgs), 3);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "system");
    json_decref(c);

    c = canon(FG_NATIVE_LLAMA, "{\"prompt\":\"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\\nS"
                               "<|eot_id|><|start_header_id|>user<|end_header_id|>\\nQ<|eot_id|>\",\"max_gen_len\":5}");
    FG_REQUIRE(c != NULL);
    msgs = json_object_get(c, "messages");
    FG_CHECK_INT(json_array_size(msgs), 2);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, 1), "content")), "Q");
    FG_CHECK_INT(json_integer_value(json_object_get(c, "max_tokens")), 5);
    json_decref(c);

    c = canon(FG_NATIVE_TITAN, "{\"inputText\":\"T\",\"textGenerationConfig\":{\"maxTokenCount\":4,"
                               "\"stopSequences\":[\"x\"]}}");
    FG_REQUIRE(c != NULL);
    FG_CHECK_INT(json_integer_value(json_object_get(c, "max_tokens")), 4);
    FG_CHECK(json_is_array(json_object_get(c, "stop")));
    json_decref(c);

    c = canon(FG_NATIVE_MISTRAL, "{\"prompt\":\"<s>[INST] do it [/INST]\",\"max_tokens\":3}");
    FG_REQUIRE(c != NULL);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(c, "messages"), 0), "content")),
                 "do it");
    json_decref(c);

    c = canon(FG_NATIVE_COHERE, "{\"message\":\"now\",\"chat_history\":[{\"role\":\"USER\",\"message\":\"a\"},"
                                "{\"role\":\"CHATBOT\",\"message\":\"b\"}]}");
    FG_REQUIRE(c != NULL);
    msgs = json_object_get(c, "messages");
    FG_CHECK_INT(json_array_size(msgs), 3);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, 1), "role")), "assistant");
    json_decref(c);
}

FG_TEST(native_requests_with_missing_fields_fail_with_the_field)
{
    json_t *b = J("{\"max_gen_len\":5}");
    char msg[200] = "";
    FG_CHECK(fg_llm_native_to_canonical(FG_NATIVE_LLAMA, b, "m", msg, sizeof msg) == NULL);
    FG_CHECK(strncmp(msg, "prompt", 6) == 0);
    json_decref(b);
    b = J("{\"messages\":[]}");
    FG_CHECK(fg_llm_native_to_canonical(FG_NATIVE_ANTHROPIC, b, "m", msg, sizeof msg) == NULL);
    json_decref(b);
    b = J("[1]");
    FG_CHECK(fg_llm_native_to_canonical(FG_NATIVE_TITAN, b, "m", msg, sizeof msg) == NULL);
    json_decref(b);
}

FG_TEST(native_responses_have_each_family_shape)
{
    fg_llm_native_answer a = {.model = "mdl", .text = "hello", .len = 5, .finish = "length",
                              .input_tokens = 3, .output_tokens = 2};
    json_t *r = fg_llm_native_response(FG_NATIVE_ANTHROPIC, &a);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")), "hello");
    FG_CHECK_STR(json_string_value(json_object_get(r, "stop_reason")), "max_tokens");
    FG_CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "usage"), "output_tokens")), 2);
    FG_CHECK_STR(json_string_value(json_object_get(r, "model")), "mdl");
    json_decref(r);
    r = fg_llm_native_response(FG_NATIVE_LLAMA, &a);
    FG_CHECK_STR(json_string_value(json_object_get(r, "generation")), "hello");
    FG_CHECK_STR(json_string_value(json_object_get(r, "stop_reason")), "length");
    FG_CHECK_INT(json_integer_value(json_object_get(r, "prompt_token_count")), 3);
    json_decref(r);
    a.finish = "stop";
    r = fg_llm_native_response(FG_NATIVE_TITAN, &a);
    json_t *res0 = json_array_get(json_object_get(r, "results"), 0);
    FG_CHECK_STR(json_string_value(json_object_get(res0, "outputText")), "hello");
    FG_CHECK_STR(json_string_value(json_object_get(res0, "completionReason")), "FINISH");
    json_decref(r);
    r = fg_llm_native_response(FG_NATIVE_MISTRAL, &a);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(r, "outputs"), 0), "text")), "hello");
    json_decref(r);
    r = fg_llm_native_response(FG_NATIVE_COHERE, &a);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(r, "generations"), 0), "text")),
                 "hello");
    json_decref(r);
}
