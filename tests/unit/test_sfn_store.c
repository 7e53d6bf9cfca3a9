/* The Step Functions rows (migration 2) and the durable building blocks: a
 * snapshot stored as text restores with its pending task's token. */
#include "fg_test.h"
#include "sfn/sfn_int.h"

#include "core/json.h"

#include <stdlib.h>

static char dir[] = "/tmp/fg-sfn-XXXXXX";

static fg_store *open_store(void)
{
    if (!mkdtemp(dir))
        return NULL;
    char url[256];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    return fg_store_open(url, &s, &eb) == FG_OK ? s : NULL;
}

FG_TEST(machine_and_execution_rows_round_trip)
{
    fg_store *st = open_store();
    FG_REQUIRE(st);
    FG_CHECK(fg_store_schema_version(st) >= 2);
    fg_sfn s = {.store = st};
    pthread_mutex_init(&s.lock, NULL);
    s.machines = json_object();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    const char *arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    fg_sval p[3] = {FG_STEXT("acct"), FG_STEXT(arn),
                    FG_STEXT("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}")};
    FG_CHECK_INT(fg_store_exec(st, "INSERT INTO sfn_state_machines (account_id, arn, name, type, "
                                   "definition, role_arn, revision_id, created_ms, updated_ms) "
                                   "VALUES ($1, $2, 'm', 'STANDARD', $3, 'r', 'rev1', 5, 6)",
                               p, 3, NULL, &eb), 0);
    sfn_machine_row row;
    FG_REQUIRE(sfn_machine_row_get(&s, "acct", arn, &row, &eb) == 0);
    FG_CHECK_STR(row.name, "m");
    FG_CHECK_STR(row.revision, "rev1");
    FG_CHECK_INT(row.created_ms, 5);
    FG_CHECK(row.logging == NULL);
    /* the compiled machine is cached per revision */
    sfn_machine *a = sfn_machine_for(&s, "acct", &row, &eb);
    sfn_machine *b = sfn_machine_for(&s, "acct", &row, &eb);
    FG_CHECK(a && a == b);
    sfn_machine_unref(a);
    sfn_machine_unref(b);
    sfn_machine_row_free(&row);
    /* another account does not see it */
    sfn_machine_row other;
    FG_CHECK_INT(sfn_machine_row_get(&s, "acct2", arn, &other, &eb), FG_ENOTFOUND);
    fg_sval e[2] = {FG_STEXT("acct"), FG_STEXT("arn:x")};
    FG_CHECK_INT(fg_store_exec(st, "INSERT INTO sfn_executions (account_id, arn, machine_arn, "
                                   "name, type, status, definition, role_arn, input, start_ms, "
                                   "exec_id) VALUES ($1, $2, 'm', 'n', 'STANDARD', 'RUNNING', "
                                   "'{}', 'r', '{\"a\":1}', 7, 1)", e, 2, NULL, &eb), 0);
    json_t *x = sfn_execution_row(&s, "acct", "arn:x");
    FG_REQUIRE(x);
    FG_CHECK_STR(fg_json_str(x, "input", ""), "{\"a\":1}");
    FG_CHECK_STR(fg_json_str(x, "status", ""), "RUNNING");
    json_decref(x);
    FG_CHECK(sfn_execution_row(&s, "acct", "arn:none") == NULL);
    /* the primary key refuses a second execution of the same name */
    FG_CHECK_INT(fg_store_exec(st, "INSERT INTO sfn_executions (account_id, arn, machine_arn, "
                                   "name, type, status, definition, role_arn, input, start_ms, "
                                   "exec_id) VALUES ($1, $2, 'm', 'n', 'STANDARD', 'RUNNING', "
                                   "'{}', 'r', '{}', 7, 2)", e, 2, NULL, &eb), FG_EEXIST);
    const char *k;
    json_t *v;
    json_object_foreach(s.machines, k, v)
        sfn_machine_unref((sfn_machine *)(intptr_t)json_integer_value(v));
    json_decref(s.machines);
    fg_store_close(st);
}

static char seen_token[FG_FLOW_TOKEN_MAX];
static int calls;

static int remember_token(fg_flow_task *t, void *ud)
{
    (void)ud;
    fg_flow_task_release(t);
    snprintf(seen_token, sizeof seen_token, "%s", fg_flow_task_token(t));
    calls++;
    return 0; /* stays pending */
}

