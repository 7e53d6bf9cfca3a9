/* Intrinsic functions (States.Format, States.Array, ...): parsed once into a
 * call tree; arguments are literals, JSONPaths ($ or $$) or nested calls. */
#include "flow/flow_int.h"

#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"

typedef enum { ARG_LIT, ARG_PATH, ARG_CALL } arg_kind;

typedef struct fn_arg {
    arg_kind kind;
    json_t *lit;
    char *raw;       /* a string literal as written (for Format's \{ \}) */
    fg__jp *path;
    fg__fn *call;
} fn_arg;

typedef struct fn_def fn_def;

struct fg__fn {
    const fn_def *def;
    fn_arg *args;
    int nargs;
};

typedef json_t *(*fn_impl)(const fg__fn *f, json_t **v, fg__eval_ctx *cx);

struct fn_def {
    const char *name;
    int min, max;
    fn_impl impl;
    unsigned numeric;   /* bit i: a literal argument i must be a number */
};

#define MAX_FN_DEPTH 32

static json_t *fail(fg__eval_ctx *cx, const char *msg, const char *name)
{
    cx->error = "States.IntrinsicFailure";
    fg_failf(cx->eb, FG_EINVAL, "%s: %s", name, msg);
    return NULL;
}

/* ---- Java-like rendering for States.Format ------------------------------ */

static void render(fg_buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        fg_buf_append(b, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        char tmp[24];
        fg_buf_append(b, tmp, fg__itoa(json_integer_value(v), tmp));
    } else if (json_is_object(v)) {
        const char *k;
        json_t *c;
        bool first = true;
        fg_buf_putc(b, '{');
        json_object_foreach((json_t *)v, k, c) {
            if (!first)
                fg_buf_puts(b, ", ");
            fg_buf_puts(b, k);
            fg_buf_putc(b, '=');
            render(b, c);
            first = false;
        }
        fg_buf_putc(b, '}');
    } else if (json_is_array(v)) {
        fg_buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fg_buf_puts(b, ", ");
            render(b, json_array_get(v, i));
        }
        fg_buf_putc(b, ']');
    } else {
        char *s = fg__json_text(v);
        fg_buf_puts(b, s ? s : "null");
        free(s);
    }
}

static json_t *fn_format(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_string(v[0]))
        return fail(cx, "the first argument must be a string", f->def->name);
    const char *t = f->args[0].kind == ARG_LIT ? f->args[0].raw : json_string_value(v[0]);
    bool raw = f->args[0].kind == ARG_LIT;
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    int next = 1;
    for (const char *p = t; *p; p++) {
        if (raw && *p == '\\' && p[1]) {
            fg_buf_putc(&b, *++p);
        } else if (p[0] == '{' && p[1] == '}') {
            if (next >= f->nargs) {
                fg_buf_free(&b);
                return fail(cx, "more placeholders than arguments", f->def->name);
            }
            render(&b, v[next++]);
            p++;
        } else {
            fg_buf_putc(&b, *p);
        }
    }
    if (next != f->nargs) {
        fg_buf_free(&b);
        return fail(cx, "more arguments than placeholders", f->def->name);
    }
    json_t *r = json_stringn(b.data, b.len);
    fg_buf_free(&b);
    return r;
}

static json_t *fn_string_to_json(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_string(v[0]))
        return fail(cx, "the argument must be a string", f->def->name);
    const char *s = json_string_value(v[0]);
    size_t n = json_string_length(v[0]);
    bool blank = true;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            blank = false;
    if (blank)
        return json_null();
    json_error_t je;
    json_t *r = json_loadb(s, n, JSON_DECODE_ANY, &je);
    if (!r)
        return fail(cx, "the argument is not valid JSON", f->def->name);
    return r;
}

static json_t *fn_json_to_string(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    (void)f;
    (void)cx;
    char *s = fg__json_text(v[0]);
    json_t *r = json_string(s ? s : "null");
    free(s);
    return r;
}

static json_t *fn_array(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    (void)cx;
    json_t *a = json_array();
    for (int i = 0; i < f->nargs; i++)
        json_array_append(a, v[i]);
    return a;
}

