/* The definition parser and validator: checks every state and field with
 * AWS's constraints, reports all problems at once (state name + JSON pointer)
 * and builds the compiled model the interpreter runs. */
#include "flow/flow_int.h"

#include "core/json.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 80

typedef struct pctx {
    json_t *problems;
    const char *state;
    const fg_flow_registry *reg;
    json_t *all_names;   /* every state name in the definition (unique) */
    bool jsonata_top;
    bool jsonata;        /* the state being parsed uses JSONata */
} pctx;

static void problem(pctx *c, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(pctx *c, const char *ptr, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *p = json_object();
    json_object_set_new(p, "state", c->state ? json_string(c->state) : json_null());
    json_object_set_new(p, "pointer", json_string(ptr && *ptr ? ptr : "/"));
    json_object_set_new(p, "message", json_string(msg));
    /* the diagnostic codes ValidateStateMachineDefinition reports */
    json_object_set_new(p, "code", json_string(!strncmp(msg, "Missing 'Next' target", 21)
                                                   ? "MISSING_TRANSITION_TARGET"
                                                   : "SCHEMA_VALIDATION_FAILED"));
    json_array_append_new(c->problems, p);
}

static void report_cb(void *ud, const char *ptr, const char *msg)
{
    problem(ud, ptr, "%s", msg);
}

static void ptr_join(char *out, size_t n, const char *base, const char *tok)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, base);
    fg_json_pointer_append(&b, tok);
    snprintf(out, n, "%s", b.data);
    fg_buf_free(&b);
}

/* ---- field tables --------------------------------------------------------- */

static const char *common_fields[] = {"Type", "Comment", "QueryLanguage", NULL};
static const char *io_fields[] = {"InputPath", "OutputPath", NULL};
/* Fields only a JSONPath state may have (besides every "...Path" field). */
static const char *jsonpath_only[] = {"InputPath", "OutputPath", "Parameters", "ResultPath",
                                      "ResultSelector", "ItemsPath", "Result", NULL};
/* Fields only a JSONata state may have. */
static const char *jsonata_only[] = {"Output", "Arguments", "Items", NULL};

static const char *type_fields(fg__stype t)
{
    switch (t) {
    case FG__PASS: return "Next End ResultPath Parameters Result";
    case FG__TASK: return "Next End ResultPath Parameters ResultSelector Retry Catch Resource "
                          "TimeoutSeconds TimeoutSecondsPath HeartbeatSeconds HeartbeatSecondsPath "
                          "Credentials";
    case FG__CHOICE: return "Choices Default";
    case FG__WAIT: return "Next End Seconds SecondsPath Timestamp TimestampPath";
    case FG__SUCCEED: return "";
    case FG__FAIL: return "Error ErrorPath Cause CausePath";
    case FG__PARALLEL: return "Next End ResultPath Parameters ResultSelector Retry Catch Branches";
    case FG__MAP: return "Next End ResultPath Parameters ResultSelector Retry Catch Iterator "
                         "ItemProcessor ItemsPath ItemSelector MaxConcurrency MaxConcurrencyPath "
                         "ToleratedFailureCount ToleratedFailureCountPath "
                         "ToleratedFailurePercentage ToleratedFailurePercentagePath ItemBatcher "
                         "ItemReader ResultWriter Label";
    }
    return "";
}

static bool in_list(const char **l, const char *k)
{
    for (; *l; l++)
        if (!strcmp(*l, k))
            return true;
    return false;
}

static bool in_words(const char *words, const char *k)
{
    size_t n = strlen(k);
    if (n == 0)
        return false;
    for (const char *p = words; (p = strstr(p, k)) != NULL; p += n)
        if ((p == words || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
            return true;
    return false;
}

static bool stype_from(const char *s, fg__stype *t)
{
    static const char *names[] = {"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"};
    for (int i = 0; i < 8; i++)
        if (s && !strcmp(s, names[i])) {
            *t = (fg__stype)i;
            return true;
        }
    return false;
}

static bool is_path_field(const char *k)
{
    size_t n = strlen(k);
    return n > 4 && !strcmp(k + n - 4, "Path");
}

/* Whether a state of type t may have the JSONata field k. */
static bool jsonata_field_ok(fg__stype t, const char *k)
{
    if (!strcmp(k, "Output"))
        return t != FG__FAIL;
    if (!strcmp(k, "Arguments"))
        return t == FG__TASK || t == FG__PARALLEL;
    if (!strcmp(k, "Items"))
        return t == FG__MAP;
    return false;
}

static void check_fields(pctx *c, const json_t *st, fg__stype t, bool jsonata, const char *ptr)
{
    const char *k;
    json_t *v;
    const char *type = json_string_value(json_object_get(st, "Type"));
    json_object_foreach((json_t *)st, k, v) {
        if (jsonata && (in_list(jsonpath_only, k) || is_path_field(k))) {
            problem(c, ptr, "The field '%s' is not supported for the JSONata query language: "
                            "a JSONata state uses Arguments, Output, Items and {%% %%} "
                            "expressions instead", k);
            continue;
        }
        if (!jsonata && in_list(jsonata_only, k)) {
            problem(c, ptr, "The field '%s' is only supported for the JSONata query language: "
                            "set \"QueryLanguage\": \"JSONata\" on the state or the state "
                            "machine", k);
            continue;
        }
        bool ok = in_list(common_fields, k) || in_words(type_fields(t), k);
        if (t != FG__FAIL)
            ok = ok || (!jsonata && in_list(io_fields, k));
        if (jsonata && jsonata_field_ok(t, k))
            ok = true;
        if (!strcmp(k, "Assign") && t != FG__FAIL && t != FG__SUCCEED)
            ok = true;
        if (!ok)
            problem(c, ptr, "Field '%s' is not supported by a %s state%s", k, type,
                    jsonata ? " using JSONata" : "");
    }
}

/* A field of a JSONata state; NULL when absent. */
static fg__jx *get_jx(pctx *c, const json_t *st, const char *field, const char *ptr)
{
    const json_t *v = json_object_get(st, field);
    if (!v)
        return NULL;
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, field);
    return fg__jx_compile(v, sub, field, report_cb, c);
}

static bool is_jx_string(const json_t *v)
{
    return json_is_string(v) && fg__jx_is_expr_text(json_string_value(v), json_string_length(v));
}

static fg__assign *get_assign(pctx *c, const json_t *st, const char *ptr, bool jsonata)
{
    const json_t *v = json_object_get(st, "Assign");
    if (!v)
        return NULL;
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, "Assign");
    return fg__assign_compile(v, sub, jsonata, report_cb, c);
}

