/* The JSONata evaluator: one function per expression type, dispatched by
 * jx_eval, which also applies predicates, grouping, sequence flattening and the
 * depth and time limits. Paths and tuple streams are in path.c. */
#include "jsonata/jsonata_int.h"

#include "core/clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void jx_throw(jctx *c, const char *code, int pos, const char *token, const char *fmt, ...)
{
    fg_jsonata_error *e = c->err;
    snprintf(e->code, sizeof e->code, "%s", code);
    e->position = pos;
    snprintf(e->token, sizeof e->token, "%s", token ? token : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    longjmp(*c->jb, 1);
}

void jx_fail(jctx *c, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jx_throw(c, code, c->cur ? c->cur->pos : 0, NULL, "%s", msg);
}

/* The time budget is checked every 256 steps; the clock is read only then, so a
 * short evaluation never reads it (the budget starts at the first check). */
void jx_check_limits(jctx *c)
{
    if (!c->timeout_ns || (++c->tick & 255) != 0)
        return;
    uint64_t now = fg_clock_mono_ns();
    if (!c->deadline_ns)
        c->deadline_ns = now + c->timeout_ns;
    else if (now > c->deadline_ns)
        jx_fail(c, "U1001", "expression evaluation timeout: check for an infinite loop");
}

/* Now for $now() and $millis(): read once, on first use, the same for the whole evaluation. */
int64_t jx_now_ms(jctx *c)
{
    if (!c->now_ms)
        c->now_ms = fg_clock_wall_ms();
    return c->now_ms;
}

/* ---- environment ---------------------------------------------------------- */

jenv *jx_env_new(jctx *c, jenv *parent)
{
    jenv *e = jx_alloc(c, sizeof *e);
    memset(e, 0, sizeof *e);
    e->parent = parent;
    return e;
}

void jx_env_bind(jctx *c, jenv *e, const char *name, jv *v)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->names[i], name) == 0) {
            e->vals[i] = v;
            return;
        }
    if (e->n == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 4;
        const char **names = jx_alloc(c, ncap * sizeof(char *));
        jv **vals = jx_alloc(c, ncap * sizeof(jv *));
        if (e->n) {
            memcpy(names, e->names, e->n * sizeof(char *));
            memcpy(vals, e->vals, e->n * sizeof(jv *));
        }
        e->names = names;
        e->vals = vals;
        e->cap = ncap;
    }
    e->names[e->n] = name;
    e->vals[e->n++] = v;
}

static jv *native_value(jctx *c, const char *name)
{
    for (const fg_jsonata_env *u = c->uenv; u; u = u->parent) {
        for (size_t i = 0; i < u->nnat; i++) {
            if (strcmp(u->natives[i]->name, name) != 0)
                continue;
            jv *f = jx_func(c, FN_NATIVE);
            f->u.f->u.native = u->natives[i];
            f->u.f->sig = u->natives[i]->sig;
            f->u.f->arity = u->natives[i]->sig ? jx_sig_arity(u->natives[i]->sig) : 1;
            return f;
        }
    }
    return NULL;
}

bool jx_env_lookup(jctx *c, const jenv *e, const char *name, jv **out)
{
    for (; e; e = e->parent)
        for (size_t i = e->n; i-- > 0;)
            if (strcmp(e->names[i], name) == 0) {
                *out = e->vals[i];
                return true;
            }
    jv *nat = native_value(c, name);
    if (nat) {
        *out = nat;
        return true;
    }
    const jbuiltin *b = jx_builtin_find(name);
    if (b) {
        *out = jx_builtin_value(c, b);
        return true;
    }
    return false;
}

/* Names, variables and strings are NUL-terminated in the AST. */
static const char *node_name(jctx *c, const jnode *n)
{
    (void)c;
    return n->str;
}

/* ---- operators ------------------------------------------------------------- */

static bool is_numeric(jctx *c, const jv *v)
{
    if (!jx_is_num(v))
        return false;
    if (isnan(v->u.n))
        return false;
    if (!isfinite(v->u.n))
        jx_fail(c, "D1001", "number out of range");
    return true;
}

static jv *eval_numeric(jctx *c, int op, jv *l, jv *r)
{
    if (l && !is_numeric(c, l))
        jx_fail(c, "T2001", "the left side of the arithmetic expression is not a number");
    if (r && !is_numeric(c, r))
        jx_fail(c, "T2002", "the right side of the arithmetic expression is not a number");
    if (!l || !r)
        return NULL;
    double a = l->u.n, b = r->u.n, x = 0;
    switch (op) {
    case OP_ADD: x = a + b; break;
    case OP_SUB: x = a - b; break;
    case OP_MUL: x = a * b; break;
    case OP_DIV: x = a / b; break;
    case OP_MOD: x = fmod(a, b); break;
    }
    return jx_num(c, x);
}