static bool is_int(const json_t *v, json_int_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9e15) {
            *out = (json_int_t)d;
            return true;
        }
    }
    return false;
}

static json_t *fn_array_partition(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    json_int_t size;
    if (!json_is_array(v[0]) || !is_int(v[1], &size) || size <= 0)
        return fail(cx, "expects an array and a positive integer chunk size", f->def->name);
    json_t *out = json_array(), *chunk = NULL;
    for (size_t i = 0; i < json_array_size(v[0]); i++) {
        if (!chunk || (json_int_t)json_array_size(chunk) == size) {
            chunk = json_array();
            json_array_append_new(out, chunk);
        }
        json_array_append(chunk, json_array_get(v[0], i));
    }
    return out;
}

static json_t *fn_array_contains(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_array(v[0]))
        return fail(cx, "the first argument must be an array", f->def->name);
    for (size_t i = 0; i < json_array_size(v[0]); i++)
        if (json_equal(json_array_get(v[0], i), v[1]))
            return json_true();
    return json_false();
}

static json_t *fn_array_range(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    json_int_t a, b, s;
    if (!is_int(v[0], &a) || !is_int(v[1], &b) || !is_int(v[2], &s) || s == 0)
        return fail(cx, "expects integers start, end and a non-zero step", f->def->name);
    json_t *out = json_array();
    for (json_int_t x = a; s > 0 ? x <= b : x >= b; x += s) {
        if (json_array_size(out) >= 1000) {
            json_decref(out);
            return fail(cx, "the range has more than 1000 items", f->def->name);
        }
        json_array_append_new(out, json_integer(x));
    }
    return out;
}

static json_t *fn_array_get_item(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    json_int_t i;
    if (!json_is_array(v[0]) || !is_int(v[1], &i) || i < 0)
        return fail(cx, "expects an array and a non-negative integer index", f->def->name);
    json_t *r = json_array_get(v[0], (size_t)i);
    if (!r)
        return fail(cx, "the index is out of bounds", f->def->name);
    return json_incref(r);
}

static json_t *fn_array_length(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_array(v[0]))
        return fail(cx, "the argument must be an array", f->def->name);
    return json_integer((json_int_t)json_array_size(v[0]));
}

static json_t *fn_array_unique(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_array(v[0]))
        return fail(cx, "the argument must be an array", f->def->name);
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(v[0]); i++) {
        json_t *x = json_array_get(v[0], i);
        bool dup = false;
        for (size_t k = 0; k < json_array_size(out) && !dup; k++)
            dup = json_equal(json_array_get(out, k), x);
        if (!dup)
            json_array_append(out, x);
    }
    return out;
}

static json_t *fn_base64_encode(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_string(v[0]) || json_string_length(v[0]) > 10000)
        return fail(cx, "expects a string of at most 10000 characters", f->def->name);
    size_t n = json_string_length(v[0]);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        return NULL;
    int len = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)json_string_value(v[0]),
                              (int)n);
    json_t *r = json_stringn(out, (size_t)len);
    free(out);
    return r;
}

static json_t *fn_base64_decode(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_string(v[0]) || json_string_length(v[0]) > 10000)
        return fail(cx, "expects a string of at most 10000 characters", f->def->name);
    size_t n = json_string_length(v[0]);
    const char *s = json_string_value(v[0]);
    if (n % 4)
        return fail(cx, "the argument is not valid base64", f->def->name);
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (!out)
        return NULL;
    int len = n ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) : 0;
    if (len < 0) {
        free(out);
        return fail(cx, "the argument is not valid base64", f->def->name);
    }
    for (size_t i = n; i > 0 && s[i - 1] == '='; i--)
        len--;
    json_t *r = json_stringn((char *)out, (size_t)len);
    free(out);
    if (!r)
        return fail(cx, "the decoded bytes are not UTF-8 text", f->def->name);
    return r;
}

