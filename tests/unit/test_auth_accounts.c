/* Accounts in the store: objects, users and passwords, API keys, workflows
 * through accounts.h, and the seed import. */
#include "auth/accounts.h"
#include "auth/auth_int.h"
#include "core/json.h"
#include "fg_test.h"

static fg_config *cfg;
static fg_store *store;
static fg_auth *auth;

static void open_all(void)
{
    fg_buf problems;
    fg_buf_init(&problems, 0);
    const char *yaml = "auth:\n  mode: \"on\"\n  password_memory_kib: 256\n  password_iterations: 1\n";
    FG_REQUIRE(fg_config_load_text("t.yaml", yaml, strlen(yaml), &cfg, &problems) == 0);
    fg_buf_free(&problems);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg_store_open("sqlite::memory:", &store, &eb) == 0);
    FG_REQUIRE(fg__auth_open(cfg, store, false, &auth, &eb) == 0);
}

static void close_all(void)
{
    fg_auth_free(auth);
    fg_store_close(store);
    fg_config_free(cfg);
}

FG_TEST(objects_crud_with_numeric_ids_and_cascade)
{
    open_all();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *acc = NULL, *body = json_pack("{s:s}", "name", "Acme");
    FG_REQUIRE(fg__obj_create(auth, FG_OBJ_ACCOUNT, NULL, body, &acc, &eb) == 0);
    json_decref(body);
    const char *id = fg_json_str(acc, "id", "");
    FG_CHECK_INT(strlen(id), 36);
    const char *parents[] = {id, "1"};
    body = json_pack("{s:s,s:s}", "name", "wf", "assistant_params", "{\"a\":{\"b\":1}}");
    FG_CHECK_INT(fg__obj_create(auth, FG_OBJ_WORKFLOW, parents, body, NULL, &eb), 0);
    FG_CHECK_INT(fg__obj_create(auth, FG_OBJ_WORKFLOW, parents, body, NULL, &eb), 0);
    json_decref(body);
    json_t *w = NULL;
    FG_REQUIRE(fg_auth_workflow_details(auth, id, "workflow#details#2", &w, &eb) == 0);
    FG_CHECK_STR(fg_json_str(w, "id", ""), "2");
    FG_CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(w, "assistant_params"), "a"), "b")), 1);
    json_decref(w);
    body = json_pack("{s:s}", "content", "hello");
    FG_CHECK_INT(fg__obj_create(auth, FG_OBJ_PROMPT, parents, body, NULL, &eb), 0);
    json_decref(body);
    json_t *def = NULL;
    FG_CHECK_INT(fg_auth_workflow_get(auth, id, "wf", &def, &eb), FG_ENOTFOUND); /* no definition yet */
    body = json_pack("{s:{s:s,s:{}}}", "definition", "StartAt", "P", "States");
    FG_CHECK_INT(fg__obj_update(auth, FG_OBJ_WORKFLOW, parents, "1", body, &eb), 0);
    json_decref(body);
    FG_CHECK_INT(fg_auth_workflow_get(auth, id, "1", &def, &eb), 0);
    FG_CHECK_STR(fg_json_str(def, "StartAt", ""), "P");
    json_decref(def);
    FG_CHECK_INT(fg_auth_workflow_get(auth, "other", "1", &def, &eb), FG_ENOTFOUND);
    json_t *prompts = NULL;
    FG_CHECK_INT(fg_auth_workflow_prompts(auth, id, "1", &prompts, &eb), 0);
    FG_CHECK_INT(json_array_size(prompts), 1);
    json_decref(prompts);
    body = json_pack("{s:i}", "name", 3);
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg__obj_create(auth, FG_OBJ_WORKFLOW, parents, body, NULL, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "name") != NULL);
    json_decref(body);
    body = json_pack("{s:s,s:s}", "name", "x", "colour", "red");
    FG_CHECK_INT(fg__obj_create(auth, FG_OBJ_WORKFLOW, parents, body, NULL, &eb), FG_EINVAL);
    json_decref(body);
    FG_CHECK_INT(fg__obj_delete(auth, FG_OBJ_ACCOUNT, NULL, id, &eb), 0);
    json_t *list = NULL;
    FG_CHECK_INT(fg_auth_workflow_list(auth, id, &list, &eb), 0);
    FG_CHECK_INT(json_array_size(list), 0);
    json_decref(list);
    json_decref(acc);
    close_all();
}