/* ---- small field readers ------------------------------------------------ */

static fg__jp *get_path(pctx *c, const json_t *st, const char *field, const char *ptr,
                        bool reference, bool *is_null)
{
    const json_t *v = json_object_get(st, field);
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, field);
    if (is_null)
        *is_null = v && json_is_null(v);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        problem(c, sub, "The field '%s' must be a string (a JSONPath) or null", field);
        return NULL;
    }
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__jp *p = fg__jp_compile(json_string_value(v), &eb);
    if (!p) {
        problem(c, sub, "The value for the field '%s' must be a valid JSONPath: %s", field, eb.msg);
        return NULL;
    }
    if (reference && (!fg__jp_is_reference(p) || fg__jp_is_context(p))) {
        problem(c, sub, "The value for the field '%s' must be a valid Reference Path", field);
        fg__jp_free(p);
        return NULL;
    }
    return p;
}

static bool is_integer(const json_t *v)
{
    return json_is_integer(v) || (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)));
}

/* A number field with an optional *Path sibling; min/max bound the literal. */
static void get_num(pctx *c, const json_t *st, const char *field, const char *ptr, double min,
                    double max, bool integer, fg__numfield *out)
{
    char pathname[64], sub[600];
    snprintf(pathname, sizeof pathname, "%sPath", field);
    const json_t *v = json_object_get(st, field);
    const json_t *pv = json_object_get(st, pathname);
    ptr_join(sub, sizeof sub, ptr, field);
    if (v && pv)
        problem(c, ptr, "Only one of '%s' and '%s' may be given", field, pathname);
    if (v && c->jsonata && is_jx_string(v)) {
        out->jx = fg__jx_compile(v, sub, field, report_cb, c);
        return;
    }
    if (v) {
        if (!json_is_number(v) || (integer && !is_integer(v))) {
            problem(c, sub, "The field '%s' must be %s", field, integer ? "an integer" : "a number");
        } else if (json_number_value(v) < min || json_number_value(v) > max) {
            problem(c, sub, "The field '%s' must be between %g and %g", field, min, max);
        } else {
            out->set = true;
            out->value = json_number_value(v);
        }
    }
    if (pv)
        out->path = get_path(c, st, pathname, ptr, false, NULL);
}

static char *get_str(pctx *c, const json_t *st, const char *field, const char *ptr, bool required)
{
    const json_t *v = json_object_get(st, field);
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, field);
    if (!v) {
        if (required)
            problem(c, ptr, "These fields are required: [%s]", field);
        return NULL;
    }
    if (!json_is_string(v)) {
        problem(c, sub, "The field '%s' must be a string", field);
        return NULL;
    }
    return strdup(json_string_value(v));
}

static fg__tmpl *get_tmpl(pctx *c, const json_t *st, const char *field, const char *ptr)
{
    const json_t *v = json_object_get(st, field);
    if (!v)
        return NULL;
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, field);
    if (!json_is_object(v) && strcmp(field, "Parameters") != 0) {
        problem(c, sub, "The field '%s' must be an object", field);
        return NULL;
    }
    return fg__tmpl_compile(v, sub, report_cb, c);
}

/* ---- Retry / Catch -------------------------------------------------------- */

static bool check_errors(pctx *c, const json_t *e, const char *ptr, bool last)
{
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, "ErrorEquals");
    if (!json_is_array(e) || json_array_size(e) == 0) {
        problem(c, ptr, "ErrorEquals is required and must be a non-empty array of strings");
        return false;
    }
    for (size_t i = 0; i < json_array_size(e); i++) {
        const json_t *x = json_array_get(e, i);
        if (!json_is_string(x)) {
            problem(c, sub, "ErrorEquals must hold strings");
            return false;
        }
        if (!strcmp(json_string_value(x), "States.ALL") && (json_array_size(e) != 1 || !last))
            problem(c, sub, "States.ALL must appear alone, in the last retrier or catcher");
    }
    return true;
}