static json_t *fn_hash(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    static const struct { const char *aws, *ossl; } algs[] = {
        {"MD5", "MD5"}, {"SHA-1", "SHA1"}, {"SHA-256", "SHA256"},
        {"SHA-384", "SHA384"}, {"SHA-512", "SHA512"},
    };
    if (!json_is_string(v[0]) || json_string_length(v[0]) > 10000)
        return fail(cx, "the data must be a string of at most 10000 characters", f->def->name);
    const char *alg = NULL;
    for (size_t i = 0; i < FG_ARRAY_LEN(algs) && json_is_string(v[1]); i++)
        if (!strcmp(json_string_value(v[1]), algs[i].aws))
            alg = algs[i].ossl;
    if (!alg)
        return fail(cx, "the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512",
                    f->def->name);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(json_string_value(v[0]), json_string_length(v[0]), md, &mdlen,
               EVP_get_digestbyname(alg), NULL);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    fg_hex_encode(md, mdlen, hex);
    return json_string(hex);
}

static json_t *fn_json_merge(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_object(v[0]) || !json_is_object(v[1]))
        return fail(cx, "the first two arguments must be objects", f->def->name);
    if (!json_is_false(v[2]))
        return fail(cx, "deep merge (true) is not supported; pass false", f->def->name);
    json_t *r = json_copy(v[0]);
    json_object_update(r, v[1]);
    return r;
}

static json_t *fn_math_random(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    json_int_t a, b, seed = 0;
    if (!is_int(v[0], &a) || !is_int(v[1], &b) || a > b ||
        (f->nargs == 3 && !is_int(v[2], &seed)))
        return fail(cx, "expects integers start <= end (and an integer seed)", f->def->name);
    double u;
    if (f->nargs == 3) {
        unsigned long long x = (unsigned long long)seed * 6364136223846793005ULL + 1442695040888963407ULL;
        u = (double)(x >> 11) / 9007199254740992.0;
    } else {
        u = fg_rand_unit();
    }
    return json_integer(a + (json_int_t)(u * (double)(b - a + 1)));
}

static json_int_t java_round(double d)
{
    return (json_int_t)floor(d + 0.5);
}

static json_t *fn_math_add(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_number(v[0]) || !json_is_number(v[1]))
        return fail(cx, "both arguments must be numbers", f->def->name);
    json_int_t a = json_is_integer(v[0]) ? json_integer_value(v[0]) : java_round(json_real_value(v[0]));
    json_int_t b = json_is_integer(v[1]) ? json_integer_value(v[1]) : java_round(json_real_value(v[1]));
    return json_integer(a + b);
}

static json_t *fn_string_split(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    if (!json_is_string(v[0]) || !json_is_string(v[1]))
        return fail(cx, "both arguments must be strings", f->def->name);
    const char *s = json_string_value(v[0]), *d = json_string_value(v[1]);
    json_t *out = json_array();
    size_t st = 0, n = json_string_length(v[0]);
    for (size_t i = 0; i <= n; i++) {
        if (i == n || strchr(d, s[i])) {
            if (i > st)
                json_array_append_new(out, json_stringn(s + st, i - st));
            st = i + 1;
        }
    }
    return out;
}

static json_t *fn_uuid(const fg__fn *f, json_t **v, fg__eval_ctx *cx)
{
    (void)f;
    (void)v;
    (void)cx;
    char u[37];
    fg_rand_uuid(u);
    return json_string(u);
}

static const fn_def fns[] = {
    {"States.Format", 1, 255, fn_format, 0},
    {"States.StringToJson", 1, 1, fn_string_to_json, 0},
    {"States.JsonToString", 1, 1, fn_json_to_string, 0},
    {"States.Array", 0, 255, fn_array, 0},
    {"States.ArrayPartition", 2, 2, fn_array_partition, 2},
    {"States.ArrayContains", 2, 2, fn_array_contains, 0},
    {"States.ArrayRange", 3, 3, fn_array_range, 7},
    {"States.ArrayGetItem", 2, 2, fn_array_get_item, 2},
    {"States.ArrayLength", 1, 1, fn_array_length, 0},
    {"States.ArrayUnique", 1, 1, fn_array_unique, 0},
    {"States.Base64Encode", 1, 1, fn_base64_encode, 0},
    {"States.Base64Decode", 1, 1, fn_base64_decode, 0},
    {"States.Hash", 2, 2, fn_hash, 0},
    {"States.JsonMerge", 3, 3, fn_json_merge, 0},
    {"States.MathRandom", 2, 3, fn_math_random, 7},
    {"States.MathAdd", 2, 2, fn_math_add, 3},
    {"States.StringSplit", 2, 2, fn_string_split, 0},
    {"States.UUID", 0, 0, fn_uuid, 0},
};

