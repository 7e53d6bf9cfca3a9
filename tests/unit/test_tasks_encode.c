/* http:invoke's encodings: query strings and form bodies in AWS's array formats. */
#include "core/error.h"
#include "fg_test.h"
#include "tasks/http_encode.h"

static void check_form(const char *json, fg__array_format fmt, const char *want)
{
    json_t *v = json_loads(json, 0, NULL);
    fg_buf b;
    fg_buf_init(&b, 0);
    FG_CHECK_INT(fg__form_encode(&b, v, fmt), 0);
    FG_CHECK_STR(b.data ? b.data : "", want);
    fg_buf_free(&b);
    json_decref(v);
}

FG_TEST(array_formats)
{
    const char *doc = "{\"a\":[\"x\",\"y\"]}";
    check_form(doc, FG_ARRAY_INDICES, "a%5B0%5D=x&a%5B1%5D=y");
    check_form(doc, FG_ARRAY_REPEAT, "a=x&a=y");
    check_form(doc, FG_ARRAY_COMMAS, "a=x%2Cy");
    check_form(doc, FG_ARRAY_BRACKETS, "a%5B%5D=x&a%5B%5D=y");
    FG_CHECK_INT(fg__array_format_parse("COMMAS"), FG_ARRAY_COMMAS);
    FG_CHECK_INT(fg__array_format_parse("commas"), -1);
}

FG_TEST(scalars_nesting_and_escapes)
{
    check_form("{\"n\":1.5,\"t\":true,\"z\":null,\"s\":\"a b&c=d/é\"}", FG_ARRAY_INDICES,
               "n=1.5&t=true&z=&s=a%20b%26c%3Dd%2F%C3%A9");
    check_form("{\"o\":{\"k\":\"v\",\"l\":[1]}}", FG_ARRAY_REPEAT, "o%5Bk%5D=v&o%5Bl%5D=1");
    check_form("{}", FG_ARRAY_INDICES, "");
    fg_buf b;
    fg_buf_init(&b, 0);
    json_t *arr = json_loads("[1]", 0, NULL);
    FG_CHECK_INT(fg__form_encode(&b, arr, FG_ARRAY_INDICES), FG_EINVAL);
    json_decref(arr);
    fg_buf_free(&b);
}

FG_TEST(deep_nesting_is_bounded)
{
    char doc[2048] = "";
    for (int i = 0; i < 40; i++)
        strcat(doc, "{\"a\":");
    strcat(doc, "1");
    for (int i = 0; i < 40; i++)
        strcat(doc, "}");
    json_t *v = json_loads(doc, 0, NULL);
    FG_REQUIRE(v);
    fg_buf b;
    fg_buf_init(&b, 0);
    FG_CHECK_INT(fg__form_encode(&b, v, FG_ARRAY_INDICES), FG_ELIMIT);
    fg_buf_free(&b);
    json_decref(v);
}
