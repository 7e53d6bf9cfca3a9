/* State machine versions (numbered, immutable copies of a definition) and
 * aliases (a name routing executions to one or two versions by weight):
 * publishing, and resolving a version or alias ARN when an execution starts. */
#include "sfn/sfn_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"
#include "sfn/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sfn_version_row(fg_sfn *s, const char *account, const char *machine_arn, int64_t version)
{
    fg_sval p[3] = {FG_STEXT(account), FG_STEXT(machine_arn), FG_SINT(version)};
    json_t *rows = NULL;
    if (fg_store_query_json(s->store, "SELECT version, definition, role_arn, description, "
                                      "revision_id, created_ms FROM sfn_versions WHERE "
                                      "account_id = $1 AND machine_arn = $2 AND version = $3",
                            p, 3, &rows, NULL) != 0)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

json_t *sfn_alias_row(fg_sfn *s, const char *account, const char *machine_arn, const char *name)
{
    fg_sval p[3] = {FG_STEXT(account), FG_STEXT(machine_arn), FG_STEXT(name)};
    json_t *rows = NULL;
    if (fg_store_query_json(s->store, "SELECT name, description, routing, created_ms, updated_ms "
                                      "FROM sfn_aliases WHERE account_id = $1 AND "
                                      "machine_arn = $2 AND name = $3",
                            p, 3, &rows, NULL) != 0)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

int sfn_version_publish(fg_sfn *s, const char *account, const sfn_machine_row *row,
                        const char *description, int64_t *version, int64_t *created_ms,
                        fg_errbuf *eb)
{
    fg_sval p[2] = {FG_STEXT(account), FG_STEXT(row->arn)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(s->store, "SELECT version, revision_id, created_ms FROM "
                                           "sfn_versions WHERE account_id = $1 AND "
                                           "machine_arn = $2 ORDER BY version DESC LIMIT 1",
                                 p, 2, &rows, eb);
    if (rc)
        return rc;
    json_t *last = json_array_get(rows, 0);
    if (last && !strcmp(fg_json_str(last, "revision_id", ""), row->revision)) {
        *version = fg_json_int(last, "version", 0); /* this revision is published already */
        *created_ms = fg_json_int(last, "created_ms", 0);
        json_decref(rows);
        return 0;
    }
    *version = (last ? fg_json_int(last, "version", 0) : 0) + 1;
    *created_ms = fg_clock_wall_ms();
    json_decref(rows);
    fg_sval q[8] = {FG_STEXT(account), FG_STEXT(row->arn), FG_SINT(*version),
                    FG_STEXT(row->definition), FG_STEXT(row->role_arn), FG_STEXT(description),
                    FG_STEXT(row->revision), FG_SINT(*created_ms)};
    return fg_store_exec(s->store, "INSERT INTO sfn_versions (account_id, machine_arn, version, "
                                   "definition, role_arn, description, revision_id, created_ms) "
                                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                         q, 8, NULL, eb);
}

/* One version of an alias's routing, drawn by weight. */
static int64_t pick_version(const json_t *routing)
{
    unsigned char r;
    fg_rand_bytes(&r, 1);
    int roll = r % 100, acc = 0;
    size_t i;
    json_t *route;
    int64_t chosen = 0;
    json_array_foreach(routing, i, route) {
        fg_sfn_arn a;
        int64_t v = 0;
        if (!fg_sfn_arn_parse(fg_json_str(route, "stateMachineVersionArn", ""), &a) ||
            !fg_sfn_qualifier_version(a.qualifier, &v))
            continue;
        acc += (int)fg_json_int(route, "weight", 0);
        chosen = v;
        if (roll < acc)
            return v;
    }
    return chosen;
}

int sfn_version_apply(fg_sfn *s, const char *account, sfn_machine_row *row, const char *qualifier,
                      const char **aws_error, fg_errbuf *eb)
{
    int64_t version = 0;
    if (!fg_sfn_qualifier_version(qualifier, &version)) {
        json_t *alias = sfn_alias_row(s, account, row->arn, qualifier);
        json_t *routing = alias ? json_loads(fg_json_str(alias, "routing", "[]"), 0, NULL) : NULL;
        version = routing ? pick_version(routing) : 0;
        json_decref(routing);
        json_decref(alias);
    }
    json_t *v = version ? sfn_version_row(s, account, row->arn, version) : NULL;
    if (!v) {
        *aws_error = "ResourceNotFound";
        return fg_failf(eb, FG_ENOTFOUND, "Resource Not Found: no version or alias '%s' of %s",
                        qualifier, row->arn);
    }
    char num[24], rev[64];
    snprintf(num, sizeof num, "%lld", (long long)version);
    snprintf(rev, sizeof rev, "version:%lld", (long long)version);
    char *varn = fg_sfn_qualified_arn(row->arn, num);
    free(row->definition);
    free(row->role_arn);
    free(row->revision);
    free(row->arn);
    row->definition = strdup(fg_json_str(v, "definition", "{}"));
    row->role_arn = strdup(fg_json_str(v, "role_arn", ""));
    row->revision = strdup(rev);
    row->arn = varn; /* the compiled machine is cached per version */
    json_decref(v);
    return row->definition && row->role_arn && row->revision && row->arn ? 0 : FG_ENOMEM;
}
