/* The two inference routes: authenticate, parse, run the account's workflow on
 * the request's worker loop, merge its output into the system prompt, then
 * stream the model's answer for the whole conversation as raw text.
 * Errors before the first byte get a status and a JSON error
 * {"error": {"message", "type", "path"?}}; after it, the stream ends with
 * "\n\n[error] <message>". */
#include "assist/assist_int.h"
#include "assist/merge.h"

#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "llm/native.h"
#include "sfn/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct assist_run {
    fg_assist *a;
    fg_http_req *req;
    fg_assist_req r;
    fg_principal who;
    fg_flow_machine *machine;
    bool machine_owned;
    fg_sfn_run *run;        /* while the workflow runs */
    uv_timer_t *timer;      /* assistants.workflow_timeout_ms while the workflow runs */
    bool aborted, timed_out;
} assist_run;

static void run_free(assist_run *ar)
{
    fg_assist_req_free(&ar->r);
    if (ar->machine_owned)
        fg_flow_machine_free(ar->machine);
    free(ar);
}

static void respond_json_error(fg_http_req *req, int status, const char *type, const char *msg, const char *path)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"error\":{\"message\":");
    fg_json_escape(&b, msg, strlen(msg));
    fg_buf_puts(&b, ",\"type\":");
    fg_json_escape(&b, type, strlen(type));
    if (path) {
        fg_buf_puts(&b, ",\"path\":");
        fg_json_escape(&b, path, strlen(path));
    }
    fg_buf_puts(&b, "}}");
    fg_http_respond(req, status, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

/* --- the streamed answer ---------------------------------------------------- */

static void answer_begin(fg_llm_call *call)
{
    assist_run *ar = fg_llm_call_sink_data(call);
    fg_http_stream_start(ar->req, 200, "text/plain; charset=utf-8");
}

static void answer_event(fg_llm_call *call, const fg_llm_event *ev)
{
    assist_run *ar = fg_llm_call_sink_data(call);
    if (ev->type != FG_LLM_EV_TEXT || !ev->len)
        return;
    if (fg_http_stream_write(ar->req, ev->text, ev->len) == FG_EAGAIN)
        fg_llm_call_pause(call); /* the gateway resumes it on drain */
}

static void answer_end(fg_llm_call *call)
{
    assist_run *ar = fg_llm_call_sink_data(call);
    fg_http_stream_end(ar->req);
    run_free(ar);
}

static int upstream_status(int status)
{
    if (status == 404 || status == 429 || status == 400 || status == 499)
        return status;
    return 502;
}

static void answer_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    assist_run *ar = fg_llm_call_sink_data(call);
    if (fg_http_stream_started(ar->req)) {
        fg_log(FG_LOG_WARN, NULL, "assistant answer failed after the first byte (request %s): %s",
               fg_http_req_id(ar->req), msg);
        fg_buf b;
        fg_buf_init(&b, 0);
        fg_buf_printf(&b, "\n\n[error] %s", msg);
        fg_http_stream_write(ar->req, b.data, b.len);
        fg_buf_free(&b);
        fg_http_stream_end(ar->req);
    } else {
        respond_json_error(ar->req, upstream_status(status), status == 404 ? "model_not_found" : "upstream_error",
                           msg, NULL);
    }
    run_free(ar);
}

static const fg_llm_sink_ops answer_sink = {answer_begin, answer_event, answer_end, answer_fail};

/* Converse messages ({role, content: [{text}]}) in the canonical shape. */
static json_t *canonical_converse_message(const json_t *m)
{
    json_t *parts = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(m, "content"), i, p) {
        const char *text = fg_json_str(p, "text", NULL);
        if (text)
            json_array_append_new(parts, json_pack("{s:s,s:s}", "type", "text", "text", text));
    }
    return json_pack("{s:s,s:o}", "role", fg_json_str(m, "role", "user"), "content", parts);
}

