/* Payload templates (Parameters, ResultSelector, ItemSelector, BatchInput):
 * keys ending in ".$" take their value from a path or an intrinsic call. The
 * template is compiled once; literal parts are shared, not copied per run. */
#include "flow/flow_int.h"

#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_LIT, T_OBJ, T_ARR, T_PATH, T_FN } tkind;

struct fg__tmpl {
    tkind kind;
    json_t *lit;
    fg__jp *path;
    fg__fn *fn;
    char *field;       /* "key.$" for messages */
    char **keys;
    fg__tmpl **vals;
    int n;
};

void fg__tmpl_free(fg__tmpl *t)
{
    if (!t)
        return;
    json_decref(t->lit);
    fg__jp_free(t->path);
    fg__fn_free(t->fn);
    free(t->field);
    for (int i = 0; i < t->n; i++) {
        if (t->keys)
            free(t->keys[i]);
        fg__tmpl_free(t->vals[i]);
    }
    free(t->keys);
    free(t->vals);
    free(t);
}

static bool has_dynamic(const json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            size_t n = strlen(k);
            if ((n >= 2 && !strcmp(k + n - 2, ".$")) || has_dynamic(c))
                return true;
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_dynamic(json_array_get(v, i)))
                return true;
    }
    return false;
}

static fg__tmpl *compile_dynamic(const char *key, const json_t *v, const char *pointer,
                                 fg__report_fn report, void *ud)
{
    char msg[600];
    const char *s = json_string_value(v);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__tmpl *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->field = strdup(key);
    if (s && s[0] == '$') {
        t->kind = T_PATH;
        t->path = fg__jp_compile(s, &eb);
    } else if (s && fg__fn_looks_like_call(s)) {
        t->kind = T_FN;
        t->fn = fg__fn_compile(s, &eb);
    }
    if (!t->path && !t->fn) {
        snprintf(msg, sizeof msg,
                 "The value for the field '%s' must be a valid JSONPath or a valid intrinsic "
                 "function call%s%s",
                 key, eb.msg[0] ? ": " : "", eb.msg);
        report(ud, pointer, msg);
        fg__tmpl_free(t);
        return NULL;
    }
    return t;
}

fg__tmpl *fg__tmpl_compile(const json_t *v, const char *pointer, fg__report_fn report, void *ud)
{
    fg__tmpl *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (!has_dynamic(v)) {
        t->kind = T_LIT;
        t->lit = json_incref((json_t *)v);
        return t;
    }
    size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
    t->kind = json_is_object(v) ? T_OBJ : T_ARR;
    t->vals = calloc(n ? n : 1, sizeof(fg__tmpl *));
    t->keys = t->kind == T_OBJ ? calloc(n ? n : 1, sizeof(char *)) : NULL;
    bool ok = true;
    if (t->kind == T_OBJ) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            size_t kl = strlen(k);
            bool dyn = kl >= 2 && !strcmp(k + kl - 2, ".$");
            if (dyn) {
                char *plain = strndup(k, kl - 2);
                if (json_object_get(v, plain)) {
                    char msg[300];
                    snprintf(msg, sizeof msg, "The fields '%s' and '%s' give the same key", plain, k);
                    report(ud, pointer, msg);
                    ok = false;
                }
                free(plain);
            }
            t->keys[t->n] = dyn ? strndup(k, kl - 2) : strdup(k);
            t->vals[t->n] = dyn ? compile_dynamic(k, c, pointer, report, ud)
                                : fg__tmpl_compile(c, pointer, report, ud);
            ok = ok && t->vals[t->n];
            t->n++;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            t->vals[t->n] = fg__tmpl_compile(json_array_get(v, i), pointer, report, ud);
            ok = ok && t->vals[t->n];
            t->n++;
        }
    }
    if (!ok) {
        fg__tmpl_free(t);
        return NULL;
    }
    return t;
}

/* ---- evaluation --------------------------------------------------------- */

json_t *fg__context(fg__eval_ctx *cx)
{
    if (cx->sync_context)
        cx->sync_context(cx->sync_ud);
    return cx->context;
}

json_t *fg__path_doc(const fg__jp *p, fg__eval_ctx *cx)
{
    if (fg__jp_is_context(p))
        return fg__context(cx);
    if (fg__jp_var(p))
        return cx->vars ? json_object_get(cx->vars, fg__jp_var(p)) : NULL;
    return cx->input;
}

/* A path that names a variable nobody assigned. */
static json_t *unassigned(const fg__jp *p, fg__eval_ctx *cx)
{
    cx->error = "States.Runtime";
    fg_failf(cx->eb, FG_ENOTFOUND, "The variable '$%s' referenced by '%s' is not assigned",
             fg__jp_var(p), fg__jp_text(p));
    return NULL;
}

json_t *fg__path_eval(const fg__jp *p, fg__eval_ctx *cx)
{
    int err;
    json_t *doc = fg__path_doc(p, cx);
    if (!doc)
        return unassigned(p, cx);
    json_t *r = fg__jp_eval(p, doc, cx->max_results, &err);
    if (r && doc == cx->context) {
        json_t *copy = json_deep_copy(r); /* the context object changes as the run goes on */
        json_decref(r);
        r = copy;
    }
    if (!r) {
        cx->error = "States.Runtime";
        if (err == FG_ELIMIT)
            fg_failf(cx->eb, FG_ELIMIT, "The JSONPath '%s' selects more values than the limit",
                     fg__jp_text(p));
        else
            fg_failf(cx->eb, FG_ENOTFOUND, "Invalid path '%s': No results for path",
                     fg__jp_text(p));
    }
    return r;
}

