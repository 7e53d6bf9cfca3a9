/* Fields of JSONata states: a JSON value in which every string of the form
 * "{% expression %}" is a JSONata expression, compiled once with the
 * definition and evaluated with $states (input, result, errorOutput, context),
 * the workflow variables and Step Functions' own functions bound. Everything
 * else in the value is literal. */
#include "flow/flow_int.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "jsonata/jsonata.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JX_TIMEOUT_MS 10000
#define JX_MAX_MEMORY ((size_t)64 << 20)

typedef enum { JX_LIT, JX_EXPR, JX_OBJ, JX_ARR } jx_kind;

struct fg__jx {
    jx_kind kind;
    json_t *lit;              /* JX_LIT */
    fg_jsonata_expr *expr;    /* JX_EXPR */
    char *source;             /* JX_EXPR: the text between {% and %} */
    char *field;              /* "Output/result": where the expression sits, for causes */
    char **keys;              /* JX_OBJ */
    fg__jx **kids;            /* JX_OBJ, JX_ARR */
    size_t n;
    bool reads_context;       /* some expression inside may read $states.context */
};

/* ---- the shared function environment -------------------------------------- */

static fg_jsonata_env *sfn_env;
static pthread_once_t sfn_once = PTHREAD_ONCE_INIT;

static void sfn_env_init(void)
{
    sfn_env = fg_jsonata_env_new();
    if (sfn_env && fg_jsonata_env_add_sfn_functions(sfn_env) != FG_OK) {
        fg_jsonata_env_free(sfn_env);
        sfn_env = NULL;
    }
}

/* ---- recognising and compiling -------------------------------------------- */

bool fg__jx_is_expr_text(const char *s, size_t len)
{
    return len >= 4 && !memcmp(s, "{%", 2) && !memcmp(s + len - 2, "%}", 2);
}

static bool has_expr(const json_t *v)
{
    if (json_is_string(v))
        return fg__jx_is_expr_text(json_string_value(v), json_string_length(v));
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x) if (has_expr(x)) return true;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (has_expr(x)) return true;
    }
    return false;
}

static fg__jx *jx_new(jx_kind kind, const char *field)
{
    fg__jx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->kind = kind;
    x->field = strdup(field);
    return x;
}

static fg__jx *compile_expr(const json_t *v, const char *pointer, const char *field,
                            fg__report_fn report, void *ud)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    fg__jx *x = jx_new(JX_EXPR, field);
    if (!x)
        return NULL;
    x->source = strndup(s + 2, len - 4);
    /* AWS shows the expression without the spaces that frame it */
    char *b = x->source, *e = b + strlen(b);
    while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    memmove(x->source, b, (size_t)(e - b));
    x->source[e - b] = 0;
    /* bringing the context up to date costs more than most expressions: only for
     * expressions that name it (or could, through $eval) */
    x->reads_context = strstr(x->source, "context") || strstr(x->source, "$eval");
    fg_jsonata_error err;
    x->expr = fg_jsonata_compile(x->source, strlen(x->source), &err);
    if (!x->expr) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "The JSONata expression '%.200s' specified for the field '%s' is invalid: %s at "
                 "position %d (%s)",
                 x->source, field, err.message, err.position, err.code);
        report(ud, pointer, msg);
    }
    return x;
}

static void sub_pointer(char *out, size_t n, const char *base, const char *tok)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, base);
    fg_json_pointer_append(&b, tok);
    snprintf(out, n, "%s", b.data ? b.data : "");
    fg_buf_free(&b);
}

static fg__jx *compile_at(const json_t *v, const char *pointer, const char *field,
                          fg__report_fn report, void *ud);

static fg__jx *compile_container(const json_t *v, const char *pointer, const char *field,
                                 fg__report_fn report, void *ud)
{
    bool obj = json_is_object(v);
    fg__jx *x = jx_new(obj ? JX_OBJ : JX_ARR, field);
    size_t n = obj ? json_object_size(v) : json_array_size(v);
    if (!x)
        return NULL;
    x->kids = calloc(n + 1, sizeof *x->kids);
    x->keys = obj ? calloc(n + 1, sizeof *x->keys) : NULL;
    const char *k;
    json_t *item;
    char idx[24], ptr[1024], sub[1024];
    void *iter = obj ? json_object_iter((json_t *)v) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (obj) {
            k = json_object_iter_key(iter);
            item = json_object_iter_value(iter);
            iter = json_object_iter_next((json_t *)v, iter);
            x->keys[i] = strdup(k);
        } else {
            snprintf(idx, sizeof idx, "%zu", i);
            k = idx;
            item = json_array_get(v, i);
        }
        sub_pointer(ptr, sizeof ptr, pointer, k);
        snprintf(sub, sizeof sub, "%s/%s", field, k);
        x->kids[x->n] = compile_at(item, ptr, sub, report, ud);
        if (x->kids[x->n] && x->kids[x->n]->reads_context)
            x->reads_context = true;
        x->n++;
    }
    return x;
}

static fg__jx *compile_at(const json_t *v, const char *pointer, const char *field,
                          fg__report_fn report, void *ud)
{
    if (!has_expr(v)) {
        fg__jx *x = jx_new(JX_LIT, field);
        if (x)
            x->lit = json_incref((json_t *)v);
        return x;
    }
    if (json_is_string(v))
        return compile_expr(v, pointer, field, report, ud);
    return compile_container(v, pointer, field, report, ud);
}

