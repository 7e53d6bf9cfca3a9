/* Users: a login name (or email), an argon2id password hash, a role and an
 * account. Logins count failures and lock a user out for a while after too
 * many in a row. */
#include "auth/auth_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"

#include <stdio.h>
#include <string.h>

#define USER_COLUMNS "id, login, role, account_id, created_ms"
#define MAX_LOGIN 254

/* A user whose password check always fails, so an unknown login costs the
 * same time as a wrong password. */
static const char dummy_hash[] =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
    "7ywM3cqqQmT6WXcEoCcxm0H0ZQ9Xt9m7bXa7sVj2F9w";

static json_t *first_row(json_t *rows)
{
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

int fg__user_count(fg_auth *a, long long *n, fg_errbuf *eb)
{
    json_t *rows = NULL;
    int rc = fg_store_query_json(a->store, "SELECT COUNT(*) AS n FROM users", NULL, 0, &rows, eb);
    if (!rc)
        *n = fg_json_int(json_array_get(rows, 0), "n", 0);
    json_decref(rows);
    return rc;
}

static int check_login_name(const char *login, fg_errbuf *eb)
{
    size_t n = strlen(login);
    if (n == 0 || n > MAX_LOGIN)
        return fg_failf(eb, FG_EINVAL, "login: 1 to %d characters", MAX_LOGIN);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)login[i] <= ' ' || login[i] == 0x7f)
            return fg_failf(eb, FG_EINVAL, "login: no spaces or control characters");
    return 0;
}

static int account_exists(fg_auth *a, const char *account_id, fg_errbuf *eb)
{
    json_t *acc = NULL;
    const char *parents[] = {NULL};
    int rc = fg__obj_get(a, FG_OBJ_ACCOUNT, parents, account_id, &acc, eb);
    json_decref(acc);
    return rc;
}

int fg__user_get(fg_auth *a, const char *account_id, const char *id, json_t **out, fg_errbuf *eb)
{
    fg_sval p[2] = {fg__text(id), fg__text(account_id)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(a->store,
                                 account_id ? "SELECT " USER_COLUMNS " FROM users WHERE (id = $1 OR login = $1) AND account_id = $2"
                                            : "SELECT " USER_COLUMNS " FROM users WHERE id = $1 OR login = $1",
                                 p, account_id ? 2 : 1, &rows, eb);
    if (rc)
        return rc;
    *out = first_row(rows);
    return *out ? 0 : fg_failf(eb, FG_ENOTFOUND, "no user %s", id);
}

int fg__user_create(fg_auth *a, const char *login, const char *password, fg_role role,
                    const char *account_id, json_t **out, fg_errbuf *eb)
{
    if (out)
        *out = NULL;
    int rc = check_login_name(login, eb);
    if (!rc)
        rc = fg__password_check(password, eb);
    if (!rc && role == FG_ROLE_NONE)
        rc = fg_failf(eb, FG_EINVAL, "role: one of admin, owner, user");
    if (!rc && role != FG_ROLE_ADMIN && (!account_id || !*account_id))
        rc = fg_failf(eb, FG_EINVAL, "account_id: required for an owner or a user");
    if (!rc && account_id && *account_id)
        rc = account_exists(a, account_id, eb);
    if (rc)
        return rc;
    json_t *existing = NULL;
    if (fg__user_get(a, NULL, login, &existing, NULL) == 0) {
        json_decref(existing);
        return fg_failf(eb, FG_EEXIST, "a user with login %s exists", login);
    }
    char hash[256], id[37];
    rc = fg__password_hash(a, password, hash, sizeof hash, eb);
    if (rc)
        return rc;
    fg_rand_uuid(id);
    fg_sval p[6] = {fg__text(id), fg__text(login), fg__text(hash), fg__text(fg__role_name(role)),
                    fg__text(account_id && *account_id ? account_id : NULL), FG_SINT(fg_clock_wall_ms())};
    rc = fg_store_exec(a->store,
                       "INSERT INTO users (id, login, password_hash, role, account_id, created_ms) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
                       p, 6, NULL, eb);
    if (!rc && out)
        rc = fg__user_get(a, NULL, id, out, eb);
    return rc;
}

int fg__user_set_password(fg_auth *a, const char *login_or_id, const char *password, fg_errbuf *eb)
{
    int rc = fg__password_check(password, eb);
    json_t *user = NULL;
    if (!rc)
        rc = fg__user_get(a, NULL, login_or_id, &user, eb);
    char hash[256];
    if (!rc)
        rc = fg__password_hash(a, password, hash, sizeof hash, eb);
    if (!rc) {
        const char *id = fg_json_str(user, "id", "");
        fg_sval p[2] = {fg__text(hash), fg__text(id)};
        rc = fg_store_exec(a->store,
                           "UPDATE users SET password_hash = $1, failed_logins = 0, "
                           "locked_until_ms = 0 WHERE id = $2",
                           p, 2, NULL, eb);
        if (!rc)
            rc = fg__tokens_revoke_user(a, id, eb);
    }
    json_decref(user);
    return rc;
}

int fg__user_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb)
{
    fg_sval p[1] = {fg__text(account_id)};
    return fg_store_query_json(a->store,
                               account_id ? "SELECT " USER_COLUMNS " FROM users WHERE account_id = $1 ORDER BY login"
                                          : "SELECT " USER_COLUMNS " FROM users ORDER BY login",
                               p, account_id ? 1 : 0, out, eb);
}

