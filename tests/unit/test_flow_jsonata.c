/* JSONata states and workflow variables in the ASL engine: QueryLanguage,
 * Arguments/Output/Items/Condition, $states, Assign in both query languages,
 * the errors AWS raises, validation of the fields and expressions. Definitions
 * are written with ` for " to keep them readable. */
#include "flow/flow.h"
#include "fg_test.h"

static int64_t vnow = 1700000000000;
static fg_flow_clock vclock;

static json_t *parse_q(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '`')
            *p = '"';
    json_error_t je;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &je);
    if (!v)
        fprintf(stderr, "bad test JSON: %s: %s\n", je.text, s);
    free(s);
    return v;
}

static fg_flow_machine *machine(const char *def, const fg_flow_registry *reg, json_t **problems)
{
    json_t *d = parse_q(def);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(d, reg, problems, &eb);
    json_decref(d);
    return m;
}

/* Runs def on input to the end; the caller frees the execution and *m. */
static fg_flow_exec *run(const char *def, const char *input, const fg_flow_registry *reg,
                         fg_flow_machine **m, bool history)
{
    *m = machine(def, reg, NULL);
    if (!*m)
        return NULL;
    fg_flow_clock_virtual(&vclock, &vnow);
    json_t *in = parse_q(input);
    fg_flow_exec_opts o = {.clock = &vclock, .name = "exec-1", .history = history};
    fg_flow_exec *e = fg_flow_exec_create(*m, in, &o);
    json_decref(in);
    fg_flow_exec_run(e);
    return e;
}

static char *text_of(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Runs def and checks the output (succeeded) or the error name (failed). */
static void expect(const char *def, const char *input, const char *output, const char *error,
                   const char *cause_part)
{
    fg_flow_machine *m;
    fg_flow_exec *e = run(def, input, NULL, &m, true);
    FG_REQUIRE(e != NULL);
    if (output) {
        FG_CHECK_STR(fg_flow_status_name(fg_flow_exec_status(e)), "SUCCEEDED");
        char *got = text_of(fg_flow_exec_output(e));
        json_t *w = parse_q(output);
        char *want_json = text_of(w);
        FG_CHECK(json_equal(w, fg_flow_exec_output(e)));
        if (!json_equal(w, fg_flow_exec_output(e)))
            fprintf(stderr, "    output %s, expected %s (cause %s)\n", got, want_json,
                    fg_flow_exec_cause(e) ? fg_flow_exec_cause(e) : "-");
        json_decref(w);
        free(got);
        free(want_json);
    } else {
        FG_CHECK_STR(fg_flow_status_name(fg_flow_exec_status(e)), "FAILED");
        FG_CHECK_STR(fg_flow_exec_error(e) ? fg_flow_exec_error(e) : "(none)", error);
        if (cause_part) {
            const char *c = fg_flow_exec_cause(e) ? fg_flow_exec_cause(e) : "";
            FG_CHECK(strstr(c, cause_part) != NULL);
            if (!strstr(c, cause_part))
                fprintf(stderr, "    cause: %s\n", c);
        }
    }
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

/* True when some problem's message holds text (and its pointer is pointer, if given). */
static bool has_problem(const json_t *problems, const char *pointer, const char *text)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) {
        const char *ptr = json_string_value(json_object_get(p, "pointer"));
        if ((!pointer || !strcmp(ptr, pointer)) &&
            strstr(json_string_value(json_object_get(p, "message")), text))
            return true;
    }
    json_array_foreach(problems, i, p)
        fprintf(stderr, "    problem: %s %s\n", json_string_value(json_object_get(p, "pointer")),
                json_string_value(json_object_get(p, "message")));
    return false;
}

static json_t *problems_of(const char *def)
{
    json_t *d = parse_q(def), *problems = NULL;
    fg_flow_validate(d, &problems);
    json_decref(d);
    return problems;
}

/* ---- JSONata fields --------------------------------------------------------- */

