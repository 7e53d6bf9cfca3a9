/* Path navigation: steps mapped over sequences, tuple streams for the `@`, `#`
 * and `%` bindings, predicates, order-by and grouping. */
#include "jsonata/jsonata_int.h"

#include <math.h>
#include <string.h>

jv *jx_lookup_field(jctx *c, jv *input, const char *k, size_t klen)
{
    if (jx_is_arr(input)) {
        jv *r = jx_seq(c);
        for (size_t i = 0; i < input->u.a.n; i++) {
            jv *v = jx_lookup_field(c, input->u.a.items[i], k, klen);
            if (!v)
                continue;
            if (jx_is_arr(v)) {
                for (size_t j = 0; j < v->u.a.n; j++)
                    jx_push(c, r, v->u.a.items[j]);
            } else {
                jx_push(c, r, v);
            }
        }
        return r;
    }
    if (input && input->kind == JV_OBJ)
        return jx_get(input, k, klen); /* a lazy object is not read in full */
    return NULL;
}

jenv *jx_tuple_frame(jctx *c, jenv *parent, jv *tuple)
{
    jenv *e = jx_env_new(c, parent);
    for (size_t i = 0; i < tuple->u.o.n; i++)
        jx_env_bind(c, e, tuple->u.o.ents[i].k, tuple->u.o.ents[i].v);
    return e;
}

static jv *tuple_get_at(jv *tuple)
{
    return jx_get(tuple, "@", 1);
}

static jv *tuple_copy(jctx *c, jv *t)
{
    jv *o = jx_obj(c, t->u.o.n + 2);
    memcpy(o->u.o.ents, t->u.o.ents, t->u.o.n * sizeof(jv_ent));
    o->u.o.n = t->u.o.n;
    return o;
}

static void tuple_set(jctx *c, jv *t, const char *k, jv *v)
{
    jx_set(c, t, k, strlen(k), v);
}

static bool is_array_of_numbers(const jv *v)
{
    if (!jx_is_arr(v))
        return false;
    for (size_t i = 0; i < v->u.a.n; i++)
        if (!jx_is_num(v->u.a.items[i]))
            return false;
    return true;
}

jv *jx_eval_filter(jctx *c, const jnode *pred, jv *input, jenv *env)
{
    jv *results = jx_seq(c);
    if (input && jx_is_arr(input) && (input->flags & JVF_TUPLE))
        results->flags |= JVF_TUPLE;
    bool tuples = (results->flags & JVF_TUPLE) != 0;
    if (!input)
        return results;
    jv *in = input;
    if (!jx_is_arr(in)) {
        in = jx_seq(c);
        jx_push(c, in, input);
    }
    size_t n = in->u.a.n;
    if (pred->type == N_NUMBER) {
        double idx = floor(pred->num);
        if (idx < 0)
            idx += (double)n;
        if (idx >= 0 && idx < (double)n) {
            jv *item = in->u.a.items[(size_t)idx];
            if (jx_is_arr(item))
                return item;
            jx_push(c, results, item);
        }
        return results;
    }
    for (size_t i = 0; i < n; i++) {
        jv *item = in->u.a.items[i];
        jv *ctx = item;
        jenv *e = env;
        if (tuples) {
            ctx = tuple_get_at(item);
            e = jx_tuple_frame(c, env, item);
        }
        jv *res = jx_eval(c, pred, ctx, e);
        if (jx_is_num(res)) {
            double k = floor(res->u.n);
            if (k < 0)
                k += (double)n;
            if (k == (double)i)
                jx_push(c, results, item);
        } else if (res && is_array_of_numbers(res) && res->u.a.n > 0) {
            for (size_t j = 0; j < res->u.a.n; j++) {
                double k = floor(res->u.a.items[j]->u.n);
                if (k < 0)
                    k += (double)n;
                if (k == (double)i)
                    jx_push(c, results, item);
            }
        } else if (jx_truthy(c, res)) {
            jx_push(c, results, item);
        }
    }
    return results;
}

static jv *eval_stages(jctx *c, const jnode *step, jv *input, jenv *env)
{
    jv *r = input;
    for (size_t s = 0; s < step->nstages; s++) {
        const jstage *st = &step->stages[s];
        if (!st->is_index) {
            r = jx_eval_filter(c, st->expr, r, env);
        } else if (r) {
            for (size_t i = 0; i < r->u.a.n; i++)
                tuple_set(c, r->u.a.items[i], st->label, jx_num(c, (double)i));
        }
    }
    return r;
}

