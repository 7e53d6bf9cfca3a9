/* State machine operations: Create, Update, Delete, Describe, List, Validate
 * and DescribeStateMachineForExecution. */
#include "sfn/api.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *default_logging(void)
{
    return json_pack("{s:s,s:b}", "level", "OFF", "includeExecutionData", 0);
}

/* The first problem of a definition as AWS words it, or NULL when it is valid.
 * *parsed (may be NULL) gets the definition. */
static char *definition_problem(fg_sfn *s, const char *text, json_t **parsed)
{
    json_error_t jerr;
    json_t *def = json_loads(text, 0, &jerr);
    char msg[800];
    if (!def) {
        snprintf(msg, sizeof msg, "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "
                 "%s at line %d, column %d'", jerr.text, jerr.line, jerr.column);
        return strdup(msg);
    }
    json_t *problems = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, s->tasks, &problems, &eb);
    char *out = NULL;
    if (!m) {
        json_t *p = json_array_get(problems, 0);
        if (p)
            snprintf(msg, sizeof msg, "Invalid State Machine Definition: '%s: %s at %s'",
                     fg_json_str(p, "code", "SCHEMA_VALIDATION_FAILED"),
                     fg_json_str(p, "message", eb.msg), fg_json_str(p, "pointer", "/"));
        else
            snprintf(msg, sizeof msg, "Invalid State Machine Definition: '%s'", eb.msg);
        out = strdup(msg);
    }
    fg_flow_machine_free(m);
    json_decref(problems);
    if (parsed && !out)
        *parsed = def;
    else
        json_decref(def);
    return out;
}

static bool valid_type(sfn_call_ctx *c, const char *type)
{
    if (!strcmp(type, "STANDARD") || !strcmp(type, "EXPRESS"))
        return true;
    sfn_api_error(c->req, 400, "ValidationException",
                  "1 validation error detected: Value at 'type' failed to satisfy constraint: "
                  "Member must satisfy enum value set: [STANDARD, EXPRESS]");
    return false;
}

static char *logging_text(sfn_call_ctx *c)
{
    const json_t *l = json_object_get(c->in, "loggingConfiguration");
    return json_is_object(l) ? json_dumps(l, JSON_COMPACT) : NULL;
}

static void role_default(sfn_call_ctx *c, char *out, size_t n)
{
    const char *role = fg_json_str(c->in, "roleArn", NULL);
    if (role)
        snprintf(out, n, "%s", role);
    else
        snprintf(out, n, "arn:aws:iam::%s:role/flowgate", c->s->account);
}

/* Answers out, first publishing a version when the call asks (publish: true). */
static void answer_with_version(sfn_call_ctx *c, const char *arn, json_t *out)
{
    if (!fg_json_bool(c->in, "publish", false)) {
        sfn_api_reply(c->req, out);
        return;
    }
    sfn_machine_row row;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *v = NULL;
    if (sfn_machine_row_get(c->s, c->account, arn, &row, &eb) != 0)
        sfn_api_store_error(c, &eb);
    else
        v = sfn_api_publish(c, &row, fg_json_str(c->in, "versionDescription", NULL));
    if (v) {
        json_object_set(out, "stateMachineVersionArn", json_object_get(v, "stateMachineVersionArn"));
        sfn_api_reply(c->req, out);
    } else {
        json_decref(out);
    }
    json_decref(v);
    sfn_machine_row_free(&row);
}

/* CreateStateMachine with the same name, definition and role is idempotent. */
static void answer_existing(sfn_call_ctx *c, const char *arn, const char *def, const char *role)
{
    sfn_machine_row row;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (sfn_machine_row_get(c->s, c->account, arn, &row, &eb) == 0 &&
        !strcmp(row.definition, def) && !strcmp(row.role_arn, role)) {
        sfn_api_reply(c->req, json_pack("{s:s,s:f}", "stateMachineArn", arn, "creationDate",
                                        sfn_epoch(row.created_ms)));
    } else {
        char msg[700];
        snprintf(msg, sizeof msg, "State Machine Already Exists: '%.600s'", arn);
        sfn_api_error(c->req, 400, "StateMachineAlreadyExists", msg);
    }
    sfn_machine_row_free(&row);
}