static void parse_retry(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    const json_t *r = json_object_get(st, "Retry");
    if (!r)
        return;
    char base[600], sub[700];
    ptr_join(base, sizeof base, ptr, "Retry");
    if (!json_is_array(r)) {
        problem(c, base, "Retry must be an array");
        return;
    }
    s->retry = calloc(json_array_size(r) + 1, sizeof(fg__retrier));
    bool jsonata = c->jsonata;
    c->jsonata = false; /* retrier fields are numbers in both query languages */
    for (size_t i = 0; i < json_array_size(r); i++) {
        const json_t *x = json_array_get(r, i);
        snprintf(sub, sizeof sub, "%s/%zu", base, i);
        if (!json_is_object(x)) {
            problem(c, sub, "A retrier must be an object");
            continue;
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)x, k, v) {
            if (!in_words("ErrorEquals IntervalSeconds MaxAttempts BackoffRate MaxDelaySeconds "
                          "JitterStrategy Comment", k))
                problem(c, sub, "Field '%s' is not supported in a retrier", k);
        }
        fg__retrier *rt = &s->retry[s->nretry++];
        check_errors(c, json_object_get(x, "ErrorEquals"), sub, i + 1 == json_array_size(r));
        rt->errors = json_incref(json_object_get(x, "ErrorEquals"));
        fg__numfield f = {0};
        rt->interval = 1;
        get_num(c, x, "IntervalSeconds", sub, 1, 99999999, true, &f);
        if (f.set) rt->interval = f.value;
        f.set = false;
        rt->max_attempts = 3;
        get_num(c, x, "MaxAttempts", sub, 0, 99999999, true, &f);
        if (f.set) rt->max_attempts = (int)f.value;
        f.set = false;
        rt->backoff = 2;
        get_num(c, x, "BackoffRate", sub, 1, 1e9, false, &f);
        if (f.set) rt->backoff = f.value;
        f.set = false;
        get_num(c, x, "MaxDelaySeconds", sub, 1, 31622400, true, &f);
        if (f.set) rt->max_delay = f.value;
        const json_t *j = json_object_get(x, "JitterStrategy");
        if (j && !(json_is_string(j) && (!strcmp(json_string_value(j), "FULL") ||
                                         !strcmp(json_string_value(j), "NONE"))))
            problem(c, sub, "JitterStrategy must be FULL or NONE");
        rt->jitter_full = j && json_is_string(j) && !strcmp(json_string_value(j), "FULL");
    }
    c->jsonata = jsonata;
}

static void parse_catch(pctx *c, const json_t *st, fg__state *s, const char *ptr, json_t *nexts)
{
    const json_t *r = json_object_get(st, "Catch");
    if (!r)
        return;
    char base[600], sub[700];
    ptr_join(base, sizeof base, ptr, "Catch");
    if (!json_is_array(r)) {
        problem(c, base, "Catch must be an array");
        return;
    }
    s->catch_ = calloc(json_array_size(r) + 1, sizeof(fg__catcher));
    for (size_t i = 0; i < json_array_size(r); i++) {
        const json_t *x = json_array_get(r, i);
        snprintf(sub, sizeof sub, "%s/%zu", base, i);
        if (!json_is_object(x)) {
            problem(c, sub, "A catcher must be an object");
            continue;
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)x, k, v) {
            if (!in_words("ErrorEquals Next ResultPath Comment Assign Output", k))
                problem(c, sub, "Field '%s' is not supported in a catcher", k);
            else if (s->jsonata && !strcmp(k, "ResultPath"))
                problem(c, sub, "The field 'ResultPath' is not supported for the JSONata query "
                                "language: a JSONata catcher uses Output");
            else if (!s->jsonata && !strcmp(k, "Output"))
                problem(c, sub, "The field 'Output' is only supported for the JSONata query "
                                "language");
        }
        fg__catcher *ct = &s->catch_[s->ncatch++];
        ct->next = -1;
        check_errors(c, json_object_get(x, "ErrorEquals"), sub, i + 1 == json_array_size(r));
        ct->errors = json_incref(json_object_get(x, "ErrorEquals"));
        if (!s->jsonata)
            ct->result_path = get_path(c, x, "ResultPath", sub, true, &ct->result_path_null);
        else
            ct->output = get_jx(c, x, "Output", sub);
        ct->assign = get_assign(c, x, sub, s->jsonata);
        const json_t *n = json_object_get(x, "Next");
        if (!json_is_string(n)) {
            problem(c, sub, "These fields are required: [Next]");
        } else {
            json_t *ref = json_pack("{s:s,s:s,s:i,s:i}", "target", json_string_value(n), "ptr",
                                    sub, "catch", (int)(s->ncatch - 1), "state", 0);
            json_array_append_new(nexts, ref);
        }
    }
}

/* ---- states ----------------------------------------------------------------- */

static fg__sm *build_sm(pctx *c, const json_t *def, const char *ptr, bool jsonata);

static bool lambda_arn_ok(const char *res)
{
    const char *fn = strstr(res, ":function:");
    if (strncmp(res, "arn:aws:lambda:", 15) != 0 || !fn)
        return true;
    const char *name = fn + 10, *colon = strchr(name, ':');
    if (!colon)
        return *name != 0;
    if (colon == name || !colon[1])
        return false;
    if (!strcmp(colon + 1, "$LATEST"))
        return true;
    for (const char *p = colon + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
            return false;
    return true;
}

static bool substitutions_ok(const char *res)
{
    for (const char *p = strstr(res, "${"); p; p = strstr(p + 2, "${"))
        if (!strchr(p, '}'))
            return false;
    return true;
}

static void parse_credentials(pctx *c, const json_t *st, const char *ptr)
{
    const json_t *cr = json_object_get(st, "Credentials");
    if (!cr)
        return;
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, "Credentials");
    if (!json_is_object(cr)) {
        problem(c, sub, "The field 'Credentials' must be an object");
        return;
    }
    fg__tmpl_free(fg__tmpl_compile(cr, sub, report_cb, c));
}