/* ---- parsing ----------------------------------------------------------- */

typedef struct fparser {
    const char *s;
    size_t i;
    fg_errbuf *eb;
    int depth;
} fparser;

static void fn_free_args(fn_arg *a, int n)
{
    for (int i = 0; i < n; i++) {
        json_decref(a[i].lit);
        free(a[i].raw);
        fg__jp_free(a[i].path);
        fg__fn_free(a[i].call);
    }
    free(a);
}

void fg__fn_free(fg__fn *f)
{
    if (!f)
        return;
    fn_free_args(f->args, f->nargs);
    free(f);
}

static int ferr(fparser *p, const char *what)
{
    return fg_failf(p->eb, FG_EPARSE, "invalid intrinsic function '%s' at character %zu: %s", p->s,
                    p->i + 1, what);
}

static void fskip(fparser *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n')
        p->i++;
}

static fg__fn *parse_call(fparser *p);

static int parse_string_arg(fparser *p, fn_arg *a)
{
    size_t st = ++p->i;
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    while (p->s[p->i] && p->s[p->i] != '\'') {
        char c = p->s[p->i++];
        if (c == '\\') {
            c = p->s[p->i++];
            if (!c || !strchr("'{}\\", c)) {
                fg_buf_free(&b);
                return ferr(p, "only \\' \\{ \\} and \\\\ may be escaped in a string");
            }
        }
        fg_buf_putc(&b, c);
    }
    if (p->s[p->i] != '\'') {
        fg_buf_free(&b);
        return ferr(p, "unterminated string");
    }
    a->kind = ARG_LIT;
    a->raw = strndup(p->s + st, p->i - st);
    a->lit = json_stringn(b.data, b.len);
    fg_buf_free(&b);
    p->i++;
    return a->lit ? 0 : ferr(p, "string is not UTF-8");
}

static int parse_path_arg(fparser *p, fn_arg *a)
{
    size_t st = p->i;
    int depth = 0;
    char q = 0;
    for (; p->s[p->i]; p->i++) {
        char c = p->s[p->i];
        if (q) {
            if (c == q)
                q = 0;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '[' || c == '(') {
            depth++;
        } else if (c == ']' || (c == ')' && depth > 0)) {
            depth--;
        } else if (depth == 0 && (c == ',' || c == ')')) {
            break;
        }
    }
    size_t end = p->i;
    while (end > st && (p->s[end - 1] == ' ' || p->s[end - 1] == '\t'))
        end--;
    char *text = strndup(p->s + st, end - st);
    a->kind = ARG_PATH;
    a->path = fg__jp_compile(text, p->eb);
    free(text);
    return a->path ? 0 : FG_EPARSE;
}

static int parse_literal_arg(fparser *p, fn_arg *a)
{
    const char *s = p->s + p->i;
    a->kind = ARG_LIT;
    if (!strncmp(s, "true", 4) || !strncmp(s, "false", 5) || !strncmp(s, "null", 4)) {
        a->lit = *s == 't' ? json_true() : *s == 'f' ? json_false() : json_null();
        p->i += *s == 'f' ? 5 : 4;
        return 0;
    }
    if (*s == '-' || isdigit((unsigned char)*s)) {
        char *end;
        double d = strtod(s, &end);
        bool integral = true;
        for (const char *q = s; q < end; q++)
            if (*q == '.' || *q == 'e' || *q == 'E')
                integral = false;
        if (end == s || (*s == '-' && end == s + 1))
            return ferr(p, "bad number");
        a->lit = integral && fabs(d) < 9e18 ? json_integer(strtoll(s, NULL, 10)) : json_real(d);
        p->i += (size_t)(end - s);
        return 0;
    }
    return ferr(p, "expected a string, a number, true, false, null, a path or a call");
}