void sfn_op_create_state_machine(sfn_call_ctx *c)
{
    const char *name = sfn_api_str(c, "name", true);
    const char *def = name ? sfn_api_str(c, "definition", true) : NULL;
    if (!def)
        return;
    const char *type = fg_json_str(c->in, "type", "STANDARD");
    if (!valid_type(c, type))
        return;
    if (!fg_sfn_name_valid(name)) {
        char msg[200];
        snprintf(msg, sizeof msg, "Invalid Name: '%.100s'", name);
        sfn_api_error(c->req, 400, "InvalidName", msg);
        return;
    }
    char *problem = definition_problem(c->s, def, NULL);
    if (problem) {
        sfn_api_error(c->req, 400, "InvalidDefinition", problem);
        free(problem);
        return;
    }
    char role[512];
    role_default(c, role, sizeof role);
    char *arn = fg_sfn_machine_arn(c->s->region, c->s->account, name);
    char *logging = logging_text(c);
    char rev[37];
    fg_rand_uuid(rev);
    int64_t now = fg_clock_wall_ms();
    fg_sval p[9] = {SFN_TEXT(c->account), FG_STEXT(arn), FG_STEXT(name), FG_STEXT(type),
                    FG_STEXT(def), SFN_TEXT(role), FG_STEXT(logging), SFN_TEXT(rev), FG_SINT(now)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_store_exec(c->s->store,
                           "INSERT INTO sfn_state_machines (account_id, arn, name, type, "
                           "definition, role_arn, logging, revision_id, created_ms, updated_ms) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                           p, 9, NULL, &eb);
    if (rc == FG_EEXIST)
        answer_existing(c, arn, def, role);
    else if (rc)
        sfn_api_store_error(c, &eb);
    else
        answer_with_version(c, arn, json_pack("{s:s,s:f}", "stateMachineArn", arn,
                                              "creationDate", sfn_epoch(now)));
    free(arn);
    free(logging);
}

static bool machine_row(sfn_call_ctx *c, const char *arn, sfn_machine_row *row)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = sfn_machine_row_get(c->s, c->account, arn, row, &eb);
    if (rc == FG_ENOTFOUND)
        sfn_api_error(c->req, 400, "StateMachineDoesNotExist", eb.msg);
    else if (rc)
        sfn_api_store_error(c, &eb);
    return rc == 0;
}

void sfn_op_update_state_machine(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    if (!arn)
        return;
    const char *def = fg_json_str(c->in, "definition", NULL);
    const char *role = fg_json_str(c->in, "roleArn", NULL);
    char *logging = logging_text(c);
    if (!def && !role && !logging) {
        sfn_api_error(c->req, 400, "MissingRequiredParameter",
                      "Either the definition, the roleArn or the loggingConfiguration must be "
                      "specified");
        return;
    }
    sfn_machine_row row;
    if (!machine_row(c, arn, &row)) {
        free(logging);
        return;
    }
    char *problem = def ? definition_problem(c->s, def, NULL) : NULL;
    if (problem) {
        sfn_api_error(c->req, 400, "InvalidDefinition", problem);
    } else {
        char rev[37];
        fg_rand_uuid(rev);
        int64_t now = fg_clock_wall_ms();
        fg_sval p[7] = {SFN_TEXT(c->account), FG_STEXT(arn), FG_STEXT(def ? def : row.definition),
                        FG_STEXT(role ? role : row.role_arn),
                        FG_STEXT(logging ? logging : row.logging), SFN_TEXT(rev), FG_SINT(now)};
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        if (fg_store_exec(c->s->store,
                          "UPDATE sfn_state_machines SET definition = $3, role_arn = $4, "
                          "logging = $5, revision_id = $6, updated_ms = $7 "
                          "WHERE account_id = $1 AND arn = $2",
                          p, 7, NULL, &eb) != 0)
            sfn_api_store_error(c, &eb);
        else
            answer_with_version(c, arn, json_pack("{s:f,s:s}", "updateDate", sfn_epoch(now),
                                                  "revisionId", rev));
    }
    free(problem);
    free(logging);
    sfn_machine_row_free(&row);
}

void sfn_op_delete_state_machine(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    if (!arn)
        return;
    fg_sval p[2] = {SFN_TEXT(c->account), FG_STEXT(arn)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_exec(c->s->store, "DELETE FROM sfn_state_machines WHERE account_id = $1 AND "
                                   "arn = $2", p, 2, NULL, &eb) != 0)
        sfn_api_store_error(c, &eb);
    else
        sfn_api_reply(c->req, json_object());
}

static json_t *logging_json(const char *text)
{
    json_t *l = text ? json_loads(text, 0, NULL) : NULL;
    return l ? l : default_logging();
}

void sfn_op_describe_state_machine(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    sfn_machine_row row;
    fg_sfn_arn a;
    char *base = arn && fg_sfn_arn_parse(arn, &a) ? fg_sfn_unqualified_arn(arn) : NULL;
    bool found = base && machine_row(c, base, &row);
    free(base);
    if (!found)
        return;
    json_t *version = NULL;
    int64_t n = 0;
    if (a.qualifier[0]) { /* a version ARN: that version's definition */
        version = fg_sfn_qualifier_version(a.qualifier, &n)
                      ? sfn_version_row(c->s, c->account, row.arn, n) : NULL;
        const char *err = NULL;
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        if (!version || sfn_version_apply(c->s, c->account, &row, a.qualifier, &err, &eb) != 0) {
            char msg[700];
            snprintf(msg, sizeof msg, "State Machine Does Not Exist: '%.600s'", arn);
            sfn_api_error(c->req, 400, "StateMachineDoesNotExist", msg);
            json_decref(version);
            sfn_machine_row_free(&row);
            return;
        }
    }
    json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:o,s:{s:b},s:s}", "stateMachineArn",
                          row.arn, "name", row.name, "status", "ACTIVE", "definition",
                          row.definition, "roleArn", row.role_arn, "type", row.type,
                          "creationDate", sfn_epoch(row.created_ms), "loggingConfiguration",
                          logging_json(row.logging), "tracingConfiguration", "enabled", 0,
                          "revisionId", row.revision);
    if (version) {
        json_object_set_new(b, "revisionId", json_string(fg_json_str(version, "revision_id", "")));
        json_object_set_new(b, "creationDate",
                            json_real(sfn_epoch(fg_json_int(version, "created_ms", 0))));
    }
    if (version && fg_json_str(version, "description", NULL))
        json_object_set_new(b, "description", json_string(fg_json_str(version, "description", "")));
    json_decref(version);
    sfn_api_reply(c->req, b);
    sfn_machine_row_free(&row);
}

