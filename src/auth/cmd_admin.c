/* flowgate admin: accounts, users, API keys, workflows and the seed's
 * configuration items, from the command line, on the same store the server
 * uses (it may be running). */
#include "auth/auth_int.h"

#include "cli/args.h"
#include "core/json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fg_auth_cmd_admin(int argc, char **argv);

typedef struct admin_env {
    const char *data, *config;
    fg_config *cfg;
    fg_store *store;
    fg_auth *auth;
    fg_errbuf eb;
} admin_env;

#define COMMON_OPTS(env)                                                                            \
    {"data", FG_OPT_STR, &(env).data, "DIR", "data folder (default ./flowgate-data)"},              \
        {"config", FG_OPT_STR, &(env).config, "FILE", "configuration file (for auth.* settings)"}

static int env_open(admin_env *e)
{
    fg_buf problems;
    fg_buf_init(&problems, 1 << 20);
    int rc = fg_config_load(e->config, &e->cfg, &problems);
    if (rc) {
        fputs(problems.data ? problems.data : "", stderr);
        fg_buf_free(&problems);
        return rc;
    }
    fg_buf_free(&problems);
    if (!e->data)
        e->data = fg_config_str(e->cfg, "data_dir");
    char url[PATH_MAX + 32];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", e->data);
    rc = fg_store_open(url, &e->store, &e->eb);
    if (!rc)
        rc = fg__auth_open(e->cfg, e->store, false, &e->auth, &e->eb);
    if (rc)
        fprintf(stderr, "flowgate admin: %s\n", e->eb.msg);
    return rc;
}

static int env_close(admin_env *e, int rc)
{
    if (rc && e->eb.msg[0] && e->auth)
        fprintf(stderr, "flowgate admin: %s\n", e->eb.msg);
    fg_auth_free(e->auth);
    fg_store_close(e->store);
    fg_config_free(e->cfg);
    return rc ? 1 : 0;
}

static int parse(const fg_cli *cli, int argc, char **argv, int *npos)
{
    int rc = fg_cli_parse(cli, argc, argv, npos);
    return rc == FG_CLI_RUN ? -1 : FG_CLI_EXIT(rc);
}

static void print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2));
    if (text)
        puts(text);
    free(text);
}

static int kind_parse(const char *s, fg_obj_kind *k)
{
    static const char *const names[] = {"account", "endpoint", "workflow", "prompt"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *k = (fg_obj_kind)i;
            return 0;
        }
    fprintf(stderr, "flowgate admin: unknown kind %s (account, endpoint, workflow, prompt)\n", s);
    return -1;
}

static json_t *read_json_arg(const char *arg, fg_errbuf *eb)
{
    json_error_t jerr;
    json_t *v = arg[0] == '@' ? fg_json_load_file(arg + 1, &jerr) : fg_json_parse(arg, strlen(arg), &jerr);
    if (!v)
        fg_failf(eb, FG_EPARSE, "%s: %s (line %d)", arg[0] == '@' ? arg + 1 : "--json", jerr.text, jerr.line);
    return v;
}

/* --- generic objects ----------------------------------------------------------- */

typedef enum obj_verb { V_LIST, V_GET, V_PUT, V_DELETE } obj_verb;

static int obj_run(admin_env *e, obj_verb verb, fg_obj_kind k, const char *id, const char *account,
                   const char *workflow, const char *body_arg)
{
    const char *parents[] = {account, workflow};
    if ((k != FG_OBJ_ACCOUNT && !account) || (k == FG_OBJ_PROMPT && !workflow))
        return fg_failf(&e->eb, FG_EINVAL, "--account (and --workflow for prompts) required");
    json_t *out = NULL, *body = NULL;
    int rc = 0;
    if (verb == V_LIST) {
        rc = fg__obj_list(e->auth, k, parents, &out, &e->eb);
    } else if (verb == V_GET) {
        rc = fg__obj_get(e->auth, k, parents, id, &out, &e->eb);
    } else if (verb == V_DELETE) {
        rc = fg__obj_delete(e->auth, k, parents, id, &e->eb);
    } else {
        body = read_json_arg(body_arg ? body_arg : "{}", &e->eb);
        rc = body ? fg__obj_put(e->auth, k, parents, id, body, &e->eb) : FG_EPARSE;
        if (!rc)
            rc = fg__obj_get(e->auth, k, parents, id, &out, &e->eb);
    }
    if (!rc && out)
        print_json(out);
    json_decref(out);
    json_decref(body);
    return rc;
}

