/* Private layouts of the JSONata module: tokens, the AST, values, frames and
 * the evaluation context. Errors during evaluation unwind with longjmp to the
 * entry point (jx_throw); all evaluation memory lives in one arena per call. */
#ifndef FG_JSONATA_INT_H
#define FG_JSONATA_INT_H

#include "core/arena.h"
#include "core/error.h"
#include "jsonata/jsonata.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jv jv;
typedef struct jnode jnode;
typedef struct jenv jenv;
typedef struct jctx jctx;
typedef struct jsig jsig;

/* ---- values ------------------------------------------------------------ */

enum jv_kind { JV_NULL = 1, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ, JV_FUNC };
/* array flags */
enum { JVF_SEQ = 1, JVF_KEEP = 2, JVF_CONS = 4, JVF_OUTER = 8, JVF_TUPLE = 16,
       JVF_LAZY = 32 /* array/object from the input whose members are read on first use */ };
/* function kinds */
enum { FN_LAMBDA = 1, FN_BUILTIN, FN_PARTIAL, FN_NATIVE, FN_REGEX, FN_CHAIN, FN_TRANSFORM };

typedef struct jctx jctx;
typedef jv *(*jbuiltin_fn)(jctx *c, jv **args, size_t n, jv *input, jenv *env);

typedef struct jbuiltin {
    const char *name;
    const char *sigsrc;
    jbuiltin_fn fn;
    int arity; /* parameters a higher-order function passes it; -1: from signature */
} jbuiltin;

typedef struct jnative {
    char *name;
    jsig *sig;
    fg_jsonata_native_fn fn;
    void *ud;
} jnative;

typedef struct jregex {
    pcre2_code *code;
    char *src;
} jregex;

typedef struct jfunc {
    int kind;
    int arity;
    const jsig *sig;
    union {
        struct { const jnode *node; jenv *env; jv *input; } lambda;
        const jbuiltin *builtin;
        const jnative *native;
        const jregex *regex;
        struct { jv *target; jv **args; size_t nargs; } partial; /* NULL arg: placeholder */
        struct { jv *f, *g; } chain;
        struct { const jnode *node; jenv *env; } transform;
    } u;
} jfunc;

typedef struct jv_ent {
    const char *k;
    size_t klen;
    jv *v;
} jv_ent;

struct jv {
    uint8_t kind;
    uint8_t flags;
    uint8_t thunk; /* FN_LAMBDA: tail call to unpack */
    union {
        bool b;
        double n;
        struct { const char *s; size_t len; } s;
        struct { jv **items; size_t n, cap; const json_t *src; } a;
        struct { jv_ent *ents; size_t n, cap; const json_t *src; } o;
        jfunc *f;
    } u;
};

/* Numbers are allocated short: only kind, flags, thunk and u.n exist, which
 * halves the memory of large number arrays such as [1..10000000]. */
#define JV_NUM_SIZE (offsetof(jv, u) + sizeof(double))

/* Deepest value nesting copied, compared or serialised (transforms can make cycles). */
#define JX_MAX_NESTING 2000

/* ---- AST ---------------------------------------------------------------- */

enum jn_type {
    N_PATH = 1, N_BINARY, N_NEG, N_ARRAY, N_OBJECT, N_NAME, N_STRING, N_NUMBER, N_VALUE,
    N_WILDCARD, N_DESCENDANT, N_PARENT, N_CONDITION, N_BLOCK, N_BIND, N_REGEX, N_FUNCTION,
    N_PARTIAL, N_VARIABLE, N_LAMBDA, N_APPLY, N_TRANSFORM, N_SORT, N_PLACEHOLDER, N_ELVIS,
    N_COALESCE,
    /* parse-only forms, rewritten by the optimizer */
    N_P_PREDICATE, N_P_GROUP, N_P_SORT, N_P_FOCUS, N_P_INDEX, N_P_DOT, N_P_OPERATOR
};

enum jop {
    OP_NONE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_CONCAT, OP_AND, OP_OR, OP_IN, OP_RANGE
};

typedef struct jslot {
    char label[16];
    int level;
    int index;
} jslot;

typedef struct jstage {
    int is_index;
    const jnode *expr;    /* filter */
    const char *label; /* index */
} jstage;

typedef struct jnlist {
    jnode **v;
    size_t n, cap;
} jnlist;

typedef struct jslotlist {
    jslot **v;
    size_t n, cap;
} jslotlist;

