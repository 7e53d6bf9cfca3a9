/* API keys: fgk_<id>_<secret>, shown once at creation; the store keeps the
 * SHA-256 of the secret (the secret is 256 random bits, so a fast hash is
 * enough), the account, a role, scopes, an expiry, a revocation time and the
 * last use. */
#include "auth/auth_int.h"

#include "core/clock.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_COLUMNS "id, account_id, name, role, scopes, limits, created_ms, expires_ms, revoked_ms, last_used_ms"
#define ID_LEN 16
#define LAST_USE_GRANULARITY_MS 60000

static json_t *parse_limits_column(json_t *row)
{
    const char *text = fg_json_str(row, "limits", "{}");
    json_object_set_new(row, "limits", fg_json_object_or_empty(text, strlen(text)));
    return row;
}

static int scopes_text(const json_t *v, char *out, size_t n, fg_errbuf *eb)
{
    out[0] = 0;
    if (!v)
        return 0;
    if (json_is_string(v)) {
        if (json_string_length(v) >= n)
            return fg_failf(eb, FG_EINVAL, "scopes: too long");
        snprintf(out, n, "%s", json_string_value(v));
        return 0;
    }
    if (!json_is_array(v))
        return fg_failf(eb, FG_EINVAL, "scopes: a list of strings or a space-separated string");
    size_t i, used = 0;
    json_t *s;
    json_array_foreach(v, i, s)
    {
        if (!json_is_string(s) || strchr(json_string_value(s), ' '))
            return fg_failf(eb, FG_EINVAL, "scopes/%zu: a string without spaces", i);
        int w = snprintf(out + used, n - used, "%s%s", used ? " " : "", json_string_value(s));
        if (w < 0 || (size_t)w >= n - used)
            return fg_failf(eb, FG_EINVAL, "scopes: too long");
        used += (size_t)w;
    }
    return 0;
}

static int key_fields(const json_t *body, fg_role *role, int64_t *expires_ms, char *scopes,
                      size_t nscopes, fg_errbuf *eb)
{
    *role = fg__role_parse(fg_json_str(body, "role", "user"));
    if (*role != FG_ROLE_USER && *role != FG_ROLE_OWNER)
        return fg_failf(eb, FG_EINVAL, "role: user or owner");
    json_t *days = json_object_get(body, "expires_in_days");
    *expires_ms = 0;
    if (days) {
        if (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 3650)
            return fg_failf(eb, FG_EINVAL, "expires_in_days: an integer from 1 to 3650");
        *expires_ms = fg_clock_wall_ms() + (int64_t)json_integer_value(days) * 86400000;
    }
    json_t *name = json_object_get(body, "name");
    if (name && (!json_is_string(name) || json_string_length(name) > 200))
        return fg_failf(eb, FG_EINVAL, "name: a string of at most 200 characters");
    json_t *limits = json_object_get(body, "limits");
    if (limits && !json_is_object(limits))
        return fg_failf(eb, FG_EINVAL, "limits: an object");
    return scopes_text(json_object_get(body, "scopes"), scopes, nscopes, eb);
}

int fg__apikey_create(fg_auth *a, const char *account_id, const json_t *body, json_t **out,
                      fg_errbuf *eb)
{
    *out = NULL;
    fg_role role;
    int64_t expires = 0;
    char scopes[256];
    int rc = key_fields(body, &role, &expires, scopes, sizeof scopes, eb);
    if (rc)
        return rc;
    char id[ID_LEN + 1], secret[48], hash[65], key[96];
    fg__random_id(id);
    fg__random_token(secret, 32);
    fg__sha256_hex(secret, strlen(secret), hash);
    snprintf(key, sizeof key, "fgk_%s_%s", id, secret);
    const json_t *lim = json_object_get(body, "limits");
    char *limits = lim ? fg_json_dumps(lim) : strdup("{}");
    int64_t now = fg_clock_wall_ms();
    fg_sval p[8] = {fg__text(id), fg__text(account_id), fg__text(fg_json_str(body, "name", "")),
                    fg__text(hash), fg__text(fg__role_name(role)), fg__text(scopes), fg__text(limits),
                    FG_SINT(now)};
    rc = fg_store_exec(a->store,
                       "INSERT INTO api_keys (id, account_id, name, secret_hash, role, scopes, limits, "
                       "created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       p, 8, NULL, eb);
    free(limits);
    if (!rc && expires) {
        fg_sval q[2] = {FG_SINT(expires), fg__text(id)};
        rc = fg_store_exec(a->store, "UPDATE api_keys SET expires_ms = $1 WHERE id = $2", q, 2, NULL, eb);
    }
    json_t *rows = NULL;
    fg_sval q[1] = {fg__text(id)};
    if (!rc)
        rc = fg_store_query_json(a->store, "SELECT " KEY_COLUMNS " FROM api_keys WHERE id = $1", q, 1,
                                 &rows, eb);
    if (!rc) {
        *out = parse_limits_column(json_incref(json_array_get(rows, 0)));
        json_object_set_new(*out, "key", json_string(key));
    }
    json_decref(rows);
    return rc;
}

int fg__apikey_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb)
{
    fg_sval p[1] = {fg__text(account_id)};
    int rc = fg_store_query_json(a->store,
                                 "SELECT " KEY_COLUMNS " FROM api_keys WHERE account_id = $1 ORDER BY created_ms",
                                 p, 1, out, eb);
    size_t i;
    json_t *row;
    json_array_foreach(rc ? NULL : *out, i, row) parse_limits_column(row);
    return rc;
}