void sfn_op_list_state_machines(sfn_call_ctx *c)
{
    int64_t limit, offset;
    if (!sfn_api_page(c, &limit, &offset))
        return;
    fg_sval p[3] = {SFN_TEXT(c->account), FG_SINT(limit + 1), FG_SINT(offset)};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_query_json(c->s->store, "SELECT arn, name, type, created_ms FROM "
                                         "sfn_state_machines WHERE account_id = $1 ORDER BY name "
                                         "LIMIT $2 OFFSET $3", p, 3, &rows, &eb) != 0) {
        sfn_api_store_error(c, &eb);
        return;
    }
    json_t *list = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if ((int64_t)i >= limit)
            break;
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:f}", "stateMachineArn",
                                              fg_json_str(r, "arn", ""), "name",
                                              fg_json_str(r, "name", ""), "type",
                                              fg_json_str(r, "type", ""), "creationDate",
                                              sfn_epoch(fg_json_int(r, "created_ms", 0))));
    }
    json_t *out = json_pack("{s:o}", "stateMachines", list);
    sfn_api_next_token(out, offset, limit, json_array_size(rows));
    json_decref(rows);
    sfn_api_reply(c->req, out);
}

static json_t *diagnostics(fg_sfn *s, const char *text)
{
    json_t *out = json_array();
    json_error_t jerr;
    json_t *def = json_loads(text, 0, &jerr);
    if (!def) {
        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s}", "severity", "ERROR", "code",
                                             "INVALID_JSON_DESCRIPTION", "message", jerr.text,
                                             "location", "/"));
        return out;
    }
    json_t *problems = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, s->tasks, &problems, &eb);
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s}", "severity", "ERROR", "code",
                                             fg_json_str(p, "code", "SCHEMA_VALIDATION_FAILED"),
                                             "message", fg_json_str(p, "message", ""),
                                             "location", fg_json_str(p, "pointer", "/")));
    if (!m && json_array_size(out) == 0)
        json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "severity", "ERROR", "code",
                                             "SCHEMA_VALIDATION_FAILED", "message", eb.msg));
    fg_flow_machine_free(m);
    json_decref(problems);
    json_decref(def);
    return out;
}

void sfn_op_validate_definition(sfn_call_ctx *c)
{
    const char *def = sfn_api_str(c, "definition", true);
    if (!def)
        return;
    const char *type = fg_json_str(c->in, "type", "STANDARD");
    if (!valid_type(c, type))
        return;
    json_t *d = diagnostics(c->s, def);
    sfn_api_reply(c->req, json_pack("{s:s,s:o,s:b}", "result",
                                    json_array_size(d) ? "FAIL" : "OK", "diagnostics", d,
                                    "truncated", 0));
}

void sfn_op_describe_machine_for_execution(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "executionArn", FG_SFN_ARN_EXECUTION);
    if (!arn)
        return;
    json_t *row = sfn_execution_row(c->s, c->account, arn);
    if (!row) {
        char msg[700];
        snprintf(msg, sizeof msg, "Execution Does Not Exist: '%.600s'", arn);
        sfn_api_error(c->req, 400, "ExecutionDoesNotExist", msg);
        return;
    }
    const char *marn = fg_json_str(row, "machine_arn", "");
    const char *colon = strrchr(marn, ':');
    json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:f,s:o}", "stateMachineArn", marn, "name",
                          colon ? colon + 1 : marn, "definition", fg_json_str(row, "definition", ""),
                          "roleArn", fg_json_str(row, "role_arn", ""), "updateDate",
                          sfn_epoch(fg_json_int(row, "start_ms", 0)), "loggingConfiguration",
                          default_logging());
    json_decref(row);
    sfn_api_reply(c->req, b);
}