static jv *eval_step(jctx *c, const jnode *step, jv *input, jenv *env, bool last)
{
    if (step->type == N_SORT) {
        jv *r = jx_eval_sort(c, step, input, env);
        return step->nstages ? eval_stages(c, step, r, env) : r;
    }
    /* results are flattened as they come; a lone array result of the last
     * step is returned as it is */
    jv *seq = jx_seq(c), *first = NULL;
    size_t count = 0;
    for (size_t i = 0; i < input->u.a.n; i++) {
        jv *res = jx_eval(c, step, input->u.a.items[i], env);
        for (size_t s = 0; s < step->nstages; s++)
            res = jx_eval_filter(c, step->stages[s].expr, res, env);
        if (!res)
            continue;
        if (count++ == 0)
            first = res;
        if (!jx_is_arr(res) || (res->flags & JVF_CONS)) {
            jx_push(c, seq, res);
        } else {
            for (size_t j = 0; j < res->u.a.n; j++)
                jx_push(c, seq, res->u.a.items[j]);
        }
    }
    if (last && count == 1 && jx_is_arr(first) && !jx_is_seq(first))
        return first;
    return seq;
}

static jv *tuple_stream(jctx *c)
{
    jv *r = jx_seq(c);
    r->flags |= JVF_TUPLE;
    return r;
}

static jv *eval_tuple_sort_step(jctx *c, const jnode *step, jv *input, jv *tuples, jenv *env)
{
    jv *r;
    if (tuples) {
        r = jx_eval_sort(c, step, tuples, env);
    } else {
        jv *sorted = jx_eval_sort(c, step, input, env);
        r = tuple_stream(c);
        for (size_t i = 0; sorted && i < sorted->u.a.n; i++) {
            jv *t = jx_obj(c, 2);
            tuple_set(c, t, "@", sorted->u.a.items[i]);
            if (step->index)
                tuple_set(c, t, step->index, jx_num(c, (double)i));
            jx_push(c, r, t);
        }
    }
    return step->nstages ? eval_stages(c, step, r, env) : r;
}

static jv *eval_tuple_step(jctx *c, const jnode *step, jv *input, jv *tuples, jenv *env)
{
    if (step->type == N_SORT)
        return eval_tuple_sort_step(c, step, input, tuples, env);
    jv *result = tuple_stream(c);
    if (!tuples) {
        tuples = jx_seq(c);
        for (size_t i = 0; i < input->u.a.n; i++) {
            jv *t = jx_obj(c, 2);
            tuple_set(c, t, "@", input->u.a.items[i]);
            jx_push(c, tuples, t);
        }
    }
    for (size_t ee = 0; ee < tuples->u.a.n; ee++) {
        jv *tb = tuples->u.a.items[ee];
        jenv *stepenv = jx_tuple_frame(c, env, tb);
        jv *res = jx_eval(c, step, tuple_get_at(tb), stepenv);
        if (!res)
            continue;
        bool res_tuples = jx_is_arr(res) && (res->flags & JVF_TUPLE);
        if (!jx_is_arr(res)) {
            jv *one = jx_seq(c);
            jx_push(c, one, res);
            res = one;
        }
        for (size_t bb = 0; bb < res->u.a.n; bb++) {
            jv *t = tuple_copy(c, tb);
            if (res_tuples) {
                jv *rt = res->u.a.items[bb];
                for (size_t k = 0; k < rt->u.o.n; k++)
                    jx_set(c, t, rt->u.o.ents[k].k, rt->u.o.ents[k].klen, rt->u.o.ents[k].v);
            } else {
                if (step->focus) {
                    tuple_set(c, t, step->focus, res->u.a.items[bb]);
                    tuple_set(c, t, "@", tuple_get_at(tb));
                } else {
                    tuple_set(c, t, "@", res->u.a.items[bb]);
                }
                if (step->index)
                    tuple_set(c, t, step->index, jx_num(c, (double)bb));
                if (step->ancestor)
                    tuple_set(c, t, step->ancestor->label, tuple_get_at(tb));
            }
            jx_push(c, result, t);
        }
    }
    return step->nstages ? eval_stages(c, step, result, env) : result;
}