int fg__user_update(fg_auth *a, const char *account_id, const char *id, const json_t *body,
                    fg_errbuf *eb)
{
    json_t *user = NULL;
    int rc = fg__user_get(a, account_id, id, &user, eb);
    if (rc)
        return rc;
    const char *uid = fg_json_str(user, "id", "");
    json_t *role = json_object_get(body, "role"), *pw = json_object_get(body, "password");
    if (role && (!json_is_string(role) || fg__role_parse(json_string_value(role)) == FG_ROLE_NONE))
        rc = fg_failf(eb, FG_EINVAL, "role: one of admin, owner, user");
    else if (pw && !json_is_string(pw))
        rc = fg_failf(eb, FG_EINVAL, "password: must be a string");
    if (!rc && role) {
        fg_sval p[2] = {fg__text(json_string_value(role)), fg__text(uid)};
        rc = fg_store_exec(a->store, "UPDATE users SET role = $1 WHERE id = $2", p, 2, NULL, eb);
    }
    if (!rc && pw)
        rc = fg__user_set_password(a, uid, json_string_value(pw), eb);
    json_decref(user);
    return rc;
}

int fg__user_delete(fg_auth *a, const char *account_id, const char *id, fg_errbuf *eb)
{
    json_t *user = NULL;
    int rc = fg__user_get(a, account_id, id, &user, eb);
    if (rc)
        return rc;
    fg_sval p[1] = {fg__text(fg_json_str(user, "id", ""))};
    rc = fg_store_exec(a->store, "DELETE FROM refresh_tokens WHERE user_id = $1", p, 1, NULL, eb);
    if (!rc)
        rc = fg_store_exec(a->store, "DELETE FROM users WHERE id = $1", p, 1, NULL, eb);
    json_decref(user);
    return rc;
}

static int record_failure(fg_auth *a, const json_t *row, int64_t now, fg_errbuf *eb)
{
    long long failed = fg_json_int(row, "failed_logins", 0) + 1;
    int64_t until = failed >= a->lockout_failures ? now + a->lockout_s * 1000 : 0;
    fg_sval p[3] = {FG_SINT(failed >= a->lockout_failures ? 0 : failed), FG_SINT(until),
                    fg__text(fg_json_str(row, "id", ""))};
    return fg_store_exec(a->store,
                         "UPDATE users SET failed_logins = $1, locked_until_ms = $2 WHERE id = $3",
                         p, 3, NULL, eb);
}

