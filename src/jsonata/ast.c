/* Rewrites the raw syntax tree into evaluation form: paths become step lists,
 * predicates attach to steps, `@`/`#` bindings turn steps into tuple streams,
 * parent references `%` are resolved to the step that binds them, and calls in
 * tail position of lambdas become thunks. */
#include "jsonata/parser_int.h"

#include <stdio.h>
#include <string.h>

static jnode *opt(jparser *p, jnode *e);

static void slots_push(jparser *p, jslotlist *l, jslot *s)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4;
        jslot **v = jp_alloc(p, ncap * sizeof(jslot *));
        if (l->n)
            memcpy(v, l->v, l->n * sizeof(jslot *));
        l->v = v;
        l->cap = ncap;
    }
    l->v[l->n++] = s;
}

static void stage_push(jparser *p, jnode *step, int is_index, const jnode *expr, const char *label)
{
    if (step->nstages == step->capstages) {
        size_t ncap = step->capstages ? step->capstages * 2 : 2;
        jstage *v = jp_alloc(p, ncap * sizeof(jstage));
        if (step->nstages)
            memcpy(v, step->stages, step->nstages * sizeof(jstage));
        step->stages = v;
        step->capstages = ncap;
    }
    step->stages[step->nstages++] = (jstage){is_index, expr, label};
}

static void push_ancestry(jparser *p, jnode *result, jnode *value)
{
    if (!value)
        return;
    if (value->has_seeking || value->type == N_PARENT) {
        if (value->type == N_PARENT)
            slots_push(p, &value->seeking, value->slot);
        for (size_t i = 0; i < value->seeking.n; i++)
            slots_push(p, &result->seeking, value->seeking.v[i]);
        result->has_seeking = true;
    }
}

static jslot *seek_parent(jparser *p, jnode *node, jslot *slot)
{
    switch (node->type) {
    case N_NAME:
    case N_WILDCARD:
        slot->level--;
        if (slot->level == 0) {
            if (!node->ancestor) {
                node->ancestor = slot;
            } else {
                /* reuse the existing label */
                memcpy(p->ancestry[slot->index]->slot->label, node->ancestor->label, sizeof slot->label);
                node->ancestor = slot;
            }
            node->tuple = true;
        }
        break;
    case N_PARENT:
        slot->level++;
        break;
    case N_BLOCK:
        if (node->items.n > 0) {
            node->tuple = true;
            slot = seek_parent(p, node->items.v[node->items.n - 1], slot);
        }
        break;
    case N_PATH: {
        node->tuple = true;
        long index = (long)node->items.n - 1;
        slot = seek_parent(p, node->items.v[index--], slot);
        while (slot->level > 0 && index >= 0)
            slot = seek_parent(p, node->items.v[index--], slot);
        break;
    }
    default:
        jp_fail(p, "S0217", node->pos, NULL, "the object representing the 'parent' cannot be derived from this expression");
    }
    return slot;
}

static void resolve_ancestry(jparser *p, jnode *path)
{
    long index = (long)path->items.n - 1;
    jnode *last = path->items.v[index];
    jslotlist slots = {0};
    for (size_t i = 0; i < last->seeking.n; i++)
        slots_push(p, &slots, last->seeking.v[i]);
    if (last->type == N_PARENT)
        slots_push(p, &slots, last->slot);
    for (size_t is = 0; is < slots.n; is++) {
        jslot *slot = slots.v[is];
        index = (long)path->items.n - 2;
        while (slot->level > 0) {
            if (index < 0) {
                slots_push(p, &path->seeking, slot);
                path->has_seeking = true;
                break;
            }
            jnode *step = path->items.v[index--];
            while (index >= 0 && step->focus && path->items.v[index]->focus)
                step = path->items.v[index--];
            slot = seek_parent(p, step, slot);
        }
    }
}

static jnode *new_path(jparser *p, jnode *first)
{
    jnode *r = jp_alloc(p, sizeof *r);
    r->type = N_PATH;
    r->pos = first->pos;
    jp_list_push(p, &r->items, first);
    return r;
}

static void move_preds_to_stages(jparser *p, jnode *step)
{
    for (size_t i = 0; i < step->preds.n; i++)
        stage_push(p, step, 0, step->preds.v[i], NULL);
    step->preds.n = 0;
}

