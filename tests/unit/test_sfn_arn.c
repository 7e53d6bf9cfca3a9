/* Names, ARNs and task tokens of the Step Functions service. */
#include "fg_test.h"
#include "sfn/arn.h"

FG_TEST(names_follow_aws_rules)
{
    FG_CHECK(fg_sfn_name_valid("run-1_ok.v2"));
    FG_CHECK(!fg_sfn_name_valid(""));
    FG_CHECK(!fg_sfn_name_valid(NULL));
    FG_CHECK(!fg_sfn_name_valid("a b"));
    FG_CHECK(!fg_sfn_name_valid("a:b"));
    FG_CHECK(!fg_sfn_name_valid("a/b"));
    FG_CHECK(!fg_sfn_name_valid("a*"));
    FG_CHECK(!fg_sfn_name_valid("tab\there"));
    char longname[90];
    memset(longname, 'x', 81);
    longname[81] = 0;
    FG_CHECK(!fg_sfn_name_valid(longname));
    longname[80] = 0;
    FG_CHECK(fg_sfn_name_valid(longname));
}

FG_TEST(arns_are_built_and_parsed)
{
    char *m = fg_sfn_machine_arn("eu-west-1", "123456789012", "flow");
    FG_CHECK_STR(m, "arn:aws:states:eu-west-1:123456789012:stateMachine:flow");
    char *e = fg_sfn_execution_arn(m, "run", false);
    FG_CHECK_STR(e, "arn:aws:states:eu-west-1:123456789012:execution:flow:run");
    char *x = fg_sfn_execution_arn(m, "run", true);
    FG_CHECK(!strncmp(x, "arn:aws:states:eu-west-1:123456789012:express:flow:run:", 55));
    FG_CHECK_INT(strlen(x), 55 + 36);
    char *a = fg_sfn_activity_arn("eu-west-1", "123456789012", "work");
    FG_CHECK_STR(a, "arn:aws:states:eu-west-1:123456789012:activity:work");
    fg_sfn_arn p;
    FG_REQUIRE(fg_sfn_arn_parse(e, &p));
    FG_CHECK_INT(p.kind, FG_SFN_ARN_EXECUTION);
    FG_CHECK_STR(p.region, "eu-west-1");
    FG_CHECK_STR(p.account, "123456789012");
    FG_CHECK_STR(p.machine, "flow");
    FG_CHECK_STR(p.execution, "run");
    FG_REQUIRE(fg_sfn_arn_parse(x, &p));
    FG_CHECK_INT(p.kind, FG_SFN_ARN_EXPRESS);
    FG_CHECK_STR(p.execution, "run");
    FG_REQUIRE(fg_sfn_arn_parse(a, &p));
    FG_CHECK_INT(p.kind, FG_SFN_ARN_ACTIVITY);
    char *back = fg_sfn_machine_of_execution(x);
    FG_CHECK_STR(back, m);
    free(back);
    FG_CHECK(fg_sfn_execution_arn(a, "run", false) == NULL);
    free(m);
    free(e);
    free(x);
    free(a);
}

FG_TEST(malformed_arns_are_refused)
{
    fg_sfn_arn p;
    const char *bad[] = {
        "", "nope", "arn:aws:states", "arn:aws:lambda:us-east-1:1:function:f",
        "arn:aws:states:us-east-1:1:stateMachine:", "arn:aws:states:us-east-1:1:stateMachine:a b",
        "arn:aws:states::1:stateMachine:a", "arn:aws:states:us-east-1::stateMachine:a",
        "arn:aws:states:us-east-1:1:thing:a", "arn:aws:states:us-east-1:1:execution:m",
        "arn:aws:states:us-east-1:1:express:m:e", "arn:aws:states:us-east-1:1:stateMachine:a:b:c",
        "arn:aws:states:us-east-1:1:stateMachine:a:", "arn:aws:states:us-east-1:1:stateMachine:a:b c",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FG_CHECK(!fg_sfn_arn_parse(bad[i], &p));
    FG_CHECK(!fg_sfn_arn_parse(NULL, &p));
}

FG_TEST(versions_and_aliases_qualify_a_state_machine_arn)
{
    const char *m = "arn:aws:states:us-east-1:123456789012:stateMachine:flow";
    char *v = fg_sfn_qualified_arn(m, "3");
    FG_CHECK_STR(v, "arn:aws:states:us-east-1:123456789012:stateMachine:flow:3");
    fg_sfn_arn p;
    FG_REQUIRE(fg_sfn_arn_parse(v, &p));
    FG_CHECK_INT(p.kind, FG_SFN_ARN_MACHINE);
    FG_CHECK_STR(p.machine, "flow");
    FG_CHECK_STR(p.qualifier, "3");
    int64_t n = 0;
    FG_CHECK(fg_sfn_qualifier_version(p.qualifier, &n) && n == 3);
    FG_CHECK(!fg_sfn_qualifier_version("prod", &n));
    FG_CHECK(!fg_sfn_qualifier_version("0", &n));
    FG_CHECK(!fg_sfn_qualifier_version("", &n));
    char *back = fg_sfn_unqualified_arn(v);
    FG_CHECK_STR(back, m);
    char *e = fg_sfn_execution_arn(v, "run", false); /* executions name the machine */
    FG_CHECK_STR(e, "arn:aws:states:us-east-1:123456789012:execution:flow:run");
    FG_REQUIRE(fg_sfn_arn_parse(m, &p));
    FG_CHECK_STR(p.qualifier, "");
    free(v);
    free(back);
    free(e);
}

FG_TEST(task_tokens_name_their_execution)
{
    const char *arn = "arn:aws:states:us-east-1:123456789012:execution:flow:run";
    char *prefix = fg_sfn_token_prefix("acct-1", arn);
    char token[600];
    snprintf(token, sizeof token, "%s%s", prefix, "0b5c6a0e-2c1b-4c7e-9a43-4f5b2d5e6f70");
    char account[64];
    char *owner = NULL;
    FG_REQUIRE(fg_sfn_token_owner(token, account, sizeof account, &owner));
    FG_CHECK_STR(account, "acct-1");
    FG_CHECK_STR(owner, arn);
    free(owner);
    FG_CHECK(!fg_sfn_token_owner("garbage", account, sizeof account, &owner));
    FG_CHECK(owner == NULL);
    FG_CHECK(!fg_sfn_token_owner("FGT1!!!!.x", account, sizeof account, &owner));
    FG_CHECK(!fg_sfn_token_owner("FGT1bm8tbmV3bGluZQ==.x", account, sizeof account, &owner));
    FG_CHECK(!fg_sfn_token_owner(NULL, account, sizeof account, &owner));
    /* an account id longer than the caller's buffer is refused, not cut */
    char small[4];
    FG_CHECK(!fg_sfn_token_owner(token, small, sizeof small, &owner));
    free(prefix);
}
