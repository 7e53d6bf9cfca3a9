/* Private layouts of the flow module: the compiled definition model, JSONPath,
 * intrinsic functions, payload templates, Choice rules and execution frames. */
#ifndef FG_FLOW_FLOW_INT_H
#define FG_FLOW_FLOW_INT_H

#include "core/arena.h"
#include "core/buf.h"
#include "flow/flow.h"

/* ---- JSONPath (Jayway-compatible) --------------------------------------- */

typedef struct fg__jp fg__jp;

/* Compiles text ("$.a[0]", "$$.Execution.Id"); NULL with a message in eb. */
fg__jp *fg__jp_compile(const char *text, fg_errbuf *eb);
void fg__jp_free(fg__jp *p);
const char *fg__jp_text(const fg__jp *p);
bool fg__jp_is_context(const fg__jp *p);   /* starts with $$ */
bool fg__jp_is_definite(const fg__jp *p);  /* selects at most one value */
bool fg__jp_is_reference(const fg__jp *p); /* names and indexes only, from $ */
const char *fg__jp_var(const fg__jp *p);   /* "name" for "$name.x" (a variable), else NULL */
/* Evaluates against doc: a new reference, or NULL when a definite path has no
 * match (FG_ENOTFOUND) or the result set is too large (FG_ELIMIT). An indefinite
 * path yields an array of the matches. root is what $ means inside filters. */
json_t *fg__jp_eval(const fg__jp *p, json_t *doc, size_t max_results, int *err);
/* Sets the value at a reference path inside *doc (replacing *doc for "$").
 * Creates missing objects. Steals val. Returns 0 or FG_EINVAL when the path
 * crosses a value that is not an object. */
int fg__jp_set(const fg__jp *p, json_t **doc, json_t *val);

/* ---- Values: JSONPath, context paths, intrinsic calls ------------------- */

typedef struct fg__fn fg__fn;

typedef enum fg__expr_kind { FG__EXPR_PATH, FG__EXPR_FN } fg__expr_kind;

/* Where expressions are evaluated: the state's input, the context object and
 * the workflow variables; in JSONata states also $states.result and
 * $states.errorOutput. */
typedef struct fg__eval_ctx {
    json_t *input;
    json_t *context;
    size_t max_results;
    fg_errbuf *eb;   /* message of the failure (the cause) */
    const char *error; /* the error name of the failure */
    void (*sync_context)(void *ud); /* brings cx->context up to date before a $$ read */
    void *sync_ud;
    json_t *vars;          /* object of the variables the state sees; NULL: none */
    json_t *result;        /* $states.result (JSONata); NULL: absent */
    json_t *error_output;  /* $states.errorOutput in a Catch (JSONata); NULL: absent */
    const char *location;  /* set on failure: the JSONata field ("Output/x") that failed */
} fg__eval_ctx;

/* The context document, brought up to date (State.Name etc. are filled lazily). */
json_t *fg__context(fg__eval_ctx *cx);
/* The document a path reads: the context, a variable (NULL when unassigned) or the input. */
json_t *fg__path_doc(const fg__jp *p, fg__eval_ctx *cx);

/* An intrinsic call such as States.Format('{}', $.x). */
fg__fn *fg__fn_compile(const char *text, fg_errbuf *eb);
void fg__fn_free(fg__fn *f);
json_t *fg__fn_eval(const fg__fn *f, fg__eval_ctx *cx);
bool fg__fn_looks_like_call(const char *text);

/* ---- Payload templates (Parameters, ResultSelector, ItemSelector) ------- */

typedef struct fg__tmpl fg__tmpl;
/* Compiles a payload template; problems go through report(ud, pointer_suffix, msg). */
typedef void (*fg__report_fn)(void *ud, const char *pointer, const char *msg);
fg__tmpl *fg__tmpl_compile(const json_t *v, const char *pointer, fg__report_fn report, void *ud);
void fg__tmpl_free(fg__tmpl *t);
/* NULL on failure, with cx->error / cx->eb set. */
json_t *fg__tmpl_eval(const fg__tmpl *t, fg__eval_ctx *cx);
/* Evaluates one path (context path when it starts with $$). */
json_t *fg__path_eval(const fg__jp *p, fg__eval_ctx *cx);