static int cmd_object(int argc, char **argv, obj_verb verb)
{
    admin_env e = {0};
    const char *account = NULL, *workflow = NULL, *json = NULL;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"account", FG_OPT_STR, &account, "ID", "the account the object belongs to"},
        {"workflow", FG_OPT_STR, &workflow, "ID", "the workflow a prompt belongs to"},
        {"json", FG_OPT_STR, &json, "JSON|@FILE", "the object's fields (put)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    static const char *const usages[] = {
        "flowgate admin list KIND [--account ID] [--workflow ID]",
        "flowgate admin get KIND ID [--account ID] [--workflow ID]",
        "flowgate admin put KIND ID [--account ID] [--workflow ID] --json JSON|@FILE",
        "flowgate admin delete KIND ID [--account ID] [--workflow ID]",
    };
    const fg_cli cli = {
        .usage = usages[verb],
        .summary = "KIND is account, endpoint (inference endpoint), workflow or prompt. put creates\n"
                   "the object or changes the fields the JSON names; workflow fields: name,\n"
                   "description, type, arn, definition (the ASL state machine), assistant_params.",
        .opts = opts, .min_positional = verb == V_LIST ? 1 : 2, .max_positional = verb == V_LIST ? 1 : 2,
    };
    int npos = 0, rc = parse(&cli, argc, argv, &npos);
    if (rc >= 0)
        return rc;
    fg_obj_kind k;
    if (kind_parse(argv[1], &k))
        return 2;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    rc = obj_run(&e, verb, k, npos > 1 ? argv[2] : NULL, account, workflow, json);
    return env_close(&e, rc);
}

static int cmd_list(int argc, char **argv) { return cmd_object(argc, argv, V_LIST); }
static int cmd_get(int argc, char **argv) { return cmd_object(argc, argv, V_GET); }
static int cmd_put(int argc, char **argv) { return cmd_object(argc, argv, V_PUT); }
static int cmd_delete(int argc, char **argv) { return cmd_object(argc, argv, V_DELETE); }

/* --- users ------------------------------------------------------------------------- */

static int cmd_create_user(int argc, char **argv)
{
    admin_env e = {0};
    const char *account = NULL, *role = "user", *password = NULL;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"account", FG_OPT_STR, &account, "ID", "the user's account (required unless admin)"},
        {"role", FG_OPT_STR, &role, "ROLE", "admin, owner or user (default user)"},
        {"password", FG_OPT_STR, &password, "PW", "the password (default: a random one, printed)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {.usage = "flowgate admin create-user LOGIN [--account ID] [--role ROLE] [--password PW]",
                        .summary = "Creates a user that logs in with POST /auth/login.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    char random_pw[24];
    if (!password) {
        fg__password_random(random_pw);
        password = random_pw;
    }
    json_t *user = NULL;
    rc = fg__user_create(e.auth, argv[1], password, fg__role_parse(role), account, &user, &e.eb);
    if (!rc) {
        print_json(user);
        if (password == random_pw)
            printf("password: %s\n", random_pw);
    }
    json_decref(user);
    return env_close(&e, rc);
}

static int cmd_set_password(int argc, char **argv)
{
    admin_env e = {0};
    const char *password = NULL;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"password", FG_OPT_STR, &password, "PW", "the new password (default: a random one, printed)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {.usage = "flowgate admin set-password LOGIN [--password PW]",
                        .summary = "Sets a user's password, lifts a lockout and signs the user out "
                                   "everywhere.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    char random_pw[24];
    if (!password) {
        fg__password_random(random_pw);
        password = random_pw;
    }
    rc = fg__user_set_password(e.auth, argv[1], password, &e.eb);
    if (!rc)
        printf(password == random_pw ? "password of %s set to: %s\n" : "password of %s changed%.0s\n", argv[1],
               random_pw);
    return env_close(&e, rc);
}

static int cmd_users(int argc, char **argv)
{
    admin_env e = {0};
    const char *account = NULL;
    const fg_opt opts[] = {COMMON_OPTS(e), {"account", FG_OPT_STR, &account, "ID", "only this account's"},
                           {NULL, 0, NULL, NULL, NULL}};
    const fg_cli cli = {.usage = "flowgate admin users [--account ID]", .summary = "Lists users.",
                        .opts = opts};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    json_t *out = NULL;
    rc = fg__user_list(e.auth, account, &out, &e.eb);
    if (!rc)
        print_json(out);
    json_decref(out);
    return env_close(&e, rc);
}

