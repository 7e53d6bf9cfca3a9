/* Accounts and the objects they own (inference endpoints, workflows, workflow
 * prompts), one table each, handled by one table-driven set of operations:
 * every kind says its table, its parent keys, its fields and their types. JSON
 * fields are stored as text and come back as real JSON; a JSON field given as
 * a string that holds JSON (the seed's JSON-in-JSON) is parsed. */
#include "auth/auth_int.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ID 64
#define MAX_TEXT (1 << 20)

typedef enum field_type { FT_TEXT, FT_OBJECT, FT_JSON } field_type;

typedef struct field {
    const char *name;
    field_type type;
    bool required;
} field;

typedef struct kind_def {
    const char *what;
    const char *table;
    int nparents;
    const char *parent_cols[2];
    bool numeric_id; /* new ids count up 1, 2, ... like the seed's workflow#details#<n> */
    const field *fields;
} kind_def;

static const field account_fields[] = {
    {"name", FT_TEXT, true}, {"description", FT_TEXT, false}, {"limits", FT_OBJECT, false}, {NULL, 0, 0}};
static const field endpoint_fields[] = {
    {"type", FT_TEXT, false}, {"url", FT_TEXT, false}, {"description", FT_TEXT, false}, {NULL, 0, 0}};
static const field workflow_fields[] = {
    {"name", FT_TEXT, true},       {"description", FT_TEXT, false},     {"type", FT_TEXT, false},
    {"arn", FT_TEXT, false},       {"definition", FT_JSON, false},      {"assistant_params", FT_OBJECT, false},
    {NULL, 0, 0}};
static const field prompt_fields[] = {{"type", FT_TEXT, false},
                                      {"role", FT_TEXT, false},
                                      {"content", FT_TEXT, false},
                                      {"description", FT_TEXT, false},
                                      {NULL, 0, 0}};

static const kind_def kinds[] = {
    [FG_OBJ_ACCOUNT] = {"account", "accounts", 0, {NULL, NULL}, false, account_fields},
    [FG_OBJ_ENDPOINT] = {"inference endpoint", "inference_endpoints", 1, {"account_id", NULL}, true,
                         endpoint_fields},
    [FG_OBJ_WORKFLOW] = {"workflow", "workflows", 1, {"account_id", NULL}, true, workflow_fields},
    [FG_OBJ_PROMPT] = {"workflow prompt", "workflow_prompts", 2, {"account_id", "workflow_id"}, true,
                       prompt_fields},
};