FG_TEST(users_passwords_and_lockout)
{
    open_all();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg__first_start(auth, &eb) == 0);
    long long n = 0;
    fg__user_count(auth, &n, &eb);
    FG_CHECK_INT(n, 1);
    FG_CHECK_INT(fg__user_create(auth, "u1", "short", FG_ROLE_USER, "default", NULL, &eb), FG_EINVAL);
    FG_CHECK_INT(fg__user_create(auth, "u1", "long enough", FG_ROLE_USER, "nope", NULL, &eb), FG_ENOTFOUND);
    FG_CHECK_INT(fg__user_create(auth, "u1", "long enough", FG_ROLE_USER, "default", NULL, &eb), 0);
    FG_CHECK_INT(fg__user_create(auth, "u1", "long enough", FG_ROLE_USER, "default", NULL, &eb), FG_EEXIST);
    json_t *user = NULL;
    int64_t retry = 0;
    FG_CHECK_INT(fg__user_login(auth, "u1", "long enough", &user, &retry, &eb), 0);
    FG_CHECK(json_object_get(user, "password_hash") == NULL);
    json_decref(user);
    for (int i = 0; i < 5; i++)
        FG_CHECK_INT(fg__user_login(auth, "u1", "wrong", &user, &retry, &eb), FG_EDENIED);
    FG_CHECK_INT(fg__user_login(auth, "u1", "long enough", &user, &retry, &eb), FG_ELIMIT);
    FG_CHECK(retry > 0);
    FG_CHECK_INT(fg__user_set_password(auth, "u1", "new password", &eb), 0);
    FG_CHECK_INT(fg__user_login(auth, "u1", "new password", &user, &retry, &eb), 0);
    json_decref(user);
    close_all();
}

FG_TEST(api_keys_verify_revoke_expire)
{
    open_all();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    json_t *body = json_pack("{s:s,s:s}", "id", "acc", "name", "A");
    FG_REQUIRE(fg__obj_create(auth, FG_OBJ_ACCOUNT, NULL, body, NULL, &eb) == 0);
    json_decref(body);
    json_t *made = NULL;
    body = json_pack("{s:[s]}", "scopes", "gateway");
    FG_REQUIRE(fg__apikey_create(auth, "acc", body, &made, &eb) == 0);
    json_decref(body);
    const char *key = fg_json_str(made, "key", "");
    fg_principal p;
    memset(&p, 0, sizeof p);
    FG_CHECK_INT(fg__apikey_principal(auth, key, strlen(key), &p, &eb), 0);
    FG_CHECK_STR(p.account_id, "acc");
    FG_CHECK_STR(p.scopes, "gateway");
    char bad[128];
    snprintf(bad, sizeof bad, "%s", key);
    bad[strlen(bad) - 1] ^= 1;
    FG_CHECK_INT(fg__apikey_principal(auth, bad, strlen(bad), &p, &eb), FG_EDENIED);
    FG_CHECK_INT(fg__apikey_revoke(auth, "other", fg_json_str(made, "id", ""), &eb), FG_ENOTFOUND);
    FG_CHECK_INT(fg__apikey_revoke(auth, "acc", fg_json_str(made, "id", ""), &eb), 0);
    FG_CHECK_INT(fg__apikey_principal(auth, key, strlen(key), &p, &eb), FG_EDENIED);
    json_decref(made);
    body = json_pack("{s:i}", "expires_in_days", 0);
    FG_CHECK_INT(fg__apikey_create(auth, "acc", body, &made, &eb), FG_EINVAL);
    json_decref(body);
    close_all();
}