fg__jx *fg__jx_compile(const json_t *v, const char *pointer, const char *field,
                       fg__report_fn report, void *ud)
{
    return compile_at(v, pointer, field, report, ud);
}

void fg__jx_free(fg__jx *x)
{
    if (!x)
        return;
    json_decref(x->lit);
    fg_jsonata_free(x->expr);
    free(x->source);
    free(x->field);
    for (size_t i = 0; i < x->n; i++) {
        fg__jx_free(x->kids[i]);
        if (x->keys)
            free(x->keys[i]);
    }
    free(x->kids);
    free(x->keys);
    free(x);
}

bool fg__jx_is_literal(const fg__jx *x)
{
    return x->kind == JX_LIT;
}

const json_t *fg__jx_literal(const fg__jx *x)
{
    return x->kind == JX_LIT ? x->lit : NULL;
}

const char *fg__jx_source(const fg__jx *x)
{
    return x->kind == JX_EXPR ? x->source : NULL;
}

const char *fg__jx_field(const fg__jx *x)
{
    return x->field;
}

/* ---- evaluating ------------------------------------------------------------ */

/* $states for this evaluation: input, context, and result / errorOutput when set. */
static json_t *states_binding(fg__eval_ctx *cx, bool sync_context)
{
    json_t *st = json_object();
    json_object_set(st, "input", cx->input ? cx->input : json_null());
    json_object_set(st, "context", sync_context ? fg__context(cx) : cx->context);
    if (cx->result)
        json_object_set(st, "result", cx->result);
    if (cx->error_output)
        json_object_set(st, "errorOutput", cx->error_output);
    return st;
}

static fg_jsonata_env *make_env(fg__eval_ctx *cx, bool sync_context)
{
    pthread_once(&sfn_once, sfn_env_init);
    fg_jsonata_env *env = fg_jsonata_env_new();
    if (!env)
        return NULL;
    fg_jsonata_env_set_parent(env, sfn_env);
    const char *k;
    json_t *v;
    json_object_foreach(cx->vars, k, v) fg_jsonata_env_bind(env, k, v);
    json_t *st = states_binding(cx, sync_context);
    fg_jsonata_env_bind(env, "states", st);
    json_decref(st);
    return env;
}

static json_t *query_error(fg__eval_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static json_t *query_error(fg__eval_ctx *cx, const char *fmt, ...)
{
    char msg[FG_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cx->error = "States.QueryEvaluationError";
    fg_failf(cx->eb, FG_EINVAL, "%s", msg);
    return NULL;
}

static json_t *eval_expr(const fg__jx *x, fg__eval_ctx *cx, fg_jsonata_env *env)
{
    cx->location = x->field;
    fg_jsonata_limits lim = {.timeout_ms = JX_TIMEOUT_MS, .max_memory = JX_MAX_MEMORY,
                             .reject_functions = true};
    fg_jsonata_error err;
    json_t *in = cx->input ? cx->input : json_null();
    json_t *r = fg_jsonata_eval(x->expr, in, env, &lim, &err);
    if (!r && !strcmp(err.code, "S0601"))
        return query_error(cx, "The JSONata expression '%s' specified for the field '%s' "
                               "returned an unsupported result type.", x->source, x->field);
    if (!r)
        return query_error(cx, "The JSONata expression '%s' specified for the field '%s' threw "
                               "an error: %s: %s (position %d)",
                           x->source, x->field, err.code, err.message, err.position);
    if (fg_jsonata_is_undefined(r))
        return query_error(cx, "The JSONata expression '%s' specified for the field '%s' "
                               "returned nothing (undefined).", x->source, x->field);
    return r;
}

static json_t *eval_node(const fg__jx *x, fg__eval_ctx *cx, fg_jsonata_env *env)
{
    if (x->kind == JX_LIT)
        return json_incref(x->lit);
    if (x->kind == JX_EXPR)
        return eval_expr(x, cx, env);
    json_t *out = x->kind == JX_OBJ ? json_object() : json_array();
    for (size_t i = 0; i < x->n; i++) {
        json_t *v = eval_node(x->kids[i], cx, env);
        if (!v) {
            json_decref(out);
            return NULL;
        }
        if (x->kind == JX_OBJ)
            json_object_set_new(out, x->keys[i], v);
        else
            json_array_append_new(out, v);
    }
    return out;
}

json_t *fg__jx_eval(const fg__jx *x, fg__eval_ctx *cx)
{
    if (x->kind == JX_LIT)
        return json_incref(x->lit);
    fg_jsonata_env *env = make_env(cx, x->reads_context);
    if (!env)
        return query_error(cx, "out of memory");
    json_t *r = eval_node(x, cx, env);
    fg_jsonata_env_free(env);
    return r;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

json_t *fg__jx_eval_as(const fg__jx *x, fg__eval_ctx *cx, const char *want)
{
    json_t *r = fg__jx_eval(x, cx);
    if (!r || !strcmp(json_type_name(r), want))
        return r;
    char *text = fg__json_text(r);
    const char *src = x->kind == JX_EXPR ? x->source : NULL;
    cx->location = x->field;
    if (src)
        query_error(cx, "The JSONata expression '%s' specified for the field '%s' returned an "
                        "unexpected result type. Expected '%s', but was '%s' for value: %.300s",
                    src, x->field, want, json_type_name(r), text ? text : "");
    else
        query_error(cx, "The field '%s' must be of type '%s', but was '%s' for value: %.300s",
                    x->field, want, json_type_name(r), text ? text : "");
    free(text);
    json_decref(r);
    return NULL;
}
