/* Array, object and higher-order functions: $map, $filter, $single, $reduce,
 * $sift, $each, $keys, $lookup, $append, $spread, $merge, $reverse, $sort,
 * $shuffle, $distinct, $zip. */
#include "jsonata/fn_int.h"

#include "core/rand.h"

#include <string.h>

#define ARG(i) ((i) < n ? a[i] : NULL)

static jv *fn_map(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0), *f = ARG(1);
    if (!arr)
        return NULL;
    jv *r = jx_seq(c);
    for (size_t i = 0; i < arr->u.a.n; i++) {
        jv *v = jx_call_hof(c, f, arr->u.a.items[i], jx_num(c, (double)i), arr, env);
        if (v)
            jx_push(c, r, v);
    }
    return r;
}

static jv *fn_filter(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0), *f = ARG(1);
    if (!arr)
        return NULL;
    jv *r = jx_seq(c);
    for (size_t i = 0; i < arr->u.a.n; i++) {
        jv *v = jx_call_hof(c, f, arr->u.a.items[i], jx_num(c, (double)i), arr, env);
        if (jx_truthy(c, v))
            jx_push(c, r, arr->u.a.items[i]);
    }
    return r;
}

static jv *fn_single(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0), *f = ARG(1);
    if (!arr)
        return NULL;
    bool found = false;
    jv *result = NULL;
    for (size_t i = 0; i < arr->u.a.n; i++) {
        bool pass = true;
        if (f)
            pass = jx_truthy(c, jx_call_hof(c, f, arr->u.a.items[i], jx_num(c, (double)i), arr, env));
        if (!pass)
            continue;
        if (found)
            jx_fail(c, "D3138", "the $single() function expected exactly 1 matching result; instead it matched more");
        found = true;
        result = arr->u.a.items[i];
    }
    if (!found)
        jx_fail(c, "D3139", "the $single() function expected exactly 1 matching result; instead it matched 0");
    return result;
}

static jv *fn_reduce(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0), *f = ARG(1), *init = ARG(2);
    if (!arr)
        return NULL;
    int arity = jx_func_arity(f);
    if (arity < 2)
        jx_fail(c, "D3050", "the second argument of reduce function must be a function with at least two arguments");
    size_t i = 0;
    jv *acc = init;
    if (!init && arr->u.a.n > 0) {
        acc = arr->u.a.items[0];
        i = 1;
    }
    for (; i < arr->u.a.n; i++) {
        jv *args[4] = {acc, arr->u.a.items[i], jx_num(c, (double)i), arr};
        size_t na = arity >= 4 ? 4 : arity >= 3 ? 3 : 2;
        acc = jx_apply(c, f, args, na, NULL, env);
    }
    return acc;
}

static jv *fn_sift(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *o = ARG(0), *f = ARG(1);
    if (!o)
        return NULL;
    jv *r = jx_obj(c, 0);
    for (size_t i = 0; i < o->u.o.n; i++) {
        jv_ent *e = &o->u.o.ents[i];
        jv *k = jx_str_nocopy(c, e->k, e->klen);
        if (jx_truthy(c, jx_call_hof(c, f, e->v, k, o, env)))
            jx_set(c, r, e->k, e->klen, e->v);
    }
    return r->u.o.n ? r : NULL;
}

static jv *fn_each(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *o = ARG(0), *f = ARG(1);
    if (!o)
        return NULL;
    jv *r = jx_seq(c);
    for (size_t i = 0; i < o->u.o.n; i++) {
        jv_ent *e = &o->u.o.ents[i];
        jv *v = jx_call_hof(c, f, e->v, jx_str_nocopy(c, e->k, e->klen), o, env);
        if (v)
            jx_push(c, r, v);
    }
    return r;
}

static void add_keys(jctx *c, jv *v, jv *r)
{
    if (jx_is_arr(v)) {
        for (size_t i = 0; i < v->u.a.n; i++)
            add_keys(c, v->u.a.items[i], r);
        return;
    }
    if (!jx_is_obj(v))
        return;
    for (size_t i = 0; i < v->u.o.n; i++) {
        jv *k = jx_str_nocopy(c, v->u.o.ents[i].k, v->u.o.ents[i].klen);
        bool dup = false;
        for (size_t j = 0; j < r->u.a.n && !dup; j++)
            dup = jx_deep_equal(r->u.a.items[j], k);
        if (!dup)
            jx_push(c, r, k);
    }
}

static jv *fn_keys(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *r = jx_seq(c);
    add_keys(c, ARG(0), r);
    return r;
}

static jv *fn_lookup(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *k = ARG(1);
    return jx_lookup_field(c, ARG(0), k->u.s.s, k->u.s.len);
}

static jv *fn_append(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return jx_append(c, ARG(0), ARG(1));
}

static jv *spread(jctx *c, jv *v)
{
    if (jx_is_arr(v)) {
        jv *r = jx_seq(c);
        for (size_t i = 0; i < v->u.a.n; i++)
            r = jx_append(c, r, spread(c, v->u.a.items[i]));
        return r;
    }
    if (jx_is_obj(v)) {
        jv *r = jx_seq(c);
        for (size_t i = 0; i < v->u.o.n; i++) {
            jv *o = jx_obj(c, 1);
            jx_set(c, o, v->u.o.ents[i].k, v->u.o.ents[i].klen, v->u.o.ents[i].v);
            jx_push(c, r, o);
        }
        return r;
    }
    return v;
}