struct jnode {
    uint8_t type;
    uint8_t op;
    bool keep_array, keep_singleton, consarray, tuple, thunk, has_else, descending;
    int pos;
    double num;         /* N_NUMBER; N_VALUE: 0 null 1 true 2 false */
    const char *str;    /* name, string, variable, operator text */
    size_t slen;
    jnode *lhs, *rhs, *third; /* binary; condition (cond, then, else); transform (pattern, update, delete) */
    jnlist items;       /* path steps, array/block expressions, call args, lambda params,
                           object pairs (key, value, key, value...), sort terms */
    jnode *procedure;      /* call / partial */
    jnode *body;           /* lambda */
    jsig *sig;          /* lambda signature */
    jregex *regex;
    jnlist preds;       /* filters applied after evaluation */
    jstage *stages;     /* filters/index bindings applied inside a path step */
    size_t nstages, capstages;
    jnlist group;       /* group-by pairs (key, value...) */
    int group_pos;
    bool has_group;
    const char *focus;  /* @$v */
    const char *index;  /* #$i */
    jslot *ancestor;
    jslot *slot;        /* N_PARENT */
    jslotlist seeking;
    bool has_seeking;
};

/* ---- signatures ---------------------------------------------------------- */

/* On failure *err_offset is the offset of the problem, or -1 - offset for S0402. */
jsig *jx_sig_parse(const char *src, size_t len, int *err_offset);
void jx_sig_free(jsig *s);
int jx_sig_arity(const jsig *s);
/* Validates args against the signature, substituting the context for missing
 * "-" parameters. Throws T0410/T0411/T0412. Returns the validated argument count
 * and stores the arguments in *out (arena). */
size_t jx_sig_validate(jctx *c, const jsig *s, jv **args, size_t n, jv *context, jv ***out);

/* ---- environment --------------------------------------------------------- */

struct jenv {
    jenv *parent;
    const char **names;
    jv **vals;
    size_t n, cap;
};

jenv *jx_env_new(jctx *c, jenv *parent);
void jx_env_bind(jctx *c, jenv *e, const char *name, jv *v);
/* Returns true when found (*out may be undefined, i.e. NULL). */
bool jx_env_lookup(jctx *c, const jenv *e, const char *name, jv **out);

/* ---- evaluation context -------------------------------------------------- */

struct fg_jsonata_env {
    const fg_jsonata_env *parent;
    char **names;
    json_t **vals;
    size_t n, cap;
    jnative **natives;
    size_t nnat, capnat;
};

struct fg_jsonata_expr {
    jnode *root;
    fg_arena *arena; /* AST memory */
    char *src;
    size_t len;
};

struct jctx {
    fg_arena *arena;
    jmp_buf *jb;
    fg_jsonata_error *err;
    int depth, max_depth;
    uint64_t deadline_ns;
    uint64_t timeout_ns;  /* the time budget; 0: none */
    unsigned tick;
    size_t max_range;
    uint32_t match_limit;
    const fg_jsonata_env *uenv;
    bool reject_functions;
    const jnode *cur; /* node being evaluated, for error positions */
    jv *root_input;
    int64_t now_ms;
    pcre2_match_data *md;
    jv *thunk; /* the one tail-call thunk: consumed by jx_apply before another is made */
};