/* ---- JSONata fields (jsonata_field.c) ---------------------------------- */

/* A field value of a JSONata state: "{% expr %}" strings anywhere inside it are
 * JSONata expressions; the rest is literal. field names it in causes
 * ("Output", "Assign/x"); syntax errors go to report with the position. */
typedef struct fg__jx fg__jx;
fg__jx *fg__jx_compile(const json_t *v, const char *pointer, const char *field,
                       fg__report_fn report, void *ud);
void fg__jx_free(fg__jx *x);
/* A new reference, or NULL with cx->error "States.QueryEvaluationError" and the
 * cause AWS gives (undefined result, function result, evaluation error). */
json_t *fg__jx_eval(const fg__jx *x, fg__eval_ctx *cx);
/* The same, failing unless the value has the JSON type want ("array", "boolean",
 * "string", "number", "object", "null") with AWS's "unexpected result type" cause. */
json_t *fg__jx_eval_as(const fg__jx *x, fg__eval_ctx *cx, const char *want);
bool fg__jx_is_expr_text(const char *s, size_t len);
bool fg__jx_is_literal(const fg__jx *x);
const json_t *fg__jx_literal(const fg__jx *x);   /* NULL unless literal */
const char *fg__jx_source(const fg__jx *x);      /* the expression when the field is one */
const char *fg__jx_field(const fg__jx *x);

/* ---- Variables (assign.c) ------------------------------------------------- */

#define FG__VAR_MAX_BYTES (256 * 1024)          /* one variable, and one Assign field */
#define FG__VARS_MAX_BYTES (10 * 1024 * 1024)   /* all the variables of a scope */

typedef struct fg__assign fg__assign;
bool fg__var_name_ok(const char *name, size_t len);
fg__assign *fg__assign_compile(const json_t *v, const char *pointer, bool jsonata,
                               fg__report_fn report, void *ud);
void fg__assign_free(fg__assign *a);
/* The assignments as an object of name -> value; NULL with cx->error set. */
json_t *fg__assign_eval(const fg__assign *a, fg__eval_ctx *cx);
#define FG__VARS_SIZE_UNKNOWN ((size_t)-1)
/* A new variables object: vars (may be NULL) with assigned applied; NULL over the
 * limit. *bytes is the size of vars (FG__VARS_SIZE_UNKNOWN: measure it) and becomes
 * the size of the result. */
json_t *fg__vars_apply(json_t *vars, const json_t *assigned, size_t *bytes, fg_errbuf *eb);

/* ---- Choice rules -------------------------------------------------------- */

typedef struct fg__rule fg__rule;
fg__rule *fg__rule_compile(const json_t *v, const char *pointer, bool top, fg__report_fn report,
                           void *ud);
void fg__rule_free(fg__rule *r);
/* 1 match, 0 no match, -1 failure (cx->error set). */
int fg__rule_eval(const fg__rule *r, fg__eval_ctx *cx);
/* Parses an RFC 3339 timestamp as AWS accepts it; false if invalid. */
bool fg__timestamp_parse(const char *s, int64_t *ms_out, int *frac_digits);

/* ---- The compiled definition -------------------------------------------- */

typedef enum fg__stype {
    FG__PASS, FG__TASK, FG__CHOICE, FG__WAIT, FG__SUCCEED, FG__FAIL, FG__PARALLEL, FG__MAP
} fg__stype;

typedef struct fg__sm fg__sm;

typedef struct fg__retrier {
    json_t *errors;          /* array of names */
    double interval;         /* seconds */
    int max_attempts;
    double backoff;
    double max_delay;        /* 0: none */
    bool jitter_full;
} fg__retrier;

