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
