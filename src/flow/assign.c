/* Workflow variables: the Assign field in both query languages, the rules for
 * variable names, the size limits, and applying assignments to the variables a
 * state sees. Values are computed from the values at state entry and take
 * effect when the state is left. */
#include "flow/flow_int.h"

#include "core/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAR_NAME_MAX 80

struct fg__assign {
    fg__tmpl *tmpl;   /* JSONPath: keys ending ".$" are paths or intrinsic calls */
    fg__jx *jx;       /* JSONata: "{% %}" strings are expressions */
};

/* A variable name: a letter or '_' first, then letters, digits or '_' (non-ASCII
 * letters are taken as letters); "states" is reserved. */
bool fg__var_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > VAR_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bool letter = isalpha(c) || c == '_' || c >= 0x80;
        if (!letter && !(i > 0 && isdigit(c)))
            return false;
    }
    return !(len == 6 && !memcmp(name, "states", 6));
}

static void check_names(const json_t *v, const char *pointer, bool jsonata, fg__report_fn report,
                        void *ud)
{
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        size_t len = strlen(k);
        if (!jsonata && len > 2 && !strcmp(k + len - 2, ".$"))
            len -= 2;
        if (!fg__var_name_ok(k, len)) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "The variable name '%.*s' is not valid: it must start with a letter or '_', "
                     "hold only letters, digits and '_', have at most %d characters and not be "
                     "'states'",
                     (int)(len > 100 ? 100 : len), k, VAR_NAME_MAX);
            report(ud, pointer, msg);
        }
    }
}

fg__assign *fg__assign_compile(const json_t *v, const char *pointer, bool jsonata,
                               fg__report_fn report, void *ud)
{
    if (!json_is_object(v)) {
        report(ud, pointer, "The field 'Assign' must be an object");
        return NULL;
    }
    check_names(v, pointer, jsonata, report, ud);
    fg__assign *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (jsonata)
        a->jx = fg__jx_compile(v, pointer, "Assign", report, ud);
    else
        a->tmpl = fg__tmpl_compile(v, pointer, report, ud);
    return a;
}

void fg__assign_free(fg__assign *a)
{
    if (!a)
        return;
    fg__tmpl_free(a->tmpl);
    fg__jx_free(a->jx);
    free(a);
}

static json_t *limit_error(fg__eval_ctx *cx, const char *what)
{
    cx->error = "States.Runtime";
    fg_failf(cx->eb, FG_ELIMIT, "%s", what);
    return NULL;
}

json_t *fg__assign_eval(const fg__assign *a, fg__eval_ctx *cx)
{
    json_t *r = a->jx ? fg__jx_eval(a->jx, cx) : a->tmpl ? fg__tmpl_eval(a->tmpl, cx) : json_object();
    if (!r)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach(r, k, v) {
        if (fg__json_size_over(v, FG__VAR_MAX_BYTES)) {
            char msg[200];
            snprintf(msg, sizeof msg, "The value assigned to the variable '%.80s' is larger than "
                                      "the limit of 256 KiB", k);
            json_decref(r);
            return limit_error(cx, msg);
        }
    }
    if (fg__json_size_over(r, FG__VAR_MAX_BYTES)) {
        json_decref(r);
        return limit_error(cx, "The values of the field 'Assign' are larger than the limit of "
                               "256 KiB together");
    }
    return r;
}

json_t *fg__vars_apply(json_t *vars, const json_t *assigned, size_t *bytes, fg_errbuf *eb)
{
    json_t *nv = vars ? json_copy(vars) : json_object();
    if (!nv)
        return NULL;
    /* the total is kept up to date from the sizes of the replaced and new values,
     * so a small Assign does not measure every variable again */
    size_t total = *bytes == FG__VARS_SIZE_UNKNOWN ? fg__json_size(nv) : *bytes;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)assigned, k, v) {
        json_t *old = json_object_get(nv, k);
        size_t old_size = old ? fg__json_size(old) + strlen(k) + 4 : 0;
        total = total - (old_size < total ? old_size : total) + fg__json_size(v) + strlen(k) + 4;
        json_object_set(nv, k, v);
    }
    if (total > FG__VARS_MAX_BYTES) {
        json_decref(nv);
        fg_failf(eb, FG_ELIMIT, "The workflow variables are larger than the limit of 10 MiB "
                                "together");
        return NULL;
    }
    *bytes = total;
    return nv;
}