static int cmp_str(const jv *a, const jv *b)
{
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int r = memcmp(a->u.s.s, b->u.s.s, n);
    if (r)
        return r;
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

static jv *eval_comparison(jctx *c, int op, jv *l, jv *r)
{
    bool lok = !l || l->kind == JV_STR || l->kind == JV_NUM;
    bool rok = !r || r->kind == JV_STR || r->kind == JV_NUM;
    if (!lok || !rok)
        jx_fail(c, "T2010", "the expressions either side of operator must evaluate to numeric or string values");
    if (!l || !r)
        return NULL;
    if (l->kind != r->kind)
        jx_fail(c, "T2009", "the values either side of the operator must be of the same data type");
    int cmp = l->kind == JV_NUM ? (l->u.n < r->u.n ? -1 : l->u.n > r->u.n ? 1 : 0) : cmp_str(l, r);
    if (l->kind == JV_NUM && (isnan(l->u.n) || isnan(r->u.n)))
        return &jx_false;
    switch (op) {
    case OP_LT: return jx_bool(cmp < 0);
    case OP_LE: return jx_bool(cmp <= 0);
    case OP_GT: return jx_bool(cmp > 0);
    default: return jx_bool(cmp >= 0);
    }
}

static jv *eval_range(jctx *c, jv *l, jv *r)
{
    if (l && (!jx_is_num(l) || l->u.n != floor(l->u.n)))
        jx_fail(c, "T2003", "the left side of the range operator (..) must evaluate to an integer");
    if (r && (!jx_is_num(r) || r->u.n != floor(r->u.n)))
        jx_fail(c, "T2004", "the right side of the range operator (..) must evaluate to an integer");
    if (!l || !r || l->u.n > r->u.n)
        return NULL;
    double size = r->u.n - l->u.n + 1;
    if (size > (double)c->max_range)
        jx_fail(c, "D2014", "the size of the sequence allocated by the range operator (..) must not exceed %zu",
                c->max_range);
    size_t n = (size_t)size;
    jv *a = jx_arr(c, n);
    char *block = jx_alloc(c, n * JV_NUM_SIZE);
    for (size_t i = 0; i < n; i++) {
        jv *num = (jv *)(void *)(block + i * JV_NUM_SIZE);
        num->kind = JV_NUM;
        num->flags = 0;
        num->thunk = 0;
        num->u.n = l->u.n + (double)i;
        a->u.a.items[i] = num;
    }
    a->u.a.n = n;
    a->flags = JVF_SEQ;
    return a;
}

static jv *eval_in(jv *l, jv *r)
{
    if (!l || !r)
        return &jx_false;
    if (!jx_is_arr(r))
        return jx_bool(jx_strict_equal(l, r));
    for (size_t i = 0; i < r->u.a.n; i++)
        if (jx_strict_equal(l, r->u.a.items[i]))
            return &jx_true;
    return &jx_false;
}

static jv *eval_concat(jctx *c, jv *l, jv *r)
{
    jv *ls = l ? jx_stringify(c, l, false) : NULL;
    jv *rs = r ? jx_stringify(c, r, false) : NULL;
    size_t ln = ls ? ls->u.s.len : 0, rn = rs ? rs->u.s.len : 0;
    char *s = jx_alloc(c, ln + rn + 1);
    if (ln)
        memcpy(s, ls->u.s.s, ln);
    if (rn)
        memcpy(s + ln, rs->u.s.s, rn);
    s[ln + rn] = 0;
    return jx_str_nocopy(c, s, ln + rn);
}

static jv *eval_binary(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *l = jx_eval(c, e->lhs, input, env);
    if (e->op == OP_AND)
        return jx_bool(jx_truthy(c, l) && jx_truthy(c, jx_eval(c, e->rhs, input, env)));
    if (e->op == OP_OR)
        return jx_bool(jx_truthy(c, l) || jx_truthy(c, jx_eval(c, e->rhs, input, env)));
    jv *r = jx_eval(c, e->rhs, input, env);
    switch (e->op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
        return eval_numeric(c, e->op, l, r);
    case OP_EQ:
        return jx_bool(l && r && jx_deep_equal(l, r));
    case OP_NE:
        return jx_bool(l && r && !jx_deep_equal(l, r));
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        return eval_comparison(c, e->op, l, r);
    case OP_CONCAT:
        return eval_concat(c, l, r);
    case OP_RANGE:
        return eval_range(c, l, r);
    case OP_IN:
        return eval_in(l, r);
    }
    jx_fail(c, "D1001", "unknown operator");
}

static jv *eval_neg(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *v = jx_eval(c, e->lhs, input, env);
    if (!v)
        return NULL;
    if (!is_numeric(c, v))
        jx_fail(c, "D1002", "cannot negate a non-numeric value");
    return jx_num(c, -v->u.n);
}

static jv *eval_array(jctx *c, const jnode *e, jv *input, jenv *env)
{
    size_t n = e->items.n, total = 0;
    jv **vals = jx_alloc(c, (n ? n : 1) * sizeof(jv *));
    for (size_t i = 0; i < n; i++) {
        vals[i] = jx_eval(c, e->items.v[i], input, env);
        total += jx_is_arr(vals[i]) && e->items.v[i]->type != N_ARRAY ? vals[i]->u.a.n : 1;
    }
    if (n == 1 && e->items.v[0]->type == N_BINARY && e->items.v[0]->op == OP_RANGE && vals[0]) {
        /* a fresh range: use it as the array instead of copying it */
        jv *r = vals[0];
        r->flags = e->consarray ? JVF_CONS : 0;
        return r;
    }
    jv *r = jx_arr(c, total);
    for (size_t i = 0; i < n; i++) {
        const jnode *item = e->items.v[i];
        jv *v = vals[i];
        if (!v)
            continue;
        if (item->type == N_ARRAY || !jx_is_arr(v)) {
            jx_push(c, r, v);
        } else {
            for (size_t k = 0; k < v->u.a.n; k++)
                jx_push(c, r, v->u.a.items[k]);
        }
    }
    if (e->consarray)
        r->flags |= JVF_CONS;
    return r;
}

static jv *eval_block(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jenv *frame = jx_env_new(c, env);
    jv *r = NULL;
    for (size_t i = 0; i < e->items.n; i++)
        r = jx_eval(c, e->items.v[i], input, frame);
    return r;
}

static jv *eval_condition(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *cond = jx_eval(c, e->lhs, input, env);
    if (jx_truthy(c, cond))
        return jx_eval(c, e->rhs, input, env);
    if (e->third)
        return jx_eval(c, e->third, input, env);
    return NULL;
}

static jv *eval_variable(jctx *c, const jnode *e, jv *input, jenv *env)
{
    if (e->slen == 0)
        return input && jx_is_arr(input) && (input->flags & JVF_OUTER) ? input->u.a.items[0] : input;
    jv *v = NULL;
    jx_env_lookup(c, env, node_name(c, e), &v);
    return v;
}

static jv *eval_lambda(jctx *c, const jnode *e, jv *input, jenv *env)
{
    if (e->thunk) {
        /* a tail call: jx_apply unpacks it before any other thunk can be made */
        if (!c->thunk)
            c->thunk = jx_func(c, FN_LAMBDA);
        jv *t = c->thunk;
        t->u.f->u.lambda.node = e;
        t->u.f->u.lambda.env = env;
        t->u.f->u.lambda.input = input;
        t->u.f->sig = NULL;
        t->u.f->arity = 0;
        t->thunk = 1;
        return t;
    }
    jv *f = jx_func(c, FN_LAMBDA);
    f->u.f->u.lambda.node = e;
    f->u.f->u.lambda.env = env;
    f->u.f->u.lambda.input = input;
    f->u.f->sig = e->sig;
    f->u.f->arity = (int)e->items.n;
    f->thunk = e->thunk;
    return f;
}

static const char *proc_name(jctx *c, const jnode *proc)
{
    if (proc->type == N_PATH && proc->items.n > 0 && proc->items.v[0]->str)
        return node_name(c, proc->items.v[0]);
    if (proc->str)
        return node_name(c, proc);
    return NULL;
}

static bool forgot_dollar(jctx *c, const jnode *proc, jenv *env)
{
    if (proc->type != N_PATH || !proc->items.v[0]->str)
        return false;
    jv *v = NULL;
    return jx_env_lookup(c, env, node_name(c, proc->items.v[0]), &v) && v;
}

static jv *eval_call(jctx *c, const jnode *e, jv *input, jenv *env, jv *applyto, bool has_applyto)
{
    jv *proc = jx_eval(c, e->procedure, input, env);
    if (!proc && forgot_dollar(c, e->procedure, env))
        jx_throw(c, "T1005", e->pos, proc_name(c, e->procedure),
                 "attempted to invoke a non-function. Did you mean '$%s'?", proc_name(c, e->procedure));
    size_t n = e->items.n + (has_applyto ? 1 : 0), k = 0;
    jv **args = jx_alloc(c, (n ? n : 1) * sizeof(jv *));
    if (has_applyto)
        args[k++] = applyto;
    for (size_t i = 0; i < e->items.n; i++)
        args[k++] = jx_eval(c, e->items.v[i], input, env);
    c->cur = e;
    return jx_apply(c, proc, args, n, input, env);
}

static jv *eval_partial(jctx *c, const jnode *e, jv *input, jenv *env)
{
    size_t n = e->items.n;
    jv **args = jx_alloc(c, (n ? n : 1) * sizeof(jv *));
    int holes = 0;
    for (size_t i = 0; i < n; i++) {
        if (e->items.v[i]->type == N_PLACEHOLDER) {
            args[i] = NULL;
            holes++;
        } else {
            args[i] = jx_eval(c, e->items.v[i], input, env);
        }
    }
    jv *proc = jx_eval(c, e->procedure, input, env);
    if (!proc && forgot_dollar(c, e->procedure, env))
        jx_throw(c, "T1007", e->pos, proc_name(c, e->procedure),
                 "attempted to partially apply a non-function. Did you mean '$%s'?", proc_name(c, e->procedure));
    if (!jx_is_func(proc))
        jx_throw(c, "T1008", e->pos, NULL, "attempted to partially apply a non-function");
    jv *f = jx_func(c, FN_PARTIAL);
    f->u.f->u.partial.target = proc;
    f->u.f->u.partial.args = args;
    f->u.f->u.partial.nargs = n;
    f->u.f->arity = holes;
    return f;
}

static jv *eval_apply(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *lhs = jx_eval(c, e->lhs, input, env);
    if (e->rhs->type == N_FUNCTION)
        return eval_call(c, e->rhs, input, env, lhs, true);
    jv *f = jx_eval(c, e->rhs, input, env);
    if (!jx_is_func(f))
        jx_fail(c, "T2006", "the right side of the function application operator ~> must be a function");
    if (jx_is_func(lhs)) {
        jv *chain = jx_func(c, FN_CHAIN);
        chain->u.f->u.chain.f = lhs;
        chain->u.f->u.chain.g = f;
        chain->u.f->arity = 1;
        return chain;
    }
    return jx_apply(c, f, &lhs, 1, NULL, env);
}

static jv *eval_regex(jctx *c, const jnode *e)
{
    jv *f = jx_func(c, FN_REGEX);
    f->u.f->u.regex = e->regex;
    f->u.f->arity = 1;
    return f;
}

static jv *eval_transform(jctx *c, const jnode *e, jenv *env)
{
    jv *f = jx_func(c, FN_TRANSFORM);
    f->u.f->u.transform.node = e;
    f->u.f->u.transform.env = env;
    f->u.f->arity = 1;
    return f;
}

static jv *eval_bind(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *v = jx_eval(c, e->rhs, input, env);
    jx_env_bind(c, env, node_name(c, e->lhs), v);
    return v;
}

static jv *eval_value(const jnode *e)
{
    return e->num == 1 ? &jx_true : e->num == 2 ? &jx_false : &jx_null;
}

static jv *eval_wildcard(jctx *c, jv *input)
{
    jv *r = jx_seq(c);
    if (jx_is_arr(input) && (input->flags & JVF_OUTER) && input->u.a.n > 0)
        input = input->u.a.items[0];
    if (jx_is_obj(input)) {
        for (size_t i = 0; i < input->u.o.n; i++) {
            jv *v = input->u.o.ents[i].v;
            if (jx_is_arr(v))
                jx_flatten(c, v, r);
            else if (v)
                jx_push(c, r, v);
        }
    } else if (jx_is_arr(input)) {
        for (size_t i = 0; i < input->u.a.n; i++) {
            jv *v = input->u.a.items[i];
            if (jx_is_arr(v))
                jx_flatten(c, v, r);
            else if (v)
                jx_push(c, r, v);
        }
    }
    return r;
}

static void descend(jctx *c, jv *input, jv *out, int depth)
{
    if (!input)
        return;
    if (depth > JX_MAX_NESTING)
        jx_fail(c, "U1001", "value nested more than %d levels deep (is it cyclic?)", JX_MAX_NESTING);
    if (!jx_is_arr(input))
        jx_push(c, out, input);
    if (jx_is_arr(input)) {
        for (size_t i = 0; i < input->u.a.n; i++)
            descend(c, input->u.a.items[i], out, depth + 1);
    } else if (jx_is_obj(input)) {
        for (size_t i = 0; i < input->u.o.n; i++)
            descend(c, input->u.o.ents[i].v, out, depth + 1);
    }
}

static jv *eval_descendants(jctx *c, jv *input)
{
    if (!input)
        return NULL;
    jv *r = jx_seq(c);
    descend(c, input, r, 0);
    return r->u.a.n == 1 ? r->u.a.items[0] : r;
}

static jv *eval_parent(jctx *c, const jnode *e, jenv *env)
{
    jv *v = NULL;
    jx_env_lookup(c, env, e->slot->label, &v);
    return v;
}

static jv *eval_elvis(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *l = jx_eval(c, e->lhs, input, env);
    if (jx_truthy(c, l))
        return l;
    return jx_eval(c, e->rhs, input, env);
}

static jv *eval_coalesce(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *l = jx_eval(c, e->lhs, input, env);
    if (l && !(jx_is_seq(l) && l->u.a.n == 0))
        return l;
    return jx_eval(c, e->rhs, input, env);
}

static jv *eval_object(jctx *c, const jnode *e, jv *input, jenv *env)
{
    return jx_eval_group(c, &e->items, input, env);
}

static jv *eval_dispatch(jctx *c, const jnode *e, jv *input, jenv *env)
{
    switch (e->type) {
    case N_PATH: return jx_eval_path(c, e, input, env);
    case N_BINARY: return eval_binary(c, e, input, env);
    case N_NEG: return eval_neg(c, e, input, env);
    case N_ARRAY: return eval_array(c, e, input, env);
    case N_OBJECT: return eval_object(c, e, input, env);
    case N_NAME: return jx_lookup_field(c, input, e->str, e->slen);
    case N_STRING: return jx_str_nocopy(c, e->str, e->slen);
    case N_NUMBER: return jx_num(c, e->num);
    case N_VALUE: return eval_value(e);
    case N_WILDCARD: return eval_wildcard(c, input);
    case N_DESCENDANT: return eval_descendants(c, input);
    case N_PARENT: return eval_parent(c, e, env);
    case N_CONDITION: return eval_condition(c, e, input, env);
    case N_BLOCK: return eval_block(c, e, input, env);
    case N_BIND: return eval_bind(c, e, input, env);
    case N_REGEX: return eval_regex(c, e);
    case N_FUNCTION: return eval_call(c, e, input, env, NULL, false);
    case N_PARTIAL: return eval_partial(c, e, input, env);
    case N_VARIABLE: return eval_variable(c, e, input, env);
    case N_LAMBDA: return eval_lambda(c, e, input, env);
    case N_APPLY: return eval_apply(c, e, input, env);
    case N_TRANSFORM: return eval_transform(c, e, env);
    case N_ELVIS: return eval_elvis(c, e, input, env);
    case N_COALESCE: return eval_coalesce(c, e, input, env);
    case N_SORT: return jx_eval_sort(c, e, input, env);
    }
    jx_fail(c, "S0206", "unknown expression type");
}

jv *jx_eval(jctx *c, const jnode *e, jv *input, jenv *env)
{
    const jnode *saved = c->cur;
    c->cur = e;
    if (++c->depth > c->max_depth)
        jx_fail(c, "U1001", "stack overflow: check for non-terminating recursive function; consider rewriting as tail-recursive");
    jx_check_limits(c);
    jv *r = eval_dispatch(c, e, input, env);
    c->cur = e;
    for (size_t i = 0; i < e->preds.n; i++)
        r = jx_eval_filter(c, e->preds.v[i], r, env);
    if (e->type != N_PATH && e->has_group)
        r = jx_eval_group(c, &e->group, r, env);
    if (r && jx_is_seq(r) && !(r->flags & JVF_TUPLE)) {
        if (e->keep_array)
            r->flags |= JVF_KEEP;
        if (r->u.a.n == 0)
            r = NULL;
        else if (r->u.a.n == 1 && !(r->flags & JVF_KEEP))
            r = r->u.a.items[0];
    }
    c->depth--;
    c->cur = saved;
    return r;
}
