#include "flow/flow_int.h"
#include "fg_test.h"

static json_t *doc(void)
{
    json_error_t je;
    return json_loads("{\"store\":{\"book\":[{\"title\":\"A\",\"price\":8},{\"title\":\"B\",\"price\":12},"
                      "{\"title\":\"C\",\"price\":25,\"isbn\":\"x\"}],\"bike\":{\"price\":19}},"
                      "\"a b\":1,\"arr\":[0,1,2,3,4,5]}", 0, &je);
}

/* Evaluates text against doc() and returns the compact JSON text ("<missing>" when absent). */
static char *eval(const char *text)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__jp *p = fg__jp_compile(text, &eb);
    if (!p)
        return strdup("<invalid>");
    json_t *d = doc();
    int err;
    json_t *r = fg__jp_eval(p, d, 1000, &err);
    char *s = r ? fg__json_text(r) : strdup("<missing>");
    json_decref(r);
    json_decref(d);
    fg__jp_free(p);
    return s;
}

#define CHECK_PATH(path, expected)                                                             \
    do {                                                                                       \
        char *got_ = eval(path);                                                               \
        FG_CHECK_STR(got_, expected);                                                          \
        free(got_);                                                                            \
    } while (0)

FG_TEST(jsonpath_definite_paths_select_one_value)
{
    CHECK_PATH("$.store.book[0].title", "\"A\"");
    CHECK_PATH("$['store']['bike'].price", "19");
    CHECK_PATH("$.store.book[-1].title", "\"C\"");
    CHECK_PATH("$['a b']", "1");
    CHECK_PATH("$.store.nothing", "<missing>");
    CHECK_PATH("$.arr.[2]", "2");
}

FG_TEST(jsonpath_indefinite_paths_yield_arrays)
{
    CHECK_PATH("$.store.book[*].title", "[\"A\",\"B\",\"C\"]");
    CHECK_PATH("$.arr[1:3]", "[1,2]");
    CHECK_PATH("$.arr[-2:]", "[4,5]");
    CHECK_PATH("$.arr[::2]", "[0,2,4]");
    CHECK_PATH("$.arr[0,5]", "[0,5]");
    CHECK_PATH("$.store.book[0]['title','price']", "[\"A\",8]");
    CHECK_PATH("$..price", "[8,12,25,19]");
    CHECK_PATH("$.store.nothing[*]", "[]");
}

FG_TEST(jsonpath_filters_compare_and_test_existence)
{
    CHECK_PATH("$.store.book[?(@.price > 10)].title", "[\"B\",\"C\"]");
    CHECK_PATH("$.store.book[?(@.price <= 8 || @.title == 'C')].title", "[\"A\",\"C\"]");
    CHECK_PATH("$.store.book[?(@.isbn)].title", "[\"C\"]");
    CHECK_PATH("$.store.book[?(!(@.price < 20) && @.isbn)].price", "[25]");
    CHECK_PATH("$.store.book[?(@.title in ['A','B'])].price", "[8,12]");
}

FG_TEST(jsonpath_rejects_malformed_paths_with_position)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK(fg__jp_compile("store.book", &eb) == NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(fg__jp_compile("$.a[", &eb) == NULL);
    FG_CHECK(strstr(eb.msg, "character") != NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(fg__jp_compile("$.a[?(@.x > )]", &eb) == NULL);
    FG_CHECK(fg__jp_compile("$..r[?([2-||![]]", &eb) == NULL); /* once looped forever */
    FG_CHECK(fg__jp_compile("$.a[?(@.x in [1 2])]", &eb) == NULL);
    char deep[20000] = "$.a[?(@.x in ";
    memset(deep + strlen(deep), '[', 10000); /* no stack overflow on deep literals */
    FG_CHECK(fg__jp_compile(deep, &eb) == NULL);
    FG_CHECK(fg__jp_compile("$.a..", &eb) == NULL);
}

FG_TEST(jsonpath_set_creates_objects_and_refuses_non_objects)
{
    fg_errbuf eb;
    fg__jp *p = fg__jp_compile("$.a.b.c", &eb);
    json_t *d = json_pack("{s:i}", "x", 1);
    FG_CHECK_INT(fg__jp_set(p, &d, json_integer(7)), 0);
    char *s = fg__json_text(d);
    FG_CHECK_STR(s, "{\"x\":1,\"a\":{\"b\":{\"c\":7}}}");
    free(s);
    json_decref(d);
    d = json_string("scalar");
    FG_CHECK_INT(fg__jp_set(p, &d, json_integer(7)), FG_EINVAL);
    json_decref(d);
    fg__jp_free(p);
    FG_CHECK(fg__jp_is_reference(p = fg__jp_compile("$.a[0].b", &eb)));
    fg__jp_free(p);
    FG_CHECK(!fg__jp_is_reference(p = fg__jp_compile("$.a[*]", &eb)));
    fg__jp_free(p);
}

FG_TEST(jsonpath_result_count_is_bounded)
{
    fg_errbuf eb;
    fg__jp *p = fg__jp_compile("$..*", &eb);
    json_t *d = doc();
    int err;
    json_t *r = fg__jp_eval(p, d, 5, &err);
    FG_CHECK(r == NULL);
    FG_CHECK_INT(err, FG_ELIMIT);
    json_decref(d);
    fg__jp_free(p);
}