static void parse_task(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    parse_credentials(c, st, ptr);
    s->resource = get_str(c, st, "Resource", ptr, true);
    if (!s->resource)
        return;
    if (!lambda_arn_ok(s->resource) || !substitutions_ok(s->resource)) {
        char sub[600];
        ptr_join(sub, sizeof sub, ptr, "Resource");
        problem(c, sub, "The resource '%s' is not a valid ARN", s->resource);
    }
    s->pattern = fg__resource_split(s->resource, &s->resource_base);
    if (c->reg && !fg__registry_lookup(c->reg, s->resource_base, &s->handler, &s->handler_ud)) {
        char sub[600];
        ptr_join(sub, sizeof sub, ptr, "Resource");
        problem(c, sub, "No task integration handles the resource '%s'", s->resource);
    }
    get_num(c, st, "TimeoutSeconds", ptr, 1, 99999999, true, &s->timeout);
    get_num(c, st, "HeartbeatSeconds", ptr, 1, 99999999, true, &s->heartbeat);
    if (s->timeout.set && s->heartbeat.set && s->heartbeat.value >= s->timeout.value)
        problem(c, ptr, "HeartbeatSeconds must be smaller than TimeoutSeconds");
}

static void parse_wait(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    int n = !!json_object_get(st, "Seconds") + !!json_object_get(st, "SecondsPath") +
            !!json_object_get(st, "Timestamp") + !!json_object_get(st, "TimestampPath");
    if (n != 1)
        problem(c, ptr, s->jsonata ? "A Wait state needs exactly one of Seconds, Timestamp"
                                   : "A Wait state needs exactly one of Seconds, SecondsPath, "
                                     "Timestamp, TimestampPath");
    get_num(c, st, "Seconds", ptr, 0, 99999999, true, &s->seconds);
    if (s->jsonata && is_jx_string(json_object_get(st, "Timestamp"))) {
        s->timestamp_jx = get_jx(c, st, "Timestamp", ptr);
        return;
    }
    s->timestamp = get_str(c, st, "Timestamp", ptr, false);
    if (s->timestamp && !fg__timestamp_parse(s->timestamp, NULL, NULL)) {
        char sub[600];
        ptr_join(sub, sizeof sub, ptr, "Timestamp");
        problem(c, sub, "String does not match RFC3339 timestamp");
    }
    s->timestamp_path = get_path(c, st, "TimestampPath", ptr, false, NULL);
}

static void parse_fail(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    static const char *f[2][2] = {{"Error", "ErrorPath"}, {"Cause", "CausePath"}};
    for (int i = 0; i < 2; i++) {
        if (json_object_get(st, f[i][0]) && json_object_get(st, f[i][1]))
            problem(c, ptr, "Only one of '%s' and '%s' may be given", f[i][0], f[i][1]);
        if (s->jsonata && is_jx_string(json_object_get(st, f[i][0]))) {
            *(i == 0 ? &s->error_jx : &s->cause_jx) = get_jx(c, st, f[i][0], ptr);
            continue;
        }
        char *lit = get_str(c, st, f[i][0], ptr, false);
        const json_t *pv = json_object_get(st, f[i][1]);
        fg__jp *p = NULL;
        fg__fn *fn = NULL;
        if (json_is_string(pv) && fg__fn_looks_like_call(json_string_value(pv))) {
            fg_errbuf eb;
            fg_errbuf_clear(&eb);
            fn = fg__fn_compile(json_string_value(pv), &eb);
            if (!fn)
                problem(c, ptr, "The value for the field '%s' must be a valid JSONPath or a valid "
                        "intrinsic function call: %s", f[i][1], eb.msg);
        } else if (!s->jsonata) {
            p = get_path(c, st, f[i][1], ptr, false, NULL);
        }
        if (i == 0) {
            s->error = lit; s->error_path = p; s->error_fn = fn;
        } else {
            s->cause = lit; s->cause_path = p; s->cause_fn = fn;
        }
    }
}

/* A JSONata Choice Rule: Condition, Next, and optionally Assign and Output. */
static void parse_jsonata_rule(pctx *c, const json_t *r, fg__state *s, int i, const char *ptr)
{
    if (!json_is_object(r)) {
        problem(c, ptr, "A Choice Rule must be an object");
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)r, k, v) {
        if (!in_words("Condition Next Assign Output Comment", k))
            problem(c, ptr, "The field '%s' is not supported in a Choice Rule of a JSONata "
                            "state: it has Condition, Next, Assign and Output", k);
    }
    const json_t *cond = json_object_get(r, "Condition");
    if (!cond)
        problem(c, ptr, "These fields are required: [Condition]");
    else if (!is_jx_string(cond) && !json_is_boolean(cond))
        problem(c, ptr, "The field 'Condition' must be a JSONata expression \"{%% ... %%}\" "
                        "or a boolean");
    else
        s->conditions[i] = get_jx(c, r, "Condition", ptr);
    s->choice_output[i] = get_jx(c, r, "Output", ptr);
}