FG_TEST(jsonata_output_evaluates_expressions_anywhere_and_keeps_the_rest_literal)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`P`,`States`:{`P`:{`Type`:`Pass`,"
           "`Output`:{`sum`:`{% $sum($states.input.xs) %}`,`lit`:`$.not.a.path`,"
           "`spaced`:` {% not jsonata %} `,`deep`:[1,`{% $states.input.xs[0] * 10 %}`],"
           "`name`:`{% $states.context.Execution.Name %}`},`End`:true}}}",
           "{`xs`:[1,2,3]}",
           "{`sum`:6,`lit`:`$.not.a.path`,`spaced`:` {% not jsonata %} `,`deep`:[1,10],"
           "`name`:`exec-1`}",
           NULL, NULL);
}

FG_TEST(jsonata_state_in_a_jsonpath_machine_and_back)
{
    expect("{`StartAt`:`A`,`States`:{`A`:{`QueryLanguage`:`JSONata`,`Type`:`Pass`,"
           "`Output`:{`v`:`{% $states.input.n + 1 %}`},`Next`:`B`},"
           "`B`:{`Type`:`Pass`,`Parameters`:{`w.$`:`$.v`},`End`:true}}}",
           "{`n`:1}", "{`w`:2}", NULL, NULL);
}

FG_TEST(jsonata_undefined_result_is_a_query_evaluation_error_naming_the_field)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`S`,`States`:{`S`:{`Type`:`Pass`,"
           "`Output`:{`r`:`{% $nothing %}`},`End`:true}}}",
           "{}", NULL, "States.QueryEvaluationError",
           "An error occurred while executing the state 'S' (entered at the event id #2). The "
           "JSONata expression '$nothing' specified for the field 'Output/r' returned nothing "
           "(undefined).");
}

FG_TEST(jsonata_evaluation_errors_are_caught_by_catch)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`T`,`States`:{`T`:{`Type`:`Parallel`,"
           "`Branches`:[{`StartAt`:`X`,`States`:{`X`:{`Type`:`Pass`,`Output`:`{% 1 + 'a' %}`,"
           "`End`:true}}}],`Catch`:[{`ErrorEquals`:[`States.QueryEvaluationError`],"
           "`Output`:{`err`:`{% $states.errorOutput.Error %}`,`in`:`{% $states.input %}`},"
           "`Next`:`Done`}],`End`:true},`Done`:{`Type`:`Succeed`}}}",
           "{`k`:1}", "{`err`:`States.QueryEvaluationError`,`in`:{`k`:1}}", NULL, NULL);
}

