/* Choice rules: compiled once into a tree of comparisons and And/Or/Not. */
#include "flow/flow_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { K_STR, K_NUM, K_BOOL, K_TS, K_MATCH, K_IS } vkind;
typedef enum { O_EQ, O_LT, O_GT, O_LE, O_GE } cop;
typedef enum { R_CMP, R_AND, R_OR, R_NOT } rkind;

struct fg__rule {
    rkind kind;
    fg__jp *var;
    vkind vk;
    cop op;
    const char *is_name; /* IsNull, IsPresent, ... */
    bool is_path;
    json_t *operand;
    fg__jp *operand_path;
    fg__rule **kids;
    int nkids;
};

typedef struct opdef {
    const char *name;
    vkind vk;
    cop op;
    bool path;
} opdef;

static const opdef ops[] = {
    {"StringEquals", K_STR, O_EQ, false}, {"StringEqualsPath", K_STR, O_EQ, true},
    {"StringLessThan", K_STR, O_LT, false}, {"StringLessThanPath", K_STR, O_LT, true},
    {"StringGreaterThan", K_STR, O_GT, false}, {"StringGreaterThanPath", K_STR, O_GT, true},
    {"StringLessThanEquals", K_STR, O_LE, false}, {"StringLessThanEqualsPath", K_STR, O_LE, true},
    {"StringGreaterThanEquals", K_STR, O_GE, false},
    {"StringGreaterThanEqualsPath", K_STR, O_GE, true},
    {"StringMatches", K_MATCH, O_EQ, false},
    {"NumericEquals", K_NUM, O_EQ, false}, {"NumericEqualsPath", K_NUM, O_EQ, true},
    {"NumericLessThan", K_NUM, O_LT, false}, {"NumericLessThanPath", K_NUM, O_LT, true},
    {"NumericGreaterThan", K_NUM, O_GT, false}, {"NumericGreaterThanPath", K_NUM, O_GT, true},
    {"NumericLessThanEquals", K_NUM, O_LE, false}, {"NumericLessThanEqualsPath", K_NUM, O_LE, true},
    {"NumericGreaterThanEquals", K_NUM, O_GE, false},
    {"NumericGreaterThanEqualsPath", K_NUM, O_GE, true},
    {"BooleanEquals", K_BOOL, O_EQ, false}, {"BooleanEqualsPath", K_BOOL, O_EQ, true},
    {"TimestampEquals", K_TS, O_EQ, false}, {"TimestampEqualsPath", K_TS, O_EQ, true},
    {"TimestampLessThan", K_TS, O_LT, false}, {"TimestampLessThanPath", K_TS, O_LT, true},
    {"TimestampGreaterThan", K_TS, O_GT, false}, {"TimestampGreaterThanPath", K_TS, O_GT, true},
    {"TimestampLessThanEquals", K_TS, O_LE, false},
    {"TimestampLessThanEqualsPath", K_TS, O_LE, true},
    {"TimestampGreaterThanEquals", K_TS, O_GE, false},
    {"TimestampGreaterThanEqualsPath", K_TS, O_GE, true},
    {"IsNull", K_IS, O_EQ, false}, {"IsPresent", K_IS, O_EQ, false},
    {"IsNumeric", K_IS, O_EQ, false}, {"IsString", K_IS, O_EQ, false},
    {"IsBoolean", K_IS, O_EQ, false}, {"IsTimestamp", K_IS, O_EQ, false},
};

void fg__rule_free(fg__rule *r)
{
    if (!r)
        return;
    fg__jp_free(r->var);
    fg__jp_free(r->operand_path);
    json_decref(r->operand);
    for (int i = 0; i < r->nkids; i++)
        fg__rule_free(r->kids[i]);
    free(r->kids);
    free(r);
}

/* ---- timestamps ---------------------------------------------------------- */

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool valid_date(int y, int mo, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(mo == 2 && d == 29 && !leap);
}

bool fg__timestamp_parse(const char *s, int64_t *ms_out, int *frac_digits)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (!valid_date(y, mo, d) || h > 23 || mi > 59 || se > 59)
        return false;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    int nf = 0;
    if (*p == '.') {
        p++;
        double scale = 100;
        while (isdigit((unsigned char)*p)) {
            frac_ms += (int64_t)((*p - '0') * scale);
            scale /= 10;
            p++;
            nf++;
        }
        if (nf == 0 || nf > 9)
            return false;
    }
    int sign = 0;
    if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
               digits(p + 4, 2, &om)) {
        sign = *p == '+' ? 1 : -1;
        p += 6;
    } else {
        return false;
    }
    if (*p || oh > 23 || om > 59)
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    secs -= sign * (oh * 3600 + om * 60);
    if (ms_out)
        *ms_out = secs * 1000 + frac_ms;
    if (frac_digits)
        *frac_digits = nf;
    return true;
}

