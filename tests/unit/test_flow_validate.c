#include "flow/flow.h"
#include "fg_test.h"

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v)
        fprintf(stderr, "bad test JSON: %s\n", je.text);
    return v;
}

/* True when some problem has this pointer and a message containing text. */
static int has_problem(const json_t *problems, const char *pointer, const char *text)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) {
        if (!strcmp(json_string_value(json_object_get(p, "pointer")), pointer) &&
            strstr(json_string_value(json_object_get(p, "message")), text))
            return 1;
    }
    for (i = 0; i < json_array_size(problems); i++)
        fprintf(stderr, "    problem: %s %s\n",
                json_string_value(json_object_get(json_array_get(problems, i), "pointer")),
                json_string_value(json_object_get(json_array_get(problems, i), "message")));
    return 0;
}

FG_TEST(validate_accepts_a_good_definition)
{
    json_t *d = parse("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                      "\"B\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"NumericEquals\":1,"
                      "\"Next\":\"C\"}],\"Default\":\"D\"},\"C\":{\"Type\":\"Succeed\"},"
                      "\"D\":{\"Type\":\"Fail\",\"Error\":\"E\"}}}");
    FG_CHECK_INT(fg_flow_validate(d, NULL), 0);
    json_decref(d);
}

FG_TEST(validate_reports_every_problem_with_pointer_and_state)
{
    json_t *d = parse(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Pass\",\"Next\":\"Nowhere\",\"Bogus\":1},"
        "\"B\":{\"Type\":\"Task\",\"End\":true},"
        "\"W\":{\"Type\":\"Wait\",\"Seconds\":1,\"Timestamp\":\"2020-01-01T00:00:00Z\",\"End\":true},"
        "\"R\":{\"Type\":\"Task\",\"Resource\":\"arn:x\",\"End\":true,"
        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"BackoffRate\":0.5},{\"ErrorEquals\":[\"X\"]}]}}}");
    json_t *problems = NULL;
    int n = fg_flow_validate(d, &problems);
    FG_CHECK(n >= 6);
    FG_CHECK(has_problem(problems, "/States/A", "Field 'Bogus' is not supported"));
    FG_CHECK(has_problem(problems, "/States/A", "Missing 'Next' target: Nowhere"));
    FG_CHECK(has_problem(problems, "/States/B", "These fields are required: [Resource]"));
    FG_CHECK(has_problem(problems, "/States/W", "exactly one of Seconds"));
    FG_CHECK(has_problem(problems, "/States/R/Retry/0/BackoffRate", "between 1"));
    FG_CHECK(has_problem(problems, "/States/R/Retry/0/ErrorEquals", "States.ALL must appear alone"));
    FG_CHECK(has_problem(problems, "/States/B", "not reachable"));
    json_t *first = json_array_get(problems, 0);
    FG_CHECK_STR(json_string_value(json_object_get(first, "state")), "A");
    FG_CHECK_STR(json_string_value(json_object_get(first, "code")), "SCHEMA_VALIDATION_FAILED");
    json_decref(problems);
    json_decref(d);
}

FG_TEST(validate_checks_paths_templates_and_choice_rules)
{
    json_t *d = parse(
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Pass\",\"ResultPath\":\"$.a[*]\",\"Parameters\":{\"x.$\":\"nope\"},\"Next\":\"C\"},"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.x\",\"TimestampEquals\":\"yesterday\","
        "\"Next\":\"A\"}]}}}");
    json_t *problems = NULL;
    fg_flow_validate(d, &problems);
    FG_CHECK(has_problem(problems, "/States/A/ResultPath", "Reference Path"));
    FG_CHECK(has_problem(problems, "/States/A/Parameters", "'x.$' must be a valid JSONPath"));
    FG_CHECK(has_problem(problems, "/States/C/Choices/0", "TimestampEquals"));
    FG_CHECK(has_problem(problems, "/", "No terminal state"));
    json_decref(problems);
    json_decref(d);
}

FG_TEST(validate_rejects_missing_top_fields_and_long_names)
{
    json_t *d = parse("{}");
    json_t *problems = NULL;
    fg_flow_validate(d, &problems);
    FG_CHECK(has_problem(problems, "/", "These fields are required: [States, StartAt]"));
    json_decref(problems);
    json_decref(d);
    char name[100];
    memset(name, 'n', 81);
    name[81] = 0;
    char text[400];
    snprintf(text, sizeof text, "{\"StartAt\":\"%s\",\"States\":{\"%s\":{\"Type\":\"Succeed\"}}}", name, name);
    d = parse(text);
    FG_CHECK_INT(fg_flow_validate(d, NULL), 1);
    json_decref(d);
}

static int noop_task(fg_flow_task *t, void *ud)
{
    (void)ud;
    fg_flow_task_succeed(t, json_null());
    return 0;
}

FG_TEST(create_rejects_resources_no_handler_serves)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "arn:aws:states:::lambda:invoke", noop_task, NULL);
    json_t *ok = parse("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
                       "\"arn:aws:states:::lambda:invoke.waitForTaskToken\",\"End\":true}}}");
    json_t *bad = parse("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
                        "\"arn:aws:states:::sqs:sendMessage\",\"End\":true}}}");
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(ok, reg, NULL, &eb);
    FG_CHECK(m != NULL);
    fg_flow_machine_free(m);
    m = fg_flow_machine_create(bad, reg, NULL, &eb);
    FG_CHECK(m == NULL);
    FG_CHECK(strstr(eb.msg, "No task integration handles the resource") != NULL);
    FG_CHECK(strstr(eb.msg, "/States/T/Resource") != NULL);
    json_decref(ok);
    json_decref(bad);
    fg_flow_registry_free(reg);
}