static void parse_choice(pctx *c, const json_t *st, fg__state *s, const char *ptr, json_t *nexts)
{
    const json_t *ch = json_object_get(st, "Choices");
    char base[600], sub[700];
    ptr_join(base, sizeof base, ptr, "Choices");
    s->dflt = -1;
    if (!json_is_array(ch) || json_array_size(ch) == 0) {
        problem(c, ptr, "A Choice state needs a non-empty 'Choices' array");
        return;
    }
    size_t nrules = json_array_size(ch);
    s->choices = calloc(nrules, sizeof(fg__rule *));
    s->choice_next = calloc(nrules, sizeof(int));
    s->conditions = calloc(nrules, sizeof(fg__jx *));
    s->choice_assign = calloc(nrules, sizeof(fg__assign *));
    s->choice_output = calloc(nrules, sizeof(fg__jx *));
    for (size_t i = 0; i < nrules; i++) {
        const json_t *r = json_array_get(ch, i);
        snprintf(sub, sizeof sub, "%s/%zu", base, i);
        s->choice_next[i] = -1;
        if (!s->jsonata)
            s->choices[i] = fg__rule_compile(r, sub, true, report_cb, c);
        else
            parse_jsonata_rule(c, r, s, (int)i, sub);
        if (json_is_object(r))
            s->choice_assign[i] = get_assign(c, r, sub, s->jsonata);
        s->nchoices++;
        const json_t *n = json_object_get(r, "Next");
        if (!json_is_string(n))
            problem(c, sub, "A top-level Choice Rule needs 'Next'");
        else
            json_array_append_new(nexts, json_pack("{s:s,s:s,s:i}", "target", json_string_value(n),
                                                   "ptr", sub, "choice", (int)i));
    }
    const json_t *d = json_object_get(st, "Default");
    if (d && json_is_string(d))
        json_array_append_new(nexts, json_pack("{s:s,s:s,s:i}", "target", json_string_value(d),
                                               "ptr", ptr, "default", 1));
    else if (d)
        problem(c, ptr, "Default must be a state name");
}

static void parse_parallel(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    const json_t *b = json_object_get(st, "Branches");
    char base[600], sub[700];
    ptr_join(base, sizeof base, ptr, "Branches");
    if (!json_is_array(b) || json_array_size(b) == 0) {
        problem(c, ptr, "A Parallel state needs a non-empty 'Branches' array");
        return;
    }
    s->branches = calloc(json_array_size(b), sizeof(fg__sm *));
    for (size_t i = 0; i < json_array_size(b); i++) {
        snprintf(sub, sizeof sub, "%s/%zu", base, i);
        const char *saved = c->state;
        s->branches[s->nbranches++] = build_sm(c, json_array_get(b, i), sub, s->jsonata);
        c->state = saved;
    }
}

static bool label_ok(const json_t *v)
{
    const char *l = json_string_value(v);
    if (json_string_length(v) != strlen(l) || strlen(l) > 40)
        return false;
    for (const unsigned char *p = (const unsigned char *)l; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || strchr(" \"#%&*,:;<>?[\\]^{|}`$'~", *p))
            return false;
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return false;
    }
    return true;
}

static void parse_map_processor(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    const char *field = json_object_get(st, "ItemProcessor") ? "ItemProcessor" : "Iterator";
    const json_t *ip = json_object_get(st, field);
    char sub[600];
    ptr_join(sub, sizeof sub, ptr, field);
    if (!ip) {
        problem(c, ptr, "A Map state needs 'ItemProcessor' (or 'Iterator')");
        return;
    }
    if (json_object_get(st, "ItemProcessor") && json_object_get(st, "Iterator"))
        problem(c, ptr, "Only one of 'ItemProcessor' and 'Iterator' may be given");
    if (json_object_get(st, "ItemSelector") && json_object_get(st, "Parameters"))
        problem(c, ptr, "Only one of 'ItemSelector' and 'Parameters' may be given");
    const char *saved = c->state;
    s->branches = calloc(1, sizeof(fg__sm *));
    s->branches[0] = build_sm(c, ip, sub, s->jsonata);
    s->nbranches = 1;
    c->state = saved;
    const json_t *mode = json_object_get(json_object_get(ip, "ProcessorConfig"), "Mode");
    s->distributed = json_is_string(mode) && !strcmp(json_string_value(mode), "DISTRIBUTED");
    const json_t *label = json_object_get(st, "Label");
    if (label && (!json_is_string(label) || !label_ok(label)))
        problem(c, ptr, "The field 'Label' must be at most 40 characters without whitespace, "
                        "brackets, wildcards, special or control characters");
}

static void parse_map(pctx *c, const json_t *st, fg__state *s, const char *ptr)
{
    parse_map_processor(c, st, s, ptr);
    if (!s->jsonata) {
        bool items_null = false;
        s->items_path = get_path(c, st, "ItemsPath", ptr, false, &items_null);
        if (items_null)
            problem(c, ptr, "The field \"ItemsPath\" must be a JSONPath, not null");
        s->item_selector = get_tmpl(c, st, "ItemSelector", ptr);
    } else {
        const json_t *items = json_object_get(st, "Items");
        if (items && !json_is_array(items) && !is_jx_string(items))
            problem(c, ptr, "The field 'Items' must be an array or a JSONata expression");
        s->items = get_jx(c, st, "Items", ptr);
        s->item_selector_jx = get_jx(c, st, "ItemSelector", ptr);
    }
    get_num(c, st, "MaxConcurrency", ptr, 0, 99999999, true, &s->max_concurrency);
    get_num(c, st, "ToleratedFailureCount", ptr, 0, 99999999, true, &s->tolerated_count);
    get_num(c, st, "ToleratedFailurePercentage", ptr, 0, 100, false, &s->tolerated_pct);
    const json_t *rc = json_object_get(json_object_get(st, "ItemReader"), "ReaderConfig");
    if (json_object_get(rc, "MaxItems") && json_object_get(rc, "MaxItemsPath"))
        problem(c, ptr, "ItemReader: only one of 'MaxItems' and 'MaxItemsPath' may be given");
    const json_t *ib = json_object_get(st, "ItemBatcher");
    if (ib) {
        char sub[600];
        ptr_join(sub, sizeof sub, ptr, "ItemBatcher");
        s->has_batcher = true;
        if (!json_is_object(ib)) {
            problem(c, sub, "ItemBatcher must be an object");
            return;
        }
        get_num(c, ib, "MaxItemsPerBatch", sub, 1, 99999999, true, &s->batch_max_items);
        get_num(c, ib, "MaxInputBytesPerBatch", sub, 1, 262144, true, &s->batch_max_bytes);
        if (s->jsonata)
            s->batch_input_jx = get_jx(c, ib, "BatchInput", sub);
        else
            s->batch_input = get_tmpl(c, ib, "BatchInput", sub);
    }
}