typedef struct fg__catcher {
    json_t *errors;
    fg__jp *result_path;     /* NULL with result_path_null: discard */
    bool result_path_null;
    int next;
    fg__assign *assign;
    fg__jx *output;          /* JSONata */
} fg__catcher;

/* A number field that may come from a path (TimeoutSecondsPath...) or, in a
 * JSONata state, from an expression ("TimeoutSeconds": "{% ... %}"). */
typedef struct fg__numfield {
    bool set;
    double value;
    fg__jp *path;
    fg__jx *jx;
} fg__numfield;

typedef struct fg__state {
    char *name;
    fg__stype type;
    int next;                /* -1 when End */
    bool end;
    bool jsonata;            /* QueryLanguage JSONata */
    fg__assign *assign;
    fg__jx *output;          /* JSONata: Output */
    fg__jx *arguments;       /* JSONata: Arguments (Task, Parallel) */
    fg__jp *input_path;      bool input_path_null;
    fg__jp *output_path;     bool output_path_null;
    fg__jp *result_path;     bool result_path_null;
    fg__tmpl *parameters;
    fg__tmpl *result_selector;
    json_t *result;
    fg__retrier *retry; int nretry;
    fg__catcher *catch_; int ncatch;
    /* Task */
    char *resource; char *resource_base; fg_flow_pattern pattern;
    fg_flow_task_fn handler; void *handler_ud;
    fg__numfield timeout, heartbeat;
    /* Choice (JSONata rules have a condition and may have an output) */
    fg__rule **choices; int *choice_next; int nchoices; int dflt;
    fg__jx **conditions; fg__assign **choice_assign; fg__jx **choice_output;
    /* Wait */
    fg__numfield seconds; char *timestamp; fg__jp *timestamp_path; fg__jx *timestamp_jx;
    /* Fail */
    char *error, *cause; fg__jp *error_path, *cause_path; fg__fn *error_fn, *cause_fn;
    fg__jx *error_jx, *cause_jx;
    /* Parallel / Map */
    fg__sm **branches; int nbranches;
    fg__jp *items_path;
    fg__jx *items;           /* JSONata: Items */
    fg__tmpl *item_selector;
    fg__jx *item_selector_jx;
    fg__numfield max_concurrency, tolerated_count, tolerated_pct;
    fg__numfield batch_max_items, batch_max_bytes;
    fg__tmpl *batch_input;
    fg__jx *batch_input_jx;  /* JSONata: ItemBatcher.BatchInput */
    bool has_batcher;
    bool distributed;        /* Map in DISTRIBUTED mode: iterations do not see outer variables */
} fg__state;

struct fg__sm {
    fg__state *states;
    int nstates;
    int start;
};

struct fg_flow_machine {
    fg__sm *root;
    json_t *def;
    long timeout_seconds;   /* execution TimeoutSeconds, 0: none */
};

/* The definition parser: builds the model and reports every problem. */
fg__sm *fg__sm_build(const json_t *def, const fg_flow_registry *reg, json_t *problems);
void fg__sm_free(fg__sm *sm);
/* Finds the handler for a resource; false when nothing matches. */
bool fg__registry_lookup(const fg_flow_registry *r, const char *resource_base,
                         fg_flow_task_fn *fn, void **ud);
/* Splits the .sync / .waitForTaskToken suffix off a resource. */
fg_flow_pattern fg__resource_split(const char *resource, char **base);

/* Error names and matching. */
bool fg__error_matches(const json_t *names, const char *error);
json_t *fg__error_output(const char *error, const char *cause);

/* JSON helpers. */
size_t fg__json_size(const json_t *v);
bool fg__json_size_over(const json_t *v, size_t limit);
char *fg__json_text(const json_t *v);   /* compact, AWS-like separators */
size_t fg__itoa(json_int_t v, char out[24]);

#endif