static int parse_arg(fparser *p, fn_arg *a)
{
    fskip(p);
    char c = p->s[p->i];
    if (c == '\'')
        return parse_string_arg(p, a);
    if (c == '$')
        return parse_path_arg(p, a);
    if (!strncmp(p->s + p->i, "States.", 7)) {
        a->kind = ARG_CALL;
        a->call = parse_call(p);
        return a->call ? 0 : FG_EPARSE;
    }
    return parse_literal_arg(p, a);
}

static const fn_def *lookup(const char *s, size_t n)
{
    for (size_t k = 0; k < FG_ARRAY_LEN(fns); k++)
        if (strlen(fns[k].name) == n && !strncmp(fns[k].name, s, n))
            return &fns[k];
    return NULL;
}

static int parse_args(fparser *p, fg__fn *f)
{
    fskip(p);
    if (p->s[p->i] == ')') {
        p->i++;
        return 0;
    }
    for (;;) {
        fn_arg *na = realloc(f->args, sizeof(fn_arg) * (size_t)(f->nargs + 1));
        if (!na)
            return FG_ENOMEM;
        f->args = na;
        memset(&f->args[f->nargs], 0, sizeof(fn_arg));
        int rc = parse_arg(p, &f->args[f->nargs++]);
        if (rc)
            return rc;
        fskip(p);
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == ')') {
            p->i++;
            return 0;
        }
        return ferr(p, "expected ',' or ')'");
    }
}

static fg__fn *parse_call(fparser *p)
{
    if (++p->depth > MAX_FN_DEPTH) {
        ferr(p, "calls nested too deeply");
        return NULL;
    }
    size_t st = p->i;
    while (isalnum((unsigned char)p->s[p->i]) || p->s[p->i] == '.')
        p->i++;
    const fn_def *d = lookup(p->s + st, p->i - st);
    if (!d) {
        ferr(p, "unknown function");
        return NULL;
    }
    fskip(p);
    if (p->s[p->i] != '(') {
        ferr(p, "expected '('");
        return NULL;
    }
    p->i++;
    fg__fn *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->def = d;
    int rc = parse_args(p, f);
    for (int i = 0; rc == 0 && i < f->nargs && i < 8; i++) {
        if ((d->numeric >> i & 1) && f->args[i].kind == ARG_LIT && !json_is_number(f->args[i].lit))
            rc = fg_failf(p->eb, FG_EPARSE, "%s: argument %d must be a number or a path", d->name,
                          i + 1);
    }
    if (rc != 0 || f->nargs < d->min || f->nargs > d->max) {
        if (f->nargs < d->min || f->nargs > d->max)
            fg_failf(p->eb, FG_EPARSE, "%s takes %d to %d arguments, not %d", d->name, d->min,
                     d->max, f->nargs);
        fg__fn_free(f);
        return NULL;
    }
    p->depth--;
    return f;
}

bool fg__fn_looks_like_call(const char *text)
{
    return text && !strncmp(text, "States.", 7);
}

fg__fn *fg__fn_compile(const char *text, fg_errbuf *eb)
{
    fparser p = {text, 0, eb, 0};
    fg__fn *f = parse_call(&p);
    if (!f)
        return NULL;
    fskip(&p);
    if (p.s[p.i]) {
        ferr(&p, "unexpected text after the call");
        fg__fn_free(f);
        return NULL;
    }
    return f;
}

/* ---- evaluation --------------------------------------------------------- */

static json_t *eval_arg(const fn_arg *a, fg__eval_ctx *cx)
{
    switch (a->kind) {
    case ARG_LIT:
        return json_incref(a->lit);
    case ARG_PATH:
        return fg__path_eval(a->path, cx);
    default:
        return fg__fn_eval(a->call, cx);
    }
}

json_t *fg__fn_eval(const fg__fn *f, fg__eval_ctx *cx)
{
    json_t *vals[256];
    json_t *r = NULL;
    int i;
    for (i = 0; i < f->nargs; i++) {
        vals[i] = eval_arg(&f->args[i], cx);
        if (!vals[i])
            goto out;
    }
    r = f->def->impl(f, vals, cx);
out:
    for (int k = 0; k < i; k++)
        json_decref(vals[k]);
    return r;
}