static void parse_state_fields(pctx *c, const json_t *st, fg__state *s, const char *ptr,
                               json_t *nexts)
{
    if (!s->jsonata && s->type != FG__FAIL) {
        s->input_path = get_path(c, st, "InputPath", ptr, false, &s->input_path_null);
        s->output_path = get_path(c, st, "OutputPath", ptr, false, &s->output_path_null);
    }
    if (!s->jsonata && (s->type == FG__PASS || s->type == FG__TASK || s->type == FG__PARALLEL ||
                        s->type == FG__MAP)) {
        s->result_path = get_path(c, st, "ResultPath", ptr, true, &s->result_path_null);
        s->parameters = get_tmpl(c, st, "Parameters", ptr);
        if (s->type != FG__PASS)
            s->result_selector = get_tmpl(c, st, "ResultSelector", ptr);
    }
    if (s->type == FG__PASS && json_object_get(st, "Result"))
        s->result = json_incref(json_object_get(st, "Result"));
    if (s->jsonata) {
        s->output = get_jx(c, st, "Output", ptr);
        s->arguments = get_jx(c, st, "Arguments", ptr);
    }
    if (s->type != FG__FAIL && s->type != FG__SUCCEED)
        s->assign = get_assign(c, st, ptr, s->jsonata);
    if (s->type == FG__TASK || s->type == FG__PARALLEL || s->type == FG__MAP) {
        parse_retry(c, st, s, ptr);
        parse_catch(c, st, s, ptr, nexts);
    }
    switch (s->type) {
    case FG__TASK: parse_task(c, st, s, ptr); break;
    case FG__WAIT: parse_wait(c, st, s, ptr); break;
    case FG__FAIL: parse_fail(c, st, s, ptr); break;
    case FG__CHOICE: parse_choice(c, st, s, ptr, nexts); break;
    case FG__PARALLEL: parse_parallel(c, st, s, ptr); break;
    case FG__MAP: parse_map(c, st, s, ptr); break;
    default: break;
    }
}

static void parse_transition(pctx *c, const json_t *st, fg__state *s, const char *ptr,
                             json_t *nexts, int idx)
{
    const json_t *next = json_object_get(st, "Next");
    const json_t *end = json_object_get(st, "End");
    bool needs = s->type == FG__PASS || s->type == FG__TASK || s->type == FG__WAIT ||
                 s->type == FG__PARALLEL || s->type == FG__MAP;
    s->next = -1;
    if (!needs)
        return;
    if (end && !json_is_boolean(end))
        problem(c, ptr, "End must be a boolean");
    s->end = json_is_true(end);
    if (next && s->end)
        problem(c, ptr, "Only one of 'Next' and 'End' may be given");
    else if (!next && !s->end)
        problem(c, ptr, "A %s state needs 'Next' or '\"End\": true'",
                json_string_value(json_object_get(st, "Type")));
    if (next && !json_is_string(next))
        problem(c, ptr, "Next must be a state name");
    else if (next)
        json_array_append_new(nexts, json_pack("{s:s,s:s,s:i}", "target", json_string_value(next),
                                               "ptr", ptr, "state", idx));
}

static void parse_state(pctx *c, const char *name, const json_t *st, fg__state *s,
                        const char *ptr, bool jsonata_parent, json_t *nexts, int idx)
{
    c->state = name;
    s->name = strdup(name);
    if (strlen(name) > NAME_MAX_LEN || strlen(name) == 0)
        problem(c, ptr, "State names must be 1 to %d characters long", NAME_MAX_LEN);
    if (json_object_get(c->all_names, name))
        problem(c, ptr, "Duplicate state name '%s'", name);
    json_object_set_new(c->all_names, name, json_true());
    if (!json_is_object(st)) {
        problem(c, ptr, "A state must be an object");
        return;
    }
    const json_t *ql = json_object_get(st, "QueryLanguage");
    s->jsonata = jsonata_parent;
    if (ql) {
        if (!json_is_string(ql) || (strcmp(json_string_value(ql), "JSONata") &&
                                    strcmp(json_string_value(ql), "JSONPath")))
            problem(c, ptr, "QueryLanguage must be JSONPath or JSONata");
        else
            s->jsonata = !strcmp(json_string_value(ql), "JSONata");
        if (c->jsonata_top && !s->jsonata)
            problem(c, ptr, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole "
                            "state machine");
    }
    if (!stype_from(json_string_value(json_object_get(st, "Type")), &s->type)) {
        problem(c, ptr, "The field 'Type' must be one of Pass, Task, Choice, Wait, Succeed, "
                        "Fail, Parallel, Map");
        s->type = FG__SUCCEED;
        return;
    }
    c->jsonata = s->jsonata;
    check_fields(c, st, s->type, s->jsonata, ptr);
    parse_transition(c, st, s, ptr, nexts, idx);
    parse_state_fields(c, st, s, ptr, nexts);
}

/* ---- reachability and Next resolution ----------------------------------------- */

static int find_state(const fg__sm *sm, const char *name)
{
    for (int i = 0; i < sm->nstates; i++)
        if (sm->states[i].name && !strcmp(sm->states[i].name, name))
            return i;
    return -1;
}

