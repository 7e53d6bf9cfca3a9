/* JSONata 2.x: compile an expression once, evaluate it against JSON many times.
 *
 *   fg_jsonata_error err;
 *   fg_jsonata_expr *e = fg_jsonata_compile(src, strlen(src), &err);
 *   json_t *out = fg_jsonata_eval(e, input, NULL, NULL, &err);
 *   if (!out && err.code[0]) ... failed: err.code ("T2001"), err.position, err.message
 *   if (fg_jsonata_is_undefined(out)) ... the expression produced no value
 *   json_decref(out); fg_jsonata_free(e);
 *
 * A compiled expression is immutable: many threads may evaluate it at once. */
#ifndef FG_JSONATA_H
#define FG_JSONATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_jsonata_expr fg_jsonata_expr;
typedef struct fg_jsonata_env fg_jsonata_env;

typedef struct fg_jsonata_error {
    char code[8];      /* JSONata error code: "S0202", "T2001", "D3030", "U1001"...; "" if none */
    int position;      /* character offset in the expression (0 when unknown) */
    char token[64];    /* the token or function the error is about, if any */
    char message[256]; /* human-readable description */
} fg_jsonata_error;

typedef struct fg_jsonata_limits {
    int max_depth;           /* nested evaluation depth; 0: default 1000 */
    uint64_t timeout_ms;     /* wall-clock budget per evaluation; 0: none */
    size_t max_memory;       /* bytes of working memory per evaluation; 0: default 256 MiB */
    size_t max_range;        /* largest [a..b] range; 0: default 10,000,000 (JSONata's) */
    uint32_t regex_match_limit; /* PCRE2 match limit per regex match; 0: default 1,000,000 */
    bool reject_functions;   /* a function as the result is an error (code "S0601") */
} fg_jsonata_limits;

/* The value fg_jsonata_eval returns when the expression yields no value
 * ("undefined" in JSONata). It is a shared sentinel: json_decref is harmless. */
json_t *fg_jsonata_undefined(void);
bool fg_jsonata_is_undefined(const json_t *v);

fg_jsonata_expr *fg_jsonata_compile(const char *src, size_t len, fg_jsonata_error *err);
void fg_jsonata_free(fg_jsonata_expr *e);

/* Evaluates e against input (NULL: undefined input). Returns a new reference, or
 * fg_jsonata_undefined(), or NULL with err filled. env and lim may be NULL. */
json_t *fg_jsonata_eval(const fg_jsonata_expr *e, const json_t *input, const fg_jsonata_env *env,
                        const fg_jsonata_limits *lim, fg_jsonata_error *err);

/* An extra function callable from expressions as $name. args are borrowed
 * (fg_jsonata_undefined() for a missing value); return a new reference,
 * fg_jsonata_undefined(), or NULL after filling err (code and message). */
typedef json_t *(*fg_jsonata_native_fn)(void *ud, json_t *const *args, size_t nargs,
                                        fg_jsonata_error *err);

/* Variable bindings and extra functions. An env is not modified by evaluation;
 * build it before sharing it between threads. */
fg_jsonata_env *fg_jsonata_env_new(void);
void fg_jsonata_env_free(fg_jsonata_env *env);
/* Binds $name to v (a reference is taken). Returns 0 or FG_ENOMEM. */
int fg_jsonata_env_bind(fg_jsonata_env *env, const char *name, json_t *v);
/* Names not found in env are looked up in parent (which must outlive env):
 * a shared env of functions under a per-evaluation env of variables. */
void fg_jsonata_env_set_parent(fg_jsonata_env *env, const fg_jsonata_env *parent);
/* Registers $name. signature is a JSONata signature such as "<s-n?:s>" or NULL
 * (arguments unchecked). Returns 0, FG_EINVAL (bad signature) or FG_ENOMEM. */
int fg_jsonata_env_add_function(fg_jsonata_env *env, const char *name, const char *signature,
                                fg_jsonata_native_fn fn, void *ud);
/* Adds Step Functions' JSONata functions: $partition, $range, $hash, $random,
 * $randomSeeded, $uuid, $parse. */
int fg_jsonata_env_add_sfn_functions(fg_jsonata_env *env);

/* `flowgate conformance jsonata DIR` (conformance.c). */
int fg_jsonata_cmd_conformance(int argc, char **argv);
/* `flowgate jsonata [--input FILE] EXPR` (cmd_eval.c). */
int fg_jsonata_cmd_eval(int argc, char **argv);

#endif