static jv *fn_spread(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return spread(c, ARG(0));
}

static jv *fn_merge(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0);
    if (!arr)
        return NULL;
    jv *r = jx_obj(c, 0);
    for (size_t i = 0; i < arr->u.a.n; i++) {
        jv *o = arr->u.a.items[i];
        for (size_t k = 0; k < o->u.o.n; k++)
            jx_set(c, r, o->u.o.ents[k].k, o->u.o.ents[k].klen, o->u.o.ents[k].v);
    }
    return r;
}

static jv *fn_reverse(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0);
    if (!arr)
        return NULL;
    if (arr->u.a.n <= 1)
        return arr;
    jv *r = jx_arr(c, arr->u.a.n);
    for (size_t i = arr->u.a.n; i-- > 0;)
        jx_push(c, r, arr->u.a.items[i]);
    return r;
}

static bool natural_after(jctx *c, jv *x, jv *y, void *ud)
{
    (void)c;
    (void)ud;
    if (x->kind == JV_NUM)
        return x->u.n > y->u.n;
    size_t m = x->u.s.len < y->u.s.len ? x->u.s.len : y->u.s.len;
    int r = memcmp(x->u.s.s, y->u.s.s, m);
    return r ? r > 0 : x->u.s.len > y->u.s.len;
}

static bool fn_after(jctx *c, jv *x, jv *y, void *ud)
{
    jv *args[2] = {x, y};
    return jx_truthy(c, jx_apply(c, ud, args, 2, NULL, NULL));
}

static jv *fn_sort(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0), *f = ARG(1);
    if (!arr)
        return NULL;
    if (arr->u.a.n <= 1)
        return arr;
    if (!f) {
        bool nums = true, strs = true;
        for (size_t i = 0; i < arr->u.a.n; i++) {
            nums = nums && jx_is_num(arr->u.a.items[i]);
            strs = strs && jx_is_str(arr->u.a.items[i]);
        }
        if (!nums && !strs)
            jx_fail(c, "D3070", "the single argument form of the sort function can only be applied to an array of strings or an array of numbers");
    }
    jv *r = jx_arr(c, arr->u.a.n);
    memcpy(r->u.a.items, arr->u.a.items, arr->u.a.n * sizeof(jv *));
    r->u.a.n = arr->u.a.n;
    jx_merge_sort(c, r->u.a.items, r->u.a.n, f ? fn_after : natural_after, f);
    return r;
}

static jv *fn_shuffle(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0);
    if (!arr)
        return NULL;
    if (arr->u.a.n <= 1)
        return arr;
    jv *r = jx_arr(c, arr->u.a.n);
    memcpy(r->u.a.items, arr->u.a.items, arr->u.a.n * sizeof(jv *));
    r->u.a.n = arr->u.a.n;
    for (size_t i = r->u.a.n - 1; i > 0; i--) {
        size_t j = (size_t)(fg_rand_unit() * (double)(i + 1));
        jv *t = r->u.a.items[i];
        r->u.a.items[i] = r->u.a.items[j];
        r->u.a.items[j] = t;
    }
    return r;
}

static jv *fn_distinct(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0);
    if (!arr)
        return NULL;
    if (!jx_is_arr(arr) || arr->u.a.n <= 1)
        return arr;
    jv *r = jx_seq(c);
    for (size_t i = 0; i < arr->u.a.n; i++) {
        bool dup = false;
        for (size_t j = 0; j < r->u.a.n && !dup; j++)
            dup = jx_deep_equal(r->u.a.items[j], arr->u.a.items[i]);
        if (!dup)
            jx_push(c, r, arr->u.a.items[i]);
    }
    return r;
}

static jv *fn_zip(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *r = jx_arr(c, 0);
    if (n == 0)
        return r;
    size_t len = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t l = a[i] ? a[i]->u.a.n : 0;
        if (l < len)
            len = l;
    }
    for (size_t k = 0; k < len; k++) {
        jv *t = jx_arr(c, n);
        for (size_t i = 0; i < n; i++)
            jx_push(c, t, a[i]->u.a.items[k]);
        jx_push(c, r, t);
    }
    return r;
}

const jbuiltin jx_array_builtins[] = {
    {"map", "<af>", fn_map, -1},
    {"filter", "<af>", fn_filter, -1},
    {"single", "<af?>", fn_single, -1},
    {"reduce", "<afj?:j>", fn_reduce, -1},
    {"sift", "<o-f?:o>", fn_sift, -1},
    {"each", "<o-f:a>", fn_each, -1},
    {"keys", "<x-:a<s>>", fn_keys, -1},
    {"lookup", "<x-s:x>", fn_lookup, -1},
    {"append", "<xx:a>", fn_append, -1},
    {"spread", "<x-:a<o>>", fn_spread, -1},
    {"merge", "<a<o>:o>", fn_merge, -1},
    {"reverse", "<a:a>", fn_reverse, -1},
    {"sort", "<af?:a>", fn_sort, -1},
    {"shuffle", "<a:a>", fn_shuffle, -1},
    {"distinct", "<x:x>", fn_distinct, -1},
    {"zip", "<a+>", fn_zip, -1},
    {NULL, NULL, NULL, 0},
};
