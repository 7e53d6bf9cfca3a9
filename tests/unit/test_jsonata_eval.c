#include "jsonata/jsonata.h"
#include "fg_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Evaluates src against the JSON text input and returns the compact result,
 * "undefined", or "error CODE". The caller frees the string. */
static char *run(const char *src, const char *input, const fg_jsonata_env *env, const fg_jsonata_limits *lim)
{
    json_t *in = input ? json_loads(input, JSON_DECODE_ANY, NULL) : NULL;
    fg_jsonata_error err;
    fg_jsonata_expr *e = fg_jsonata_compile(src, strlen(src), &err);
    json_t *out = e ? fg_jsonata_eval(e, in, env, lim, &err) : NULL;
    char *s;
    if (!out) {
        s = malloc(32);
        snprintf(s, 32, "error %s", err.code);
    } else if (fg_jsonata_is_undefined(out)) {
        s = strdup("undefined");
    } else {
        s = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
    }
    json_decref(out);
    json_decref(in);
    fg_jsonata_free(e);
    return s;
}

#define CHECK_EVAL(src, input, want)                                                               \
    do {                                                                                           \
        char *got_ = run(src, input, NULL, NULL);                                                  \
        FG_CHECK_STR(got_, want);                                                                  \
        free(got_);                                                                                \
    } while (0)

FG_TEST(paths_map_over_arrays_and_flatten)
{
    const char *doc = "{\"a\":[{\"b\":1},{\"b\":[2,3]},{\"c\":4}]}";
    CHECK_EVAL("a.b", doc, "[1,2,3]");
    CHECK_EVAL("a[0].b", doc, "1");
    CHECK_EVAL("a.b[]", "{\"a\":{\"b\":1}}", "[1]");
    CHECK_EVAL("a.nothing", doc, "undefined");
    CHECK_EVAL("$count(a)", doc, "3");
}

FG_TEST(predicates_sorting_and_grouping)
{
    const char *doc = "{\"p\":[{\"n\":\"x\",\"v\":3},{\"n\":\"y\",\"v\":1},{\"n\":\"x\",\"v\":2}]}";
    CHECK_EVAL("p[v>1].n", doc, "[\"x\",\"x\"]");
    CHECK_EVAL("p^(v).v", doc, "[1,2,3]");
    CHECK_EVAL("p^(>v)[0].v", doc, "3");
    CHECK_EVAL("p{n: $sum(v)}", doc, "{\"x\":5,\"y\":1}");
    CHECK_EVAL("p#$i[$i=1].v", doc, "1");
}

FG_TEST(parent_and_focus_bindings)
{
    const char *doc = "{\"o\":[{\"id\":1,\"items\":[{\"q\":2},{\"q\":3}]}]}";
    CHECK_EVAL("o.items.{'id': %.id, 'q': q}", doc, "[{\"id\":1,\"q\":2},{\"id\":1,\"q\":3}]");
    const char *join = "{\"l\":[{\"id\":1},{\"id\":2}],\"b\":[{\"id\":2,\"t\":\"x\"}]}";
    CHECK_EVAL("l@$l.b@$b[$l.id=$b.id].$b.t", join, "\"x\"");
}

FG_TEST(operators_follow_javascript_numbers)
{
    CHECK_EVAL("1 + 2 * 3", NULL, "7");
    CHECK_EVAL("7 % 4", NULL, "3");
    CHECK_EVAL("0.1 + 0.2", NULL, "0.30000000000000004");
    CHECK_EVAL("$string(0.1 + 0.2)", NULL, "\"0.3\"");
    CHECK_EVAL("'a' & 1 & true", NULL, "\"a1true\"");
    CHECK_EVAL("3 in [1,2,3]", NULL, "true");
    CHECK_EVAL("[1..4]", NULL, "[1,2,3,4]");
    CHECK_EVAL("1 + 'a'", NULL, "error T2002");
    CHECK_EVAL("1 < 'a'", NULL, "error T2009");
}