static const field *find_field(const kind_def *k, const char *name)
{
    for (const field *f = k->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static void select_columns(const kind_def *k, fg_buf *sql)
{
    fg_buf_puts(sql, "SELECT ");
    for (int i = 0; i < k->nparents; i++)
        fg_buf_printf(sql, "%s, ", k->parent_cols[i]);
    fg_buf_puts(sql, "id");
    for (const field *f = k->fields; f->name; f++)
        fg_buf_printf(sql, ", %s", f->name);
    fg_buf_printf(sql, " FROM %s WHERE ", k->table);
    for (int i = 0; i < k->nparents; i++)
        fg_buf_printf(sql, "%s = $%d AND ", k->parent_cols[i], i + 1);
}

static void decode_json_columns(const kind_def *k, json_t *row)
{
    for (const field *f = k->fields; f->name; f++) {
        if (f->type == FT_TEXT)
            continue;
        json_t *v = json_object_get(row, f->name);
        if (!json_is_string(v))
            continue;
        json_error_t jerr;
        json_t *parsed = fg_json_parse(json_string_value(v), json_string_length(v), &jerr);
        json_object_set_new(row, f->name, parsed ? parsed : json_null());
    }
}

static void parent_params(const kind_def *k, const char *const *parents, fg_sval *p)
{
    for (int i = 0; i < k->nparents; i++)
        p[i] = fg__text(parents[i]);
}

int fg__obj_list(fg_auth *a, fg_obj_kind kind, const char *const *parents, json_t **out, fg_errbuf *eb)
{
    const kind_def *k = &kinds[kind];
    fg_buf sql;
    fg_buf_init(&sql, 0);
    select_columns(k, &sql);
    fg_buf_puts(&sql, "1 = 1 ORDER BY length(id), id");
    fg_sval p[2];
    parent_params(k, parents, p);
    int rc = fg_store_query_json(a->store, sql.data, p, k->nparents, out, eb);
    fg_buf_free(&sql);
    size_t i;
    json_t *row;
    json_array_foreach(rc ? NULL : *out, i, row) decode_json_columns(k, row);
    return rc;
}

int fg__obj_get(fg_auth *a, fg_obj_kind kind, const char *const *parents, const char *id, json_t **out,
                fg_errbuf *eb)
{
    const kind_def *k = &kinds[kind];
    *out = NULL;
    fg_buf sql;
    fg_buf_init(&sql, 0);
    select_columns(k, &sql);
    fg_buf_printf(&sql, "id = $%d", k->nparents + 1);
    fg_sval p[3];
    parent_params(k, parents, p);
    p[k->nparents] = fg__text(id);
    json_t *rows = NULL;
    int rc = fg_store_query_json(a->store, sql.data, p, k->nparents + 1, &rows, eb);
    fg_buf_free(&sql);
    if (rc)
        return rc;
    *out = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (!*out)
        return fg_failf(eb, FG_ENOTFOUND, "no %s %s", k->what, id);
    decode_json_columns(k, *out);
    return 0;
}

static int check_id(const char *id, fg_errbuf *eb)
{
    size_t n = strlen(id);
    if (n == 0 || n > MAX_ID)
        return fg_failf(eb, FG_EINVAL, "id: 1 to %d characters", MAX_ID);
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:", id[i]))
            return fg_failf(eb, FG_EINVAL, "id: letters, digits and - _ . : only");
    return 0;
}

/* The text stored for field f from the body's value v: *text is malloc'd (NULL
 * for a JSON null). */
static int field_text(const field *f, const json_t *v, char **text, fg_errbuf *eb)
{
    *text = NULL;
    if (f->type == FT_TEXT) {
        if (!json_is_string(v))
            return fg_failf(eb, FG_EINVAL, "%s: must be a string", f->name);
        if (json_string_length(v) > MAX_TEXT)
            return fg_failf(eb, FG_EINVAL, "%s: longer than %d bytes", f->name, MAX_TEXT);
        *text = strdup(json_string_value(v));
        return 0;
    }
    json_t *parsed = NULL;
    if (json_is_string(v)) { /* JSON-in-JSON, as the seed stores it */
        json_error_t jerr;
        parsed = fg_json_parse(json_string_value(v), json_string_length(v), &jerr);
        if (!parsed)
            return fg_failf(eb, FG_EINVAL, "%s: the string is not JSON: %s", f->name, jerr.text);
        v = parsed;
    }
    int rc = 0;
    if (json_is_null(v) && f->type == FT_JSON)
        ;
    else if (!json_is_object(v))
        rc = fg_failf(eb, FG_EINVAL, "%s: must be a JSON object", f->name);
    else
        *text = fg_json_dumps(v);
    json_decref(parsed);
    return rc;
}

/* Checks every member of body against the kind's fields. */
static int check_body(const kind_def *k, const json_t *body, bool creating, fg_errbuf *eb)
{
    if (!json_is_object(body))
        return fg_failf(eb, FG_EINVAL, "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "id") == 0 || find_field(k, key))
            continue;
        bool parent = false;
        for (int i = 0; i < k->nparents; i++)
            parent = parent || strcmp(key, k->parent_cols[i]) == 0;
        if (!parent)
            return fg_failf(eb, FG_EINVAL, "%s: unknown field of a %s", key, k->what);
    }
    for (const field *f = k->fields; creating && f->name; f++)
        if (f->required && !json_object_get(body, f->name))
            return fg_failf(eb, FG_EINVAL, "%s: required", f->name);
    return 0;
}

static int next_numeric_id(fg_auth *a, const kind_def *k, const char *const *parents, char *out,
                           fg_errbuf *eb)
{
    json_t *rows = NULL;
    int rc = fg__obj_list(a, (fg_obj_kind)(k - kinds), parents, &rows, eb);
    long long max = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rc ? NULL : rows, i, row)
    {
        char *end = NULL;
        long long n = strtoll(fg_json_str(row, "id", ""), &end, 10);
        if (end && !*end && n > max)
            max = n;
    }
    json_decref(rows);
    snprintf(out, MAX_ID + 1, "%lld", max + 1);
    return rc;
}

static int check_parents(fg_auth *a, const kind_def *k, const char *const *parents, fg_errbuf *eb)
{
    json_t *o = NULL;
    int rc = 0;
    if (k->nparents >= 1)
        rc = fg__obj_get(a, FG_OBJ_ACCOUNT, NULL, parents[0], &o, eb);
    json_decref(o);
    o = NULL;
    if (!rc && k->nparents == 2)
        rc = fg__obj_get(a, FG_OBJ_WORKFLOW, parents, parents[1], &o, eb);
    json_decref(o);
    return rc;
}

static int choose_id(fg_auth *a, const kind_def *k, const char *const *parents, const json_t *body,
                     char *id, fg_errbuf *eb)
{
    json_t *given = json_object_get(body, "id");
    if (given) {
        if (!json_is_string(given))
            return fg_failf(eb, FG_EINVAL, "id: must be a string");
        snprintf(id, MAX_ID + 1, "%s", json_string_value(given));
        return check_id(json_string_value(given), eb);
    }
    if (k->numeric_id)
        return next_numeric_id(a, k, parents, id, eb);
    fg_rand_uuid(id);
    return 0;
}

static int insert_row(fg_auth *a, const kind_def *k, const char *const *parents, const char *id,
                      const json_t *body, fg_errbuf *eb)
{
    fg_buf sql, vals;
    fg_buf_init(&sql, 0);
    fg_buf_init(&vals, 0);
    fg_sval p[16];
    char *texts[16] = {0};
    int np = 0, rc = 0;
    fg_buf_printf(&sql, "INSERT INTO %s (", k->table);
    for (int i = 0; i < k->nparents; i++) {
        fg_buf_printf(&sql, "%s, ", k->parent_cols[i]);
        p[np++] = fg__text(parents[i]);
        fg_buf_printf(&vals, "$%d, ", np);
    }
    fg_buf_puts(&sql, "id");
    p[np++] = fg__text(id);
    fg_buf_printf(&vals, "$%d", np);
    for (const field *f = k->fields; f->name && !rc; f++) {
        json_t *v = json_object_get(body, f->name);
        if (!v)
            continue;
        rc = field_text(f, v, &texts[np], eb);
        fg_buf_printf(&sql, ", %s", f->name);
        p[np] = texts[np] ? fg__text(texts[np]) : FG_SNULL;
        np++;
        fg_buf_printf(&vals, ", $%d", np);
    }
    if (k == &kinds[FG_OBJ_ACCOUNT]) {
        fg_buf_puts(&sql, ", created_ms");
        p[np++] = FG_SINT(fg_clock_wall_ms());
        fg_buf_printf(&vals, ", $%d", np);
    }
    fg_buf_printf(&sql, ") VALUES (%s)", vals.data);
    if (!rc)
        rc = fg_store_exec(a->store, sql.data, p, np, NULL, eb);
    for (int i = 0; i < np; i++)
        free(texts[i]);
    fg_buf_free(&sql);
    fg_buf_free(&vals);
    return rc;
}

int fg__obj_create(fg_auth *a, fg_obj_kind kind, const char *const *parents, const json_t *body,
                   json_t **out, fg_errbuf *eb)
{
    const kind_def *k = &kinds[kind];
    if (out)
        *out = NULL;
    char id[MAX_ID + 1];
    int rc = check_body(k, body, true, eb);
    if (!rc)
        rc = check_parents(a, k, parents, eb);
    if (!rc)
        rc = choose_id(a, k, parents, body, id, eb);
    if (rc)
        return rc;
    json_t *existing = NULL;
    if (fg__obj_get(a, kind, parents, id, &existing, NULL) == 0) {
        json_decref(existing);
        return fg_failf(eb, FG_EEXIST, "%s %s exists", k->what, id);
    }
    rc = insert_row(a, k, parents, id, body, eb);
    if (!rc && out)
        rc = fg__obj_get(a, kind, parents, id, out, eb);
    return rc;
}

static int update_field(fg_auth *a, const kind_def *k, const char *const *parents, const char *id,
                        const field *f, const json_t *v, fg_errbuf *eb)
{
    char *text = NULL;
    int rc = field_text(f, v, &text, eb);
    if (rc)
        return rc;
    fg_buf sql;
    fg_buf_init(&sql, 0);
    fg_buf_printf(&sql, "UPDATE %s SET %s = $1 WHERE id = $2", k->table, f->name);
    fg_sval p[4] = {text ? fg__text(text) : FG_SNULL, fg__text(id)};
    for (int i = 0; i < k->nparents; i++) {
        fg_buf_printf(&sql, " AND %s = $%d", k->parent_cols[i], i + 3);
        p[i + 2] = fg__text(parents[i]);
    }
    rc = fg_store_exec(a->store, sql.data, p, 2 + k->nparents, NULL, eb);
    fg_buf_free(&sql);
    free(text);
    return rc;
}

int fg__obj_update(fg_auth *a, fg_obj_kind kind, const char *const *parents, const char *id,
                   const json_t *body, fg_errbuf *eb)
{
    const kind_def *k = &kinds[kind];
    json_t *existing = NULL;
    int rc = check_body(k, body, false, eb);
    if (!rc)
        rc = fg__obj_get(a, kind, parents, id, &existing, eb);
    json_decref(existing);
    if (!rc && fg_store_begin(a->store, eb) == 0) {
        for (const field *f = k->fields; f->name && !rc; f++) {
            json_t *v = json_object_get(body, f->name);
            if (v)
                rc = update_field(a, k, parents, id, f, v, eb);
        }
        if (rc)
            fg_store_rollback(a->store);
        else
            rc = fg_store_commit(a->store, eb);
    }
    return rc;
}

int fg__obj_put(fg_auth *a, fg_obj_kind kind, const char *const *parents, const char *id,
                const json_t *body, fg_errbuf *eb)
{
    json_t *existing = NULL;
    if (fg__obj_get(a, kind, parents, id, &existing, NULL) == 0) {
        json_decref(existing);
        return fg__obj_update(a, kind, parents, id, body, eb);
    }
    json_t *with_id = json_deep_copy(body);
    json_object_set_new(with_id, "id", json_string(id));
    int rc = fg__obj_create(a, kind, parents, with_id, NULL, eb);
    json_decref(with_id);
    return rc;
}

static int delete_where(fg_auth *a, const char *sql, const char *p1, const char *p2, fg_errbuf *eb)
{
    fg_sval p[2] = {fg__text(p1), fg__text(p2)};
    return fg_store_exec(a->store, sql, p, p2 ? 2 : 1, NULL, eb);
}

static int delete_account_rows(fg_auth *a, const char *id, fg_errbuf *eb)
{
    static const char *const stmts[] = {
        "DELETE FROM refresh_tokens WHERE user_id IN (SELECT id FROM users WHERE account_id = $1)",
        "DELETE FROM users WHERE account_id = $1",
        "DELETE FROM api_keys WHERE account_id = $1",
        "DELETE FROM workflow_prompts WHERE account_id = $1",
        "DELETE FROM workflows WHERE account_id = $1",
        "DELETE FROM inference_endpoints WHERE account_id = $1",
        "DELETE FROM accounts WHERE id = $1",
    };
    int rc = 0;
    for (size_t i = 0; i < FG_ARRAY_LEN(stmts) && !rc; i++)
        rc = delete_where(a, stmts[i], id, NULL, eb);
    return rc;
}

static int delete_rows(fg_auth *a, fg_obj_kind kind, const char *const *parents, const char *id,
                       fg_errbuf *eb)
{
    switch (kind) {
    case FG_OBJ_ACCOUNT:
        return delete_account_rows(a, id, eb);
    case FG_OBJ_ENDPOINT:
        return delete_where(a, "DELETE FROM inference_endpoints WHERE account_id = $1 AND id = $2",
                            parents[0], id, eb);
    case FG_OBJ_WORKFLOW: {
        int rc = delete_where(a, "DELETE FROM workflow_prompts WHERE account_id = $1 AND workflow_id = $2",
                              parents[0], id, eb);
        return rc ? rc
                  : delete_where(a, "DELETE FROM workflows WHERE account_id = $1 AND id = $2", parents[0],
                                 id, eb);
    }
    case FG_OBJ_PROMPT: {
        fg_sval p[3] = {fg__text(parents[0]), fg__text(parents[1]), fg__text(id)};
        return fg_store_exec(a->store,
                             "DELETE FROM workflow_prompts WHERE account_id = $1 AND workflow_id = $2 AND id = $3",
                             p, 3, NULL, eb);
    }
    }
    return FG_EINTERNAL;
}

int fg__obj_delete(fg_auth *a, fg_obj_kind kind, const char *const *parents, const char *id,
                   fg_errbuf *eb)
{
    json_t *existing = NULL;
    int rc = fg__obj_get(a, kind, parents, id, &existing, eb);
    json_decref(existing);
    if (rc)
        return rc;
    rc = fg_store_begin(a->store, eb);
    if (rc)
        return rc;
    rc = delete_rows(a, kind, parents, id, eb);
    if (rc) {
        fg_store_rollback(a->store);
        return rc;
    }
    return fg_store_commit(a->store, eb);
}

int fg__workflow_find(fg_auth *a, const char *account_id, const char *ref, json_t **out, fg_errbuf *eb)
{
    *out = NULL;
    const char *parents[] = {account_id};
    static const char prefix[] = "workflow#details#";
    const char *id = strncmp(ref, prefix, sizeof prefix - 1) == 0 ? ref + sizeof prefix - 1 : ref;
    if (fg__obj_get(a, FG_OBJ_WORKFLOW, parents, id, out, NULL) == 0)
        return 0;
    json_t *all = NULL;
    int rc = fg__obj_list(a, FG_OBJ_WORKFLOW, parents, &all, eb);
    size_t i;
    json_t *w;
    json_array_foreach(rc ? NULL : all, i, w) if (strcmp(fg_json_str(w, "name", ""), ref) == 0 && !*out)
        *out = json_incref(w);
    json_decref(all);
    if (rc)
        return rc;
    return *out ? 0 : fg_failf(eb, FG_ENOTFOUND, "no workflow %s", ref);
}