int fg__user_login(fg_auth *a, const char *login, const char *password, json_t **user,
                   int64_t *retry_after_s, fg_errbuf *eb)
{
    *user = NULL;
    *retry_after_s = 0;
    fg_sval p[1] = {fg__text(login)};
    json_t *rows = NULL;
    int rc = fg_store_query_json(a->store,
                                 "SELECT " USER_COLUMNS ", password_hash, failed_logins, locked_until_ms "
                                 "FROM users WHERE login = $1",
                                 p, 1, &rows, eb);
    if (rc)
        return rc;
    json_t *row = first_row(rows);
    int64_t now = fg_clock_wall_ms();
    int64_t locked_until = fg_json_int(row, "locked_until_ms", 0);
    if (row && locked_until > now) {
        *retry_after_s = (locked_until - now + 999) / 1000;
        json_decref(row);
        return fg_failf(eb, FG_ELIMIT, "too many failed logins: try again later");
    }
    bool ok = fg__password_verify(row ? fg_json_str(row, "password_hash", dummy_hash) : dummy_hash,
                                  password);
    if (!row || !ok) {
        if (row)
            record_failure(a, row, now, NULL);
        json_decref(row);
        return fg_failf(eb, FG_EDENIED, "wrong login or password");
    }
    fg_sval q[1] = {fg__text(fg_json_str(row, "id", ""))};
    fg_store_exec(a->store, "UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = $1",
                  q, 1, NULL, NULL);
    json_object_del(row, "password_hash");
    json_object_del(row, "failed_logins");
    json_object_del(row, "locked_until_ms");
    *user = row;
    return 0;
}

static int ensure_default_account(fg_auth *a, fg_errbuf *eb)
{
    const char *parents[] = {NULL};
    json_t *acc = NULL;
    if (fg__obj_get(a, FG_OBJ_ACCOUNT, parents, "default", &acc, NULL) == 0) {
        json_decref(acc);
        return 0;
    }
    json_t *body = json_pack("{s:s,s:s,s:s}", "id", "default", "name", "Default account",
                             "description", "Created at first start");
    int rc = fg__obj_create(a, FG_OBJ_ACCOUNT, parents, body, NULL, eb);
    json_decref(body);
    return rc;
}

int fg__first_start(fg_auth *a, fg_errbuf *eb)
{
    long long n = 0;
    int rc = fg__user_count(a, &n, eb);
    if (rc || n > 0)
        return rc;
    char password[24];
    rc = ensure_default_account(a, eb);
    if (!rc) {
        fg__password_random(password);
        rc = fg__user_create(a, "admin", password, FG_ROLE_ADMIN, "default", NULL, eb);
    }
    if (rc)
        return rc;
    /* Printed once, on standard output (never into the log). */
    printf("\nflowgate first start: created the admin user.\n"
           "  login:    admin\n"
           "  password: %s\n"
           "Log in with: curl -X POST http://HOST:PORT/auth/login -H 'Content-Type: application/json' "
           "-d '{\"login\":\"admin\",\"password\":\"...\"}'\n"
           "Change it with `flowgate admin set-password admin`. This password is not shown again.\n\n",
           password);
    fflush(stdout);
    return 0;
}

const char *fg__role_name(fg_role r)
{
    switch (r) {
    case FG_ROLE_ADMIN:
        return "admin";
    case FG_ROLE_OWNER:
        return "owner";
    case FG_ROLE_USER:
        return "user";
    default:
        return "none";
    }
}

fg_role fg__role_parse(const char *s)
{
    if (!s)
        return FG_ROLE_NONE;
    if (strcmp(s, "admin") == 0)
        return FG_ROLE_ADMIN;
    if (strcmp(s, "owner") == 0)
        return FG_ROLE_OWNER;
    if (strcmp(s, "user") == 0)
        return FG_ROLE_USER;
    return FG_ROLE_NONE;
}