static json_t *eval_dynamic(const fg__tmpl *t, fg__eval_ctx *cx)
{
    if (t->kind == T_FN)
        return fg__fn_eval(t->fn, cx);
    int err;
    json_t *doc = fg__path_doc(t->path, cx);
    if (!doc)
        return unassigned(t->path, cx);
    json_t *r = fg__jp_eval(t->path, doc, cx->max_results, &err);
    if (r && doc == cx->context) {
        json_t *copy = json_deep_copy(r);
        json_decref(r);
        r = copy;
    }
    if (!r) {
        cx->error = "States.Runtime";
        char *in = fg__json_text(doc);
        fg_failf(cx->eb, FG_ENOTFOUND,
                 "The JSONPath '%s' specified for the field '%s' could not be found in the input "
                 "'%.200s'",
                 fg__jp_text(t->path), t->field, in ? in : "");
        free(in);
    }
    return r;
}

json_t *fg__tmpl_eval(const fg__tmpl *t, fg__eval_ctx *cx)
{
    switch (t->kind) {
    case T_LIT:
        return json_incref(t->lit);
    case T_PATH:
    case T_FN:
        return eval_dynamic(t, cx);
    case T_OBJ: {
        json_t *o = json_object();
        for (int i = 0; i < t->n; i++) {
            json_t *v = fg__tmpl_eval(t->vals[i], cx);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, t->keys[i], v);
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        for (int i = 0; i < t->n; i++) {
            json_t *v = fg__tmpl_eval(t->vals[i], cx);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    }
}

/* ---- JSON helpers -------------------------------------------------------- */

size_t fg__itoa(json_int_t v, char out[24])
{
    char rev[24];
    size_t n = 0, k = 0;
    unsigned long long u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = rev[--n];
    out[k] = 0;
    return k;
}

static void dump_real(fg_buf *b, double d)
{
    char tmp[40];
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(tmp, sizeof tmp, "%.1f", d);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
    }
    fg_buf_puts(b, tmp);
}

/* Compact JSON with the shortest number text that round-trips (1.1, not
 * 1.1000000000000001), as AWS prints it. */
static void dump_value(fg_buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *c;
        bool first = true;
        fg_buf_putc(b, '{');
        json_object_foreach((json_t *)v, k, c) {
            if (!first)
                fg_buf_putc(b, ',');
            first = false;
            fg_json_escape(b, k, strlen(k));
            fg_buf_putc(b, ':');
            dump_value(b, c);
        }
        fg_buf_putc(b, '}');
        break;
    }
    case JSON_ARRAY:
        fg_buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fg_buf_putc(b, ',');
            dump_value(b, json_array_get(v, i));
        }
        fg_buf_putc(b, ']');
        break;
    case JSON_STRING:
        fg_json_escape(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        char tmp[24];
        fg_buf_append(b, tmp, fg__itoa(json_integer_value(v), tmp));
        break;
    }
    case JSON_REAL:
        dump_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        fg_buf_puts(b, "true");
        break;
    case JSON_FALSE:
        fg_buf_puts(b, "false");
        break;
    default:
        fg_buf_puts(b, "null");
    }
}

char *fg_flow_json_text(const json_t *v)
{
    return fg__json_text(v);
}

char *fg__json_text(const json_t *v)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    dump_value(&b, v);
    return fg_buf_detach(&b, NULL);
}

static size_t string_size(const char *s, size_t n)
{
    size_t r = n + 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f')
            r += 1;
        else if (c < 0x20)
            r += 5;
    }
    return r;
}

static size_t int_size(json_int_t v)
{
    size_t n = v < 0 ? 2 : 1;
    unsigned long long u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
    while (u >= 10) {
        u /= 10;
        n++;
    }
    return n;
}

/* The compact serialised size, computed without serialising; stops counting
 * once past limit (returns a value > limit). */
static size_t size_upto(const json_t *v, size_t limit, int depth)
{
    size_t n = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *c;
        n = 2;
        json_object_foreach((json_t *)v, k, c) {
            n += string_size(k, strlen(k)) + 2 + (depth < 4096 ? size_upto(c, limit, depth + 1) : 0);
            if (n > limit)
                return n;
        }
        return n > 2 ? n - 1 : n;
    }
    case JSON_ARRAY:
        n = 2;
        for (size_t i = 0; i < json_array_size(v); i++) {
            n += 1 + (depth < 4096 ? size_upto(json_array_get(v, i), limit, depth + 1) : 0);
            if (n > limit)
                return n;
        }
        return json_array_size(v) ? n - 1 : n;
    case JSON_STRING:
        return string_size(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return int_size(json_integer_value(v));
    case JSON_REAL: {
        fg_buf b;
        fg_buf_init(&b, 0);
        dump_real(&b, json_real_value(v));
        n = b.len;
        fg_buf_free(&b);
        return n;
    }
    case JSON_TRUE:
    case JSON_NULL:
        return 4;
    default:
        return 5;
    }
}

size_t fg__json_size(const json_t *v)
{
    return size_upto(v, (size_t)-1 / 2, 0);
}

bool fg__json_size_over(const json_t *v, size_t limit)
{
    return size_upto(v, limit, 0) > limit;
}