jv *jx_eval_path(jctx *c, const jnode *e, jv *input, jenv *env)
{
    jv *in;
    if (jx_is_arr(input) && e->items.v[0]->type != N_VARIABLE) {
        in = input;
    } else {
        in = jx_seq(c);
        jx_push(c, in, input);
    }
    jv *result = NULL, *tuples = NULL;
    bool tuple_mode = false;
    for (size_t i = 0; i < e->items.n; i++) {
        const jnode *step = e->items.v[i];
        if (step->tuple)
            tuple_mode = true;
        if (i == 0 && step->consarray) {
            result = jx_eval(c, step, in, env);
        } else if (tuple_mode) {
            tuples = eval_tuple_step(c, step, in, tuples, env);
        } else {
            result = eval_step(c, step, in, env, i == e->items.n - 1);
        }
        if (!tuple_mode && (!result || (jx_is_arr(result) && result->u.a.n == 0)))
            break;
        if (!step->focus)
            in = result;
        if (in && !jx_is_arr(in)) {
            jv *w = jx_seq(c);
            jx_push(c, w, in);
            in = w;
        }
    }
    if (tuple_mode) {
        if (e->tuple) {
            result = tuples;
        } else {
            result = jx_seq(c);
            for (size_t i = 0; tuples && i < tuples->u.a.n; i++)
                jx_push(c, result, tuple_get_at(tuples->u.a.items[i]));
        }
    }
    if (e->keep_singleton && result) {
        if (jx_is_arr(result) && (result->flags & JVF_CONS) && !jx_is_seq(result)) {
            jv *w = jx_seq(c);
            jx_push(c, w, result);
            result = w;
        }
        if (jx_is_arr(result))
            result->flags |= JVF_KEEP;
    }
    if (e->has_group)
        result = jx_eval_group(c, &e->group, tuple_mode ? tuples : result, env);
    return result;
}

/* ---- order-by -------------------------------------------------------------- */

typedef struct sort_ctx {
    const jnode *e;
    jenv *env;
    bool tuples;
} sort_ctx;

static bool sort_after(jctx *c, jv *a, jv *b, void *ud)
{
    sort_ctx *s = ud;
    int comp = 0;
    for (size_t i = 0; comp == 0 && i < s->e->items.n; i++) {
        const jnode *term = s->e->items.v[i];
        jv *ca = a, *cb = b;
        jenv *ea = s->env, *eb = s->env;
        if (s->tuples) {
            ca = tuple_get_at(a);
            ea = jx_tuple_frame(c, s->env, a);
            cb = tuple_get_at(b);
            eb = jx_tuple_frame(c, s->env, b);
        }
        jv *aa = jx_eval(c, term->lhs, ca, ea);
        jv *bb = jx_eval(c, term->lhs, cb, eb);
        if (!aa) {
            comp = bb ? 1 : 0;
            continue;
        }
        if (!bb) {
            comp = -1;
            continue;
        }
        if (!(aa->kind == JV_STR || aa->kind == JV_NUM) || !(bb->kind == JV_STR || bb->kind == JV_NUM))
            jx_fail(c, "T2008", "the expressions within an order-by clause must evaluate to numeric or string values");
        if (aa->kind != bb->kind)
            jx_fail(c, "T2007", "type mismatch within order-by clause: all values must be of the same type");
        if (aa->kind == JV_NUM) {
            comp = aa->u.n == bb->u.n ? 0 : aa->u.n < bb->u.n ? -1 : 1;
        } else {
            size_t n = aa->u.s.len < bb->u.s.len ? aa->u.s.len : bb->u.s.len;
            int r = memcmp(aa->u.s.s, bb->u.s.s, n);
            comp = r ? (r < 0 ? -1 : 1) : aa->u.s.len == bb->u.s.len ? 0 : aa->u.s.len < bb->u.s.len ? -1 : 1;
        }
        if (term->descending)
            comp = -comp;
    }
    return comp == 1;
}

void jx_merge_sort(jctx *c, jv **items, size_t n, jx_after_fn after, void *ud)
{
    if (n < 2)
        return;
    size_t mid = n / 2;
    jx_merge_sort(c, items, mid, after, ud);
    jx_merge_sort(c, items + mid, n - mid, after, ud);
    jv **tmp = jx_alloc(c, n * sizeof(jv *));
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (after(c, items[i], items[j], ud))
            tmp[k++] = items[j++];
        else
            tmp[k++] = items[i++];
    }
    while (i < mid)
        tmp[k++] = items[i++];
    while (j < n)
        tmp[k++] = items[j++];
    memcpy(items, tmp, n * sizeof(jv *));
}