int fg__apikey_revoke(fg_auth *a, const char *account_id, const char *id, fg_errbuf *eb)
{
    fg_sval p[3] = {FG_SINT(fg_clock_wall_ms()), fg__text(id), fg__text(account_id)};
    int64_t changed = 0;
    int rc = fg_store_exec(a->store,
                           account_id ? "UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 AND account_id = $3"
                                      : "UPDATE api_keys SET revoked_ms = $1 WHERE id = $2",
                           p, account_id ? 3 : 2, &changed, eb);
    if (!rc && changed == 0)
        rc = fg_failf(eb, FG_ENOTFOUND, "no API key %s", id);
    return rc;
}

static int update_column(fg_auth *a, const char *column, fg_sval v, const char *id, fg_errbuf *eb)
{
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE api_keys SET %s = $1 WHERE id = $2", column);
    fg_sval p[2] = {v, fg__text(id)};
    return fg_store_exec(a->store, sql, p, 2, NULL, eb);
}

/* The key id of account_id as a new object, or NULL. */
static json_t *find_key(fg_auth *a, const char *account_id, const char *id, fg_errbuf *eb)
{
    json_t *list = NULL, *found = NULL;
    if (fg__apikey_list(a, account_id, &list, eb))
        return NULL;
    size_t i;
    json_t *row;
    json_array_foreach(list, i, row) if (!found && strcmp(fg_json_str(row, "id", ""), id) == 0) found =
        json_incref(row);
    json_decref(list);
    return found;
}

static int check_update_fields(const json_t *body, fg_errbuf *eb)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "name") && strcmp(key, "scopes") && strcmp(key, "limits") && strcmp(key, "expires_in_days"))
            return fg_failf(eb, FG_EINVAL, "%s: not a field a key's owner can change", key);
    }
    return 0;
}

int fg__apikey_update(fg_auth *a, const char *account_id, const char *id, const json_t *body, json_t **out,
                      fg_errbuf *eb)
{
    *out = NULL;
    fg_role role;
    int64_t expires = 0;
    char scopes[256];
    int rc = check_update_fields(body, eb);
    if (!rc)
        rc = key_fields(body, &role, &expires, scopes, sizeof scopes, eb);
    json_t *existing = rc ? NULL : find_key(a, account_id, id, eb);
    if (!rc && !existing)
        rc = fg_failf(eb, FG_ENOTFOUND, "no API key %s", id);
    json_decref(existing);
    if (!rc && json_object_get(body, "name"))
        rc = update_column(a, "name", fg__text(fg_json_str(body, "name", "")), id, eb);
    if (!rc && json_object_get(body, "scopes"))
        rc = update_column(a, "scopes", fg__text(scopes), id, eb);
    if (!rc && json_object_get(body, "expires_in_days"))
        rc = update_column(a, "expires_ms", FG_SINT(expires), id, eb);
    if (!rc && json_object_get(body, "limits")) {
        char *text = fg_json_dumps(json_object_get(body, "limits"));
        rc = update_column(a, "limits", fg__text(text), id, eb);
        free(text);
    }
    if (!rc)
        *out = find_key(a, account_id, id, eb);
    return rc;
}

static void note_use(fg_auth *a, const json_t *row, int64_t now)
{
    if (now - fg_json_int(row, "last_used_ms", 0) < LAST_USE_GRANULARITY_MS)
        return;
    fg_sval p[2] = {FG_SINT(now), fg__text(fg_json_str(row, "id", ""))};
    fg_store_exec(a->store, "UPDATE api_keys SET last_used_ms = $1 WHERE id = $2", p, 2, NULL, NULL);
}

static int check_key_row(const json_t *row, const char *hash, int64_t now, fg_errbuf *eb)
{
    if (!row || !fg__secret_equal(fg_json_str(row, "secret_hash", ""), hash))
        return fg_failf(eb, FG_EDENIED, "unknown API key");
    if (fg_json_int(row, "revoked_ms", 0) > 0)
        return fg_failf(eb, FG_EDENIED, "API key revoked");
    int64_t exp = fg_json_int(row, "expires_ms", 0);
    if (exp > 0 && exp < now)
        return fg_failf(eb, FG_EDENIED, "API key expired");
    return 0;
}

int fg__apikey_principal(fg_auth *a, const char *token, size_t n, fg_principal *p, fg_errbuf *eb)
{
    if (n < 4 + ID_LEN + 2 || n > 200 || token[4 + ID_LEN] != '_')
        return fg_failf(eb, FG_EDENIED, "malformed API key");
    char id[ID_LEN + 1], hash[65];
    memcpy(id, token + 4, ID_LEN);
    id[ID_LEN] = 0;
    fg__sha256_hex(token + 4 + ID_LEN + 1, n - (4 + ID_LEN + 1), hash);
    fg_sval q[1] = {fg__text(id)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(a->store,
                                 "SELECT id, account_id, secret_hash, role, scopes, expires_ms, revoked_ms, "
                                 "last_used_ms FROM api_keys WHERE id = $1",
                                 q, 1, &rows, eb);
    if (rc)
        return rc;
    json_t *row = json_array_get(rows, 0);
    int64_t now = fg_clock_wall_ms();
    rc = check_key_row(row, hash, now, eb);
    if (!rc) {
        snprintf(p->account_id, sizeof p->account_id, "%s", fg_json_str(row, "account_id", ""));
        snprintf(p->key_id, sizeof p->key_id, "%s", id);
        snprintf(p->subject, sizeof p->subject, "key:%s", id);
        snprintf(p->scopes, sizeof p->scopes, "%s", fg_json_str(row, "scopes", ""));
        p->role = fg__role_parse(fg_json_str(row, "role", "user"));
        note_use(a, row, now);
    }
    json_decref(rows);
    return rc;
}