FG_TEST(snapshot_text_restores_the_pending_task_with_its_token)
{
    fg_flow_registry *reg = fg_flow_registry_create();
    fg_flow_registry_add(reg, "arn:aws:states:*:*:activity:*", remember_token, NULL);
    json_t *def = json_loads("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":0,"
                             "\"Next\":\"T\"},\"T\":{\"Type\":\"Task\",\"Resource\":"
                             "\"arn:aws:states:us-east-1:1:activity:a\",\"End\":true}}}", 0, NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, reg, NULL, &eb);
    FG_REQUIRE(m);
    fg_flow_exec_opts o = {.name = "n", .history = true, .token_prefix = "PFX."};
    json_t *in = json_pack("{s:i}", "v", 1);
    fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
    for (int i = 0; i < 10 && calls == 0; i++)
        fg_flow_exec_step(e);
    FG_REQUIRE(calls == 1);
    FG_CHECK(!strncmp(seen_token, "PFX.", 4));
    char first[FG_FLOW_TOKEN_MAX];
    snprintf(first, sizeof first, "%s", seen_token);
    FG_CHECK(fg_flow_exec_task_by_token(e, first) != NULL);
    FG_CHECK(fg_flow_exec_task_by_token(e, "PFX.other") == NULL);
    json_t *snap = fg_flow_exec_snapshot(e);
    char *text = json_dumps(snap, JSON_COMPACT);
    json_decref(snap);
    fg_flow_exec_free(e);
    json_t *back = json_loads(text, 0, NULL);
    free(text);
    fg_flow_exec *r = fg_flow_exec_restore(m, back, &o, &eb);
    json_decref(back);
    FG_REQUIRE(r);
    for (int i = 0; i < 10 && calls == 1; i++)
        fg_flow_exec_step(r);
    FG_CHECK_INT(calls, 2); /* the pending Task runs again ... */
    FG_CHECK_STR(seen_token, first); /* ... with the same token */
    fg_flow_task *t = fg_flow_exec_task_by_token(r, first);
    FG_REQUIRE(t);
    json_t *out = json_pack("{s:b}", "ok", 1);
    fg_flow_task_succeed(t, out);
    json_decref(out);
    FG_CHECK_INT(fg_flow_exec_run(r), FG_FLOW_SUCCEEDED);
    fg_flow_exec_free(r);
    fg_flow_machine_free(m);
    fg_flow_registry_free(reg);
    json_decref(def);
    json_decref(in);
}

/* A durable step writes the whole snapshot once, then deltas; the journaled
 * events are taken from the engine, which keeps their count; the snapshot and
 * the latest delta restore the execution where it was, with its event ids
 * continuing. */
FG_TEST(position_deltas_restore_where_the_execution_was)
{
    json_t *def = json_loads("{\"StartAt\":\"A\",\"States\":{"
                             "\"A\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.MathAdd($.n, 1)\"},\"Next\":\"B\"},"
                             "\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.MathAdd($.n, 1)\"},\"Next\":\"C\"},"
                             "\"C\":{\"Type\":\"Pass\",\"Parameters\":{\"n.$\":\"States.MathAdd($.n, 1)\"},\"End\":true}}}",
                             0, NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_flow_machine *m = fg_flow_machine_create(def, NULL, NULL, &eb);
    FG_REQUIRE(m);
    fg_flow_exec_opts o = {.name = "n", .history = true};
    json_t *in = json_pack("{s:i}", "n", 0);
    fg_flow_exec *e = fg_flow_exec_create(m, in, &o);
    sfn_exec x = {0};
    sfn_entry first = {0}, second = {0};
    fg_flow_exec_step(e);
    sfn_entry_take_events(&first, &x, e);
    sfn_entry_take_position(&first, &x, e);
    FG_CHECK(!first.delta);
    FG_CHECK(first.nevents >= 2);
    FG_CHECK(!strncmp(first.events, "{\"id\":1,", 8));
    FG_CHECK_INT((int64_t)json_array_size(fg_flow_exec_history(e)), 0); /* taken: not held */
    fg_flow_exec_step(e);
    sfn_entry_take_events(&second, &x, e);
    sfn_entry_take_position(&second, &x, e);
    FG_CHECK(second.delta);
    FG_CHECK_INT((int64_t)second.first_event, (int64_t)first.nevents);
    FG_CHECK(strstr(second.snapshot, "\"frames\"") && !strstr(second.snapshot, "\"context\""));
    size_t saved = x.events_saved;
    FG_CHECK_INT((int64_t)saved, (int64_t)(first.nevents + second.nevents));
    json_t *snap = sfn_position_load(first.snapshot, second.snapshot);
    FG_REQUIRE(snap);
    json_object_set_new(snap, "history", json_array()); /* as a resume does */
    json_object_set_new(snap, "history_taken", json_integer((json_int_t)saved));
    fg_flow_exec *r = fg_flow_exec_restore(m, snap, &o, &eb);
    json_decref(snap);
    FG_REQUIRE(r);
    FG_CHECK_INT(fg_flow_exec_run(r), FG_FLOW_SUCCEEDED);
    FG_CHECK_INT(json_integer_value(json_object_get(fg_flow_exec_output(r), "n")), 3);
    const json_t *rh = fg_flow_exec_history(r);
    FG_CHECK_INT(json_integer_value(json_object_get(json_array_get(rh, 0), "id")),
                 (int64_t)saved + 1);
    FG_CHECK(sfn_position_load(first.snapshot, "not json") == NULL);
    FG_CHECK(sfn_position_load(NULL, second.snapshot) == NULL);
    fg_flow_exec_free(r);
    fg_flow_exec_free(e);
    json_decref(x.saved_context);
    free(first.snapshot);
    free(first.events);
    free(first.event_len);
    free(second.snapshot);
    free(second.events);
    free(second.event_len);
    fg_flow_machine_free(m);
    json_decref(def);
    json_decref(in);
}
