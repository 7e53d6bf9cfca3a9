/* libFuzzer target for the Step Functions service's parsers of caller input:
 * ARNs and task tokens. A parsed ARN must rebuild to itself; a token that
 * names an owner must come from a prefix that encodes the same owner. */
#include "sfn/arn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_arn(const char *s)
{
    fg_sfn_arn a;
    if (!fg_sfn_arn_parse(s, &a))
        return;
    char *back = NULL;
    if (a.kind == FG_SFN_ARN_MACHINE && !a.qualifier[0])
        back = fg_sfn_machine_arn(a.region, a.account, a.machine);
    else if (a.kind == FG_SFN_ARN_MACHINE)
        back = fg_sfn_qualified_arn(s, a.qualifier);
    else if (a.kind == FG_SFN_ARN_ACTIVITY)
        back = fg_sfn_activity_arn(a.region, a.account, a.machine);
    if (back && strcmp(back, s) != 0)
        abort();
    free(back);
    free(fg_sfn_machine_of_execution(s));
}

static void check_token(const char *s)
{
    char account[64];
    char *arn = NULL;
    if (!fg_sfn_token_owner(s, account, sizeof account, &arn))
        return;
    char *prefix = fg_sfn_token_prefix(account, arn);
    char *again = NULL;
    char account2[64];
    if (!prefix || !fg_sfn_token_owner(prefix, account2, sizeof account2, &again) ||
        strcmp(account, account2) != 0 || strcmp(arn, again) != 0)
        abort();
    free(again);
    free(prefix);
    free(arn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    check_arn(s);
    check_token(s);
    fg_sfn_name_valid(s);
    free(s);
    return 0;
}
