/* arn:aws:states:::lambda:invoke (FunctionName, Payload, InvocationType ->
 * {Payload, StatusCode, ExecutedVersion, ...}) and the bare function ARN
 * arn:aws:lambda:REGION:ACCOUNT:function:NAME (the input is the payload, the
 * function's result the output), for functions configured in functions[]. */
#include "core/rand.h"
#include "tasks/tasks_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct invocation {
    char name[128];
    bool wrap;      /* lambda:invoke's result shape */
    int status;     /* 200, 202 (Event), 204 (DryRun) */
    long timeout_ms;
} invocation;

/* ---- functions -------------------------------------------------------------- */

/* NAME from "NAME", "NAME:alias", "arn:aws:lambda:r:a:function:NAME[:qualifier]"
 * or "a:function:NAME". */
static void function_name(const char *ref, char *out, size_t n)
{
    const char *fn = strstr(ref, "function:");
    const char *name = fn ? fn + 9 : ref;
    snprintf(out, n, "%.*s", (int)strcspn(name, ":"), name);
}

const json_t *fg__tasks_function(const fg_tasks_http *t, const char *function_name_ref)
{
    char name[128];
    function_name(function_name_ref, name, sizeof name);
    size_t i;
    const json_t *fn;
    json_array_foreach(fg_config_get(t->cfg, "functions"), i, fn) {
        const char *n = json_string_value(json_object_get(fn, "name"));
        if (n && strcmp(n, name) == 0)
            return fn;
    }
    return NULL;
}

/* ---- results ---------------------------------------------------------------- */

static json_t *wrap_result(const invocation *inv, json_t *payload)
{
    char id[37];
    fg_rand_uuid(id);
    json_t *p = inv->status == 200 && payload ? json_incref(payload) : json_string("");
    return json_pack("{s:s, s:o, s:{s:{s:s}, s:i}, s:{s:s}, s:i}", "ExecutedVersion", "$LATEST",
                     "Payload", p, "SdkHttpMetadata",
                     "HttpHeaders", "Content-Type", "application/json", "HttpStatusCode",
                     inv->status, "SdkResponseMetadata", "RequestId", id, "StatusCode", inv->status);
}

static void succeed(fg__task_op *op, const invocation *inv, json_t *payload)
{
    if (op->task && fg_flow_task_pattern(op->task) == FG_FLOW_WAIT_FOR_TOKEN) {
        fg__task_op_release(op); /* the function was handed the token; it answers later */
        return;
    }
    json_t *out = inv->wrap ? wrap_result(inv, payload) : json_incref(payload);
    fg__task_op_succeed(op, out);
    json_decref(out);
}

/* A function error: the errorType of the function's JSON answer names the
 * error (as Lambda reports it), the answer itself is the cause. */
static void function_error(fg__task_op *op, const char *out, size_t len, const char *fallback_type,
                           const char *fallback_msg)
{
    json_t *v = len ? json_loadb(out, len, 0, NULL) : NULL;
    const char *type = json_string_value(json_object_get(v, "errorType"));
    if (type) {
        char *cause = json_dumps(v, JSON_COMPACT);
        fg__task_op_fail(op, type, cause);
        free(cause);
    } else {
        json_t *c = json_pack("{s:s, s:s}", "errorType", fallback_type, "errorMessage", fallback_msg);
        char *cause = json_dumps(c, JSON_COMPACT);
        fg__task_op_fail(op, fallback_type, cause);
        free(cause);
        json_decref(c);
    }
    json_decref(v);
}

static void timed_out(fg__task_op *op, const invocation *inv)
{
    char msg[128];
    snprintf(msg, sizeof msg, "Task timed out after %.2f seconds", (double)inv->timeout_ms / 1000);
    function_error(op, "", 0, "Sandbox.Timedout", msg);
}

/* The answer of a function that ended well: JSON (or nothing, which is null). */
static void answer(fg__task_op *op, const invocation *inv, const char *out, size_t len)
{
    size_t i = 0;
    while (i < len && (out[i] == ' ' || out[i] == '\n' || out[i] == '\r' || out[i] == '\t'))
        i++;
    json_t *v = i == len ? json_null() : json_loadb(out, len, JSON_DECODE_ANY, NULL);
    if (!v)
        fg__task_op_fail(op, "Lambda.Unknown", "the function's output is not JSON");
    else
        succeed(op, inv, v);
    json_decref(v);
}

/* ---- executables ------------------------------------------------------------ */

static void spawn_done(fg__task_op *op, int status, bool timeout, bool too_big, const char *out,
                       size_t len, const char *err_tail, void *ud)
{
    invocation *inv = ud;
    char msg[2300];
    if (timeout)
        timed_out(op, inv);
    else if (too_big)
        fg__task_op_fail(op, "Lambda.Unknown",
                         "the function's output is larger than functions[].max_output_bytes");
    else if (status != 0) {
        if (status < 0)
            snprintf(msg, sizeof msg, "killed by signal %d%s%s", -status, err_tail[0] ? ": " : "",
                     err_tail);
        else
            snprintf(msg, sizeof msg, "exit status %d%s%s", status, err_tail[0] ? ": " : "", err_tail);
        function_error(op, out, len, "Runtime.ExitError", msg);
    } else
        answer(op, inv, out, len);
    free(inv);
}

/* ---- HTTP endpoints --------------------------------------------------------- */