static void resolve_nexts(pctx *c, fg__sm *sm, json_t *nexts)
{
    size_t i;
    json_t *ref;
    json_array_foreach(nexts, i, ref) {
        const char *tgt = json_string_value(json_object_get(ref, "target"));
        int ti = find_state(sm, tgt);
        const char *ptr = json_string_value(json_object_get(ref, "ptr"));
        if (ti < 0) {
            problem(c, ptr, "Missing 'Next' target: %s", tgt);
            continue;
        }
        int owner = (int)json_integer_value(json_object_get(ref, "owner"));
        fg__state *s = &sm->states[owner];
        if (json_object_get(ref, "catch"))
            s->catch_[json_integer_value(json_object_get(ref, "catch"))].next = ti;
        else if (json_object_get(ref, "choice"))
            s->choice_next[json_integer_value(json_object_get(ref, "choice"))] = ti;
        else if (json_object_get(ref, "default"))
            s->dflt = ti;
        else
            s->next = ti;
    }
}

static void mark(const fg__sm *sm, int i, char *seen)
{
    if (i < 0 || seen[i])
        return;
    seen[i] = 1;
    const fg__state *s = &sm->states[i];
    mark(sm, s->next, seen);
    for (int k = 0; k < s->ncatch; k++)
        mark(sm, s->catch_[k].next, seen);
    for (int k = 0; k < s->nchoices && s->choice_next; k++)
        mark(sm, s->choice_next[k], seen);
    if (s->type == FG__CHOICE)
        mark(sm, s->dflt, seen);
}

static void check_reachable(pctx *c, const fg__sm *sm, const char *ptr)
{
    char *seen = calloc((size_t)sm->nstates + 1, 1);
    mark(sm, sm->start, seen);
    bool terminal = false;
    for (int i = 0; i < sm->nstates; i++) {
        const fg__state *s = &sm->states[i];
        char sub[700];
        snprintf(sub, sizeof sub, "%s/States", ptr);
        ptr_join(sub, sizeof sub, sub, s->name ? s->name : "");
        c->state = s->name;
        if (!seen[i])
            problem(c, sub, "State '%s' is not reachable", s->name);
        if (s->end || s->type == FG__SUCCEED || s->type == FG__FAIL)
            terminal = true;
    }
    c->state = NULL;
    if (!terminal && sm->nstates > 0)
        problem(c, ptr[0] ? ptr : "/", "No terminal state: a state machine needs a Succeed, Fail or End state");
    free(seen);
}

static void check_top_fields(pctx *c, const json_t *def, const char *ptr, bool top)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)def, k, v) {
        bool ok = in_words("StartAt States Comment QueryLanguage", k) ||
                  (top && in_words("Version TimeoutSeconds", k)) ||
                  (!top && !strcmp(k, "ProcessorConfig"));
        if (!ok)
            problem(c, ptr[0] ? ptr : "/", "Field '%s' is not supported here", k);
    }
}

static fg__sm *build_sm(pctx *c, const json_t *def, const char *ptr, bool jsonata)
{
    fg__sm *sm = calloc(1, sizeof *sm);
    sm->start = -1;
    c->state = NULL;
    if (!json_is_object(def)) {
        problem(c, ptr, "A state machine must be an object");
        return sm;
    }
    check_top_fields(c, def, ptr, ptr[0] == 0);
    const json_t *sa = json_object_get(def, "StartAt");
    const json_t *states = json_object_get(def, "States");
    if (!sa || !states) {
        problem(c, ptr[0] ? ptr : "/", "These fields are required: [%s%s%s]", states ? "" : "States",
                !states && !sa ? ", " : "", sa ? "" : "StartAt");
    }
    if (states && (!json_is_object(states) || json_object_size(states) == 0)) {
        problem(c, ptr, "States must be a non-empty object");
        return sm;
    }
    if (!states)
        return sm;
    const json_t *ql = json_object_get(def, "QueryLanguage");
    if (json_is_string(ql) && !strcmp(json_string_value(ql), "JSONata"))
        jsonata = true;
    sm->states = calloc(json_object_size(states), sizeof(fg__state));
    json_t *nexts = json_array();
    const char *name;
    json_t *st;
    json_object_foreach((json_t *)states, name, st) {
        char sub[700];
        snprintf(sub, sizeof sub, "%s/States", ptr);
        ptr_join(sub, sizeof sub, sub, name);
        json_t *mark_from = json_integer((json_int_t)json_array_size(nexts));
        parse_state(c, name, st, &sm->states[sm->nstates], sub, jsonata, nexts, sm->nstates);
        for (size_t k = (size_t)json_integer_value(mark_from); k < json_array_size(nexts); k++)
            json_object_set_new(json_array_get(nexts, k), "owner", json_integer(sm->nstates));
        json_decref(mark_from);
        sm->nstates++;
    }
    resolve_nexts(c, sm, nexts);
    json_decref(nexts);
    if (json_is_string(sa)) {
        sm->start = find_state(sm, json_string_value(sa));
        if (sm->start < 0) {
            c->state = NULL;
            char sub[700];
            snprintf(sub, sizeof sub, "%s/StartAt", ptr);
            problem(c, sub, "StartAt '%s' is not a state", json_string_value(sa));
        }
    } else if (sa) {
        problem(c, ptr, "StartAt must be a string");
    }
    if (sm->start >= 0)
        check_reachable(c, sm, ptr);
    return sm;
}