/* ---- compile -------------------------------------------------------------- */

typedef struct rctx {
    fg__report_fn report;
    void *ud;
} rctx;

static void rep(rctx *c, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rep(rctx *c, const char *ptr, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->report(c->ud, ptr, msg);
}

static const opdef *find_op(const json_t *v, int *count)
{
    const opdef *found = NULL;
    *count = 0;
    for (size_t i = 0; i < FG_ARRAY_LEN(ops); i++)
        if (json_object_get(v, ops[i].name)) {
            found = &ops[i];
            (*count)++;
        }
    return found;
}

static bool operand_ok(const opdef *op, const json_t *x)
{
    if (op->path)
        return json_is_string(x);
    switch (op->vk) {
    case K_STR:
    case K_MATCH:
        return json_is_string(x);
    case K_NUM:
        return json_is_number(x);
    case K_BOOL:
    case K_IS:
        return json_is_boolean(x);
    case K_TS:
        return json_is_string(x) && fg__timestamp_parse(json_string_value(x), NULL, NULL);
    }
    return false;
}

static fg__rule *compile_cmp(const json_t *v, const char *ptr, rctx *c)
{
    int count;
    const opdef *op = find_op(v, &count);
    if (count != 1) {
        rep(c, ptr, "%s", count ? "A Choice Rule must have exactly one comparison operator"
                                : "A Choice Rule has no comparison operator (or And/Or/Not)");
        return NULL;
    }
    const json_t *var = json_object_get(v, "Variable");
    const json_t *x = json_object_get(v, op->name);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__rule *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = R_CMP;
    r->vk = op->vk;
    r->op = op->op;
    r->is_name = op->vk == K_IS ? op->name : NULL;
    r->is_path = op->path;
    if (!json_is_string(var) || !(r->var = fg__jp_compile(json_string_value(var), &eb))) {
        rep(c, ptr, "The field 'Variable' must be a valid JSONPath: %s", eb.msg);
        fg__rule_free(r);
        return NULL;
    }
    if (!operand_ok(op, x)) {
        rep(c, ptr, "The value of the field '%s' has the wrong type or format", op->name);
        fg__rule_free(r);
        return NULL;
    }
    if (op->path && !(r->operand_path = fg__jp_compile(json_string_value(x), &eb))) {
        rep(c, ptr, "The value of the field '%s' must be a valid JSONPath", op->name);
        fg__rule_free(r);
        return NULL;
    }
    if (!op->path)
        r->operand = json_incref((json_t *)x);
    return r;
}

static fg__rule *compile_bool(const json_t *v, const char *ptr, rctx *c, const char *which)
{
    const json_t *x = json_object_get(v, which);
    fg__rule *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = which[0] == 'A' ? R_AND : which[0] == 'O' ? R_OR : R_NOT;
    char sub[512];
    if (r->kind == R_NOT) {
        if (!json_is_object(x)) {
            rep(c, ptr, "%s", "The field 'Not' must be a Choice Rule object");
            free(r);
            return NULL;
        }
        r->kids = calloc(1, sizeof(fg__rule *));
        snprintf(sub, sizeof sub, "%s/Not", ptr);
        r->kids[0] = fg__rule_compile(x, sub, false, c->report, c->ud);
        r->nkids = 1;
        if (!r->kids[0]) {
            fg__rule_free(r);
            return NULL;
        }
        return r;
    }
    if (!json_is_array(x) || json_array_size(x) == 0) {
        rep(c, ptr, "The field '%s' must be a non-empty array of Choice Rules", which);
        free(r);
        return NULL;
    }
    r->kids = calloc(json_array_size(x), sizeof(fg__rule *));
    bool ok = true;
    for (size_t i = 0; i < json_array_size(x); i++) {
        snprintf(sub, sizeof sub, "%s/%s/%zu", ptr, which, i);
        r->kids[r->nkids] = fg__rule_compile(json_array_get(x, i), sub, false, c->report, c->ud);
        ok = ok && r->kids[r->nkids];
        r->nkids++;
    }
    if (!ok) {
        fg__rule_free(r);
        return NULL;
    }
    return r;
}

fg__rule *fg__rule_compile(const json_t *v, const char *pointer, bool top, fg__report_fn report,
                           void *ud)
{
    rctx c = {report, ud};
    if (!json_is_object(v)) {
        rep(&c, pointer, "%s", "A Choice Rule must be an object");
        return NULL;
    }
    if (!top && json_object_get(v, "Next")) {
        rep(&c, pointer, "%s", "A nested Choice Rule must not have 'Next'");
        return NULL;
    }
    static const char *known[] = {"Variable", "Next", "And", "Or", "Not", "Comment"};
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        bool ok = top && !strcmp(k, "Assign"); /* variables set when the rule matches */
        for (size_t i = 0; i < FG_ARRAY_LEN(known) && !ok; i++)
            ok = !strcmp(k, known[i]);
        for (size_t i = 0; i < FG_ARRAY_LEN(ops) && !ok; i++)
            ok = !strcmp(k, ops[i].name);
        if (!ok) {
            rep(&c, pointer, "Field '%s' is not supported in a Choice Rule", k);
            return NULL;
        }
    }
    if (json_object_get(v, "And"))
        return compile_bool(v, pointer, &c, "And");
    if (json_object_get(v, "Or"))
        return compile_bool(v, pointer, &c, "Or");
    if (json_object_get(v, "Not"))
        return compile_bool(v, pointer, &c, "Not");
    return compile_cmp(v, pointer, &c);
}