int64_t jx_now_ms(jctx *c);
_Noreturn void jx_throw(jctx *c, const char *code, int pos, const char *token, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Throws with the position of the node being evaluated. */
_Noreturn void jx_fail(jctx *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *jx_alloc(jctx *c, size_t n);

/* The evaluation running on this thread (lazy input values allocate from it). */
extern _Thread_local jctx *jx_tls_ctx;

/* ---- values (value.c) ---------------------------------------------------- */

extern jv jx_null, jx_true, jx_false;
jv *jx_num(jctx *c, double d);
jv *jx_bool(bool b);
jv *jx_str(jctx *c, const char *s, size_t len); /* copies */
jv *jx_str_nocopy(jctx *c, const char *s, size_t len);
jv *jx_arr(jctx *c, size_t cap);
jv *jx_seq(jctx *c);
void jx_push(jctx *c, jv *a, jv *v);
jv *jx_obj(jctx *c, size_t cap);
jv *jx_get(const jv *o, const char *k, size_t klen);
void jx_set(jctx *c, jv *o, const char *k, size_t klen, jv *v);
void jx_del(jv *o, const char *k, size_t klen);
jv *jx_func(jctx *c, int kind);
jv *jx_from_json(jctx *c, const json_t *j);
/* Converts to jansson; functions become "" like JSON.stringify drops them. */
json_t *jx_to_json(const jv *v);
bool jx_is_seq(const jv *v);
/* Reads the members of a lazy input array or object (JVF_LAZY) into v. */
void jx_force(const jv *v);
static inline void jx_ready(const jv *v)
{
    if (v && (v->flags & JVF_LAZY))
        jx_force(v);
}
static inline bool jx_is_arr(const jv *v)
{
    if (!v || v->kind != JV_ARR)
        return false;
    jx_ready(v);
    return true;
}
static inline bool jx_is_num(const jv *v) { return v && v->kind == JV_NUM; }
static inline bool jx_is_str(const jv *v) { return v && v->kind == JV_STR; }
static inline bool jx_is_obj(const jv *v)
{
    if (!v || v->kind != JV_OBJ)
        return false;
    jx_ready(v);
    return true;
}
static inline bool jx_is_func(const jv *v) { return v && v->kind == JV_FUNC; }
bool jx_deep_equal(const jv *a, const jv *b);
/* JavaScript's === for `in`. */
bool jx_strict_equal(const jv *a, const jv *b);
jv *jx_append(jctx *c, jv *a, jv *b);
jv *jx_flatten(jctx *c, jv *arg, jv *into);
jv *jx_deep_copy(jctx *c, const jv *v);
bool jx_truthy(jctx *c, const jv *v); /* $boolean; undefined -> false */
/* Number formatting as JavaScript's Number.prototype.toString. */
void jx_fmt_num(double d, char *out, size_t n);
/* $string: JSON with numbers to 15 significant digits; strings as is. */
jv *jx_stringify(jctx *c, jv *v, bool pretty);
const char *jx_type_name(const jv *v);
size_t jx_utf8_len(const char *s, size_t n);
/* Byte offset of the code point index i (clamped). */
size_t jx_utf8_offset(const char *s, size_t n, size_t i);

/* ---- parser and evaluator ----------------------------------------------- */

jnode *jx_parse(fg_arena *a, const char *src, size_t len, fg_jsonata_error *err);
jv *jx_eval(jctx *c, const jnode *e, jv *input, jenv *env);
jv *jx_apply(jctx *c, jv *proc, jv **args, size_t n, jv *input, jenv *env);
/* Calls f for a higher-order function with up to three arguments, as many as f takes. */
jv *jx_call_hof(jctx *c, jv *f, jv *a1, jv *a2, jv *a3, jenv *env);
int jx_func_arity(const jv *f);
jv *jx_eval_path(jctx *c, const jnode *e, jv *input, jenv *env);
jv *jx_eval_filter(jctx *c, const jnode *pred, jv *input, jenv *env);
jv *jx_eval_group(jctx *c, const jnlist *pairs, jv *input, jenv *env);
jv *jx_eval_sort(jctx *c, const jnode *e, jv *input, jenv *env);
jv *jx_lookup_field(jctx *c, jv *input, const char *k, size_t klen);
/* Sorts items in place (stable) with "a after b" as the comparator. */
typedef bool (*jx_after_fn)(jctx *c, jv *a, jv *b, void *ud);
void jx_merge_sort(jctx *c, jv **items, size_t n, jx_after_fn after, void *ud);
jenv *jx_tuple_frame(jctx *c, jenv *parent, jv *tuple);
void jx_check_limits(jctx *c);

/* ---- functions ----------------------------------------------------------- */

const jbuiltin *jx_builtin_find(const char *name);
const jsig *jx_builtin_sig(const jbuiltin *b);
jv *jx_builtin_value(jctx *c, const jbuiltin *b);
jregex *jx_regex_compile(fg_arena *a, const char *pat, size_t len, const char *flags, char *errmsg,
                         size_t errlen);
/* Matches re against s from byte offset `from`; returns match object or NULL. */
jv *jx_regex_exec(jctx *c, const jregex *re, jv *str, size_t from, size_t *mstart, size_t *mend);
jv *jx_call_regex(jctx *c, const jregex *re, jv *str);

/* $formatNumber, $formatInteger, $parseInteger, dates (format.c, datetime.c) */
jv *jx_fn_format_number(jctx *c, jv **a, size_t n, jv *in, jenv *env);
jv *jx_fn_format_integer(jctx *c, jv **a, size_t n, jv *in, jenv *env);
jv *jx_fn_parse_integer(jctx *c, jv **a, size_t n, jv *in, jenv *env);
jv *jx_fn_from_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env);
jv *jx_fn_to_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env);
jv *jx_fn_now(jctx *c, jv **a, size_t n, jv *in, jenv *env);
jv *jx_fn_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env);
/* Reads an integer written with an XPath picture (words, roman, letters, digits). */
double jx_parse_integer_text(jctx *c, const char *s, size_t n, const char *pic, size_t plen);
/* Formats an integer with an XPath picture ("0001", "w", "I", "a", "#,##0"...). */
void jx_format_integer(jctx *c, double value, const char *pic, size_t plen, char **out, size_t *olen);

#endif