static jnode *opt_dot(jparser *p, jnode *e)
{
    jnode *lstep = opt(p, e->lhs);
    jnode *result;
    if (lstep->type == N_PATH) {
        result = lstep;
    } else {
        result = new_path(p, lstep);
    }
    if (lstep->type == N_PARENT) {
        slots_push(p, &result->seeking, lstep->slot);
        result->has_seeking = true;
    }
    jnode *rest = opt(p, e->rhs);
    if (rest->type == N_PATH) {
        for (size_t i = 0; i < rest->items.n; i++)
            jp_list_push(p, &result->items, rest->items.v[i]);
    } else {
        move_preds_to_stages(p, rest);
        jp_list_push(p, &result->items, rest);
    }
    for (size_t i = 0; i < result->items.n; i++) {
        jnode *step = result->items.v[i];
        if (step->type == N_NUMBER || step->type == N_VALUE)
            jp_fail(p, "S0213", step->pos, NULL, "the literal value cannot be used as a step within a path expression");
        if (step->type == N_STRING)
            step->type = N_NAME;
        if (step->keep_array)
            result->keep_singleton = true;
    }
    jnode *first = result->items.v[0];
    if (first->type == N_ARRAY)
        first->consarray = true;
    jnode *last = result->items.v[result->items.n - 1];
    if (last->type == N_ARRAY)
        last->consarray = true;
    resolve_ancestry(p, result);
    return result;
}

static jnode *opt_predicate(jparser *p, jnode *e)
{
    jnode *result = opt(p, e->lhs);
    jnode *step = result;
    bool stages = false;
    if (result->type == N_PATH) {
        step = result->items.v[result->items.n - 1];
        stages = true;
    }
    if (step->has_group)
        jp_fail(p, "S0209", e->pos, NULL, "a predicate cannot follow a grouping expression in a step");
    jnode *pred = opt(p, e->rhs);
    if (pred->has_seeking) {
        for (size_t i = 0; i < pred->seeking.n; i++) {
            jslot *slot = pred->seeking.v[i];
            if (slot->level == 1)
                seek_parent(p, step, slot);
            else
                slot->level--;
        }
        push_ancestry(p, step, pred);
    }
    if (stages)
        stage_push(p, step, 0, pred, NULL);
    else
        jp_list_push(p, &step->preds, pred);
    return result;
}

static jnode *opt_group(jparser *p, jnode *e)
{
    jnode *result = opt(p, e->lhs);
    if (result->has_group)
        jp_fail(p, "S0210", e->pos, NULL, "each step can only have one grouping expression");
    result->has_group = true;
    result->group_pos = e->pos;
    for (size_t i = 0; i < e->items.n; i++)
        jp_list_push(p, &result->group, opt(p, e->items.v[i]));
    return result;
}

static jnode *opt_sort(jparser *p, jnode *e)
{
    jnode *result = opt(p, e->lhs);
    if (result->type != N_PATH)
        result = new_path(p, result);
    jnode *sort = jp_alloc(p, sizeof *sort);
    sort->type = N_SORT;
    sort->pos = e->pos;
    for (size_t i = 0; i < e->items.n; i++) {
        jnode *term = e->items.v[i];
        term->lhs = opt(p, term->lhs);
        push_ancestry(p, sort, term->lhs);
        jp_list_push(p, &sort->items, term);
    }
    jp_list_push(p, &result->items, sort);
    resolve_ancestry(p, result);
    return result;
}

static char *label_of(jparser *p, const jnode *var)
{
    char *s = jp_alloc(p, var->slen + 1);
    memcpy(s, var->str, var->slen);
    return s;
}

static jnode *opt_focus(jparser *p, jnode *e)
{
    jnode *result = opt(p, e->lhs);
    jnode *step = result;
    if (result->type == N_PATH)
        step = result->items.v[result->items.n - 1];
    if (step->nstages || step->preds.n)
        jp_fail(p, "S0215", e->pos, NULL, "a context variable binding must precede any predicates on a step");
    if (step->type == N_SORT)
        jp_fail(p, "S0216", e->pos, NULL, "a context variable binding must precede the 'order-by' clause on a step");
    if (e->keep_array)
        step->keep_array = true;
    step->focus = label_of(p, e->rhs);
    step->tuple = true;
    return result;
}

static jnode *opt_index(jparser *p, jnode *e)
{
    jnode *result = opt(p, e->lhs);
    jnode *step = result;
    if (result->type == N_PATH) {
        step = result->items.v[result->items.n - 1];
    } else {
        result = new_path(p, result);
        move_preds_to_stages(p, step);
    }
    if (step->nstages == 0)
        step->index = label_of(p, e->rhs);
    else
        stage_push(p, step, 1, NULL, label_of(p, e->rhs));
    step->tuple = true;
    return result;
}

static jnode *tail_call(jparser *p, jnode *e)
{
    if (e->type == N_FUNCTION && e->preds.n == 0) {
        jnode *thunk = jp_alloc(p, sizeof *thunk);
        thunk->type = N_LAMBDA;
        thunk->thunk = true;
        thunk->pos = e->pos;
        thunk->body = e;
        return thunk;
    }
    if (e->type == N_CONDITION) {
        e->rhs = tail_call(p, e->rhs);
        if (e->third)
            e->third = tail_call(p, e->third);
    } else if (e->type == N_BLOCK && e->items.n > 0) {
        e->items.v[e->items.n - 1] = tail_call(p, e->items.v[e->items.n - 1]);
    }
    return e;
}

