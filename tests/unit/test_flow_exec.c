#include "flow/flow.h"
#include "fg_test.h"

static int64_t vnow = 1700000000000;
static fg_flow_clock vclock;

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v)
        fprintf(stderr, "bad test JSON: %s: %s\n", je.text, text);
    return v;
}

static fg_flow_machine *machine(const char *def, const fg_flow_registry *reg)
{
    json_t *d = parse(def);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(d, reg, NULL, &eb);
    if (!m)
        fprintf(stderr, "  definition rejected: %s\n", eb.msg);
    json_decref(d);
    return m;
}

static fg_flow_exec *start(const fg_flow_machine *m, const char *input, bool history)
{
    fg_flow_clock_virtual(&vclock, &vnow);
    json_t *in = parse(input);
    fg_flow_exec_opts o = {.clock = &vclock, .history = history, .name = "exec-1"};
    fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
    json_decref(in);
    return e;
}

static char *output_text(const fg_flow_exec *e)
{
    return json_dumps(fg_flow_exec_output(e), JSON_COMPACT | JSON_ENCODE_ANY);
}

#define CHECK_OUTPUT(e, expected)                                                              \
    do {                                                                                       \
        char *got_ = output_text(e);                                                           \
        FG_CHECK_STR(got_, expected);                                                          \
        free(got_);                                                                            \
    } while (0)