FG_TEST(jsonata_map_items_must_be_an_array)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`M`,`States`:{`M`:{`Type`:`Map`,"
           "`Items`:`{% 'text' %}`,`ItemProcessor`:{`StartAt`:`P`,`States`:{`P`:{`Type`:`Pass`,"
           "`End`:true}}},`End`:true}}}",
           "{}", NULL, "States.QueryEvaluationError",
           "Expected 'array', but was 'string' for value: \"text\"");
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`M`,`States`:{`M`:{`Type`:`Map`,"
           "`ItemProcessor`:{`StartAt`:`P`,`States`:{`P`:{`Type`:`Pass`,`End`:true}}},`End`:true}}}",
           "{`a`:1}", NULL, "States.QueryEvaluationError",
           "Map state input must be an array but was: {\"a\":1}");
}

FG_TEST(jsonata_map_item_selector_and_numbers_from_expressions)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`M`,`States`:{`M`:{`Type`:`Map`,"
           "`Items`:`{% $states.input.xs %}`,`MaxConcurrency`:`{% 1 %}`,"
           "`ItemSelector`:{`v`:`{% $states.context.Map.Item.Value * 2 %}`,"
           "`i`:`{% $states.context.Map.Item.Index %}`},"
           "`ItemProcessor`:{`StartAt`:`P`,`States`:{`P`:{`Type`:`Pass`,`End`:true}}},"
           "`Output`:`{% $states.result.v %}`,`End`:true}}}",
           "{`xs`:[1,2,3]}", "[2,4,6]", NULL, NULL);
}

FG_TEST(jsonata_choice_condition_assign_and_output_of_the_matching_rule)
{
    const char *def =
        "{`QueryLanguage`:`JSONata`,`StartAt`:`C`,`States`:{`C`:{`Type`:`Choice`,"
        "`Choices`:[{`Condition`:`{% $states.input.n > 1 %}`,`Assign`:{`seen`:`big`},"
        "`Output`:{`rule`:1},`Next`:`E`}],`Default`:`E`,`Assign`:{`seen`:`small`}},"
        "`E`:{`Type`:`Pass`,`Output`:{`seen`:`{% $seen %}`,`in`:`{% $states.input %}`},`End`:true}}}";
    expect(def, "{`n`:5}", "{`seen`:`big`,`in`:{`rule`:1}}", NULL, NULL);
    expect(def, "{`n`:0}", "{`seen`:`small`,`in`:{`n`:0}}", NULL, NULL);
    /* a matching rule without Output passes the input on; the state's Output is the Default's */
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`C`,`States`:{`C`:{`Type`:`Choice`,"
           "`Choices`:[{`Condition`:`{% true %}`,`Next`:`E`}],`Default`:`E`,`Output`:`default`},"
           "`E`:{`Type`:`Succeed`}}}",
           "{`n`:1}", "{`n`:1}", NULL, NULL);
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`C`,`States`:{`C`:{`Type`:`Choice`,"
           "`Choices`:[{`Condition`:`{% $states.input.n %}`,`Next`:`E`}],`Default`:`E`},"
           "`E`:{`Type`:`Succeed`}}}",
           "{`n`:5}", NULL, "States.QueryEvaluationError", "Expected 'boolean', but was 'number'");
}

FG_TEST(jsonata_wait_and_fail_fields_from_expressions)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`W`,`States`:{`W`:{`Type`:`Wait`,"
           "`Seconds`:`{% $states.input.s %}`,`Next`:`F`},`F`:{`Type`:`Fail`,"
           "`Error`:`{% 'E.' & $states.input.code %}`,`Cause`:`{% $string($states.input.s) %}`}}}",
           "{`s`:3,`code`:`Bad`}", NULL, "E.Bad", NULL);
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`W`,`States`:{`W`:{`Type`:`Wait`,"
           "`Timestamp`:`{% $states.input.t %}`,`End`:true}}}",
           "{`t`:`2016-13-05T21:29:29Z`}", NULL, "States.QueryEvaluationError",
           "cannot be parsed as an ISO-8601");
}

static int echo_task(fg_flow_task *t, void *ud)
{
    json_t *r = json_pack("{s:O}", "echo", fg_flow_task_parameters(t));
    fg_flow_task_succeed(t, r);
    json_decref(r);
    return 0;
}

FG_TEST(jsonata_task_arguments_result_and_assign)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "*", echo_task, NULL);
    fg_flow_machine *m;
    fg_flow_exec *e = run(
        "{`QueryLanguage`:`JSONata`,`StartAt`:`T`,`States`:{`T`:{`Type`:`Task`,`Resource`:`arn:x`,"
        "`Arguments`:{`a`:`{% $states.input.a %}`},`TimeoutSeconds`:`{% 10 %}`,"
        "`Assign`:{`got`:`{% $states.result.echo.a %}`},"
        "`Output`:{`r`:`{% $states.result %}`,`before`:`{% $exists($got) %}`},`Next`:`U`},"
        "`U`:{`Type`:`Pass`,`Output`:`{% $got %}`,`End`:true}}}",
        "{`a`:7}", reg, &m, false);
    FG_REQUIRE(e != NULL);
    FG_CHECK_INT(fg_flow_exec_status(e), FG_FLOW_SUCCEEDED);
    char *got = text_of(fg_flow_exec_output(e));
    FG_CHECK_STR(got, "7");
    free(got);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
}

FG_TEST(jsonata_sfn_functions_are_available)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`P`,`States`:{`P`:{`Type`:`Pass`,"
           "`Output`:{`p`:`{% $partition([1,2,3], 2) %}`,`r`:`{% $range(0, 4, 2) %}`,"
           "`one`:`{% $range(1, 9, 9) %}`,`j`:`{% $parse('{\\\"a\\\":1}') %}`,"
           "`h`:`{% $hash('abc', 'MD5') %}`,`u`:`{% $length($uuid()) %}`},`End`:true}}}",
           "{}",
           "{`p`:[[1,2],[3]],`r`:[0,2,4],`one`:1,`j`:{`a`:1},"
           "`h`:`900150983cd24fb0d6963f7d28e17f72`,`u`:36}",
           NULL, NULL);
}

/* ---- variables ----------------------------------------------------------------- */

FG_TEST(assign_jsonpath_reads_the_result_and_var_paths_read_variables)
{
    expect("{`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,`Result`:{`answer`:42},"
           "`Assign`:{`theAnswer.$`:`$.answer`,`lit`:`$.kept`,`obj`:{`n.$`:`$.answer`}},`Next`:`B`},"
           "`B`:{`Type`:`Pass`,`Parameters`:{`a.$`:`$theAnswer`,`l.$`:`$lit`,`n.$`:`$obj.n`,"
           "`f.$`:`States.Format('{}!', $theAnswer)`},`End`:true}}}",
           "{}", "{`a`:42,`l`:`$.kept`,`n`:42,`f`:`42!`}", NULL, NULL);
}

FG_TEST(assign_takes_effect_after_the_state_so_outputpath_sees_the_old_value)
{
    expect("{`StartAt`:`S0`,`States`:{`S0`:{`Type`:`Pass`,`Assign`:{`answer`:42},`Next`:`S1`},"
           "`S1`:{`Type`:`Pass`,`InputPath`:`$answer`,`ResultPath`:`$.x`,`OutputPath`:`$answer`,"
           "`Assign`:{`answer`:`new`},`End`:true}}}",
           "{}", "42", NULL, NULL);
}

FG_TEST(assign_jsonata_and_output_see_the_values_at_state_entry)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,"
           "`Assign`:{`x`:1},`Next`:`B`},`B`:{`Type`:`Pass`,`Assign`:{`x`:`{% $x + 1 %}`},"
           "`Output`:`{% $x %}`,`Next`:`C`},`C`:{`Type`:`Pass`,`Output`:`{% $x %}`,`End`:true}}}",
           "{}", "2", NULL, NULL);
}

