/* Numeric and aggregation functions: $number, $abs, $floor, $ceil, $round,
 * $power, $sqrt, $random, $formatBase, $sum, $max, $min, $average, $count. */
#include "jsonata/fn_int.h"

#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARG(i) ((i) < n ? a[i] : NULL)

static jv *checked(jctx *c, double d)
{
    if (!isfinite(d))
        jx_fail(c, "D1001", "number out of range");
    return jx_num(c, d);
}

static bool is_decimal(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t d0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == d0)
        return false;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f0)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0)
            return false;
    }
    return i == n;
}

static bool parse_radix(const char *s, size_t n, double *out)
{
    if (n < 3 || s[0] != '0')
        return false;
    int base = s[1] == 'x' || s[1] == 'X' ? 16 : s[1] == 'o' || s[1] == 'O' ? 8 : s[1] == 'b' || s[1] == 'B' ? 2 : 0;
    if (!base)
        return false;
    double v = 0;
    for (size_t i = 2; i < n; i++) {
        int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : 99;
        if (d >= base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static jv *fn_number(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *v = ARG(0);
    if (!v)
        return NULL;
    if (v->kind == JV_NUM)
        return v;
    if (v->kind == JV_BOOL)
        return jx_num(c, v->u.b ? 1 : 0);
    if (v->kind == JV_STR) {
        double d;
        if (is_decimal(v->u.s.s, v->u.s.len)) {
            char buf[128];
            snprintf(buf, sizeof buf, "%.*s", (int)(v->u.s.len < 127 ? v->u.s.len : 127), v->u.s.s);
            d = strtod(buf, NULL);
            if (isfinite(d))
                return jx_num(c, d);
        } else if (parse_radix(v->u.s.s, v->u.s.len, &d)) {
            return jx_num(c, d);
        }
    }
    jx_fail(c, "D3030", "unable to cast value to a number");
}

static jv *fn_abs(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return ARG(0) ? jx_num(c, fabs(ARG(0)->u.n)) : NULL;
}

static jv *fn_floor(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return ARG(0) ? jx_num(c, floor(ARG(0)->u.n) + 0.0) : NULL;
}

static jv *fn_ceil(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    double d = ARG(0) ? ceil(ARG(0)->u.n) : 0;
    return ARG(0) ? jx_num(c, d == 0 ? 0 : d) : NULL;
}

static double js_round(double x)
{
    return floor(x + 0.5);
}

/* Shifts the decimal point of x by p places through its decimal text, as
 * JSONata does, so that 2.675 shifted by 2 is exactly 267.5. */
static double shift(double x, int p)
{
    char buf[64], out[80];
    jx_fmt_num(x, buf, sizeof buf);
    char *e = strchr(buf, 'e');
    int exp = 0;
    if (e) {
        exp = atoi(e + 1);
        *e = 0;
    }
    snprintf(out, sizeof out, "%se%d", buf, exp + p);
    return strtod(out, NULL);
}

static jv *fn_round(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *v = ARG(0);
    if (!v)
        return NULL;
    int prec = ARG(1) ? (int)ARG(1)->u.n : 0;
    double x = v->u.n;
    if (prec)
        x = shift(x, prec);
    double r = js_round(x);
    double diff = r - x;
    if (fabs(diff) == 0.5 && fabs(fmod(r, 2)) == 1)
        r -= 1;
    if (prec)
        r = shift(r, -prec);
    if (r == 0)
        r = 0;
    return jx_num(c, r);
}

static jv *fn_power(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    double r = pow(ARG(0)->u.n, ARG(1)->u.n);
    if (!isfinite(r))
        jx_fail(c, "D3061", "the power function has resulted in a value that cannot be represented as a JSON number");
    return jx_num(c, r);
}

static jv *fn_sqrt(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    if (ARG(0)->u.n < 0)
        jx_fail(c, "D3060", "the sqrt function cannot be applied to a negative number");
    return jx_num(c, sqrt(ARG(0)->u.n));
}

static jv *fn_random(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return jx_num(c, fg_rand_unit());
}

static jv *fn_format_base(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    jv *rv = fn_round(c, a, 1, in, env);
    double v = rv->u.n;
    int radix = ARG(1) ? (int)ARG(1)->u.n : 10;
    if (radix < 2 || radix > 36)
        jx_fail(c, "D3100", "the radix of the formatBase function must be between 2 and 36");
    char buf[80];
    int k = 0;
    bool neg = v < 0;
    double x = fabs(v);
    if (x == 0)
        buf[k++] = '0';
    while (x >= 1 && k < 78) {
        int d = (int)fmod(x, radix);
        buf[k++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        x = floor(x / radix);
    }
    if (neg)
        buf[k++] = '-';
    char *o = jx_alloc(c, (size_t)k + 1);
    for (int i = 0; i < k; i++)
        o[i] = buf[k - 1 - i];
    o[k] = 0;
    return jx_str_nocopy(c, o, (size_t)k);
}

static jv *as_array(jctx *c, jv *v)
{
    if (jx_is_arr(v))
        return v;
    jv *w = jx_arr(c, 1);
    jx_push(c, w, v);
    return w;
}

static jv *fn_sum(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    jv *arr = as_array(c, ARG(0));
    double s = 0;
    for (size_t i = 0; i < arr->u.a.n; i++)
        s += arr->u.a.items[i]->u.n;
    return checked(c, s);
}

static jv *extreme(jctx *c, jv *v, bool max)
{
    if (!v)
        return NULL;
    jv *arr = as_array(c, v);
    if (arr->u.a.n == 0)
        return NULL;
    double r = arr->u.a.items[0]->u.n;
    for (size_t i = 1; i < arr->u.a.n; i++) {
        double x = arr->u.a.items[i]->u.n;
        if (max ? x > r : x < r)
            r = x;
    }
    return jx_num(c, r);
}

static jv *fn_max(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return extreme(c, ARG(0), true);
}

static jv *fn_min(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return extreme(c, ARG(0), false);
}

static jv *fn_average(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    jv *arr = as_array(c, ARG(0));
    if (arr->u.a.n == 0)
        return NULL;
    double s = 0;
    for (size_t i = 0; i < arr->u.a.n; i++)
        s += arr->u.a.items[i]->u.n;
    return checked(c, s / (double)arr->u.a.n);
}

static jv *fn_count(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *v = ARG(0);
    if (!v)
        return jx_num(c, 0);
    return jx_num(c, jx_is_arr(v) ? (double)v->u.a.n : 1);
}

const jbuiltin jx_numeric_builtins[] = {
    {"number", "<(nsb)-:n>", fn_number, -1},
    {"abs", "<n-:n>", fn_abs, -1},
    {"floor", "<n-:n>", fn_floor, -1},
    {"ceil", "<n-:n>", fn_ceil, -1},
    {"round", "<n-n?:n>", fn_round, -1},
    {"power", "<n-n:n>", fn_power, -1},
    {"sqrt", "<n-:n>", fn_sqrt, -1},
    {"random", "<:n>", fn_random, -1},
    {"formatBase", "<n-n?:s>", fn_format_base, -1},
    {"formatNumber", "<n-so?:s>", jx_fn_format_number, -1},
    {"formatInteger", "<n-s:s>", jx_fn_format_integer, -1},
    {"parseInteger", "<s-s:n>", jx_fn_parse_integer, -1},
    {"sum", "<a<n>:n>", fn_sum, -1},
    {"max", "<a<n>:n>", fn_max, -1},
    {"min", "<a<n>:n>", fn_min, -1},
    {"average", "<a<n>:n>", fn_average, -1},
    {"count", "<a:n>", fn_count, -1},
    {NULL, NULL, NULL, 0},
};