FG_TEST(seed_import_plain_and_dynamodb_forms)
{
    open_all();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    const char *doc_text =
        "{\"items\":[{\"id\":{\"S\":\"account#<uuid>\"},\"item_type\":{\"S\":\"workflow#prompt#1#1\"},"
        "\"content\":{\"S\":\"hi\"}},"
        "{\"id\":{\"S\":\"account#<uuid>\"},\"item_type\":{\"S\":\"workflow#details#1\"},\"name\":{\"S\":\"W\"},"
        "\"assistant_params\":{\"S\":\"{\\\"x\\\":\\\"{\\\\\\\"y\\\\\\\":1}\\\"}\"}},"
        "{\"id\":\"account#<uuid>\",\"item_type\":\"account#details\",\"name\":\"N\"}]}";
    json_error_t jerr;
    json_t *doc = json_loads(doc_text, 0, &jerr), *summary = NULL;
    FG_REQUIRE(doc != NULL);
    FG_REQUIRE(fg__seed_import(auth, doc, NULL, &summary, &eb) == 0);
    const char *acc = json_string_value(json_array_get(json_object_get(summary, "accounts"), 0));
    FG_CHECK_INT(strlen(acc), 36);
    json_t *w = NULL;
    FG_REQUIRE(fg_auth_workflow_details(auth, acc, "W", &w, &eb) == 0);
    FG_CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(w, "assistant_params"), "x"), "y")), 1);
    json_decref(w);
    json_t *a = NULL;
    FG_REQUIRE(fg__obj_get(auth, FG_OBJ_ACCOUNT, NULL, acc, &a, &eb) == 0);
    FG_CHECK_STR(fg_json_str(a, "name", ""), "N");
    json_decref(a);
    json_decref(summary);
    json_decref(doc);
    json_t *bad = json_pack("{s:[{s:s}]}", "items", "id", "account#x");
    FG_CHECK_INT(fg__seed_import(auth, bad, NULL, &summary, &eb), FG_EINVAL);
    json_decref(bad);
    close_all();
}

static bool disabled_with(const char *yaml, fg_store *s)
{
    fg_buf problems;
    fg_buf_init(&problems, 0);
    fg_config *c = NULL;
    fg_auth *a = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_config_load_text("t.yaml", yaml, strlen(yaml), &c, &problems) || fg__auth_open(c, s, false, &a, &eb))
        abort();
    fg_buf_free(&problems);
    bool off = fg_auth_disabled(a);
    fg_auth_free(a);
    fg_config_free(c);
    return off;
}

FG_TEST(auto_mode_is_single_user_only_on_loopback_without_users)
{
    fg_store *s = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg_store_open("sqlite::memory:", &s, &eb) == 0);
    FG_CHECK(disabled_with("auth:\n  password_memory_kib: 256\n", s));
    FG_CHECK(!disabled_with("server:\n  host: 0.0.0.0\n", s));
    FG_CHECK(!disabled_with("auth:\n  mode: \"on\"\n", s));
    FG_CHECK(disabled_with("auth:\n  mode: \"off\"\n  password_memory_kib: 256\n", s));
    fg_buf problems;
    fg_buf_init(&problems, 0);
    fg_config *c = NULL;
    fg_auth *a = NULL;
    const char *yaml = "auth:\n  password_memory_kib: 256\n";
    FG_REQUIRE(fg_config_load_text("t.yaml", yaml, strlen(yaml), &c, &problems) == 0);
    FG_REQUIRE(fg__auth_open(c, s, false, &a, &eb) == 0);
    json_t *body = json_pack("{s:s,s:s}", "id", "default", "name", "d");
    fg__obj_create(a, FG_OBJ_ACCOUNT, NULL, body, NULL, &eb);
    json_decref(body);
    FG_CHECK_INT(fg__user_create(a, "someone", "long enough", FG_ROLE_USER, "default", NULL, &eb), 0);
    fg_auth_free(a);
    fg_config_free(c);
    fg_buf_free(&problems);
    FG_CHECK(!disabled_with("auth:\n  password_memory_kib: 256\n", s));
    fg_store_close(s);
}

FG_TEST(limit_windows_are_calendar_aligned_in_utc)
{
    /* 2026-12-09T13:45:30.500Z, a Wednesday. */
    int64_t now = 1796823930500LL, start, end;
    fg__limit_window_bounds(W_MINUTE, now, &start, &end);
    FG_CHECK_INT(start, 1796823900000LL);
    FG_CHECK_INT(end - start, 60000);
    fg__limit_window_bounds(W_DAY, now, &start, &end);
    FG_CHECK_INT(start, 1796774400000LL); /* 2026-12-09T00:00Z */
    FG_CHECK_INT(end - start, 86400000);
    fg__limit_window_bounds(W_WEEK, now, &start, &end);
    FG_CHECK_INT(start, 1796601600000LL); /* Monday 2026-12-07T00:00Z */
    FG_CHECK_INT(end - start, 7 * 86400000LL);
    fg__limit_window_bounds(W_MONTH, now, &start, &end);
    FG_CHECK_INT(start, 1796083200000LL); /* 2026-12-01T00:00Z */
    FG_CHECK_INT(end, 1798761600000LL);   /* 2027-01-01T00:00Z */
}