FG_TEST(exec_data_flow_input_parameters_result_output_paths)
{
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.in\","
        "\"Parameters\":{\"v.$\":\"$.x\",\"name.$\":\"$$.Execution.Name\",\"lit\":[1]},"
        "\"ResultPath\":\"$.res.deep\",\"OutputPath\":\"$.res\",\"End\":true}}}", NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{\"in\":{\"x\":5},\"keep\":true}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "{\"deep\":{\"v\":5,\"name\":\"exec-1\",\"lit\":[1]}}");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(exec_missing_path_is_a_runtime_error_that_catch_all_does_not_catch)
{
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"InputPath\":\"$.missing\",\"End\":true}}}",
        NULL);
    fg_flow_exec *e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.Runtime");
    FG_CHECK(strstr(fg_flow_exec_cause(e), "'P'") != NULL);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(exec_choice_routes_and_fails_without_default)
{
    const char *def =
        "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":["
        "{\"And\":[{\"Variable\":\"$.n\",\"NumericGreaterThan\":1},{\"Not\":{\"Variable\":\"$.s\","
        "\"StringMatches\":\"a*z\"}}],\"Next\":\"Big\"},"
        "{\"Variable\":\"$.t\",\"TimestampLessThanPath\":\"$.u\",\"Next\":\"Early\"}]},"
        "\"Big\":{\"Type\":\"Pass\",\"Result\":\"big\",\"End\":true},"
        "\"Early\":{\"Type\":\"Pass\",\"Result\":\"early\",\"End\":true}}}";
    fg_flow_machine *m = machine(def, NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{\"n\":2,\"s\":\"abc\"}", false);
    fg_flow_exec_run(e);
    CHECK_OUTPUT(e, "\"big\"");
    fg_flow_exec_free(e);
    e = start(m, "{\"n\":2,\"s\":\"abz\",\"t\":\"2020-01-01T00:00:00Z\",\"u\":\"2020-01-01T00:00:00.5+00:00\"}", false);
    fg_flow_exec_run(e);
    CHECK_OUTPUT(e, "\"early\"");
    fg_flow_exec_free(e);
    e = start(m, "{\"n\":0,\"t\":\"x\",\"u\":\"y\"}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.NoChoiceMatched");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

/* fg_flow_task_succeed takes its own reference: hand over a new value. */
static void succeed_new(fg_flow_task *t, json_t *v)
{
    fg_flow_task_succeed(t, v);
    json_decref(v);
}

/* A handler that fails the first `fails` calls, then succeeds. */
static int calls;
static int flaky(fg_flow_task *t, void *ud)
{
    int fails = *(int *)ud;
    if (calls++ < fails)
        fg_flow_task_fail(t, "Boom", "try again");
    else
        succeed_new(t, json_pack("{s:i}", "attempt", calls));
    return 0;
}

FG_TEST(exec_retry_waits_on_the_virtual_clock_with_backoff)
{
    int fails = 2;
    calls = 0;
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "arn:test:*", flaky, &fails);
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:test:x\","
        "\"Retry\":[{\"ErrorEquals\":[\"Boom\"],\"IntervalSeconds\":2,\"BackoffRate\":3,\"MaxAttempts\":2}],"
        "\"ResultSelector\":{\"a.$\":\"$.attempt\",\"rc.$\":\"$$.State.RetryCount\"},\"End\":true}}}", reg);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{}", false);
    int64_t t0 = vnow;
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "{\"a\":3,\"rc\":2}");
    FG_CHECK_INT(vnow - t0, 2000 + 6000);
    fg_flow_exec_free(e);
    fails = 5;
    calls = 0;
    e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "Boom");
    FG_CHECK_INT(calls, 3);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

FG_TEST(exec_catch_puts_the_error_at_its_result_path)
{
    int fails = 99;
    calls = 0;
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", flaky, &fails);
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:any\","
        "\"Retry\":[{\"ErrorEquals\":[\"Other\"]}],"
        "\"Catch\":[{\"ErrorEquals\":[\"States.TaskFailed\"],\"ResultPath\":\"$.err\",\"Next\":\"H\"}],\"End\":true},"
        "\"H\":{\"Type\":\"Succeed\"}}}", reg);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{\"x\":1}", true);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "{\"x\":1,\"err\":{\"Error\":\"Boom\",\"Cause\":\"try again\"}}");
    const json_t *h = fg_flow_exec_history(e);
    FG_REQUIRE(h != NULL);
    const char *types[] = {"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                           "TaskFailed", "TaskStateExited", "SucceedStateEntered",
                           "SucceedStateExited", "ExecutionSucceeded"};
    FG_CHECK_INT(json_array_size(h), FG_ARRAY_LEN(types));
    for (size_t i = 0; i < FG_ARRAY_LEN(types) && i < json_array_size(h); i++) {
        json_t *ev = json_array_get(h, i);
        FG_CHECK_STR(json_string_value(json_object_get(ev, "type")), types[i]);
        FG_CHECK_INT(json_integer_value(json_object_get(ev, "id")), (long long)i + 1);
        FG_CHECK_INT(json_integer_value(json_object_get(ev, "previousEventId")), (long long)i);
    }
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

FG_TEST(exec_map_item_selector_and_parallel_branches)
{
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.xs\","
        "\"ItemSelector\":{\"i.$\":\"$$.Map.Item.Index\",\"v.$\":\"$$.Map.Item.Value\",\"k.$\":\"$.k\"},"
        "\"ItemProcessor\":{\"StartAt\":\"I\",\"States\":{\"I\":{\"Type\":\"Pass\",\"End\":true}}},"
        "\"ResultPath\":\"$.out\",\"Next\":\"P\"},"
        "\"P\":{\"Type\":\"Parallel\",\"InputPath\":\"$.out\",\"Branches\":["
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"OutputPath\":\"$[0].v\",\"End\":true}}},"
        "{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.ArrayLength($)\"},"
        "\"End\":true}}}],\"End\":true}}}", NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{\"xs\":[\"a\",\"b\"],\"k\":7}", true);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "[\"a\",{\"n\":2}]");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(exec_map_tolerated_failures)
{
    const char *def =
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ToleratedFailureCount\":1,"
        "\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\","
        "\"NumericEquals\":0,\"Next\":\"F\"}],\"Default\":\"S\"},\"F\":{\"Type\":\"Fail\",\"Error\":\"Zero\"},"
        "\"S\":{\"Type\":\"Succeed\"}}},\"End\":true}}}";
    fg_flow_machine *m = machine(def, NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "[1,0,2]", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    fg_flow_exec_free(e);
    e = start(m, "[0,0,2]", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.ExceedToleratedFailureThreshold");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(exec_wait_uses_the_clock_and_steps_report_waiting)
{
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"SecondsPath\":\"$.s\",\"End\":true}}}", NULL);
    fg_flow_exec *e = start(m, "{\"s\":30}", false);
    int64_t t0 = vnow;
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    FG_CHECK_INT(fg_flow_exec_wake_at(e), t0 + 30000);
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    json_t *snap = fg_flow_exec_snapshot(e);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(snap, "frames"), 0), "phase")),
                 "wait");
    json_decref(snap);
    vnow += 30000;
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_SUCCEEDED);
    fg_flow_exec_free(e);
    e = start(m, "{\"s\":-1}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK(strstr(fg_flow_exec_cause(e), "negative") != NULL);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

/* An asynchronous handler: keeps the task and completes it later. */
static fg_flow_task *held;
static int hold(fg_flow_task *t, void *ud)
{
    (void)ud;
    held = t;
    return 0;
}

FG_TEST(exec_tasks_complete_asynchronously_or_time_out)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "arn:aws:states:::lambda:invoke", hold, NULL);
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":"
        "\"arn:aws:states:::lambda:invoke.waitForTaskToken\",\"TimeoutSeconds\":10,"
        "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},\"End\":true}}}", reg);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    FG_REQUIRE(held != NULL);
    FG_CHECK_INT(fg_flow_task_pattern(held), FG_FLOW_WAIT_FOR_TOKEN);
    FG_CHECK_STR(fg_flow_task_resource(held), "arn:aws:states:::lambda:invoke");
    FG_CHECK_STR(json_string_value(json_object_get(fg_flow_task_parameters(held), "token")),
                 fg_flow_task_token(held));
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    succeed_new(held, json_string("done"));
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "\"done\"");
    fg_flow_exec_free(e);
    held = NULL;
    e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.Timeout");
    fg_flow_exec_free(e);
    succeed_new(held, json_null()); /* late completion after the execution is gone */
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