FG_TEST(lambdas_closures_partials_and_chains)
{
    CHECK_EVAL("($f := function($x){$x * 2}; $map([1,2], $f))", NULL, "[2,4]");
    CHECK_EVAL("($add := function($a,$b){$a+$b}; $inc := $add(?, 1); $inc(4))", NULL, "5");
    CHECK_EVAL("'abc' ~> $uppercase() ~> $substring(1)", NULL, "\"BC\"");
    CHECK_EVAL("($k := function($n){ function(){ $n } }; $k(7)())", NULL, "7");
    CHECK_EVAL("$reduce([1,2,3], function($a,$b){$a+$b})", NULL, "6");
}

FG_TEST(tail_calls_do_not_grow_the_stack)
{
    fg_jsonata_limits lim = {.max_depth = 100};
    char *got = run("($loop := function($n){ $n = 0 ? 'done' : $loop($n - 1) }; $loop(5000))", NULL, NULL, &lim);
    FG_CHECK_STR(got, "\"done\"");
    free(got);
    got = run("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(5000))", NULL, NULL, &lim);
    FG_CHECK_STR(got, "error U1001");
    free(got);
}

FG_TEST(transform_copies_and_updates)
{
    const char *doc = "{\"a\":{\"b\":1,\"c\":2}}";
    CHECK_EVAL("$ ~> |a|{'b': 10}, ['c']|", doc, "{\"a\":{\"b\":10}}");
    CHECK_EVAL("($ ~> |a|{'b': 10}|; a.b)", doc, "1");
}

FG_TEST(string_and_regex_functions)
{
    CHECK_EVAL("$replace('abcabc', /b(c)/, '[$1]')", NULL, "\"a[c]a[c]\"");
    CHECK_EVAL("$split('a,b,,c', ',')", NULL, "[\"a\",\"b\",\"\",\"c\"]");
    CHECK_EVAL("$match('a1b22', /\\d+/).match", NULL, "[\"1\",\"22\"]");
    CHECK_EVAL("$contains('Hello', /l+/i)", NULL, "true");
    CHECK_EVAL("$pad('x', -3, '#')", NULL, "\"##x\"");
    CHECK_EVAL("$length('héllo')", NULL, "5");
    CHECK_EVAL("$uppercase('straße été ωσ привет')", NULL, "\"STRAßE ÉTÉ ΩΣ ПРИВЕТ\"");
    CHECK_EVAL("$formatNumber(1234.5, '#,##0.00')", NULL, "\"1,234.50\"");
    CHECK_EVAL("$formatInteger(1999, 'I')", NULL, "\"MCMXCIX\"");
    CHECK_EVAL("$fromMillis(0)", NULL, "\"1970-01-01T00:00:00.000Z\"");
    CHECK_EVAL("$toMillis('1970-01-02T00:00:00Z')", NULL, "86400000");
}

FG_TEST(syntax_errors_carry_code_and_position)
{
    fg_jsonata_error err;
    fg_jsonata_expr *e = fg_jsonata_compile("a + (b", 6, &err);
    FG_CHECK(e == NULL);
    FG_CHECK_STR(err.code, "S0203");
    e = fg_jsonata_compile("\"abc", 4, &err);
    FG_CHECK(e == NULL);
    FG_CHECK_STR(err.code, "S0101");
    e = fg_jsonata_compile("a.b.", 4, &err);
    FG_CHECK(e == NULL);
    FG_CHECK_STR(err.code, "S0207");
    FG_CHECK_INT(err.position, 4);
}

FG_TEST(limits_stop_runaway_expressions)
{
    CHECK_EVAL("[1..1e9]", NULL, "error D2014");
    fg_jsonata_limits lim = {.timeout_ms = 50};
    char *got = run("($f := function(){ $f() }; $f())", NULL, NULL, &lim);
    FG_CHECK_STR(got, "error U1001");
    free(got);
    fg_jsonata_limits small = {.regex_match_limit = 1000};
    got = run("$match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /^(a+)+$/)", NULL, NULL, &small);
    FG_CHECK_STR(got, "error U1003");
    free(got);
    fg_jsonata_limits mem = {.max_memory = 1 << 20};
    got = run("[1..1000000]", NULL, NULL, &mem);
    FG_CHECK_STR(got, "error U1002");
    free(got);
}

static json_t *twice(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    (void)ud;
    if (n < 1 || !json_is_number(args[0])) {
        snprintf(err->code, sizeof err->code, "T0410");
        return NULL;
    }
    return json_real(json_number_value(args[0]) * 2);
}

