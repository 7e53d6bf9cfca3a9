/* Version and alias operations: PublishStateMachineVersion,
 * ListStateMachineVersions, DeleteStateMachineVersion, and Create, Describe,
 * Update, Delete, List for aliases. */
#include "sfn/api.h"

#include "core/clock.h"
#include "core/json.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void not_found(sfn_call_ctx *c, const char *what, const char *arn)
{
    char msg[700];
    snprintf(msg, sizeof msg, "Resource Not Found: %s '%.600s'", what, arn);
    sfn_api_error(c->req, 400, "ResourceNotFound", msg);
}

static void conflict(sfn_call_ctx *c, const char *msg)
{
    sfn_api_error(c->req, 400, "ConflictException", msg);
}

/* The plain state machine an ARN qualifies, checked to exist; NULL after answering. */
static char *machine_of(sfn_call_ctx *c, const char *arn, fg_sfn_arn *parsed,
                        sfn_machine_row *row)
{
    char *base = fg_sfn_arn_parse(arn, parsed) ? fg_sfn_unqualified_arn(arn) : NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (!base || sfn_machine_row_get(c->s, c->account, base, row, &eb) != 0) {
        char msg[700];
        snprintf(msg, sizeof msg, "State Machine Does Not Exist: '%.600s'", arn);
        sfn_api_error(c->req, 400, "StateMachineDoesNotExist", msg);
        free(base);
        return NULL;
    }
    return base;
}

json_t *sfn_api_publish(sfn_call_ctx *c, const sfn_machine_row *row, const char *description)
{
    int64_t version = 0, created = 0;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (sfn_version_publish(c->s, c->account, row, description, &version, &created, &eb) != 0) {
        sfn_api_store_error(c, &eb);
        return NULL;
    }
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)version);
    char *arn = fg_sfn_qualified_arn(row->arn, num);
    json_t *out = json_pack("{s:s,s:f}", "stateMachineVersionArn", arn, "creationDate",
                            sfn_epoch(created));
    free(arn);
    return out;
}

void sfn_op_publish_version(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    fg_sfn_arn a;
    sfn_machine_row row;
    char *base = arn ? machine_of(c, arn, &a, &row) : NULL;
    if (!base)
        return;
    const char *want = fg_json_str(c->in, "revisionId", NULL);
    if (want && strcmp(want, row.revision) != 0) {
        conflict(c, "Conflict: the state machine's revision is not the revisionId given");
    } else {
        json_t *out = sfn_api_publish(c, &row, fg_json_str(c->in, "description", NULL));
        if (out)
            sfn_api_reply(c->req, out);
    }
    sfn_machine_row_free(&row);
    free(base);
}

/* ListStateMachineVersions and ListStateMachineAliases: one page of the
 * machine's qualifiers (column q of sql: a version number or an alias name) as
 * qualified ARNs with their creation dates. */
static void list_qualified(sfn_call_ctx *c, const char *sql, const char *list_name, const char *arn_name)
{
    const char *arn = sfn_api_arn(c, "stateMachineArn", FG_SFN_ARN_MACHINE);
    int64_t limit, offset;
    fg_sfn_arn a;
    sfn_machine_row row;
    char *base = arn && sfn_api_page(c, &limit, &offset) ? machine_of(c, arn, &a, &row) : NULL;
    if (!base)
        return;
    fg_sval p[4] = {SFN_TEXT(c->account), FG_STEXT(base), FG_SINT(limit + 1), FG_SINT(offset)};
    json_t *rows = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_query_json(c->s->store, sql, p, 4, &rows, &eb) != 0) {
        sfn_api_store_error(c, &eb);
    } else {
        json_t *list = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
            if ((int64_t)i >= limit)
                break;
            const json_t *qv = json_object_get(r, "q");
            char q[128];
            if (json_is_integer(qv))
                snprintf(q, sizeof q, "%lld", (long long)json_integer_value(qv));
            else
                snprintf(q, sizeof q, "%s", fg_json_str(r, "q", ""));
            char *qarn = fg_sfn_qualified_arn(base, q);
            json_array_append_new(list, json_pack("{s:s,s:f}", arn_name, qarn, "creationDate",
                                                  sfn_epoch(fg_json_int(r, "created_ms", 0))));
            free(qarn);
        }
        json_t *out = json_pack("{s:o}", list_name, list);
        sfn_api_next_token(out, offset, limit, json_array_size(rows));
        sfn_api_reply(c->req, out);
    }
    json_decref(rows);
    sfn_machine_row_free(&row);
    free(base);
}

void sfn_op_list_versions(sfn_call_ctx *c)
{
    list_qualified(c,
                   "SELECT version AS q, created_ms FROM sfn_versions WHERE account_id = $1 AND "
                   "machine_arn = $2 ORDER BY version DESC LIMIT $3 OFFSET $4",
                   "stateMachineVersions", "stateMachineVersionArn");
}