jv *jx_eval_sort(jctx *c, const jnode *e, jv *input, jenv *env)
{
    if (!input)
        return NULL;
    sort_ctx s = {e, env, jx_is_arr(input) && (input->flags & JVF_TUPLE)};
    jv *r = jx_arr(c, jx_is_arr(input) ? input->u.a.n : 1);
    if (jx_is_arr(input)) {
        memcpy(r->u.a.items, input->u.a.items, input->u.a.n * sizeof(jv *));
        r->u.a.n = input->u.a.n;
    } else {
        r->u.a.items[0] = input;
        r->u.a.n = 1;
    }
    r->flags = JVF_SEQ | (s.tuples ? JVF_TUPLE : 0);
    jx_merge_sort(c, r->u.a.items, r->u.a.n, sort_after, &s);
    return r;
}

/* ---- grouping and object construction -------------------------------------- */

typedef struct group {
    jv *key;
    jv *data;
    size_t expr_index;
} group;

static jv *reduce_tuples(jctx *c, jv *stream)
{
    if (!jx_is_arr(stream))
        return tuple_copy(c, stream);
    jv *r = tuple_copy(c, stream->u.a.items[0]);
    for (size_t i = 1; i < stream->u.a.n; i++) {
        jv *t = stream->u.a.items[i];
        for (size_t k = 0; k < t->u.o.n; k++) {
            jv_ent *ent = &t->u.o.ents[k];
            jx_set(c, r, ent->k, ent->klen, jx_append(c, jx_get(r, ent->k, ent->klen), ent->v));
        }
    }
    return r;
}

jv *jx_eval_group(jctx *c, const jnlist *pairs, jv *input, jenv *env)
{
    bool reduce = input && jx_is_arr(input) && (input->flags & JVF_TUPLE);
    jv *in = input;
    if (!jx_is_arr(in)) {
        in = jx_seq(c);
        if (input)
            jx_push(c, in, input);
    }
    size_t nitems = in->u.a.n ? in->u.a.n : 1;
    group *groups = NULL;
    size_t ng = 0, capg = 0;
    for (size_t ii = 0; ii < nitems; ii++) {
        jv *item = in->u.a.n ? in->u.a.items[ii] : NULL;
        jenv *e = reduce && item ? jx_tuple_frame(c, env, item) : env;
        for (size_t p = 0; p < pairs->n / 2; p++) {
            jv *key = jx_eval(c, pairs->v[2 * p], reduce && item ? tuple_get_at(item) : item, e);
            if (!key)
                continue;
            if (key->kind != JV_STR)
                jx_fail(c, "T1003", "key in object structure must evaluate to a string; got: %s", jx_type_name(key));
            size_t g = 0;
            for (; g < ng; g++)
                if (jx_deep_equal(groups[g].key, key))
                    break;
            if (g < ng) {
                if (groups[g].expr_index != p)
                    jx_fail(c, "D1009", "multiple key definitions evaluate to same key: %.*s", (int)key->u.s.len,
                            key->u.s.s);
                groups[g].data = jx_append(c, groups[g].data, item);
                continue;
            }
            if (ng == capg) {
                size_t ncap = capg ? capg * 2 : 8;
                group *ngp = jx_alloc(c, ncap * sizeof(group));
                if (ng)
                    memcpy(ngp, groups, ng * sizeof(group));
                groups = ngp;
                capg = ncap;
            }
            groups[ng++] = (group){key, item, p};
        }
    }
    jv *result = jx_obj(c, ng);
    for (size_t g = 0; g < ng; g++) {
        jv *ctx = groups[g].data;
        jenv *e = env;
        if (reduce && ctx) {
            jv *t = reduce_tuples(c, groups[g].data);
            ctx = tuple_get_at(t);
            jx_del(t, "@", 1);
            e = jx_tuple_frame(c, env, t);
        }
        jv *v = jx_eval(c, pairs->v[2 * groups[g].expr_index + 1], ctx, e);
        if (v)
            jx_set(c, result, groups[g].key->u.s.s, groups[g].key->u.s.len, v);
    }
    return result;
}