FG_TEST(env_binds_variables_and_native_functions)
{
    fg_jsonata_env *env = fg_jsonata_env_new();
    FG_REQUIRE(env != NULL);
    json_t *v = json_integer(21);
    FG_CHECK_INT(fg_jsonata_env_bind(env, "x", v), 0);
    json_decref(v);
    FG_CHECK_INT(fg_jsonata_env_add_function(env, "twice", "<n:n>", twice, NULL), 0);
    char *got = run("$twice($x)", NULL, env, NULL);
    FG_CHECK_STR(got, "42");
    free(got);
    got = run("$twice('a')", NULL, env, NULL);
    FG_CHECK_STR(got, "error T0410");
    free(got);
    fg_jsonata_env_free(env);
}

FG_TEST(undefined_is_not_null)
{
    CHECK_EVAL("null", NULL, "null");
    CHECK_EVAL("nothing", "{}", "undefined");
    FG_CHECK(fg_jsonata_is_undefined(fg_jsonata_undefined()));
    FG_CHECK(!fg_jsonata_is_undefined(json_null()));
}

FG_TEST(step_functions_functions)
{
    fg_jsonata_env *env = fg_jsonata_env_new();
    FG_REQUIRE(env != NULL);
    FG_CHECK_INT(fg_jsonata_env_add_sfn_functions(env), 0);
    char *got = run("$partition([1,2,3,4,5], 2)", NULL, env, NULL);
    FG_CHECK_STR(got, "[[1,2],[3,4],[5]]");
    free(got);
    got = run("$range(0, 10, 5)", NULL, env, NULL);
    FG_CHECK_STR(got, "[0,5,10]");
    free(got);
    got = run("$hash('abc', 'SHA-256')", NULL, env, NULL);
    FG_CHECK_STR(got, "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"");
    free(got);
    got = run("$randomSeeded(7) = $randomSeeded(7) and $random() < 1", NULL, env, NULL);
    FG_CHECK_STR(got, "true");
    free(got);
    got = run("$length($uuid())", NULL, env, NULL);
    FG_CHECK_STR(got, "36");
    free(got);
    got = run("$parse('{\"a\":[1,2]}').a[1]", NULL, env, NULL);
    FG_CHECK_STR(got, "2");
    free(got);
    fg_jsonata_env_free(env);
}

FG_TEST(compiled_expression_is_reusable)
{
    fg_jsonata_error err;
    fg_jsonata_expr *e = fg_jsonata_compile("x * 2", 5, &err);
    FG_REQUIRE(e != NULL);
    for (int i = 0; i < 3; i++) {
        json_t *in = json_pack("{s:i}", "x", i);
        json_t *out = fg_jsonata_eval(e, in, NULL, NULL, &err);
        FG_CHECK(json_is_integer(out) && json_integer_value(out) == 2 * i);
        json_decref(out);
        json_decref(in);
    }
    fg_jsonata_free(e);
}

typedef struct shared_case {
    const fg_jsonata_expr *e;
    const json_t *input;
    int ok;
} shared_case;

static void *eval_many(void *arg)
{
    shared_case *sc = arg;
    for (int i = 0; i < 200; i++) {
        fg_jsonata_error err;
        json_t *out = fg_jsonata_eval(sc->e, sc->input, NULL, NULL, &err);
        if (json_is_string(out) && strcmp(json_string_value(out), "B-A") == 0)
            sc->ok++;
        json_decref(out);
    }
    return NULL;
}

FG_TEST(one_expression_many_threads)
{
    const char *src = "$join($reverse(items[$contains(name, /[a-z]/i)].$uppercase(name)), '-')";
    fg_jsonata_error err;
    fg_jsonata_expr *e = fg_jsonata_compile(src, strlen(src), &err);
    FG_REQUIRE(e != NULL);
    json_t *in = json_loads("{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"1\"}]}", 0, NULL);
    pthread_t t[4];
    shared_case sc[4];
    for (int i = 0; i < 4; i++) {
        sc[i] = (shared_case){e, in, 0};
        pthread_create(&t[i], NULL, eval_many, &sc[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        FG_CHECK_INT(sc[i].ok, 200);
    }
    json_decref(in);
    fg_jsonata_free(e);
}
