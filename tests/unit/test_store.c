#include "fg_test.h"
#include "store/store.h"

#include <stdlib.h>

static char dir[] = "/tmp/fg-store-XXXXXX";

FG_TEST(sqlite_store_creates_folder_migrates_and_round_trips)
{
    FG_REQUIRE(mkdtemp(dir) != NULL);
    char url[256];
    snprintf(url, sizeof url, "sqlite:%s/sub/dir/flowgate.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    FG_CHECK(fg_store_schema_version(s) >= 1);
    FG_CHECK_STR(fg_store_backend(s), "sqlite");
    FG_CHECK_INT(fg_store_exec(s, "CREATE TABLE t (a TEXT, b INTEGER, c REAL)", NULL, 0, NULL, &eb), FG_OK);
    fg_sval p[3] = {FG_STEXT("x'y"), FG_SINT(42), FG_SREAL(1.5)};
    /* parameters in a different order than they appear */
    FG_CHECK_INT(fg_store_exec(s, "INSERT INTO t (b, a, c) VALUES ($2, $1, $3)", p, 3, NULL, &eb), FG_OK);
    json_t *rows = NULL;
    FG_REQUIRE(fg_store_query_json(s, "SELECT a, b, c FROM t WHERE b = $1", &p[1], 1, &rows, &eb) == FG_OK);
    FG_CHECK_INT(json_array_size(rows), 1);
    json_t *r = json_array_get(rows, 0);
    FG_CHECK_STR(json_string_value(json_object_get(r, "a")), "x'y");
    FG_CHECK_INT(json_integer_value(json_object_get(r, "b")), 42);
    json_decref(rows);
    fg_store_close(s);
    /* reopening does not re-run migrations */
    s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    FG_REQUIRE(fg_store_query_json(s, "SELECT COUNT(*) AS n FROM schema_migrations", NULL, 0, &rows, &eb) == FG_OK);
    FG_CHECK(json_integer_value(json_object_get(json_array_get(rows, 0), "n")) >= 1);
    json_decref(rows);
    fg_store_close(s);
}

FG_TEST(sqlite_store_rolls_back_and_reports_constraint)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open("sqlite::memory:", &s, &eb) == FG_OK);
    fg_store_exec(s, "CREATE TABLE k (id TEXT PRIMARY KEY)", NULL, 0, NULL, &eb);
    fg_sval p = FG_STEXT("a");
    FG_CHECK_INT(fg_store_begin(s, &eb), FG_OK);
    fg_store_exec(s, "INSERT INTO k VALUES ($1)", &p, 1, NULL, &eb);
    fg_store_rollback(s);
    json_t *rows;
    fg_store_query_json(s, "SELECT * FROM k", NULL, 0, &rows, &eb);
    FG_CHECK_INT(json_array_size(rows), 0);
    json_decref(rows);
    fg_store_exec(s, "INSERT INTO k VALUES ($1)", &p, 1, NULL, &eb);
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_store_exec(s, "INSERT INTO k VALUES ($1)", &p, 1, NULL, &eb), FG_EEXIST);
    FG_CHECK(strstr(eb.msg, "constraint") != NULL);
    fg_store_close(s);
}

/* A second connection to the same file (the sfn journal's) sees what the first
 * committed and the other way round; an in-memory database has no second one.
 * Parameters named in order, repeated and out of order all bind. */
FG_TEST(sqlite_store_opens_again_on_the_same_file)
{
    static char d2[] = "/tmp/fg-store2-XXXXXX";
    FG_REQUIRE(mkdtemp(d2) != NULL);
    char url[256];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", d2);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *a = NULL, *b = NULL;
    FG_REQUIRE(fg_store_open(url, &a, &eb) == FG_OK);
    FG_REQUIRE(fg_store_open_again(a, &b, &eb) == FG_OK);
    FG_CHECK_INT(fg_store_exec(a, "CREATE TABLE t (x INTEGER, y TEXT)", NULL, 0, NULL, &eb), FG_OK);
    fg_sval p[2] = {FG_SINT(7), FG_STEXTN("seven!", 5)};
    FG_CHECK_INT(fg_store_begin(b, &eb), FG_OK);
    FG_CHECK_INT(fg_store_exec(b, "INSERT INTO t (x, y) VALUES ($1, $2), ($1, $2 || 'x')", p, 2,
                               NULL, &eb), FG_OK);
    FG_CHECK_INT(fg_store_commit(b, &eb), FG_OK);
    json_t *rows = NULL;
    FG_REQUIRE(fg_store_query_json(a, "SELECT y FROM t WHERE x = $1 ORDER BY y", p, 1, &rows, &eb) == FG_OK);
    FG_CHECK_INT(json_array_size(rows), 2);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "y")), "seven");
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 1), "y")), "sevenx");
    json_decref(rows);
    fg_store_close(b);
    fg_store_close(a);
    fg_store *m = NULL, *m2 = NULL;
    FG_REQUIRE(fg_store_open("sqlite::memory:", &m, &eb) == FG_OK);
    FG_CHECK_INT(fg_store_open_again(m, &m2, &eb), FG_EUNSUPPORTED);
    fg_store_close(m);
}

/* A cached statement prepared again because another connection changed the
 * schema under it still reports its columns' names (they were read before
 * the step that prepares it again, and so freed). */
FG_TEST(sqlite_store_query_after_another_connection_changes_the_schema)
{
    static char d3[] = "/tmp/fg-store3-XXXXXX";
    FG_REQUIRE(mkdtemp(d3) != NULL);
    char url[256];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", d3);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *a = NULL, *b = NULL;
    FG_REQUIRE(fg_store_open(url, &a, &eb) == FG_OK);
    FG_REQUIRE(fg_store_open_again(a, &b, &eb) == FG_OK);
    FG_CHECK_INT(fg_store_exec(a, "CREATE TABLE t (name TEXT, status TEXT)", NULL, 0, NULL, &eb), FG_OK);
    FG_CHECK_INT(fg_store_exec(a, "INSERT INTO t VALUES ('n', 'RUNNING')", NULL, 0, NULL, &eb), FG_OK);
    const char *sql = "SELECT name, status FROM t";
    for (int round = 0; round < 3; round++) {
        json_t *rows = NULL;
        FG_REQUIRE(fg_store_query_json(a, sql, NULL, 0, &rows, &eb) == FG_OK);
        FG_CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "name")), "n");
        FG_CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "status")), "RUNNING");
        json_decref(rows);
        char ddl[128];
        snprintf(ddl, sizeof ddl, "CREATE TABLE other%d (x INTEGER)", round);
        FG_CHECK_INT(fg_store_exec(b, ddl, NULL, 0, NULL, &eb), FG_OK);
    }
    fg_store_close(b);
    fg_store_close(a);
}