FG_TEST(assign_inside_map_and_parallel_is_local_but_outer_variables_are_readable)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,"
           "`Assign`:{`outer`:10,`keep`:`k`},`Next`:`M`},"
           "`M`:{`Type`:`Map`,`Items`:[1,2],`ItemProcessor`:{`StartAt`:`I`,`States`:{"
           "`I`:{`Type`:`Pass`,`Assign`:{`outer`:`{% $outer + $states.input %}`},`Next`:`J`},"
           "`J`:{`Type`:`Pass`,`Output`:`{% $outer %}`,`End`:true}}},`Next`:`P`},"
           "`P`:{`Type`:`Parallel`,`Branches`:[{`StartAt`:`X`,`States`:{`X`:{`Type`:`Pass`,"
           "`Assign`:{`keep`:`changed`},`Output`:`{% $keep %}`,`End`:true}}}],"
           "`Output`:{`map`:`{% $states.input %}`,`par`:`{% $states.result %}`,"
           "`outer`:`{% $outer %}`,`keep`:`{% $keep %}`},`End`:true}}}",
           "{}", "{`map`:[11,12],`par`:[`k`],`outer`:10,`keep`:`k`}", NULL, NULL);
}

FG_TEST(assign_in_catch_sees_the_error_output)
{
    expect("{`StartAt`:`T`,`States`:{`T`:{`Type`:`Parallel`,`Branches`:[{`StartAt`:`F`,"
           "`States`:{`F`:{`Type`:`Fail`,`Error`:`Boom`,`Cause`:`why`}}}],"
           "`Catch`:[{`ErrorEquals`:[`States.ALL`],`Assign`:{`err.$`:`$.Error`},"
           "`ResultPath`:`$.caught`,`Next`:`N`}],`End`:true},"
           "`N`:{`Type`:`Pass`,`Parameters`:{`e.$`:`$err`,`c.$`:`$.caught.Cause`},`End`:true}}}",
           "{}", "{`e`:`Boom`,`c`:`why`}", NULL, NULL);
}

FG_TEST(assign_an_unassigned_variable_path_is_a_runtime_error)
{
    expect("{`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,`Parameters`:{`v.$`:`$nope`},"
           "`End`:true}}}",
           "{}", NULL, "States.Runtime", "'$nope'");
}

