/* Names, ARNs and task tokens of the Step Functions service, shaped like AWS's:
 * arn:aws:states:REGION:ACCOUNT:stateMachine:NAME, ...:execution:MACHINE:NAME,
 * ...:express:MACHINE:NAME:ID, ...:activity:NAME. A task token names the
 * execution that owns the task, so SendTask* finds it without a lookup table. */
#ifndef FG_SFN_ARN_H
#define FG_SFN_ARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FG_SFN_NAME_MAX 80

typedef enum fg_sfn_arn_kind {
    FG_SFN_ARN_MACHINE,
    FG_SFN_ARN_EXECUTION,
    FG_SFN_ARN_EXPRESS,
    FG_SFN_ARN_ACTIVITY
} fg_sfn_arn_kind;

typedef struct fg_sfn_arn {
    fg_sfn_arn_kind kind;
    char region[32];
    char account[32];
    char machine[FG_SFN_NAME_MAX + 1];   /* the state machine (or the activity) */
    char execution[FG_SFN_NAME_MAX + 1]; /* executions only */
    char qualifier[FG_SFN_NAME_MAX + 1]; /* state machines: a version number or an
                                            alias name after the name ("" if none) */
} fg_sfn_arn;

/* AWS's rule for state machine, execution and activity names: 1-80 characters,
 * no whitespace, brackets, wildcards, control characters or any of "#%\^|~`$&,;:/. */
bool fg_sfn_name_valid(const char *name);

/* Parses an ARN of one of the four kinds; false when it is not one. */
bool fg_sfn_arn_parse(const char *arn, fg_sfn_arn *out);

/* Builds ARNs (malloc'd). */
char *fg_sfn_machine_arn(const char *region, const char *account, const char *name);
char *fg_sfn_activity_arn(const char *region, const char *account, const char *name);
/* A standard execution; express ones get ":express:" and a unique suffix. */
char *fg_sfn_execution_arn(const char *machine_arn, const char *name, bool express);
/* A version or alias ARN of a state machine (qualifier: "3" or "prod"), and
 * back to the plain state machine ARN (malloc'd; NULL when not a machine ARN). */
char *fg_sfn_qualified_arn(const char *machine_arn, const char *qualifier);
char *fg_sfn_unqualified_arn(const char *machine_arn);
/* True when the qualifier is a version number (1..999999999), set in *version. */
bool fg_sfn_qualifier_version(const char *qualifier, int64_t *version);
/* The state machine ARN an execution ARN belongs to (malloc'd), or NULL. */
char *fg_sfn_machine_of_execution(const char *execution_arn);

/* The prefix of every task token of an execution (malloc'd): it encodes the
 * flowgate account and the execution ARN. */
char *fg_sfn_token_prefix(const char *account_id, const char *execution_arn);
/* Reads the owner back from a token: false when the token is malformed. */
bool fg_sfn_token_owner(const char *token, char *account_id, size_t account_n,
                        char **execution_arn);

#endif
