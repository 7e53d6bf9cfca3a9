/* The built-in function registry (sorted once, looked up by name) and the
 * functions that fit no family: $boolean, $not, $exists, $type, $error,
 * $assert, $eval, $clone. */
#include "jsonata/fn_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ARG(i) ((i) < n ? a[i] : NULL)

static jv *fn_boolean(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return ARG(0) ? jx_bool(jx_truthy(c, ARG(0))) : NULL;
}

static jv *fn_not(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return ARG(0) ? jx_bool(!jx_truthy(c, ARG(0))) : NULL;
}

static jv *fn_exists(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return jx_bool(ARG(0) != NULL);
}

static jv *fn_type(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    const char *t = jx_type_name(ARG(0));
    return jx_str_nocopy(c, t, strlen(t));
}

static jv *fn_error(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *m = ARG(0);
    if (m)
        jx_fail(c, "D3137", "%.*s", (int)m->u.s.len, m->u.s.s);
    jx_fail(c, "D3137", "$error() function evaluated");
}

static jv *fn_assert(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *cond = ARG(0), *m = ARG(1);
    if (cond && cond->u.b)
        return NULL;
    if (m)
        jx_fail(c, "D3141", "%.*s", (int)m->u.s.len, m->u.s.s);
    jx_fail(c, "D3141", "$assert() statement failed");
}

/* Evaluates root with its own error target; false when it threw. */
static bool eval_nested(jctx *c, const jnode *root, jv *focus, jenv *env, fg_jsonata_error *inner, jv **out)
{
    jmp_buf jb, *saved = c->jb;
    fg_jsonata_error *saved_err = c->err;
    int depth = c->depth;
    const jnode *cur = c->cur;
    c->jb = &jb;
    c->err = inner;
    bool ok = setjmp(jb) == 0;
    if (ok)
        *out = jx_eval(c, root, focus, env);
    c->jb = saved;
    c->err = saved_err;
    c->depth = depth;
    c->cur = cur;
    return ok;
}

static jv *fn_eval(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *src = ARG(0);
    if (!src)
        return NULL;
    fg_arena *arena = fg_arena_create(0);
    if (!arena)
        jx_fail(c, "U1002", "out of memory");
    fg_arena_on_cleanup(c->arena, (fg_cleanup_fn)fg_arena_destroy, arena);
    fg_jsonata_error perr = {0};
    jnode *root = jx_parse(arena, src->u.s.s, src->u.s.len, &perr);
    if (!root)
        jx_fail(c, "D3120", "syntax error in expression passed to function eval: %s", perr.message);
    jv *focus = ARG(1) ? ARG(1) : in;
    if (jx_is_arr(focus) && !jx_is_seq(focus)) {
        jv *w = jx_seq(c);
        jx_push(c, w, focus);
        w->flags |= JVF_OUTER;
        focus = w;
    }
    fg_jsonata_error inner = {0};
    jv *r = NULL;
    if (!eval_nested(c, root, focus, env, &inner, &r))
        jx_fail(c, "D3121", "dynamic error evaluating the expression passed to function eval: %s", inner.message);
    return r;
}

static jv *fn_clone(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return jx_deep_copy(c, ARG(0));
}

const jbuiltin jx_misc_builtins[] = {
    {"boolean", "<x-:b>", fn_boolean, -1},
    {"not", "<x-:b>", fn_not, -1},
    {"exists", "<x:b>", fn_exists, -1},
    {"type", "<x:s>", fn_type, -1},
    {"error", "<s?:x>", fn_error, -1},
    {"assert", "<bs?:x>", fn_assert, -1},
    {"eval", "<sx?:x>", fn_eval, -1},
    {"clone", "<(oa)-:o>", fn_clone, -1},
    {"now", "<s?s?:s>", jx_fn_now, -1},
    {"millis", "<:n>", jx_fn_millis, -1},
    {"toMillis", "<s-s?:n>", jx_fn_to_millis, -1},
    {"fromMillis", "<n-s?s?:s>", jx_fn_from_millis, -1},
    {NULL, NULL, NULL, 0},
};

/* ---- registry ----------------------------------------------------------------- */

typedef struct entry {
    const jbuiltin *b;
    jsig *sig;
    int arity;
    jfunc fn; /* the function value, built once and never modified */
    jv val;
} entry;

static entry registry[128];
static size_t nregistry;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static int entry_cmp(const void *x, const void *y)
{
    return strcmp(((const entry *)x)->b->name, ((const entry *)y)->b->name);
}

static void registry_init(void)
{
    const jbuiltin *tables[] = {jx_string_builtins, jx_numeric_builtins, jx_array_builtins, jx_misc_builtins};
    for (size_t t = 0; t < FG_ARRAY_LEN(tables); t++)
        for (const jbuiltin *b = tables[t]; b->name && nregistry < FG_ARRAY_LEN(registry); b++) {
            int off;
            entry *e = &registry[nregistry++];
            e->b = b;
            e->sig = jx_sig_parse(b->sigsrc, strlen(b->sigsrc), &off);
            e->arity = b->arity >= 0 ? b->arity : e->sig ? jx_sig_arity(e->sig) : 1;
        }
    qsort(registry, nregistry, sizeof(entry), entry_cmp);
    for (size_t i = 0; i < nregistry; i++) {
        entry *e = &registry[i];
        e->fn.kind = FN_BUILTIN;
        e->fn.arity = e->arity;
        e->fn.sig = e->sig;
        e->fn.u.builtin = e->b;
        e->val.kind = JV_FUNC;
        e->val.u.f = &e->fn;
    }
}

static const entry *find_entry(const char *name)
{
    pthread_once(&registry_once, registry_init);
    size_t lo = 0, hi = nregistry;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(name, registry[mid].b->name);
        if (r == 0)
            return &registry[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const jbuiltin *jx_builtin_find(const char *name)
{
    const entry *e = find_entry(name);
    return e ? e->b : NULL;
}

const jsig *jx_builtin_sig(const jbuiltin *b)
{
    const entry *e = find_entry(b->name);
    return e ? e->sig : NULL;
}

jv *jx_builtin_value(jctx *c, const jbuiltin *b)
{
    entry *e = (entry *)find_entry(b->name);
    (void)c;
    return &e->val;
}