/* True when an alias of the machine routes to the version ARN. */
static bool version_in_use(sfn_call_ctx *c, const char *base, const char *version_arn)
{
    fg_sval p[2] = {SFN_TEXT(c->account), FG_STEXT(base)};
    json_t *rows = NULL;
    bool used = false;
    if (fg_store_query_json(c->s->store, "SELECT routing FROM sfn_aliases WHERE account_id = $1 "
                                         "AND machine_arn = $2", p, 2, &rows, NULL) == 0) {
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
            if (strstr(fg_json_str(r, "routing", ""), version_arn))
                used = true;
    }
    json_decref(rows);
    return used;
}

void sfn_op_delete_version(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineVersionArn", FG_SFN_ARN_MACHINE);
    fg_sfn_arn a;
    int64_t version = 0;
    if (!arn)
        return;
    if (!fg_sfn_arn_parse(arn, &a) || !fg_sfn_qualifier_version(a.qualifier, &version)) {
        sfn_api_error(c->req, 400, "InvalidArn", "Invalid Arn: not a state machine version ARN");
        return;
    }
    char *base = fg_sfn_unqualified_arn(arn);
    /* a version ARN whose quotes another version: "…:flow:3" inside "…:flow:30" */
    char quoted[700];
    snprintf(quoted, sizeof quoted, "\"%s\"", arn);
    if (version_in_use(c, base, quoted)) {
        conflict(c, "Conflict: an alias routes executions to this version; update or delete the "
                    "alias first");
    } else {
        fg_sval p[3] = {SFN_TEXT(c->account), FG_STEXT(base), FG_SINT(version)};
        fg_store_exec(c->s->store, "DELETE FROM sfn_versions WHERE account_id = $1 AND "
                                   "machine_arn = $2 AND version = $3", p, 3, NULL, NULL);
        sfn_api_reply(c->req, json_object());
    }
    free(base);
}

/* Checks a routingConfiguration: 1 or 2 existing versions of base, weights
 * 0..100 adding up to 100. Returns its text, or NULL after answering. */
static char *routing_text(sfn_call_ctx *c, const char *base)
{
    const json_t *routes = json_object_get(c->in, "routingConfiguration");
    size_t n = json_array_size(routes);
    if (n < 1 || n > 2) {
        sfn_api_error(c->req, 400, "ValidationException", "routingConfiguration must list one or "
                                                           "two versions");
        return NULL;
    }
    int64_t sum = 0;
    json_t *clean = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(routes, i, r) {
        const char *varn = fg_json_str(r, "stateMachineVersionArn", "");
        int64_t weight = fg_json_int(r, "weight", -1), v = 0;
        fg_sfn_arn a;
        char *vbase = fg_sfn_arn_parse(varn, &a) && fg_sfn_qualifier_version(a.qualifier, &v)
                          ? fg_sfn_unqualified_arn(varn) : NULL;
        json_t *row = vbase && !strcmp(vbase, base) ? sfn_version_row(c->s, c->account, base, v)
                                                    : NULL;
        free(vbase);
        if (!row || weight < 0 || weight > 100) {
            json_decref(row);
            json_decref(clean);
            not_found(c, "version", varn);
            return NULL;
        }
        json_decref(row);
        sum += weight;
        json_array_append_new(clean, json_pack("{s:s,s:I}", "stateMachineVersionArn", varn,
                                               "weight", (json_int_t)weight));
    }
    if (sum != 100) {
        json_decref(clean);
        sfn_api_error(c->req, 400, "ValidationException", "the routing weights must add up to 100");
        return NULL;
    }
    char *text = json_dumps(clean, JSON_COMPACT);
    json_decref(clean);
    return text;
}

void sfn_op_create_alias(sfn_call_ctx *c)
{
    const char *name = sfn_api_str(c, "name", true);
    int64_t ignore;
    if (!name)
        return;
    if (!fg_sfn_name_valid(name) || fg_sfn_qualifier_version(name, &ignore)) {
        sfn_api_error(c->req, 400, "InvalidName", "Invalid Name: an alias name is a state machine "
                                                  "name that is not a number");
        return;
    }
    const json_t *first = json_array_get(json_object_get(c->in, "routingConfiguration"), 0);
    const char *varn = fg_json_str(first, "stateMachineVersionArn", "");
    fg_sfn_arn a;
    sfn_machine_row row;
    char *base = machine_of(c, varn, &a, &row);
    if (!base)
        return;
    char *routing = routing_text(c, base);
    if (routing) {
        int64_t now = fg_clock_wall_ms();
        fg_sval p[5] = {SFN_TEXT(c->account), FG_STEXT(base), FG_STEXT(name),
                        FG_STEXT(fg_json_str(c->in, "description", NULL)), FG_STEXT(routing)};
        fg_sval q[6] = {p[0], p[1], p[2], p[3], p[4], FG_SINT(now)};
        fg_errbuf eb;
        fg_errbuf_clear(&eb);
        int rc = fg_store_exec(c->s->store, "INSERT INTO sfn_aliases (account_id, machine_arn, "
                                            "name, description, routing, created_ms, updated_ms) "
                                            "VALUES ($1, $2, $3, $4, $5, $6, $6)",
                               q, 6, NULL, &eb);
        char *alias = fg_sfn_qualified_arn(base, name);
        if (rc == FG_EEXIST)
            conflict(c, "Conflict: an alias of this name exists");
        else if (rc)
            sfn_api_store_error(c, &eb);
        else
            sfn_api_reply(c->req, json_pack("{s:s,s:f}", "stateMachineAliasArn", alias,
                                            "creationDate", sfn_epoch(now)));
        free(alias);
    }
    free(routing);
    sfn_machine_row_free(&row);
    free(base);
}