static jnode *opt_list_with_ancestry(jparser *p, jnode *e)
{
    for (size_t i = 0; i < e->items.n; i++) {
        e->items.v[i] = opt(p, e->items.v[i]);
        push_ancestry(p, e, e->items.v[i]);
    }
    return e;
}

static jnode *opt_parent(jparser *p, jnode *e)
{
    jslot *slot = jp_alloc(p, sizeof *slot);
    snprintf(slot->label, sizeof slot->label, "!%d", p->next_label++);
    slot->level = 1;
    slot->index = (int)p->nanc;
    e->slot = slot;
    if (p->nanc == p->capanc) {
        size_t ncap = p->capanc ? p->capanc * 2 : 8;
        jnode **v = jp_alloc(p, ncap * sizeof(jnode *));
        if (p->nanc)
            memcpy(v, p->ancestry, p->nanc * sizeof(jnode *));
        p->ancestry = v;
        p->capanc = ncap;
    }
    p->ancestry[p->nanc++] = e;
    return e;
}

static jnode *opt_inner(jparser *p, jnode *e)
{
    switch (e->type) {
    case N_P_DOT: return opt_dot(p, e);
    case N_P_PREDICATE: return opt_predicate(p, e);
    case N_P_GROUP: return opt_group(p, e);
    case N_P_SORT: return opt_sort(p, e);
    case N_P_FOCUS: return opt_focus(p, e);
    case N_P_INDEX: return opt_index(p, e);
    case N_BIND:
        e->rhs = opt(p, e->rhs);
        push_ancestry(p, e, e->rhs);
        return e;
    case N_APPLY:
        e->lhs = opt(p, e->lhs);
        e->rhs = opt(p, e->rhs);
        e->keep_array = e->lhs->keep_array || e->rhs->keep_array;
        return e;
    case N_BINARY:
    case N_ELVIS:
    case N_COALESCE:
        e->lhs = opt(p, e->lhs);
        e->rhs = opt(p, e->rhs);
        push_ancestry(p, e, e->lhs);
        push_ancestry(p, e, e->rhs);
        return e;
    case N_ARRAY:
        return opt_list_with_ancestry(p, e);
    case N_OBJECT:
        return opt_list_with_ancestry(p, e);
    case N_NEG:
        e->lhs = opt(p, e->lhs);
        if (e->lhs->type == N_NUMBER) {
            e->lhs->num = -e->lhs->num;
            return e->lhs;
        }
        push_ancestry(p, e, e->lhs);
        return e;
    case N_FUNCTION:
    case N_PARTIAL:
        opt_list_with_ancestry(p, e);
        e->procedure = opt(p, e->procedure);
        return e;
    case N_LAMBDA:
        e->body = tail_call(p, opt(p, e->body));
        return e;
    case N_CONDITION:
        e->lhs = opt(p, e->lhs);
        push_ancestry(p, e, e->lhs);
        e->rhs = opt(p, e->rhs);
        push_ancestry(p, e, e->rhs);
        if (e->third) {
            e->third = opt(p, e->third);
            push_ancestry(p, e, e->third);
        }
        return e;
    case N_TRANSFORM:
        e->lhs = opt(p, e->lhs);
        e->rhs = opt(p, e->rhs);
        if (e->third)
            e->third = opt(p, e->third);
        return e;
    case N_BLOCK:
        for (size_t i = 0; i < e->items.n; i++) {
            jnode *part = opt(p, e->items.v[i]);
            e->items.v[i] = part;
            push_ancestry(p, e, part);
            if (part->consarray || (part->type == N_PATH && part->items.v[0]->consarray))
                e->consarray = true;
        }
        return e;
    case N_NAME: {
        jnode *path = new_path(p, e);
        if (e->keep_array)
            path->keep_singleton = true;
        return path;
    }
    case N_PARENT:
        return opt_parent(p, e);
    default:
        return e;
    }
}

static jnode *opt(jparser *p, jnode *e)
{
    if (++p->depth > 1000)
        jp_fail(p, "S0201", e->pos, NULL, "expression nested too deeply");
    bool keep = e->keep_array;
    jnode *r = opt_inner(p, e);
    if (keep)
        r->keep_array = true;
    p->depth--;
    return r;
}

jnode *jp_optimize(jparser *p, jnode *e)
{
    p->depth = 0;
    jnode *r = opt(p, e);
    if (r->type == N_PARENT || r->has_seeking)
        jp_fail(p, "S0217", r->pos, NULL, "the object representing the 'parent' cannot be derived from this expression");
    return r;
}