FG_TEST(assign_values_over_256_kib_fail_the_state)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,"
           "`Assign`:{`big`:`{% $join([1..30000].$string($ * 1000000)) %}`},`End`:true}}}",
           "{}", NULL, "States.Runtime", "256 KiB");
}

FG_TEST(assign_variables_survive_a_snapshot)
{
    const char *def = "{`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,`Assign`:{`v`:`kept`},"
                      "`Next`:`W`},`W`:{`Type`:`Wait`,`Seconds`:5,`Next`:`B`},"
                      "`B`:{`Type`:`Pass`,`Parameters`:{`v.$`:`$v`},`End`:true}}}";
    fg_flow_machine *m = machine(def, NULL, NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_clock_virtual(&vclock, &vnow);
    fg_flow_exec_opts o = {.clock = &vclock};
    json_t *in = json_object();
    fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
    json_decref(in);
    while (fg_flow_exec_step(e) == FG_FLOW_RUNNING) {
    }
    FG_CHECK_INT(fg_flow_exec_status(e), FG_FLOW_WAITING);
    json_t *snap = fg_flow_exec_snapshot(e);
    fg_flow_exec_free(e);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    e = fg_flow_exec_restore(m, snap, &o, &eb);
    json_decref(snap);
    FG_REQUIRE(e != NULL);
    vnow += 10000;
    FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
    char *got = text_of(fg_flow_exec_output(e));
    FG_CHECK_STR(got, "{\"v\":\"kept\"}");
    free(got);
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

/* ---- validation ------------------------------------------------------------------- */

FG_TEST(validate_reports_jsonata_syntax_errors_with_state_and_position)
{
    json_t *p = problems_of("{`QueryLanguage`:`JSONata`,`StartAt`:`S`,`States`:{`S`:{`Type`:`Pass`,"
                            "`Output`:{`x`:`{% $states.input. %}`},`End`:true}}}");
    FG_CHECK(has_problem(p, "/States/S/Output/x", "position"));
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(p, 0), "state")), "S");
    json_decref(p);
}

FG_TEST(validate_refuses_fields_of_the_other_query_language)
{
    json_t *p = problems_of("{`QueryLanguage`:`JSONata`,`StartAt`:`S`,`States`:{`S`:{`Type`:`Task`,"
                            "`Resource`:`arn:x`,`Parameters`:{},`ResultPath`:`$.x`,"
                            "`TimeoutSecondsPath`:`$.t`,`End`:true}}}");
    FG_CHECK(has_problem(p, "/States/S", "'Parameters' is not supported for the JSONata"));
    FG_CHECK(has_problem(p, "/States/S", "'ResultPath' is not supported for the JSONata"));
    FG_CHECK(has_problem(p, "/States/S", "'TimeoutSecondsPath' is not supported for the JSONata"));
    json_decref(p);
    p = problems_of("{`StartAt`:`S`,`States`:{`S`:{`Type`:`Pass`,`Output`:{},`End`:true}}}");
    FG_CHECK(has_problem(p, "/States/S", "'Output' is only supported for the JSONata"));
    json_decref(p);
    p = problems_of("{`StartAt`:`C`,`States`:{`C`:{`Type`:`Choice`,`Choices`:[{"
                    "`Condition`:`{% true %}`,`Next`:`E`}]},`E`:{`Type`:`Succeed`}}}");
    FG_CHECK(json_array_size(p) > 0);
    json_decref(p);
    p = problems_of("{`QueryLanguage`:`JSONata`,`StartAt`:`C`,`States`:{`C`:{`Type`:`Choice`,"
                    "`Choices`:[{`Variable`:`$.x`,`IsNull`:true,`Next`:`E`}]},`E`:{`Type`:`Succeed`}}}");
    FG_CHECK(has_problem(p, "/States/C/Choices/0", "'Variable' is not supported"));
    FG_CHECK(has_problem(p, "/States/C/Choices/0", "[Condition]"));
    json_decref(p);
    p = problems_of("{`QueryLanguage`:`JSONata`,`StartAt`:`S`,`States`:{`S`:{`Type`:`Pass`,"
                    "`QueryLanguage`:`JSONPath`,`End`:true}}}");
    FG_CHECK(has_problem(p, "/States/S", "can not be 'JSONPath'"));
    json_decref(p);
}