static void state_free_jsonata(fg__state *s)
{
    fg__assign_free(s->assign);
    fg__jx_free(s->output);
    fg__jx_free(s->arguments);
    for (int i = 0; i < s->nchoices; i++) {
        if (s->conditions)
            fg__jx_free(s->conditions[i]);
        if (s->choice_assign)
            fg__assign_free(s->choice_assign[i]);
        if (s->choice_output)
            fg__jx_free(s->choice_output[i]);
    }
    free(s->conditions);
    free(s->choice_assign);
    free(s->choice_output);
    fg__jx_free(s->timestamp_jx);
    fg__jx_free(s->error_jx);
    fg__jx_free(s->cause_jx);
    fg__jx_free(s->items);
    fg__jx_free(s->item_selector_jx);
    fg__jx_free(s->timeout.jx);
    fg__jx_free(s->heartbeat.jx);
    fg__jx_free(s->seconds.jx);
    fg__jx_free(s->max_concurrency.jx);
    fg__jx_free(s->tolerated_count.jx);
    fg__jx_free(s->tolerated_pct.jx);
    fg__jx_free(s->batch_max_items.jx);
    fg__jx_free(s->batch_max_bytes.jx);
    fg__jx_free(s->batch_input_jx);
}

static void state_free(fg__state *s)
{
    free(s->name);
    fg__jp_free(s->input_path);
    fg__jp_free(s->output_path);
    fg__jp_free(s->result_path);
    fg__tmpl_free(s->parameters);
    fg__tmpl_free(s->result_selector);
    json_decref(s->result);
    for (int i = 0; i < s->nretry; i++)
        json_decref(s->retry[i].errors);
    free(s->retry);
    for (int i = 0; i < s->ncatch; i++) {
        json_decref(s->catch_[i].errors);
        fg__jp_free(s->catch_[i].result_path);
        fg__assign_free(s->catch_[i].assign);
        fg__jx_free(s->catch_[i].output);
    }
    free(s->catch_);
    free(s->resource);
    free(s->resource_base);
    fg__jp_free(s->timeout.path);
    fg__jp_free(s->heartbeat.path);
    for (int i = 0; i < s->nchoices; i++)
        fg__rule_free(s->choices[i]);
    free(s->choices);
    free(s->choice_next);
    fg__jp_free(s->seconds.path);
    free(s->timestamp);
    fg__jp_free(s->timestamp_path);
    free(s->error);
    free(s->cause);
    fg__jp_free(s->error_path);
    fg__jp_free(s->cause_path);
    fg__fn_free(s->error_fn);
    fg__fn_free(s->cause_fn);
    for (int i = 0; i < s->nbranches; i++)
        fg__sm_free(s->branches[i]);
    free(s->branches);
    fg__jp_free(s->items_path);
    fg__tmpl_free(s->item_selector);
    fg__jp_free(s->max_concurrency.path);
    fg__jp_free(s->tolerated_count.path);
    fg__jp_free(s->tolerated_pct.path);
    fg__jp_free(s->batch_max_items.path);
    fg__jp_free(s->batch_max_bytes.path);
    fg__tmpl_free(s->batch_input);
    state_free_jsonata(s);
}

void fg__sm_free(fg__sm *sm)
{
    if (!sm)
        return;
    for (int i = 0; i < sm->nstates; i++)
        state_free(&sm->states[i]);
    free(sm->states);
    free(sm);
}

fg__sm *fg__sm_build(const json_t *def, const fg_flow_registry *reg, json_t *problems)
{
    const json_t *ql = json_is_object(def) ? json_object_get(def, "QueryLanguage") : NULL;
    pctx c = {problems, NULL, reg, json_object(),
              json_is_string(ql) && !strcmp(json_string_value(ql), "JSONata"), false};
    fg__sm *sm = build_sm(&c, def, "", false);
    if (json_is_object(def)) {
        const json_t *t = json_object_get(def, "TimeoutSeconds");
        if (t && (!is_integer(t) || json_number_value(t) < 1 || json_number_value(t) > 99999999)) {
            c.state = NULL;
            problem(&c, "/TimeoutSeconds", "TimeoutSeconds must be a positive integer");
        }
    }
    json_decref(c.all_names);
    return sm;
}

int fg_flow_validate(const json_t *def, json_t **problems)
{
    json_t *p = json_array();
    fg__sm *sm = fg__sm_build(def, NULL, p);
    fg__sm_free(sm);
    int n = (int)json_array_size(p);
    if (problems)
        *problems = p;
    else
        json_decref(p);
    return n;
}

fg_flow_machine *fg_flow_machine_create(const json_t *def, const fg_flow_registry *reg,
                                        json_t **problems, fg_errbuf *eb)
{
    json_t *p = json_array();
    fg__sm *sm = fg__sm_build(def, reg, p);
    if (json_array_size(p) > 0) {
        json_t *first = json_array_get(p, 0);
        fg_failf(eb, FG_EINVAL, "invalid state machine definition: %s at %s",
                 json_string_value(json_object_get(first, "message")),
                 json_string_value(json_object_get(first, "pointer")));
        fg__sm_free(sm);
        if (problems)
            *problems = p;
        else
            json_decref(p);
        return NULL;
    }
    json_decref(p);
    if (problems)
        *problems = NULL;
    fg_flow_machine *m = calloc(1, sizeof *m);
    m->root = sm;
    m->def = json_incref((json_t *)def);
    m->timeout_seconds = (long)fg_json_int(def, "TimeoutSeconds", 0);
    return m;
}

void fg_flow_machine_free(fg_flow_machine *m)
{
    if (!m)
        return;
    fg__sm_free(m->root);
    json_decref(m->def);
    free(m);
}
