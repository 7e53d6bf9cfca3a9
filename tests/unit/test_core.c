#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/rand.h"
#include "fg_test.h"

FG_TEST(buf_appends_and_stops_at_ceiling)
{
    fg_buf b;
    fg_buf_init(&b, 8);
    FG_CHECK_INT(fg_buf_puts(&b, "abcd"), FG_OK);
    FG_CHECK_INT(fg_buf_printf(&b, "%d", 123), FG_OK);
    FG_CHECK_STR(b.data, "abcd123");
    FG_CHECK_INT(fg_buf_puts(&b, "xy"), FG_ELIMIT);
    FG_CHECK_STR(b.data, "abcd123");
    fg_buf_consume(&b, 2);
    FG_CHECK_STR(b.data, "cd123");
    fg_buf_free(&b);
}

static int cleanup_calls;
static void count_cleanup(void *p)
{
    (void)p;
    cleanup_calls++;
}

FG_TEST(arena_allocates_aligned_and_runs_cleanups)
{
    fg_arena *a = fg_arena_create(0);
    for (int i = 0; i < 1000; i++) {
        void *p = fg_arena_alloc(a, (size_t)i % 37 + 1);
        FG_REQUIRE(p != NULL);
        FG_CHECK(((size_t)p & 15) == 0);
    }
    char *s = fg_arena_printf(a, "%s-%d", "x", 42);
    FG_CHECK_STR(s, "x-42");
    fg_arena_on_cleanup(a, count_cleanup, NULL);
    fg_arena_on_cleanup(a, count_cleanup, NULL);
    fg_arena_destroy(a);
    FG_CHECK_INT(cleanup_calls, 2);
}

FG_TEST(arena_respects_ceiling)
{
    fg_arena *a = fg_arena_create(100);
    FG_CHECK(fg_arena_alloc(a, 64) != NULL);
    FG_CHECK(fg_arena_alloc(a, 64) == NULL);
    fg_arena_destroy(a);
}

FG_TEST(arena_reset_runs_cleanups_keeps_one_chunk_and_takes_a_new_ceiling)
{
    fg_arena *a = fg_arena_create(0);
    cleanup_calls = 0;
    for (int i = 0; i < 100; i++)
        FG_REQUIRE(fg_arena_alloc(a, 1000) != NULL);
    fg_arena_on_cleanup(a, count_cleanup, NULL);
    fg_arena_reset(a, 100);
    FG_CHECK_INT(cleanup_calls, 1);
    FG_CHECK_INT((int)fg_arena_used(a), 0);
    FG_CHECK(fg_arena_alloc(a, 64) != NULL);
    FG_CHECK(fg_arena_alloc(a, 64) == NULL);
    fg_arena_reset(a, 0);
    char *s = fg_arena_strdup(a, "again");
    FG_CHECK_STR(s, "again");
    fg_arena_destroy(a);
    FG_CHECK_INT(cleanup_calls, 1);
}

FG_TEST(json_escape_handles_controls_and_bad_utf8)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_json_escape(&b, "a\"b\\\n\x01\xc3\xa9\xff", 9);
    FG_CHECK_STR(b.data, "\"a\\\"b\\\\\\n\\u0001\xc3\xa9\xef\xbf\xbd\"");
    fg_buf_free(&b);
    FG_CHECK(fg_utf8_valid("h\xc3\xa9", 3));
    FG_CHECK(!fg_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    FG_CHECK(!fg_utf8_valid("\xc0\xaf", 2));     /* overlong */
}

FG_TEST(uuid_is_version_4)
{
    char u[37];
    fg_rand_uuid(u);
    FG_CHECK_INT(strlen(u), 36);
    FG_CHECK(u[14] == '4');
    FG_CHECK(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
}

FG_TEST(failf_keeps_first_message)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_failf(&eb, FG_EINVAL, "first %d", 1), FG_EINVAL);
    fg_failf(&eb, FG_EIO, "second");
    FG_CHECK_STR(eb.msg, "first 1");
    FG_CHECK_INT(eb.code, FG_EINVAL);
}

FG_TEST(json_object_or_empty_and_append_member)
{
    json_t *o = fg_json_object_or_empty("{\"a\":1}", 7);
    FG_CHECK_INT(json_integer_value(json_object_get(o, "a")), 1);
    json_decref(o);
    const char *bad[] = {"", "[1]", "{\"a\":", "null"};
    for (size_t i = 0; i < 4; i++) {
        o = fg_json_object_or_empty(bad[i], strlen(bad[i]));
        FG_CHECK(json_is_object(o) && json_object_size(o) == 0);
        json_decref(o);
    }
    o = json_object();
    fg_json_append_member(o, "t", "ab", 2);
    fg_json_append_member(o, "t", "c", 1);
    FG_CHECK_STR(json_string_value(json_object_get(o, "t")), "abc");
    json_decref(o);
}