FG_TEST(validate_checks_variable_names)
{
    json_t *p = problems_of("{`StartAt`:`S`,`States`:{`S`:{`Type`:`Pass`,"
                            "`Assign`:{`states`:1,`1x`:2,`ok_name.$`:`$.a`},`End`:true}}}");
    FG_CHECK(has_problem(p, "/States/S/Assign", "'states'"));
    FG_CHECK(has_problem(p, "/States/S/Assign", "'1x'"));
    FG_CHECK_INT((int)json_array_size(p), 2);
    json_decref(p);
}



FG_TEST(history_records_assigned_variables_and_evaluation_failures)
{
    fg_flow_machine *m;
    fg_flow_exec *e = run("{`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,`Assign`:{`x`:{`k`:1}},"
                          "`Next`:`B`},`B`:{`QueryLanguage`:`JSONata`,`Type`:`Pass`,"
                          "`Output`:{`r`:`{% $nope %}`},`End`:true}}}",
                          "{}", NULL, &m, true);
    FG_REQUIRE(e != NULL);
    const json_t *h = fg_flow_exec_history(e);
    const json_t *exited = json_object_get(json_array_get(h, 2), "stateExitedEventDetails");
    FG_CHECK_STR(json_string_value(json_object_get(json_object_get(exited, "assignedVariables"), "x")),
                 "{\"k\":1}");
    const json_t *ev = json_array_get(h, 4);
    FG_CHECK_STR(json_string_value(json_object_get(ev, "type")), "EvaluationFailed");
    const json_t *d = json_object_get(ev, "evaluationFailedEventDetails");
    FG_CHECK_STR(json_string_value(json_object_get(d, "location")), "Output/r");
    FG_CHECK_STR(json_string_value(json_object_get(d, "state")), "B");
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(h, 5), "type")), "ExecutionFailed");
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(assign_child_workflows_of_a_distributed_map_do_not_see_outer_variables)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,"
           "`Assign`:{`outer`:1},`Next`:`M`},`M`:{`Type`:`Map`,`Items`:[1],"
           "`ItemSelector`:{`o`:`{% $outer %}`},"
           "`ItemProcessor`:{`ProcessorConfig`:{`Mode`:`DISTRIBUTED`,`ExecutionType`:`STANDARD`},"
           "`StartAt`:`I`,`States`:{`I`:{`Type`:`Pass`,`Output`:{`seen`:`{% $exists($outer) %}`,"
           "`o`:`{% $states.input.o %}`},`End`:true}}},`End`:true}}}",
           "{}", "[{`seen`:false,`o`:1}]", NULL, NULL);
}

FG_TEST(validate_refuses_result_in_a_jsonata_pass_state)
{
    json_t *p = problems_of("{`QueryLanguage`:`JSONata`,`StartAt`:`S`,`States`:{`S`:{`Type`:`Pass`,"
                            "`Result`:{},`End`:true}}}");
    FG_CHECK(has_problem(p, "/States/S", "'Result' is not supported for the JSONata"));
    json_decref(p);
}

FG_TEST(jsonata_item_batcher_sizes_and_batch_input_from_expressions)
{
    expect("{`QueryLanguage`:`JSONata`,`StartAt`:`M`,`States`:{`M`:{`Type`:`Map`,"
           "`Items`:[1,2,3],`ItemBatcher`:{`MaxItemsPerBatch`:`{% 2 %}`,"
           "`BatchInput`:{`tag`:`{% $states.input.t %}`}},"
           "`ItemProcessor`:{`StartAt`:`P`,`States`:{`P`:{`Type`:`Pass`,"
           "`Output`:{`n`:`{% $count($states.input.Items) %}`,`t`:`{% $states.input.BatchInput.tag %}`},"
           "`End`:true}}},`End`:true}}}",
           "{`t`:`x`}", "[{`n`:2,`t`:`x`},{`n`:1,`t`:`x`}]", NULL, NULL);
}