static void endpoint_done(fg__exchange *x, int err, const char *msg)
{
    invocation *inv = x->ud;
    char text[600];
    char *fn_err = fg__exchange_header(x, "x-amz-function-error");
    const char *body = x->body.data ? x->body.data : "";
    if (err == FG_ETIMEDOUT)
        timed_out(&x->op, inv);
    else if (err == FG_ELIMIT)
        fg__task_op_fail(&x->op, "Lambda.Unknown",
                         "the function's answer is larger than functions[].max_output_bytes");
    else if (err) {
        snprintf(text, sizeof text, "the function's endpoint failed: %s", msg);
        fg__task_op_fail(&x->op, "Lambda.Unknown", text);
    } else if (fn_err || x->status < 200 || x->status >= 300) {
        snprintf(text, sizeof text, "HTTP status %d from the function's endpoint: %.400s", x->status,
                 body);
        function_error(&x->op, body, x->body.len, fn_err ? fn_err : "Lambda.Unknown", text);
    } else
        answer(&x->op, inv, body, x->body.len);
    free(fn_err);
    fg__exchange_free(x);
}

static int start_endpoint(fg_tasks_http *t, fg__task_rt *rt, fg_flow_task *task, const json_t *fn,
                          const char *payload, invocation *inv)
{
    fg__exchange *x = fg__exchange_new((size_t)json_integer_value(json_object_get(fn, "max_output_bytes")));
    if (!x)
        return FG_ENOMEM;
    x->ud = inv;
    x->free_ud = free;
    x->done = endpoint_done;
    const char *headers[34];
    char *owned[32];
    int n = 0;
    headers[n] = "Content-Type: application/json";
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(fn, "headers"), k, v) {
        if (n == 32 || strpbrk(k, "\r\n:") || strpbrk(json_string_value(v), "\r\n"))
            continue;
        size_t len = strlen(k) + strlen(json_string_value(v)) + 3;
        if (!(owned[n] = malloc(len)))
            break;
        snprintf(owned[n], len, "%s: %s", k, json_string_value(v));
        headers[1 + n] = owned[n];
        n++;
    }
    headers[1 + n] = NULL;
    fg_http_call_opts o = {.method = "POST", .url = json_string_value(json_object_get(fn, "url")),
                           .headers = headers, .body = payload, .body_len = strlen(payload),
                           .timeout_ms = inv->timeout_ms};
    int rc = fg__exchange_start(rt, x, task, &o);
    for (int i = 0; i < n; i++)
        free(owned[i]);
    if (rc) {
        x->free_ud = NULL; /* the caller still owns inv */
        fg__exchange_free(x);
    }
    return rc;
}

/* ---- the handlers ----------------------------------------------------------- */

static void invoke(fg_tasks_http *t, fg_flow_task *task, const char *ref, const json_t *payload,
                   invocation *proto)
{
    const json_t *fn = fg__tasks_function(t, ref);
    char why[400] = "";
    if (!fn) {
        snprintf(why, sizeof why, "Function not found: %.200s (functions[] in the configuration)", ref);
        fg_flow_task_fail(task, "Lambda.ResourceNotFoundException", why);
        return;
    }
    invocation *inv = malloc(sizeof *inv);
    char *text = payload ? json_dumps(payload, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("{}");
    fg__task_rt *rt = inv && text ? fg__task_rt_get(t, task) : NULL;
    int rc = FG_ENOMEM;
    if (rt) {
        *inv = *proto;
        inv->timeout_ms = (long)json_integer_value(json_object_get(fn, "timeout_ms"));
        rc = json_object_get(fn, "url")
                 ? start_endpoint(t, rt, task, fn, text, inv)
                 : fg__tasks_spawn(rt, task, fn, text, spawn_done, inv, why, sizeof why);
    }
    if (rc) {
        free(inv);
        fg_flow_task_fail(task, "Lambda.Unknown", why[0] ? why : "could not start the function");
    }
    free(text);
    if (rt)
        fg__task_rt_finish(t, rt);
}

int fg__tasks_lambda_invoke(fg_flow_task *task, void *ud)
{
    const json_t *params = fg_flow_task_parameters(task);
    const char *name = json_string_value(json_object_get(params, "FunctionName"));
    if (!name) {
        fg_flow_task_fail(task, "States.Runtime", "lambda:invoke needs FunctionName (a string)");
        return 0;
    }
    const char *type = json_string_value(json_object_get(params, "InvocationType"));
    invocation proto = {.wrap = true, .status = 200};
    if (type && strcmp(type, "DryRun") == 0) {
        if (!fg__tasks_function(ud, name)) {
            fg_flow_task_fail(task, "Lambda.ResourceNotFoundException", name);
            return 0;
        }
        proto.status = 204;
        json_t *out = wrap_result(&proto, NULL);
        fg_flow_task_succeed(task, out);
        json_decref(out);
        return 0;
    }
    if (type && strcmp(type, "Event") == 0)
        proto.status = 202;
    json_t *empty = json_object();
    const json_t *payload = json_object_get(params, "Payload");
    invoke(ud, task, name, payload ? payload : empty, &proto);
    json_decref(empty);
    return 0;
}

int fg__tasks_lambda_arn(fg_flow_task *task, void *ud)
{
    invocation proto = {.wrap = false, .status = 200};
    invoke(ud, task, fg_flow_task_resource(task), fg_flow_task_parameters(task), &proto);
    return 0;
}
