/* The seed state machines run unchanged; test handlers answer their Tasks the
 * way the AWS services they call would. */
#include "core/json.h"
#include "flow/flow.h"
#include "fg_test.h"

static int bedrock(fg_flow_task *t, void *ud)
{
    (void)ud;
    const json_t *body = json_object_get(fg_flow_task_parameters(t), "Body");
    json_error_t je;
    json_t *r;
    if (json_object_get(body, "prompt")) /* the Llama policy check: answers with JSON text */
        r = json_loads("{\"Body\":{\"generation\":\"false\",\"prompt_token_count\":40,"
                       "\"generation_token_count\":2}}", 0, &je);
    else
        r = json_loads("{\"Body\":{\"model\":\"claude-3-haiku\",\"content\":[{\"type\":\"text\","
                       "\"text\":\"<keywords>cats</keywords>\"}],\"usage\":{\"input_tokens\":11,"
                       "\"output_tokens\":5}}}", 0, &je);
    fg_flow_task_succeed(t, r);
    json_decref(r);
    return 0;
}

static int retrieve(fg_flow_task *t, void *ud)
{
    (void)ud;
    const char *q = fg_json_str(json_object_get(fg_flow_task_parameters(t), "RetrievalQuery"), "Text", "");
    json_t *r = json_pack("{s:[{s:{s:s},s:f}]}", "RetrievalResults", "content", "text", q, "score", 0.9);
    fg_flow_task_succeed(t, r);
    json_decref(r);
    return 0;
}

static int sagemaker(fg_flow_task *t, void *ud)
{
    (void)ud;
    json_t *r = json_pack("{s:s}", "Body", "[{\"generated_text\":\"Once upon a time.\"}]");
    fg_flow_task_succeed(t, r);
    json_decref(r);
    return 0;
}

static int translate(fg_flow_task *t, void *ud)
{
    (void)ud;
    const json_t *p = fg_flow_task_parameters(t);
    char text[300];
    snprintf(text, sizeof text, "[%s] %s", fg_json_str(p, "TargetLanguageCode", "?"), fg_json_str(p, "Text", ""));
    json_t *r = json_pack("{s:s}", "TranslatedText", text);
    fg_flow_task_succeed(t, r);
    json_decref(r);
    return 0;
}

static int lambda(fg_flow_task *t, void *ud)
{
    (void)ud;
    json_t *r = json_pack("{s:i,s:{s:s,s:O}}", "StatusCode", 200, "Payload", "audio", "s3://x.mp3",
                          "request", json_object_get(fg_flow_task_parameters(t), "Payload"));
    fg_flow_task_succeed(t, r);
    json_decref(r);
    return 0;
}

static fg_flow_registry *registry(void)
{
    fg_flow_registry *r = fg_flow_registry_create();
    fg_flow_registry_add(r, "arn:aws:states:::bedrock:invokeModel", bedrock, NULL);
    fg_flow_registry_add(r, "arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve", retrieve, NULL);
    fg_flow_registry_add(r, "arn:aws:states:::aws-sdk:sagemakerruntime:invokeEndpoint", sagemaker, NULL);
    fg_flow_registry_add(r, "arn:aws:states:::aws-sdk:translate:translateText", translate, NULL);
    fg_flow_registry_add(r, "arn:aws:states:::lambda:invoke", lambda, NULL);
    return r;
}

static json_t *run_seed(const char *file, const char *input)
{
    char rel[300];
    snprintf(rel, sizeof rel, "seed-artifacts/asl/%s", file);
    const char *path = fg_test_shared(rel);
    if (!path)
        return NULL;
    json_error_t je;
    json_t *def = fg_json_load_file(path, &je);
    fg_flow_registry *reg = registry();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, reg, NULL, &eb);
    json_t *out = NULL;
    if (!m) {
        fprintf(stderr, "  %s rejected: %s\n", file, eb.msg);
    } else {
        int64_t now = 1700000000000;
        fg_flow_clock c;
        fg_flow_clock_virtual(&c, &now);
        json_t *in = json_loads(input, 0, &je);
        fg_flow_exec_opts o = {.clock = &c, .history = true};
        fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
        if (fg_flow_exec_run(e) == FG_FLOW_SUCCEEDED)
            out = json_incref((json_t *)fg_flow_exec_output(e));
        else
            fprintf(stderr, "  %s failed: %s: %s\n", file, fg_flow_exec_error(e), fg_flow_exec_cause(e));
        fg_flow_exec_free(e);
        json_decref(in);
    }
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
    json_decref(def);
    return out;
}

static const char *rag_input = "{\"PromptInput\":[{\"role\":\"user\",\"content\":\"tell me about cats\"}]}";

static void check_rag(const char *file, bool web)
{
    if (!fg_test_shared("seed-artifacts/asl"))
        FG_SKIP("shared seed artifacts absent (set FG_SHARED_DIR)");
    json_t *out = run_seed(file, rag_input);
    FG_REQUIRE(out != NULL);
    json_t *bd = json_object_get(out, "bedrock_details");
    FG_CHECK_INT(json_integer_value(json_object_get(bd, "total_input_tokens")), 51);
    FG_CHECK_INT(json_integer_value(json_object_get(bd, "total_output_tokens")), 7);
    if (web) { /* the retrieved passages travel as JSON text in the system prompt */
        const char *p = fg_json_str(json_object_get(out, "system_chain_data"), "system_chain_prompt", "");
        FG_CHECK(strstr(p, "\"text\":\"tell me about cats, <keywords>cats</keywords>\"") != NULL);
    } else {
        json_t *ctx = json_array_get(json_object_get(out, "context_data"), 0);
        FG_CHECK_STR(json_string_value(json_object_get(json_object_get(ctx, "content"), "text")),
                     "tell me about cats, <keywords>cats</keywords>");
    }
    json_decref(out);
}

FG_TEST(seed_rag_genai_serverless_assistant)
{
    check_rag("aws-samples__serverless-genai-assistant__serverless_assistant_rag__RagGenAI.asl.json", false);
}

FG_TEST(seed_rag_genai_sample_web_application)
{
    check_rag("aws-samples__serverless-genai-assistant__sample_web_application__RagGenAI.asl.json", true);
}

FG_TEST(seed_mvp_stories_translates_and_speaks)
{
    if (!fg_test_shared("seed-artifacts/asl"))
        FG_SKIP("shared seed artifacts absent (set FG_SHARED_DIR)");
    const char *f = "aphilippartd__mvp-stories__RECONSTRUCTED_MvpStoriesWorkflow.asl.json";
    json_t *out = run_seed(f, "{\"context\":\"a brave cat\",\"locale\":\"fr\"}");
    FG_REQUIRE(out != NULL);
    json_t *req = json_object_get(out, "request");
    FG_CHECK_STR(json_string_value(json_object_get(req, "story")), "[fr] Once upon a time.");
    FG_CHECK_STR(json_string_value(json_object_get(req, "locale")), "fr");
    FG_CHECK_STR(json_string_value(json_object_get(out, "audio")), "s3://x.mp3");
    json_decref(out);
    out = run_seed(f, "{\"context\":\"a brave cat\",\"locale\":\"en\"}");
    FG_REQUIRE(out != NULL);
    FG_CHECK_STR(json_string_value(json_object_get(json_object_get(out, "request"), "story")),
                 "Once upon a time.");
    json_decref(out);
}