FG_TEST(assign_all_variables_over_10_mib_fail_the_state)
{
    /* 60 states each assign a new variable of about 200 KB: the scope passes 10 MiB */
    json_t *states = json_object();
    for (int i = 0; i < 60; i++) {
        char name[16], next[16], var[16];
        snprintf(name, sizeof name, "S%d", i);
        snprintf(next, sizeof next, "S%d", i + 1);
        snprintf(var, sizeof var, "v%d", i);
        json_t *st = json_pack("{s:s,s:{s:s},s:s}", "Type", "Pass", "Assign", var,
                               "{% $join([1..20000].$string($ * 1000000)) %}", "Next", next);
        json_object_set_new(states, name, st);
    }
    json_object_set_new(states, "S60", json_pack("{s:s}", "Type", "Succeed"));
    json_t *def = json_pack("{s:s,s:s,s:o}", "QueryLanguage", "JSONata", "StartAt", "S0",
                            "States", states);
    char *text = json_dumps(def, JSON_COMPACT);
    json_decref(def);
    fg_flow_machine *m;
    fg_flow_exec *e = run(text, "{}", NULL, &m, false);
    free(text);
    FG_REQUIRE(e != NULL);
    FG_CHECK_STR(fg_flow_exec_error(e) ? fg_flow_exec_error(e) : "(none)", "States.Runtime");
    FG_CHECK(fg_flow_exec_cause(e) && strstr(fg_flow_exec_cause(e), "10 MiB"));
    if (fg_flow_exec_cause(e) && !strstr(fg_flow_exec_cause(e), "10 MiB"))
        fprintf(stderr, "    cause: %s\n", fg_flow_exec_cause(e));
    fg_flow_exec_free(e);
    fg_flow_machine_free(m);
}

FG_TEST(assign_variables_inside_map_iterations_survive_a_snapshot_at_every_step)
{
    const char *def =
        "{`QueryLanguage`:`JSONata`,`StartAt`:`A`,`States`:{`A`:{`Type`:`Pass`,"
        "`Assign`:{`base`:100},`Next`:`M`},`M`:{`Type`:`Map`,`Items`:[1,2,3],`MaxConcurrency`:2,"
        "`ItemProcessor`:{`StartAt`:`I`,`States`:{`I`:{`Type`:`Pass`,"
        "`Assign`:{`mine`:`{% $base + $states.input %}`},`Next`:`W`},"
        "`W`:{`Type`:`Wait`,`Seconds`:5,`Next`:`O`},"
        "`O`:{`Type`:`Pass`,`Output`:`{% $mine %}`,`End`:true}}},"
        "`Assign`:{`sum`:`{% $sum($states.result) %}`},`Next`:`E`},"
        "`E`:{`Type`:`Succeed`,`Output`:{`sum`:`{% $sum %}`,`base`:`{% $base %}`}}}}";
    fg_flow_machine *m = machine(def, NULL, NULL);
    FG_REQUIRE(m != NULL);
    fg_flow_clock_virtual(&vclock, &vnow);
    fg_flow_exec_opts o = {.clock = &vclock};
    int restored = 0;
    for (int cut = 1; cut < 40; cut++) {
        json_t *in = json_object();
        fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
        json_decref(in);
        for (int i = 0; i < cut && fg_flow_exec_status(e) < FG_FLOW_SUCCEEDED; i++)
            if (fg_flow_exec_step(e) == FG_FLOW_WAITING)
                vnow = fg_flow_exec_wake_at(e);
        json_t *snap = fg_flow_exec_snapshot(e);
        fg_flow_exec_free(e);
        char *text = json_dumps(snap, JSON_COMPACT);
        json_decref(snap);
        json_error_t je;
        snap = json_loads(text, 0, &je);
        free(text);
        if (!json_array_size(json_object_get(snap, "frames"))) {
            json_decref(snap);
            break;
        }
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        e = fg_flow_exec_restore(m, snap, &o, &eb);
        json_decref(snap);
        FG_REQUIRE(e != NULL);
        FG_CHECK_INT(fg_flow_exec_run(e), FG_FLOW_SUCCEEDED);
        char *got = text_of(fg_flow_exec_output(e));
        FG_CHECK_STR(got, "{\"sum\":306,\"base\":100}");
        free(got);
        fg_flow_exec_free(e);
        restored++;
    }
    FG_CHECK(restored > 5);
    fg_flow_machine_free(m);
}
