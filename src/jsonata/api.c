/* The public API: compile, evaluate, environments of bindings and functions. */
#include "jsonata/jsonata_int.h"

#include "core/clock.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEPTH 1000
#define DEFAULT_MEMORY ((size_t)256 << 20)
#define DEFAULT_RANGE 10000000
#define DEFAULT_MATCH_LIMIT 1000000

static json_t undefined_sentinel = {JSON_NULL, (size_t)-1};

json_t *fg_jsonata_undefined(void)
{
    return &undefined_sentinel;
}

bool fg_jsonata_is_undefined(const json_t *v)
{
    return v == &undefined_sentinel;
}

static void clear_error(fg_jsonata_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

fg_jsonata_expr *fg_jsonata_compile(const char *src, size_t len, fg_jsonata_error *err)
{
    fg_jsonata_error local;
    if (!err)
        err = &local;
    clear_error(err);
    fg_jsonata_expr *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->arena = fg_arena_create(0);
    e->src = malloc(len + 1);
    if (!e->arena || !e->src) {
        fg_jsonata_free(e);
        snprintf(err->code, sizeof err->code, "S0500");
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    memcpy(e->src, src, len);
    e->src[len] = 0;
    e->len = len;
    e->root = jx_parse(e->arena, e->src, len, err);
    if (!e->root) {
        fg_jsonata_free(e);
        return NULL;
    }
    return e;
}

void fg_jsonata_free(fg_jsonata_expr *e)
{
    if (!e)
        return;
    fg_arena_destroy(e->arena);
    free(e->src);
    free(e);
}

static jenv *root_env(jctx *c, const fg_jsonata_env *env, jv *input)
{
    jenv *root = jx_env_new(c, NULL);
    if (env && env->parent)
        root = root_env(c, env->parent, NULL);
    if (env)
        for (size_t i = 0; i < env->n; i++)
            jx_env_bind(c, root, env->names[i], jx_from_json(c, env->vals[i]));
    if (!input)
        return root;
    jx_env_bind(c, root, "$", input);
    return root;
}

static void ctx_limits(jctx *c, const fg_jsonata_limits *lim)
{
    c->max_depth = lim && lim->max_depth > 0 ? lim->max_depth : DEFAULT_DEPTH;
    c->max_range = lim && lim->max_range ? lim->max_range : DEFAULT_RANGE;
    c->match_limit = lim && lim->regex_match_limit ? lim->regex_match_limit : DEFAULT_MATCH_LIMIT;
    c->reject_functions = lim && lim->reject_functions;
    if (lim && lim->timeout_ms) /* the clock starts at the first check (jx_check_limits) */
        c->timeout_ns = lim->timeout_ms * 1000000ull;
}

/* Runs the evaluation under setjmp; a thrown error returns NULL. */
static json_t *eval_protected(jctx *c, const fg_jsonata_expr *e, const json_t *input, const fg_jsonata_env *env)
{
    jmp_buf jb;
    c->jb = &jb;
    if (setjmp(jb) != 0)
        return NULL;
    jx_tls_ctx = c;
    jv *in = jx_from_json(c, input);
    jenv *root = root_env(c, env, in);
    if (jx_is_arr(in)) {
        jv *w = jx_seq(c);
        jx_push(c, w, in);
        w->flags |= JVF_OUTER;
        in = w;
    }
    c->root_input = in;
    jv *r = jx_eval(c, e->root, in, root);
    if (r && c->reject_functions && r->kind == JV_FUNC) {
        snprintf(c->err->code, sizeof c->err->code, "S0601");
        snprintf(c->err->message, sizeof c->err->message, "the result is a function, not a JSON value");
        return NULL;
    }
    json_t *out = r ? jx_to_json(r) : fg_jsonata_undefined();
    if (!out) {
        snprintf(c->err->code, sizeof c->err->code, "U1001");
        snprintf(c->err->message, sizeof c->err->message,
                 "the result cannot be converted to JSON: out of memory, or nested too deeply (cyclic)");
    }
    return out;
}

/* One spare evaluation arena per thread: most evaluations are small, and a fresh
 * arena per call costs more in malloc than the evaluation itself. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_free(void *a)
{
    fg_arena_destroy(a);
}

static void spare_init(void)
{
    pthread_key_create(&spare_key, spare_free);
}

static fg_arena *arena_take(size_t max)
{
    pthread_once(&spare_once, spare_init);
    fg_arena *a = pthread_getspecific(spare_key);
    if (!a)
        return fg_arena_create(max);
    pthread_setspecific(spare_key, NULL); /* a nested evaluation makes its own */
    fg_arena_reset(a, max);
    return a;
}

static void arena_give_back(fg_arena *a)
{
    if (pthread_getspecific(spare_key)) {
        fg_arena_destroy(a);
        return;
    }
    fg_arena_reset(a, 0);
    if (pthread_setspecific(spare_key, a) != 0)
        fg_arena_destroy(a);
}

json_t *fg_jsonata_eval(const fg_jsonata_expr *e, const json_t *input, const fg_jsonata_env *env,
                        const fg_jsonata_limits *lim, fg_jsonata_error *err)
{
    fg_jsonata_error local;
    if (!err)
        err = &local;
    clear_error(err);
    jctx c;
    memset(&c, 0, sizeof c);
    ctx_limits(&c, lim);
    c.arena = arena_take(lim && lim->max_memory ? lim->max_memory : DEFAULT_MEMORY);
    if (!c.arena) {
        snprintf(err->code, sizeof err->code, "U1002");
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    c.err = err;
    c.uenv = env;
    jctx *outer = jx_tls_ctx;
    json_t *out = eval_protected(&c, e, input, env);
    jx_tls_ctx = outer;
    pcre2_match_data_free(c.md);
    arena_give_back(c.arena);
    return out;
}

/* ---- environments ------------------------------------------------------------- */

fg_jsonata_env *fg_jsonata_env_new(void)
{
    return calloc(1, sizeof(fg_jsonata_env));
}

void fg_jsonata_env_free(fg_jsonata_env *env)
{
    if (!env)
        return;
    for (size_t i = 0; i < env->n; i++) {
        free(env->names[i]);
        json_decref(env->vals[i]);
    }
    for (size_t i = 0; i < env->nnat; i++) {
        free(env->natives[i]->name);
        jx_sig_free(env->natives[i]->sig);
        free(env->natives[i]);
    }
    free(env->names);
    free(env->vals);
    free(env->natives);
    free(env);
}

void fg_jsonata_env_set_parent(fg_jsonata_env *env, const fg_jsonata_env *parent)
{
    env->parent = parent;
}

int fg_jsonata_env_bind(fg_jsonata_env *env, const char *name, json_t *v)
{
    for (size_t i = 0; i < env->n; i++)
        if (strcmp(env->names[i], name) == 0) {
            json_incref(v);
            json_decref(env->vals[i]);
            env->vals[i] = v;
            return FG_OK;
        }
    if (env->n == env->cap) {
        size_t ncap = env->cap ? env->cap * 2 : 8;
        char **names = realloc(env->names, ncap * sizeof(char *));
        if (!names)
            return FG_ENOMEM;
        env->names = names;
        json_t **vals = realloc(env->vals, ncap * sizeof(json_t *));
        if (!vals)
            return FG_ENOMEM;
        env->vals = vals;
        env->cap = ncap;
    }
    char *dup = strdup(name);
    if (!dup)
        return FG_ENOMEM;
    env->names[env->n] = dup;
    env->vals[env->n++] = json_incref(v);
    return FG_OK;
}

int fg_jsonata_env_add_function(fg_jsonata_env *env, const char *name, const char *signature,
                                fg_jsonata_native_fn fn, void *ud)
{
    jnative *nat = calloc(1, sizeof *nat);
    if (!nat)
        return FG_ENOMEM;
    nat->name = strdup(name);
    nat->fn = fn;
    nat->ud = ud;
    if (signature) {
        int off;
        nat->sig = jx_sig_parse(signature, strlen(signature), &off);
        if (!nat->sig) {
            free(nat->name);
            free(nat);
            return FG_EINVAL;
        }
    }
    if (env->nnat == env->capnat) {
        size_t ncap = env->capnat ? env->capnat * 2 : 8;
        jnative **v = realloc(env->natives, ncap * sizeof(jnative *));
        if (!v) {
            jx_sig_free(nat->sig);
            free(nat->name);
            free(nat);
            return FG_ENOMEM;
        }
        env->natives = v;
        env->capnat = ncap;
    }
    env->natives[env->nnat++] = nat;
    return nat->name ? FG_OK : FG_ENOMEM;
}