static json_t *final_request(assist_run *ar, const char *system, const json_t *output)
{
    fg_assist_req *r = &ar->r;
    const char *model = fg_llm_has_model(ar->a->llm, r->model) ? r->model : fg_llm_native_model_id(r->model);
    json_t *canon = json_deep_copy(r->params);
    json_object_set_new(canon, "model", json_string(model));
    fg_buf sys;
    fg_buf_init(&sys, 0);
    fg_buf_puts(&sys, system);
    size_t i;
    json_t *s;
    json_array_foreach(r->extra_system, i, s) {
        fg_buf_putc(&sys, '\n');
        fg_buf_puts(&sys, json_string_value(s));
    }
    json_t *msgs = json_array();
    if (sys.len)
        json_array_append_new(msgs, json_pack("{s:s,s:s%}", "role", "system", "content", sys.data, sys.len));
    fg_buf_free(&sys);
    json_array_extend(msgs, r->messages);
    json_t *m;
    json_array_foreach(json_object_get(output, "additional_messages"), i, m)
        json_array_append_new(msgs, canonical_converse_message(m));
    json_object_set_new(canon, "messages", msgs);
    return canon;
}

/* --- the workflow ------------------------------------------------------------- */

static void after_workflow(assist_run *ar, fg_flow_status st, const char *error, const char *cause,
                           json_t *output)
{
    char msg[600];
    if (st != FG_FLOW_SUCCEEDED) {
        snprintf(msg, sizeof msg, "the workflow ended %s: %s%s%s", fg_flow_status_name(st),
                 error ? error : "", cause && *cause ? ": " : "", cause ? cause : "");
        respond_json_error(ar->req, 502, "workflow_failed", msg, NULL);
        run_free(ar);
        return;
    }
    fg_assist_merge_result merged;
    int rc = fg_assist_check_output(output, msg, sizeof msg);
    if (!rc)
        rc = ar->r.kind == FG_ASSIST_CLAUDE
                 ? fg_assist_merge_claude(ar->r.system, ar->r.content_tag, output, &merged, msg, sizeof msg)
                 : fg_assist_merge_converse(ar->r.system, output, &merged, msg, sizeof msg);
    if (rc) {
        respond_json_error(ar->req, 502, "workflow_output_invalid", msg, NULL);
        run_free(ar);
        return;
    }
    if (merged.tag_missing)
        fg_log(FG_LOG_WARN, NULL, "assistant request %s: REPLACE_TAG found no empty tag pair in the system "
                                  "prompt; the chain prompt was dropped", fg_http_req_id(ar->req));
    json_t *canon = final_request(ar, merged.system, output);
    free(merged.system);
    fg_llm_caller caller = {.account_id = ar->who.account_id, .key_id = ar->who.key_id};
    fg_llm_call_start_http_as(ar->a->llm, ar->req, &caller, canon, &answer_sink, ar);
}

static void timer_closed(uv_handle_t *h) { free(h); }

static void stop_timer(assist_run *ar)
{
    if (!ar->timer)
        return;
    uv_timer_stop(ar->timer);
    uv_close((uv_handle_t *)ar->timer, timer_closed);
    ar->timer = NULL;
}

static void on_workflow_timeout(uv_timer_t *t)
{
    assist_run *ar = t->data;
    ar->timed_out = true;
    fg_sfn_run_cancel(ar->run, "States.Timeout", "the workflow ran longer than assistants.workflow_timeout_ms");
}

static void start_timer(assist_run *ar)
{
    if (ar->a->workflow_timeout_ms <= 0)
        return;
    ar->timer = malloc(sizeof *ar->timer);
    if (!ar->timer)
        return;
    uv_timer_init(fg_http_worker_loop(fg_http_req_worker(ar->req)), ar->timer);
    ar->timer->data = ar;
    uv_timer_start(ar->timer, on_workflow_timeout, (uint64_t)ar->a->workflow_timeout_ms, 0);
}

