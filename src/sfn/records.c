/* State machine and execution rows, and the cache of compiled machines. */
#include "sfn/sfn_int.h"

#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *text_col(const fg_sval *v)
{
    if (v->type != FG_SV_TEXT && v->type != FG_SV_BLOB)
        return NULL;
    return strndup(v->v.s.p, v->v.s.n);
}

static int read_machine(void *ctx, int ncols, const char *const *names, const fg_sval *c)
{
    (void)ncols;
    (void)names;
    sfn_machine_row *r = ctx;
    r->arn = text_col(&c[0]);
    r->name = text_col(&c[1]);
    r->type = text_col(&c[2]);
    r->definition = text_col(&c[3]);
    r->role_arn = text_col(&c[4]);
    r->logging = text_col(&c[5]);
    r->revision = text_col(&c[6]);
    r->created_ms = c[7].v.i;
    r->updated_ms = c[8].v.i;
    return 1;
}

int sfn_machine_row_get(fg_sfn *s, const char *account, const char *arn, sfn_machine_row *out,
                        fg_errbuf *eb)
{
    memset(out, 0, sizeof *out);
    fg_sval p[2] = {FG_STEXT(account), FG_STEXT(arn)};
    int rc = fg_store_query(s->store,
                            "SELECT arn, name, type, definition, role_arn, logging, revision_id, "
                            "created_ms, updated_ms FROM sfn_state_machines WHERE account_id = $1 "
                            "AND arn = $2",
                            p, 2, read_machine, out, eb);
    if (rc)
        return rc;
    if (!out->arn)
        return fg_failf(eb, FG_ENOTFOUND, "State Machine Does Not Exist: '%s'", arn);
    return 0;
}

void sfn_machine_row_free(sfn_machine_row *r)
{
    free(r->arn);
    free(r->name);
    free(r->type);
    free(r->definition);
    free(r->role_arn);
    free(r->logging);
    free(r->revision);
    memset(r, 0, sizeof *r);
}

static sfn_machine *compile(fg_sfn *s, const sfn_machine_row *row, fg_errbuf *eb)
{
    json_error_t jerr;
    json_t *def = json_loads(row->definition, 0, &jerr);
    if (!def) {
        fg_failf(eb, FG_EINVAL, "the stored definition is not JSON: %s", jerr.text);
        return NULL;
    }
    fg_flow_machine *m = fg_flow_machine_create(def, s->tasks, NULL, eb);
    json_decref(def);
    if (!m)
        return NULL;
    sfn_machine *sm = calloc(1, sizeof *sm);
    if (!sm) {
        fg_flow_machine_free(m);
        fg_failf(eb, FG_ENOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&sm->refs, 1);
    sm->m = m;
    sm->revision = strdup(row->revision ? row->revision : "");
    return sm;
}

sfn_machine *sfn_machine_for(fg_sfn *s, const char *account, const sfn_machine_row *row,
                             fg_errbuf *eb)
{
    char *k = sfn_key(account, row->arn);
    if (!k)
        return NULL;
    pthread_mutex_lock(&s->lock);
    json_t *v = json_object_get(s->machines, k);
    sfn_machine *sm = v ? (sfn_machine *)(intptr_t)json_integer_value(v) : NULL;
    if (sm && row->revision && !strcmp(sm->revision, row->revision))
        atomic_fetch_add(&sm->refs, 1);
    else
        sm = NULL;
    pthread_mutex_unlock(&s->lock);
    if (sm) {
        free(k);
        return sm;
    }
    sm = compile(s, row, eb);
    if (sm) {
        atomic_fetch_add(&sm->refs, 1); /* one for the cache */
        pthread_mutex_lock(&s->lock);
        json_t *old = json_object_get(s->machines, k);
        sfn_machine *prev = old ? (sfn_machine *)(intptr_t)json_integer_value(old) : NULL;
        json_object_set_new(s->machines, k, json_integer((json_int_t)(intptr_t)sm));
        pthread_mutex_unlock(&s->lock);
        sfn_machine_unref(prev);
    }
    free(k);
    return sm;
}

json_t *sfn_execution_row(fg_sfn *s, const char *account, const char *arn)
{
    fg_sval p[2] = {FG_STEXT(account), FG_STEXT(arn)};
    json_t *rows = NULL;
    if (fg_store_query_json(s->store,
                            "SELECT arn, machine_arn, name, type, status, input, output, error, "
                            "cause, start_ms, stop_ms, definition, role_arn, parent_token, exec_id, "
                            "version_arn, alias_arn "
                            "FROM sfn_executions WHERE account_id = $1 AND arn = $2",
                            p, 2, &rows, NULL) != 0)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}