FG_TEST(exec_limits_stop_endless_loops_and_large_payloads)
{
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.stop\",\"IsPresent\":true,"
        "\"Next\":\"Done\"}],\"Default\":\"A\"},\"Done\":{\"Type\":\"Succeed\"}}}", NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_limits lim;
    fg_flow_limits_default(&lim);
    lim.max_transitions = 100;
    json_t *in = json_object();
    fg_flow_exec_opts o = {.limits = &lim};
    fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK(strstr(fg_flow_exec_cause(e), "100 state transitions") != NULL);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
    m = machine("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Parameters\":"
                "{\"big.$\":\"States.ArrayRange(1, 1000, 1)\"},\"End\":true}}}", NULL);
    lim.payload_max = 1000;
    e = fg_flow_exec_create(m, in, &o);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.DataLimitExceeded");
    fg_flow_exec_free(e);
    lim.payload_max = 10;
    json_t *big = json_pack("{s:s}", "text", "more than ten bytes");
    e = fg_flow_exec_create(m, big, &o);
    FG_CHECK_INT(fg_flow_exec_status(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.DataLimitExceeded");
    fg_flow_exec_free(e);
    json_decref(big);
    fg_flow_machine_free(m);
    json_decref(in);
}

FG_TEST(exec_resumes_from_a_snapshot_at_every_step)
{
    const char *def =
        "{\"StartAt\":\"Prep\",\"States\":{\"Prep\":{\"Type\":\"Pass\",\"Parameters\":{\"xs.$\":"
        "\"States.ArrayRange(1, 3, 1)\",\"tag\":\"t\"},\"Next\":\"M\"},"
        "\"M\":{\"Type\":\"Map\",\"ItemsPath\":\"$.xs\",\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\","
        "\"tag.$\":\"$.tag\"},\"ItemProcessor\":{\"StartAt\":\"W\",\"States\":{"
        "\"W\":{\"Type\":\"Wait\",\"Seconds\":5,\"Next\":\"P\"},"
        "\"P\":{\"Type\":\"Parallel\",\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
        "\"Parameters\":{\"d.$\":\"States.MathAdd($.v, $.v)\"},\"End\":true}}},{\"StartAt\":\"B\",\"States\":"
        "{\"B\":{\"Type\":\"Pass\",\"End\":true}}}],\"End\":true}}},\"ResultPath\":\"$.out\",\"Next\":\"Done\"},"
        "\"Done\":{\"Type\":\"Succeed\",\"OutputPath\":\"$.out\"}}}";
    fg_flow_machine *m = machine(def, NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *ref = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_run(ref), FG_FLOW_SUCCEEDED);
    char *want = output_text(ref);
    fg_flow_exec_free(ref);
    for (int cut = 1; cut < 60; cut++) {
        fg_flow_exec *e = start(m, "{}", false);
        for (int i = 0; i < cut && fg_flow_exec_status(e) < FG_FLOW_SUCCEEDED; i++) {
            if (fg_flow_exec_step(e) == FG_FLOW_WAITING)
                vnow = fg_flow_exec_wake_at(e);
        }
        json_t *snap = fg_flow_exec_snapshot(e);
        fg_flow_exec_free(e);
        /* the snapshot survives a trip through text, as it would through a store */
        char *text = json_dumps(snap, JSON_COMPACT);
        json_decref(snap);
        json_error_t je;
        snap = json_loads(text, 0, &je);
        free(text);
        if (!json_array_size(json_object_get(snap, "frames"))) {
            json_decref(snap);
            break; /* finished before the cut */
        }
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        fg_flow_exec_opts o = {.clock = &vclock};
        e = fg_flow_exec_restore(m, snap, &o, &eb);
        json_decref(snap);
        FG_REQUIRE(e != NULL);
        FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
        char *got = output_text(e);
        FG_CHECK_STR(got, want);
        free(got);
        fg_flow_exec_free(e);
    }
    FG_CHECK_STR(want, "[[{\"d\":2},{\"v\":1,\"tag\":\"t\"}],[{\"d\":4},{\"v\":2,\"tag\":\"t\"}],"
                       "[{\"d\":6},{\"v\":3,\"tag\":\"t\"}]]");
    free(want);
    fg_flow_machine_free(m);
}

FG_TEST(exec_restore_refuses_a_snapshot_of_another_machine)
{
    fg_flow_machine *a = machine("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":1,\"End\":true}}}", NULL);
    fg_flow_machine *b = machine("{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Succeed\"}}}", NULL);
    fg_flow_exec *e = start(a, "{}", false);
    fg_flow_exec_step(e);
    json_t *snap = fg_flow_exec_snapshot(e);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK(fg_flow_exec_restore(b, snap, NULL, &eb) == NULL);
    FG_CHECK(strstr(eb.msg, "'W'") != NULL);
    json_decref(snap);
    fg_flow_exec_free(e);
    fg_flow_machine_free(a);
    fg_flow_machine_free(b);
}

FG_TEST(exec_stop_and_execution_timeout)
{
    fg_flow_machine *m = machine(
        "{\"TimeoutSeconds\":10,\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":60,\"End\":true}}}",
        NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{}", true);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_TIMED_OUT);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.Timeout");
    const json_t *h = fg_flow_exec_history(e);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(h, json_array_size(h) - 1), "type")),
                 "ExecutionTimedOut");
    fg_flow_exec_free(e);
    e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    fg_flow_exec_stop(e, "Cancelled", "by the user");
    FG_CHECK_INT(fg_flow_exec_status(e), FG_FLOW_ABORTED);
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_ABORTED);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(exec_heartbeats_keep_a_task_alive)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", hold, NULL);
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:act\","
        "\"TimeoutSeconds\":100,\"HeartbeatSeconds\":10,\"End\":true}}}", reg);
    FG_REQUIRE(m != NULL);
    held = NULL;
    fg_flow_exec *e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    FG_CHECK_INT(fg_flow_exec_wake_at(e), vnow + 10000);
    vnow += 8000;
    fg_flow_task_heartbeat(held);
    vnow += 8000;
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_WAITING);
    vnow += 3000;
    FG_CHECK_INT(fg_flow_exec_step(e), FG_FLOW_FAILED);
    FG_CHECK_STR(fg_flow_exec_error(e), "States.HeartbeatTimeout");
    fg_flow_exec_free(e);
    fg_flow_task_fail(held, "late", NULL);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

