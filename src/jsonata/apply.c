/* Function application: lambdas (with the tail-call trampoline), built-ins,
 * partial applications, chains (f ~> g), transforms, regex matchers and
 * functions registered by the host. */
#include "jsonata/jsonata_int.h"

#include <string.h>

static jv *apply_inner(jctx *c, jv *proc, jv **args, size_t n, jv *input, jenv *env);

static jv *apply_lambda(jctx *c, jfunc *f, jv **args, size_t n)
{
    const jnode *node = f->u.lambda.node;
    if (node->items.n == 0 && node->body->type == N_LAMBDA && node->body->thunk)
        return jx_eval(c, node->body, f->u.lambda.input, f->u.lambda.env); /* nothing to bind */
    jenv *frame = jx_env_new(c, f->u.lambda.env);
    for (size_t i = 0; i < node->items.n; i++) {
        jx_env_bind(c, frame, node->items.v[i]->str, i < n ? args[i] : NULL);
    }
    return jx_eval(c, node->body, f->u.lambda.input, frame);
}

static jv *apply_partial(jctx *c, jfunc *f, jv **args, size_t n, jv *input, jenv *env)
{
    size_t total = f->u.partial.nargs, k = 0;
    jv **full = jx_alloc(c, (total ? total : 1) * sizeof(jv *));
    for (size_t i = 0; i < total; i++) {
        if (f->u.partial.args[i])
            full[i] = f->u.partial.args[i];
        else
            full[i] = k < n ? args[k++] : NULL;
    }
    return jx_apply(c, f->u.partial.target, full, total, input, env);
}

static jv *apply_native(jctx *c, const jnative *nat, jv **args, size_t n)
{
    json_t **jargs = jx_alloc(c, (n ? n : 1) * sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
        jargs[i] = args[i] ? jx_to_json(args[i]) : fg_jsonata_undefined();
    fg_jsonata_error err = {0};
    json_t *r = nat->fn(nat->ud, jargs, n, &err);
    for (size_t i = 0; i < n; i++)
        json_decref(jargs[i]);
    if (!r)
        jx_fail(c, err.code[0] ? err.code : "D3137", "%s", err.message[0] ? err.message : "native function failed");
    jv *v = NULL;
    if (!fg_jsonata_is_undefined(r)) {
        json_t **keep = jx_alloc(c, sizeof *keep);
        *keep = r;
        fg_arena_on_cleanup(c->arena, (fg_cleanup_fn)json_decref, r);
        v = jx_from_json(c, r);
    }
    return v;
}

static bool is_array_of_strings(const jv *v)
{
    for (size_t i = 0; i < v->u.a.n; i++)
        if (!jx_is_str(v->u.a.items[i]))
            return false;
    return true;
}

static void transform_match(jctx *c, const jnode *node, jenv *env, jv *match)
{
    jv *update = jx_eval(c, node->rhs, match, env);
    if (update) {
        if (!jx_is_obj(update))
            jx_fail(c, "T2011", "the insert/update clause of the transform expression must evaluate to an object");
        if (jx_is_obj(match))
            for (size_t k = 0; k < update->u.o.n; k++)
                jx_set(c, match, update->u.o.ents[k].k, update->u.o.ents[k].klen, update->u.o.ents[k].v);
    }
    if (!node->third)
        return;
    jv *del = jx_eval(c, node->third, match, env);
    if (!del)
        return;
    jv *list = del;
    if (!jx_is_arr(list)) {
        list = jx_arr(c, 1);
        jx_push(c, list, del);
    }
    if (!is_array_of_strings(list))
        jx_fail(c, "T2012", "the delete clause of the transform expression must evaluate to a string or array of strings");
    if (jx_is_obj(match))
        for (size_t k = 0; k < list->u.a.n; k++)
            jx_del(match, list->u.a.items[k]->u.s.s, list->u.a.items[k]->u.s.len);
}

static jv *apply_transform(jctx *c, jfunc *f, jv **args, size_t n)
{
    jv *obj = n ? args[0] : NULL;
    if (!obj)
        return NULL;
    if (!(jx_is_obj(obj) || jx_is_arr(obj)))
        jx_fail(c, "T0410", "argument 1 of the transform must be an object or an array");
    const jnode *node = f->u.transform.node;
    jv *result = jx_deep_copy(c, obj);
    jv *matches = jx_eval(c, node->lhs, result, f->u.transform.env);
    if (!matches)
        return result;
    if (!jx_is_arr(matches)) {
        transform_match(c, node, f->u.transform.env, matches);
        return result;
    }
    for (size_t i = 0; i < matches->u.a.n; i++)
        transform_match(c, node, f->u.transform.env, matches->u.a.items[i]);
    return result;
}

static jv *apply_inner(jctx *c, jv *proc, jv **args, size_t n, jv *input, jenv *env)
{
    if (!jx_is_func(proc))
        jx_fail(c, "T1006", "attempted to invoke a non-function");
    jfunc *f = proc->u.f;
    if (f->sig)
        n = jx_sig_validate(c, f->sig, args, n, input, &args);
    switch (f->kind) {
    case FN_LAMBDA:
        return apply_lambda(c, f, args, n);
    case FN_BUILTIN:
        return f->u.builtin->fn(c, args, n, input, env);
    case FN_PARTIAL:
        return apply_partial(c, f, args, n, input, env);
    case FN_NATIVE:
        return apply_native(c, f->u.native, args, n);
    case FN_REGEX:
        return n && jx_is_str(args[0]) ? jx_call_regex(c, f->u.regex, args[0]) : NULL;
    case FN_CHAIN: {
        jv *x = n ? args[0] : NULL;
        jv *mid = jx_apply(c, f->u.chain.f, &x, 1, input, env);
        return jx_apply(c, f->u.chain.g, &mid, 1, input, env);
    }
    case FN_TRANSFORM:
        return apply_transform(c, f, args, n);
    }
    jx_fail(c, "T1006", "attempted to invoke a non-function");
}

jv *jx_apply(jctx *c, jv *proc, jv **args, size_t n, jv *input, jenv *env)
{
    jv *r = apply_inner(c, proc, args, n, input, env);
    while (r && r->kind == JV_FUNC && r->thunk && r->u.f->kind == FN_LAMBDA) {
        jx_check_limits(c);
        const jnode *call = r->u.f->u.lambda.node->body;
        jv *tin = r->u.f->u.lambda.input;
        jenv *tenv = r->u.f->u.lambda.env;
        jv *next = jx_eval(c, call->procedure, tin, tenv);
        size_t na = call->items.n;
        jv **targs = na ? jx_alloc(c, na * sizeof(jv *)) : NULL;
        for (size_t i = 0; i < na; i++)
            targs[i] = jx_eval(c, call->items.v[i], tin, tenv);
        r = apply_inner(c, next, targs, na, input, env);
    }
    return r;
}

int jx_func_arity(const jv *f)
{
    return f->u.f->arity;
}

jv *jx_call_hof(jctx *c, jv *f, jv *a1, jv *a2, jv *a3, jenv *env)
{
    jv *args[3] = {a1, a2, a3};
    int arity = jx_func_arity(f);
    size_t n = 1;
    if (arity >= 2)
        n = 2;
    if (arity >= 3)
        n = 3;
    return jx_apply(c, f, args, n, NULL, env);
}