/* The alias an ARN names, with its machine; NULL after answering. */
static json_t *alias_of(sfn_call_ctx *c, const char *arn, char **base)
{
    fg_sfn_arn a;
    int64_t v;
    *base = NULL;
    if (!fg_sfn_arn_parse(arn, &a) || !a.qualifier[0] || fg_sfn_qualifier_version(a.qualifier, &v)) {
        sfn_api_error(c->req, 400, "InvalidArn", "Invalid Arn: not a state machine alias ARN");
        return NULL;
    }
    *base = fg_sfn_unqualified_arn(arn);
    json_t *row = sfn_alias_row(c->s, c->account, *base, a.qualifier);
    if (!row) {
        not_found(c, "alias", arn);
        free(*base);
        *base = NULL;
    }
    return row;
}

void sfn_op_describe_alias(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineAliasArn", FG_SFN_ARN_MACHINE);
    char *base = NULL;
    json_t *row = arn ? alias_of(c, arn, &base) : NULL;
    if (!row)
        return;
    json_t *routing = json_loads(fg_json_str(row, "routing", "[]"), 0, NULL);
    json_t *out = json_pack("{s:s,s:s,s:o,s:f,s:f}", "stateMachineAliasArn", arn, "name",
                            fg_json_str(row, "name", ""), "routingConfiguration",
                            routing ? routing : json_array(), "creationDate",
                            sfn_epoch(fg_json_int(row, "created_ms", 0)), "updateDate",
                            sfn_epoch(fg_json_int(row, "updated_ms", 0)));
    if (fg_json_str(row, "description", NULL))
        json_object_set_new(out, "description", json_string(fg_json_str(row, "description", "")));
    sfn_api_reply(c->req, out);
    json_decref(row);
    free(base);
}

void sfn_op_update_alias(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineAliasArn", FG_SFN_ARN_MACHINE);
    char *base = NULL;
    json_t *row = arn ? alias_of(c, arn, &base) : NULL;
    if (!row)
        return;
    bool has_routing = json_object_get(c->in, "routingConfiguration") != NULL;
    char *routing = has_routing ? routing_text(c, base) : strdup(fg_json_str(row, "routing", "[]"));
    if (routing) {
        int64_t now = fg_clock_wall_ms();
        const char *desc = fg_json_str(c->in, "description", fg_json_str(row, "description", NULL));
        fg_sval p[6] = {SFN_TEXT(c->account), FG_STEXT(base), FG_STEXT(fg_json_str(row, "name", "")),
                        FG_STEXT(desc), FG_STEXT(routing), FG_SINT(now)};
        fg_store_exec(c->s->store, "UPDATE sfn_aliases SET description = $4, routing = $5, "
                                   "updated_ms = $6 WHERE account_id = $1 AND machine_arn = $2 "
                                   "AND name = $3", p, 6, NULL, NULL);
        sfn_api_reply(c->req, json_pack("{s:f}", "updateDate", sfn_epoch(now)));
    }
    free(routing);
    json_decref(row);
    free(base);
}

void sfn_op_delete_alias(sfn_call_ctx *c)
{
    const char *arn = sfn_api_arn(c, "stateMachineAliasArn", FG_SFN_ARN_MACHINE);
    char *base = NULL;
    json_t *row = arn ? alias_of(c, arn, &base) : NULL;
    if (!row)
        return;
    fg_sval p[3] = {SFN_TEXT(c->account), FG_STEXT(base), FG_STEXT(fg_json_str(row, "name", ""))};
    fg_store_exec(c->s->store, "DELETE FROM sfn_aliases WHERE account_id = $1 AND machine_arn = $2 "
                               "AND name = $3", p, 3, NULL, NULL);
    sfn_api_reply(c->req, json_object());
    json_decref(row);
    free(base);
}

void sfn_op_list_aliases(sfn_call_ctx *c)
{
    list_qualified(c,
                   "SELECT name AS q, created_ms FROM sfn_aliases WHERE account_id = $1 AND "
                   "machine_arn = $2 ORDER BY name LIMIT $3 OFFSET $4",
                   "stateMachineAliases", "stateMachineAliasArn");
}