FG_TEST(exec_item_batcher_groups_items_by_count_and_bytes)
{
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"ItemBatcher\":{\"MaxItemsPerBatchPath\":\"$.n\","
        "\"MaxInputBytesPerBatch\":12,\"BatchInput\":{\"k.$\":\"$.k\"}},\"ItemsPath\":\"$.xs\","
        "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}",
        NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_exec *e = start(m, "{\"n\":3,\"k\":1,\"xs\":[1,2,3,4,\"long-string\"]}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "[{\"BatchInput\":{\"k\":1},\"Items\":[1,2,3]},{\"BatchInput\":{\"k\":1},\"Items\":[4]},"
                    "{\"BatchInput\":{\"k\":1},\"Items\":[\"long-string\"]}]");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

/* Keeps every task it gets, to complete them later in any order. */
static fg_flow_task *pending[16];
static int npending;
static int collect(fg_flow_task *t, void *ud)
{
    (void)ud;
    if (npending < 16)
        pending[npending++] = t;
    return 0;
}

FG_TEST(exec_parallel_branches_and_map_iterations_wait_together)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", collect, NULL);
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
        "{\"StartAt\":\"T1\",\"States\":{\"T1\":{\"Type\":\"Task\",\"Resource\":\"arn:llm\",\"End\":true}}},"
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\",\"MaxConcurrency\":2,\"ItemsPath\":\"$.xs\","
        "\"ItemProcessor\":{\"StartAt\":\"T2\",\"States\":{\"T2\":{\"Type\":\"Task\",\"Resource\":\"arn:kb\","
        "\"End\":true}}},\"End\":true}}}],\"End\":true}}}", reg);
    FG_REQUIRE(m != NULL);
    npending = 0;
    fg_flow_exec *e = start(m, "{\"xs\":[1,2,3]}", false);
    while (fg_flow_exec_step(e) == FG_FLOW_RUNNING)
        ;
    /* the branch Task and two Map iterations (MaxConcurrency 2) are all pending */
    FG_CHECK_INT(npending, 3);
    FG_CHECK_INT(fg_flow_exec_status(e), FG_FLOW_WAITING);
    succeed_new(pending[2], json_string("b"));
    while (fg_flow_exec_step(e) == FG_FLOW_RUNNING)
        ;
    FG_CHECK_INT(npending, 4); /* the third item started when one finished */
    succeed_new(pending[0], json_string("llm"));
    succeed_new(pending[1], json_string("a"));
    succeed_new(pending[3], json_string("c"));
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "[\"llm\",[\"a\",\"b\",\"c\"]]");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

FG_TEST(exec_a_failed_branch_stops_the_others)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", collect, NULL);
    fg_flow_machine *m = machine(
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"arn:slow\",\"End\":true}}},"
        "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\",\"Error\":\"Nope\"}}}],"
        "\"Catch\":[{\"ErrorEquals\":[\"Nope\"],\"Next\":\"Caught\"}],\"End\":true},"
        "\"Caught\":{\"Type\":\"Pass\",\"End\":true}}}", reg);
    FG_REQUIRE(m != NULL);
    npending = 0;
    fg_flow_exec *e = start(m, "{}", false);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    CHECK_OUTPUT(e, "{\"Error\":\"Nope\"}");
    FG_CHECK_INT(npending, 1);
    fg_flow_exec_free(e);
    succeed_new(pending[0], json_null()); /* the abandoned task completes late */
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

/* Events taken from the engine are no longer held, but ids continue after
 * them, a snapshot remembers how many were taken, and the history limit
 * counts them. */
FG_TEST(exec_history_take_hands_events_over_and_ids_continue)
{
    fg_flow_machine *m = machine("{\"StartAt\":\"A\",\"States\":{"
                                 "\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"},"
                                 "\"B\":{\"Type\":\"Pass\",\"End\":true}}}", NULL);
    FG_REQUIRE(m);
    fg_flow_exec *e = start(m, "{}", true);
    fg_flow_exec_step(e);
    json_t *first = fg_flow_exec_history_take(e);
    size_t n = json_array_size(first);
    FG_CHECK(n >= 2);
    FG_CHECK_INT(json_integer_value(json_object_get(json_array_get(first, n - 1), "id")), (int64_t)n);
    FG_CHECK_INT((int64_t)json_array_size(fg_flow_exec_history(e)), 0);
    json_t *snap = fg_flow_exec_snapshot(e);
    FG_CHECK_INT(json_integer_value(json_object_get(snap, "history_taken")), (int64_t)n);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_exec_opts o = {.history = true, .clock = &vclock};
    fg_flow_exec *r = fg_flow_exec_restore(m, snap, &o, &eb);
    FG_REQUIRE(r);
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    FG_CHECK_INT(fg_flow_exec_run(r), FG_FLOW_SUCCEEDED);
    const json_t *rest = fg_flow_exec_history(e), *restored = fg_flow_exec_history(r);
    FG_CHECK_INT(json_integer_value(json_object_get(json_array_get(rest, 0), "id")), (int64_t)n + 1);
    FG_CHECK_INT(json_integer_value(json_object_get(json_array_get(rest, 0), "previousEventId")),
                 (int64_t)n);
    FG_CHECK_INT((int64_t)json_array_size(restored), (int64_t)json_array_size(rest));
    FG_CHECK_INT(json_integer_value(json_object_get(json_array_get(restored, 0), "id")),
                 (int64_t)n + 1);
    json_decref(first);
    json_decref(snap);
    fg_flow_exec_free(r);
    fg_flow_exec_free(e);

    /* the limit counts what was taken */
    fg_flow_limits lim;
    fg_flow_limits_default(&lim);
    lim.max_history = n;
    fg_flow_exec_opts lo = {.history = true, .clock = &vclock, .limits = &lim};
    json_t *in = parse("{}");
    fg_flow_exec *l = fg_flow_exec_create(m, in, &lo);
    json_decref(in);
    fg_flow_exec_step(l);
    json_decref(fg_flow_exec_history_take(l));
    FG_CHECK_INT(fg_flow_exec_run(l), FG_FLOW_SUCCEEDED);
    FG_CHECK_INT((int64_t)json_array_size(fg_flow_exec_history(l)), 0);
    fg_flow_exec_free(l);
    fg_flow_machine_free(m);
}