static void on_workflow_done(fg_sfn_run *run, fg_flow_exec *e, void *ud)
{
    assist_run *ar = ud;
    stop_timer(ar);
    fg_http_req_on_abort(ar->req, NULL, NULL);
    fg_flow_status st = fg_flow_exec_status(e);
    json_t *output = json_incref((json_t *)fg_flow_exec_output(e));
    char *error = fg_flow_exec_error(e) ? strdup(fg_flow_exec_error(e)) : NULL;
    char *cause = fg_flow_exec_cause(e) ? strdup(fg_flow_exec_cause(e)) : NULL;
    /* The execution refers to the machine: free it before an owned machine. */
    fg_flow_exec_free(fg_sfn_run_take_exec(run));
    if (ar->aborted) {
        fg_http_respond(ar->req, 499, "text/plain", "", 0); /* frees the request */
        run_free(ar);
    } else if (ar->timed_out) {
        respond_json_error(ar->req, 504, "workflow_timeout",
                           "the workflow did not finish within assistants.workflow_timeout_ms", NULL);
        run_free(ar);
    } else {
        after_workflow(ar, st, error, cause, output);
    }
    json_decref(output);
    free(error);
    free(cause);
}

static void on_client_gone(fg_http_req *req, void *ud)
{
    (void)req;
    assist_run *ar = ud;
    ar->aborted = true;
    fg_sfn_run_cancel(ar->run, "Flowgate.ClientGone", "the client disconnected");
}

static const char *workflow_name(const assist_run *ar)
{
    if (ar->r.workflow_id[0])
        return ar->r.workflow_id;
    return ar->a->default_workflow;
}

static void start_workflow(assist_run *ar)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    const char *name = workflow_name(ar);
    if (!name || !*name) {
        respond_json_error(ar->req, 404, "workflow_not_found",
                           "no workflow to run: name one in assistant_parameters.workflow_params.workflow_id "
                           "or configure assistants.default_workflow", NULL);
        run_free(ar);
        return;
    }
    int rc = fg__assist_find_workflow(ar->a, ar->who.account_id, name, &ar->machine, &ar->machine_owned, &eb);
    if (rc) {
        respond_json_error(ar->req, rc == FG_ENOTFOUND ? 404 : 500,
                           rc == FG_ENOTFOUND ? "workflow_not_found" : "workflow_invalid", eb.msg, NULL);
        run_free(ar);
        return;
    }
    fg_flow_exec_opts o = {.express = true, .account_id = ar->who.account_id, .machine_name = name};
    fg_sfn_run *run = NULL;
    fg_http_req_on_abort(ar->req, on_client_gone, ar);
    if (fg_sfn_run_start(fg_http_req_worker(ar->req), ar->machine, ar->r.workflow_input, &o, on_workflow_done,
                         ar, &run, &eb)) {
        fg_http_req_on_abort(ar->req, NULL, NULL);
        respond_json_error(ar->req, 500, "internal_error", eb.msg, NULL);
        run_free(ar);
        return;
    }
    ar->run = run;
    start_timer(ar);
}

static void handle(fg_http_req *req, fg_assist *a, fg_assist_kind kind)
{
    fg_principal who;
    if (fg_llm_authorize(a->llm, req, &who) != 0) /* token, then the caller's limits */
        return;
    assist_run *ar = calloc(1, sizeof *ar);
    if (!ar) {
        fg_http_respond_error(req, 503, "overloaded", "out of memory");
        return;
    }
    ar->a = a;
    ar->req = req;
    ar->who = who;
    size_t len = 0;
    const char *body = fg_http_req_body(req, &len);
    fg_assist_err err;
    if (fg_assist_parse(kind, body, len, &a->limits, &ar->r, &err)) {
        respond_json_error(req, 422, "validation_error", err.msg, err.path);
        run_free(ar);
        return;
    }
    start_workflow(ar);
}

void fg__assist_route_claude(fg_http_req *req, void *ud) { handle(req, ud, FG_ASSIST_CLAUDE); }
void fg__assist_route_converse(fg_http_req *req, void *ud) { handle(req, ud, FG_ASSIST_CONVERSE); }