static int cmd_delete_user(int argc, char **argv)
{
    admin_env e = {0};
    const fg_opt opts[] = {COMMON_OPTS(e), {NULL, 0, NULL, NULL, NULL}};
    const fg_cli cli = {.usage = "flowgate admin delete-user LOGIN", .summary = "Deletes a user.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    rc = fg__user_delete(e.auth, NULL, argv[1], &e.eb);
    return env_close(&e, rc);
}

/* --- API keys ---------------------------------------------------------------------- */

static int cmd_create_key(int argc, char **argv)
{
    admin_env e = {0};
    const char *account = NULL, *name = "", *scopes = "", *role = "user", *limits = NULL;
    long days = 0;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"account", FG_OPT_STR, &account, "ID", "the key's account (required)"},
        {"name", FG_OPT_STR, &name, "NAME", "a label"},
        {"scopes", FG_OPT_STR, &scopes, "LIST", "space-separated: gateway assistant config admin (default: all)"},
        {"role", FG_OPT_STR, &role, "ROLE", "user or owner (default user)"},
        {"expires-days", FG_OPT_INT, &days, "N", "expires after N days (default: never)"},
        {"limits", FG_OPT_STR, &limits, "JSON", "the key's limits, e.g. {\"requests_per_minute\":60}"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {.usage = "flowgate admin create-key --account ID [--name N] [--scopes S] [--role R] "
                                 "[--expires-days N] [--limits JSON]",
                        .summary = "Creates an API key and prints it once (fgk_<id>_<secret>); the store keeps "
                                   "only its hash.",
                        .opts = opts};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (!account) {
        fprintf(stderr, "flowgate admin create-key: --account is required\n");
        return 2;
    }
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    json_t *body = json_pack("{s:s,s:s,s:s}", "name", name, "scopes", scopes, "role", role), *out = NULL;
    if (days > 0)
        json_object_set_new(body, "expires_in_days", json_integer(days));
    json_t *lim = limits ? read_json_arg(limits, &e.eb) : NULL;
    if (lim)
        json_object_set_new(body, "limits", lim);
    json_t *acc = NULL;
    rc = limits && !lim ? FG_EPARSE : fg__obj_get(e.auth, FG_OBJ_ACCOUNT, NULL, account, &acc, &e.eb);
    if (!rc)
        rc = fg__apikey_create(e.auth, account, body, &out, &e.eb);
    if (!rc)
        print_json(out);
    json_decref(acc);
    json_decref(out);
    json_decref(body);
    return env_close(&e, rc);
}

static int cmd_keys(int argc, char **argv)
{
    admin_env e = {0};
    const char *account = NULL;
    const fg_opt opts[] = {COMMON_OPTS(e), {"account", FG_OPT_STR, &account, "ID", "the account (required)"},
                           {NULL, 0, NULL, NULL, NULL}};
    const fg_cli cli = {.usage = "flowgate admin keys --account ID",
                        .summary = "Lists an account's API keys (never their secrets).", .opts = opts};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (!account) {
        fprintf(stderr, "flowgate admin keys: --account is required\n");
        return 2;
    }
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    json_t *out = NULL;
    rc = fg__apikey_list(e.auth, account, &out, &e.eb);
    if (!rc)
        print_json(out);
    json_decref(out);
    return env_close(&e, rc);
}

static int cmd_revoke_key(int argc, char **argv)
{
    admin_env e = {0};
    const fg_opt opts[] = {COMMON_OPTS(e), {NULL, 0, NULL, NULL, NULL}};
    const fg_cli cli = {.usage = "flowgate admin revoke-key ID", .summary = "Revokes an API key at once.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    rc = fg__apikey_revoke(e.auth, NULL, argv[1], &e.eb);
    return env_close(&e, rc);
}

/* --- the seed's items ---------------------------------------------------------------- */

static int cmd_import(int argc, char **argv)
{
    admin_env e = {0};
    const char *account = NULL;
    const fg_opt opts[] = {
        COMMON_OPTS(e),
        {"account", FG_OPT_STR, &account, "ID", "import into this account (default: the items' own; a "
                                               "placeholder id makes a new account)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {.usage = "flowgate admin import-seed-config FILE [--account ID]",
                        .summary = "Imports seed 000's DynamoDB configuration items ({\"items\": [...]}, "
                                   "DynamoDB JSON\nor plain): accounts, inference endpoints, workflows "
                                   "and their prompts.",
                        .opts = opts, .min_positional = 1, .max_positional = 1};
    int rc = parse(&cli, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (env_open(&e))
        return env_close(&e, 0) + 1;
    json_error_t jerr;
    json_t *doc = fg_json_load_file(argv[1], &jerr), *summary = NULL;
    if (!doc)
        rc = fg_failf(&e.eb, FG_EPARSE, "%s:%d: %s", argv[1], jerr.line, jerr.text);
    else
        rc = fg__seed_import(e.auth, doc, account, &summary, &e.eb);
    if (!rc)
        print_json(summary);
    json_decref(summary);
    json_decref(doc);
    return env_close(&e, rc);
}

static const fg_cli_sub subs[] = {
    {"list", cmd_list, "List accounts, endpoints, workflows or prompts"},
    {"get", cmd_get, "Show one account, endpoint, workflow or prompt"},
    {"put", cmd_put, "Create or change one account, endpoint, workflow or prompt"},
    {"delete", cmd_delete, "Delete one (an account with everything it owns)"},
    {"create-user", cmd_create_user, "Create a user (admin, owner or user of an account)"},
    {"set-password", cmd_set_password, "Set a user's password (and lift a lockout)"},
    {"users", cmd_users, "List users"},
    {"delete-user", cmd_delete_user, "Delete a user"},
    {"create-key", cmd_create_key, "Create an API key (printed once)"},
    {"keys", cmd_keys, "List an account's API keys"},
    {"revoke-key", cmd_revoke_key, "Revoke an API key"},
    {"import-seed-config", cmd_import, "Import seed 000's configuration items"},
};

int fg_auth_cmd_admin(int argc, char **argv)
{
    return fg_cli_dispatch("admin", "Accounts, users, API keys and workflows in the store (docs/accounts.md).",
                           subs, FG_ARRAY_LEN(subs), argc, argv);
}
