#include "flow/flow_int.h"
#include "fg_test.h"

/* Evaluates an intrinsic call against a small input; returns JSON text or "ERR:<error>". */
static char *call(const char *text)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__fn *f = fg__fn_compile(text, &eb);
    if (!f)
        return strdup("<invalid>");
    json_error_t je;
    json_t *in = json_loads("{\"s\":\"a,b,,c\",\"n\":1.5,\"arr\":[1,2,2,3],\"o\":{\"k\":\"v\"}}", 0, &je);
    json_t *ctx = json_pack("{s:{s:s}}", "Execution", "Name", "exec-1");
    fg__eval_ctx cx = {.input = in, .context = ctx, .max_results = 1000, .eb = &eb};
    json_t *r = fg__fn_eval(f, &cx);
    char *s;
    if (r) {
        s = fg__json_text(r);
    } else {
        size_t n = strlen(cx.error ? cx.error : "?") + 5;
        s = malloc(n);
        snprintf(s, n, "ERR:%s", cx.error ? cx.error : "?");
    }
    json_decref(r);
    json_decref(in);
    json_decref(ctx);
    fg__fn_free(f);
    return s;
}

#define CHECK_CALL(text, expected)                                                             \
    do {                                                                                       \
        char *got_ = call(text);                                                               \
        FG_CHECK_STR(got_, expected);                                                          \
        free(got_);                                                                            \
    } while (0)

FG_TEST(intrinsic_format_fills_placeholders_and_keeps_escapes)
{
    CHECK_CALL("States.Format('x={} y={}', $.n, $.o)", "\"x=1.5 y={k=v}\"");
    CHECK_CALL("States.Format('literal \\{\\} and {}', $$.Execution.Name)", "\"literal {} and exec-1\"");
    CHECK_CALL("States.Format('it\\'s {}', 'ok')", "\"it's ok\"");
    CHECK_CALL("States.Format('{} {}', 1)", "ERR:States.IntrinsicFailure");
}

FG_TEST(intrinsic_arrays)
{
    CHECK_CALL("States.Array(1, 'a', true, null, $.o)", "[1,\"a\",true,null,{\"k\":\"v\"}]");
    CHECK_CALL("States.ArrayPartition($.arr, 3)", "[[1,2,2],[3]]");
    CHECK_CALL("States.ArrayContains($.arr, 3)", "true");
    CHECK_CALL("States.ArrayRange(1, 9, 4)", "[1,5,9]");
    CHECK_CALL("States.ArrayRange(0, 2000, 1)", "ERR:States.IntrinsicFailure");
    CHECK_CALL("States.ArrayGetItem($.arr, 3)", "3");
    CHECK_CALL("States.ArrayLength($.arr)", "4");
    CHECK_CALL("States.ArrayUnique($.arr)", "[1,2,3]");
    CHECK_CALL("States.ArrayPartition($.arr, 0)", "ERR:States.IntrinsicFailure");
}

FG_TEST(intrinsic_strings_json_and_encodings)
{
    CHECK_CALL("States.StringSplit($.s, ',')", "[\"a\",\"b\",\"c\"]");
    CHECK_CALL("States.JsonToString($.o)", "\"{\\\"k\\\":\\\"v\\\"}\"");
    CHECK_CALL("States.StringToJson('{\"a\":[1]}')", "{\"a\":[1]}");
    CHECK_CALL("States.Base64Encode('hello')", "\"aGVsbG8=\"");
    CHECK_CALL("States.Base64Decode('aGVsbG8=')", "\"hello\"");
    CHECK_CALL("States.Hash('input data', 'SHA-256')",
               "\"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3\"");
    CHECK_CALL("States.Hash('input data', 'MD5')", "\"812f45842bc6d66ee14572ce20db8e86\"");
    CHECK_CALL("States.Hash('x', 'SHA-3')", "ERR:States.IntrinsicFailure");
    CHECK_CALL("States.JsonMerge($.o, States.StringToJson('{\"z\":1}'), false)", "{\"k\":\"v\",\"z\":1}");
}

FG_TEST(intrinsic_math_rounds_like_aws)
{
    CHECK_CALL("States.MathAdd(1.5, -2.5)", "0");
    CHECK_CALL("States.MathAdd($.n, 1)", "3");
    CHECK_CALL("States.MathAdd(States.ArrayLength($.arr), -1)", "3");
    char *a = call("States.MathRandom(1, 10, 7)"), *b = call("States.MathRandom(1, 10, 7)");
    FG_CHECK_STR(a, b);
    FG_CHECK(atoi(a) >= 1 && atoi(a) <= 10);
    free(a);
    free(b);
    char *u = call("States.UUID()");
    FG_CHECK_INT(strlen(u), 38);
    free(u);
}

FG_TEST(intrinsic_parser_rejects_bad_calls)
{
    CHECK_CALL("States.Nope(1)", "<invalid>");
    CHECK_CALL("States.ArrayLength()", "<invalid>");
    CHECK_CALL("States.Format('bad \\\" escape')", "<invalid>");
    CHECK_CALL("States.Format('unterminated)", "<invalid>");
    CHECK_CALL("States.Array(1,", "<invalid>");
}