/* ---- evaluate ------------------------------------------------------------- */

static bool glob_match(const char *p, const char *s)
{
    while (*p) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return true;
            for (const char *t = s; *t; t++)
                if (glob_match(p, t))
                    return true;
            return glob_match(p, s + strlen(s));
        }
        char pc = *p;
        if (pc == '\\' && p[1])
            pc = *++p;
        if (*s != pc)
            return false;
        p++;
        s++;
    }
    return *s == 0;
}

static bool apply_op(cop op, int c)
{
    switch (op) {
    case O_EQ: return c == 0;
    case O_LT: return c < 0;
    case O_GT: return c > 0;
    case O_LE: return c <= 0;
    default: return c >= 0;
    }
}

static bool is_check(const char *name, json_t *v)
{
    if (!strcmp(name, "IsPresent"))
        return v != NULL;
    if (!v)
        return false;
    if (!strcmp(name, "IsNull"))
        return json_is_null(v);
    if (!strcmp(name, "IsNumeric"))
        return json_is_number(v);
    if (!strcmp(name, "IsString"))
        return json_is_string(v);
    if (!strcmp(name, "IsBoolean"))
        return json_is_boolean(v);
    return json_is_string(v) && fg__timestamp_parse(json_string_value(v), NULL, NULL);
}

static bool compare(const fg__rule *r, json_t *v, json_t *x)
{
    switch (r->vk) {
    case K_STR:
        if (!json_is_string(v) || !json_is_string(x))
            return false;
        return apply_op(r->op, strcmp(json_string_value(v), json_string_value(x)));
    case K_MATCH:
        return json_is_string(v) && glob_match(json_string_value(x), json_string_value(v));
    case K_NUM: {
        if (!json_is_number(v) || !json_is_number(x))
            return false;
        double a = json_number_value(v), b = json_number_value(x);
        return apply_op(r->op, a < b ? -1 : a > b ? 1 : 0);
    }
    case K_BOOL:
        return json_is_boolean(v) && json_is_boolean(x) && json_equal(v, x);
    case K_TS: {
        int64_t a, b;
        if (!json_is_string(v) || !json_is_string(x) ||
            !fg__timestamp_parse(json_string_value(v), &a, NULL) ||
            !fg__timestamp_parse(json_string_value(x), &b, NULL))
            return false;
        return apply_op(r->op, a < b ? -1 : a > b ? 1 : 0);
    }
    default:
        return false;
    }
}

static json_t *lookup(const fg__jp *p, fg__eval_ctx *cx)
{
    int err;
    json_t *doc = fg__path_doc(p, cx);
    return doc ? fg__jp_eval(p, doc, cx->max_results, &err) : NULL;
}

static int eval_cmp(const fg__rule *r, fg__eval_ctx *cx)
{
    json_t *v = lookup(r->var, cx);
    if (r->vk == K_IS) {
        bool res = is_check(r->is_name, v) == json_is_true(r->operand);
        json_decref(v);
        return res;
    }
    if (!v) {
        cx->error = "States.Runtime";
        fg_failf(cx->eb, FG_ENOTFOUND, "Invalid path '%s': No results for path",
                 fg__jp_text(r->var));
        return -1;
    }
    json_t *x = r->operand;
    if (r->is_path) {
        x = fg__path_eval(r->operand_path, cx);
        if (!x) {
            json_decref(v);
            return -1;
        }
    }
    bool res = compare(r, v, x);
    json_decref(v);
    if (r->is_path)
        json_decref(x);
    return res;
}

int fg__rule_eval(const fg__rule *r, fg__eval_ctx *cx)
{
    switch (r->kind) {
    case R_CMP:
        return eval_cmp(r, cx);
    case R_NOT: {
        int x = fg__rule_eval(r->kids[0], cx);
        return x < 0 ? x : !x;
    }
    default:
        for (int i = 0; i < r->nkids; i++) {
            int x = fg__rule_eval(r->kids[i], cx);
            if (x < 0)
                return x;
            if (r->kind == R_AND && !x)
                return 0;
            if (r->kind == R_OR && x)
                return 1;
        }
        return r->kind == R_AND;
    }
}
