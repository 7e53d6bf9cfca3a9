/* One gateway request on its way through the router: choose a deployment,
 * start an attempt, retry with backoff and jitter on connect errors, 429 and
 * 5xx, fall back to the next deployment, and commit the response to the client
 * only when the first answer event arrives (so errors before it can still be
 * retried). Cancels the upstream when the client goes away. */
#include "llm/llm_int.h"

#include "auth/limits.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void call_start_attempt(fg_llm_call *call);
static void release_req(fg_llm_call *call);
static void end_attempt(fg_llm_call *call);

/* The model named name, else a model named "*" (a catch-all), else NULL. */
fg_llm_model *fg__llm_find_model(fg_llm *llm, const char *name)
{
    fg_llm_model *any = NULL;
    for (size_t i = 0; i < llm->nmodels; i++) {
        if (strcmp(llm->models[i].name, name) == 0)
            return &llm->models[i];
        if (strcmp(llm->models[i].name, "*") == 0)
            any = &llm->models[i];
    }
    return any;
}

fg_http_client *fg__llm_client(fg_http_worker *w)
{
    return w ? fg_http_worker_data(w, "llm.client") : NULL;
}

static bool in_cooldown(const fg_llm_deployment *d)
{
    return atomic_load(&d->cooldown_until_ms) > fg_clock_mono_ms();
}

/* Weighted choice of the first deployment; the others follow in their
 * configured order. Deployments cooling down go last. */
static void plan_order(fg_llm_call *call)
{
    fg_llm_model *m = call->model;
    size_t n = m->ndeployments < 16 ? m->ndeployments : 16;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        if (!in_cooldown(&m->deployments[i]))
            total += m->deployments[i].weight;
    size_t first = 0;
    if (total > 0) {
        double pick = fg_rand_unit() * total;
        for (size_t i = 0; i < n; i++) {
            if (in_cooldown(&m->deployments[i]))
                continue;
            first = i;
            if ((pick -= m->deployments[i].weight) < 0)
                break;
        }
    }
    call->norder = 0;
    call->order[call->norder++] = first;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++)
            if (i != first && in_cooldown(&m->deployments[i]) == (pass == 1))
                call->order[call->norder++] = i;
}

static void on_timer_closed(uv_handle_t *h)
{
    fg_llm_call *call = h->data;
    json_decref(call->request);
    fg_buf_free(&call->cache_text);
    free(call);
}

static void call_free(fg_llm_call *call)
{
    if (call->timer_open) {
        uv_timer_stop(&call->timer);
        uv_close((uv_handle_t *)&call->timer, on_timer_closed);
        return;
    }
    json_decref(call->request);
    fg_buf_free(&call->cache_text);
    free(call);
}

void fg_llm_set_cache(fg_llm *llm, const fg_llm_cache_ops *ops, void *ud)
{
    llm->cache_ops = ops;
    llm->cache_ud = ud;
}

/* The answer completed: hand its text to the cache (text answers only). */
static void cache_store(fg_llm_call *call)
{
    if (!call->cache_ctx || call->cache_skip)
        return;
    double gen_ms = (double)(fg_clock_mono_ns() - call->start_ns) / 1e6;
    call->llm->cache_ops->store(call->llm->cache_ud, call->cache_ctx,
                                call->cache_text.data ? call->cache_text.data : "", call->cache_text.len,
                                gen_ms);
    call->cache_ctx = NULL;
}

static void cache_release(fg_llm_call *call)
{
    if (call->cache_ctx)
        call->llm->cache_ops->release(call->llm->cache_ud, call->cache_ctx);
    call->cache_ctx = NULL;
}

static void cache_note(fg_llm_call *call, const fg_llm_event *ev)
{
    if (!call->cache_ctx)
        return;
    if (ev->type == FG_LLM_EV_TOOL || (ev->type == FG_LLM_EV_TEXT &&
                                       fg_buf_append(&call->cache_text, ev->text, ev->len)))
        call->cache_skip = true;
}

static void note_failure(fg_llm_call *call, fg_llm_deployment *d)
{
    int n = atomic_fetch_add(&d->consecutive_failures, 1) + 1;
    if (n >= call->llm->cooldown_failures && call->llm->cooldown_ms > 0)
        atomic_store(&d->cooldown_until_ms, fg_clock_mono_ms() + (uint64_t)call->llm->cooldown_ms);
}

/* Before the sink ends the HTTP request (which frees it): hand over the
 * upstream time and unhook the request's callbacks. */
static void release_req(fg_llm_call *call)
{
    if (call->req) {
        fg_http_req_add_upstream_ns(call->req, call->upstream_ns);
        fg_http_req_on_abort(call->req, NULL, NULL);
        fg_http_req_on_drain(call->req, NULL, NULL);
    }
}

/* After the sink ended the request. */
static void call_finish(fg_llm_call *call, const char *outcome)
{
    cache_release(call);
    call->phase = CALL_DONE;
    snprintf(call->outcome, sizeof call->outcome, "%s", outcome);
    call->req = NULL;
    fg__llm_record_usage(call);
    if (call->reserved_tokens)
        fg_auth_limits_settle(call->llm->auth, call->account_id, call->key_id, call->reserved_tokens,
                              call->input_tokens + call->output_tokens, fg__llm_call_cost(call));
    call_free(call);
}

static void end_attempt(fg_llm_call *call)
{
    if (call->attempt_live) {
        call->upstream_ns += fg_clock_mono_ns() - call->attempt.start_ns;
        call->attempt_live = false;
    }
    if (call->timer_open)
        uv_timer_stop(&call->timer);
}

static void fail_to_client(fg_llm_call *call, int status, const char *type, const char *msg)
{
    call->status = call->committed ? call->status : status;
    snprintf(call->error_msg, sizeof call->error_msg, "%s", msg);
    release_req(call);
    call->sink->fail(call, status, type, msg);
    call_finish(call, "error");
}

static void on_retry_timer(uv_timer_t *t)
{
    fg_llm_call *call = t->data;
    call_start_attempt(call);
}

static long backoff_delay(fg_llm_call *call, long retry_after_ms)
{
    long base = call->llm->backoff_ms;
    long cap = call->llm->max_backoff_ms;
    double d = (double)base * pow(2.0, call->backoff_step++);
    if (d > (double)cap)
        d = (double)cap;
    long delay = (long)(fg_rand_unit() * d); /* full jitter */
    if (retry_after_ms > delay)
        delay = retry_after_ms < cap ? retry_after_ms : cap;
    return delay;
}

static void ensure_timer(fg_llm_call *call)
{
    if (call->timer_open)
        return;
    uv_timer_init(call->loop, &call->timer);
    call->timer.data = call;
    call->timer_open = true;
}

/* An attempt failed before anything reached the client: retry the same
 * deployment, fall back to the next one, or give up. */
static void attempt_failed(fg_llm_call *call, const fg_llm_event *ev)
{
    fg_llm_deployment *d = call->attempt.dep;
    note_failure(call, d);
    bool can_retry = ev->retryable && call->retries_left > 0;
    bool can_fall_back = (ev->retryable || ev->status == 401 || ev->status == 403 ||
                          ev->status == 404) && call->deps_tried < call->norder;
    if (!can_retry && !can_fall_back) {
        int status = ev->status == 429 ? 429
                     : ev->status == 400 || ev->status == 404 || ev->status == 413 ||
                               ev->status == 422
                         ? ev->status
                     : ev->error_type && strcmp(ev->error_type, "timeout") == 0 ? 504
                                                                                : 502;
        char msg[300];
        snprintf(msg, sizeof msg, "%s (deployment %s)", ev->error_msg ? ev->error_msg : "upstream failed",
                 d->label);
        fail_to_client(call, status, ev->error_type ? ev->error_type : "upstream_error", msg);
        return;
    }
    if (can_retry) {
        call->retries_left--;
    } else {
        call->dep_index = call->deps_tried;
        call->retries_left = call->llm->retries;
        call->backoff_step = 0;
    }
    fg_debug("llm: attempt on %s failed (%s); %s", d->label, ev->error_msg ? ev->error_msg : "?",
             can_retry ? "retrying" : "falling back");
    call->phase = CALL_WAITING_RETRY;
    ensure_timer(call);
    uv_timer_start(&call->timer, on_retry_timer,
                   (uint64_t)(can_retry ? backoff_delay(call, ev->retry_after_ms) : 0), 0);
}

static void commit(fg_llm_call *call)
{
    call->committed = true;
    call->first_token_ns = fg_clock_mono_ns();
    call->status = 200;
    if (call->timer_open)
        uv_timer_stop(&call->timer); /* time-to-first-token timer */
    atomic_store(&call->attempt.dep->consecutive_failures, 0);
    call->sink->begin(call);
}

void fg__llm_emit(fg_llm_attempt *a, const fg_llm_event *ev)
{
    fg_llm_call *call = a->call;
    if (call->phase != CALL_STREAMING || a != &call->attempt || !call->attempt_live)
        return;
    switch (ev->type) {
    case FG_LLM_EV_TEXT:
    case FG_LLM_EV_TOOL:
    case FG_LLM_EV_FINISH:
    case FG_LLM_EV_EMBEDDING:
        if (!call->committed)
            commit(call);
        if (ev->type == FG_LLM_EV_FINISH && ev->finish_reason)
            snprintf(call->finish_reason, sizeof call->finish_reason, "%s", ev->finish_reason);
        cache_note(call, ev);
        call->sink->event(call, ev);
        return;
    case FG_LLM_EV_USAGE:
        if (ev->input_tokens >= 0)
            call->input_tokens = ev->input_tokens;
        if (ev->output_tokens >= 0)
            call->output_tokens = ev->output_tokens;
        return;
    case FG_LLM_EV_ERROR:
        end_attempt(call);
        if (!call->committed) {
            attempt_failed(call, ev);
        } else {
            fail_to_client(call, ev->status ? ev->status : 502,
                           ev->error_type ? ev->error_type : "upstream_error",
                           ev->error_msg ? ev->error_msg : "upstream failed");
        }
        return;
    case FG_LLM_EV_DONE:
        end_attempt(call);
        if (!call->committed)
            commit(call);
        if (!call->finish_reason[0])
            snprintf(call->finish_reason, sizeof call->finish_reason, "stop");
        cache_store(call);
        release_req(call);
        call->sink->end(call);
        call_finish(call, "ok");
        return;
    }
}

static void on_ttft_timeout(uv_timer_t *t)
{
    fg_llm_call *call = t->data;
    if (call->committed || !call->attempt_live)
        return;
    call->attempt.dep->provider->ops->abort(&call->attempt);
    fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .retryable = true, .error_type = "timeout",
                       .error_msg = "no first token within the deployment's ttft_timeout_ms"};
    fg__llm_emit(&call->attempt, &ev);
}

static void call_start_attempt(fg_llm_call *call)
{
    fg_llm_deployment *d = &call->model->deployments[call->order[call->dep_index]];
    if (call->dep_index >= call->deps_tried)
        call->deps_tried = call->dep_index + 1;
    call->attempt = (fg_llm_attempt){.call = call, .dep = d, .start_ns = fg_clock_mono_ns()};
    call->attempt_live = true;
    call->phase = CALL_STREAMING;
    if (d->ttft_timeout_ms > 0) {
        ensure_timer(call);
        uv_timer_start(&call->timer, on_ttft_timeout, (uint64_t)d->ttft_timeout_ms, 0);
    }
    int (*start)(fg_llm_attempt *) = call->embed ? d->provider->ops->embed : d->provider->ops->start;
    if (!start) {
        char msg[200];
        snprintf(msg, sizeof msg, "provider '%s' cannot compute embeddings", d->provider->name);
        fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = 400, .error_type = "invalid_request_error",
                           .error_msg = msg};
        fg__llm_emit(&call->attempt, &ev);
        return;
    }
    int rc = start(&call->attempt);
    if (rc) {
        fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .retryable = false,
                           .error_type = "upstream_error", .error_msg = fg_strerror(rc)};
        fg__llm_emit(&call->attempt, &ev);
    }
}

/* The client left: cancel. The sink ends the request (its writes are no-ops
 * now) and frees its state. */
static void on_client_abort(fg_http_req *req, void *ud)
{
    fg_llm_call_cancel(ud);
}

static void on_client_drain(fg_http_req *req, void *ud)
{
    fg__llm_call_resume(ud);
}

void fg__llm_call_pause(fg_llm_call *call)
{
    call->backpressured = true;
}

void fg__llm_call_resume(fg_llm_call *call)
{
    if (!call->backpressured)
        return;
    call->backpressured = false;
    if (call->attempt_live && call->attempt.dep->provider->ops->resume)
        call->attempt.dep->provider->ops->resume(&call->attempt);
}

static const fg_llm_caller *caller_of(const fg_principal *who, fg_llm_caller *c)
{
    if (!who)
        return NULL;
    c->account_id = who->account_id;
    c->key_id = who->key_id;
    return c;
}

/* Holds the call's likely tokens of the caller's per-minute budget: the
 * answer's ceiling plus the request's size in tokens at ~4 bytes each. */
static void reserve_tokens(fg_llm_call *call)
{
    if (!call->llm->auth || (!call->account_id[0] && !call->key_id[0]))
        return;
    json_int_t max = json_integer_value(json_object_get(call->request, "max_tokens"));
    char *text = json_dumps(json_object_get(call->request, "messages"), JSON_COMPACT);
    long estimate = (long)(max > 0 ? max : 1024) + (text ? (long)strlen(text) / 4 : 0);
    free(text);
    call->reserved_tokens = estimate;
    fg_auth_limits_reserve(call->llm->auth, call->account_id, call->key_id, estimate);
}
static int call_start_on(fg_llm *llm, uv_loop_t *loop, fg_http_client *client, fg_http_req *req,
                         const char *route, const fg_llm_caller *caller, json_t *request,
                         const fg_llm_sink_ops *sink, void *sink_ud, bool embed, fg_llm_call **out);

/* A cached answer, replayed to the sink as if a provider had sent it at once. */
static void replay_cached(fg_llm_call *call, const char *text, size_t len)
{
    call->committed = true;
    call->status = 200;
    call->first_token_ns = fg_clock_mono_ns();
    snprintf(call->finish_reason, sizeof call->finish_reason, "stop");
    fg_http_resp_header(call->req, "x-flowgate-cache", "hit");
    call->sink->begin(call);
    fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = text, .len = len};
    if (len)
        call->sink->event(call, &ev);
    fg_llm_event fin = {.type = FG_LLM_EV_FINISH, .finish_reason = "stop"};
    call->sink->event(call, &fin);
    release_req(call);
    call->sink->end(call);
    call_finish(call, "cached");
}

/* True when the cache ended the call (a hit replayed, or the request answered). */
static bool ask_cache(fg_llm_call *call)
{
    fg_buf answer;
    fg_buf_init(&answer, 0);
    fg_llm_caller caller = {call->account_id, call->key_id};
    fg_llm_cache_result r = call->llm->cache_ops->lookup(call->llm->cache_ud, call->req, &caller,
                                                         call->request, &answer, &call->cache_ctx);
    if (r == FG_LLM_CACHE_HIT) {
        replay_cached(call, answer.data ? answer.data : "", answer.len);
    } else if (r == FG_LLM_CACHE_ANSWERED) {
        cache_release(call);
        call->phase = CALL_DONE;
        call->req = NULL;
        call_free(call);
    } else if (call->cache_ctx) {
        fg_buf_init(&call->cache_text, 64u << 20);
        fg_http_resp_header(call->req, "x-flowgate-cache", "miss");
    }
    fg_buf_free(&answer);
    return r != FG_LLM_CACHE_MISS;
}

static int call_start(fg_llm *llm, fg_http_worker *w, fg_http_req *req, const char *route,
                      const fg_llm_caller *caller, json_t *request, const fg_llm_sink_ops *sink,
                      void *sink_ud, bool embed, fg_llm_call **out)
{
    return call_start_on(llm, w ? fg_http_worker_loop(w) : NULL, fg__llm_client(w), req, route,
                         caller, request, sink, sink_ud, embed, out);
}

int fg__llm_embed_start_on(fg_llm *llm, uv_loop_t *loop, fg_http_client *client, const char *route,
                           json_t *request, const fg_llm_sink_ops *sink, void *sink_ud)
{
    return call_start_on(llm, loop, client, NULL, route, NULL, request, sink, sink_ud, true, NULL);
}

static int call_start_on(fg_llm *llm, uv_loop_t *loop, fg_http_client *client, fg_http_req *req,
                         const char *route, const fg_llm_caller *caller, json_t *request,
                         const fg_llm_sink_ops *sink, void *sink_ud, bool embed, fg_llm_call **out)
{
    fg_llm_call *call = calloc(1, sizeof *call);
    if (!call) {
        json_decref(request);
        return FG_ENOMEM;
    }
    call->embed = embed;
    if (out) /* before any sink callback, which may free what out points into */
        *out = NULL;
    call->llm = llm;
    call->req = req;
    call->request = request;
    call->sink = sink;
    call->sink_ud = sink_ud;
    call->start_ns = req ? fg_http_req_start_ns(req) : fg_clock_mono_ns();
    call->created = (long)(fg_clock_wall_ms() / 1000);
    snprintf(call->route, sizeof call->route, "%s", route);
    if (caller) {
        snprintf(call->account_id, sizeof call->account_id, "%s", caller->account_id ? caller->account_id : "");
        snprintf(call->key_id, sizeof call->key_id, "%s", caller->key_id ? caller->key_id : "");
    }
    call->loop = loop;
    call->client = client;
    char rid[25];
    unsigned char b[12];
    fg_rand_bytes(b, sizeof b);
    fg_hex_encode(b, sizeof b, rid);
    snprintf(call->id, sizeof call->id, "chatcmpl-%s", rid);
    const char *model = json_string_value(json_object_get(request, "model"));
    if (req)
        fg_http_req_set_label(req, model ? model : "");
    call->model = model ? fg__llm_find_model(llm, model) : NULL;
    if (!call->model) {
        char msg[300];
        if (llm->nmodels == 0)
            snprintf(msg, sizeof msg, "model '%s' is not available: flowgate has no model yet. Put a "
                     "GGUF model file in the data folder's models/ directory (for example with "
                     "`flowgate model pull URL`) and restart, or configure a remote provider and "
                     "models in the configuration file (docs/configuration.md, docs/gateway.md).",
                     model ? model : "");
        else
            snprintf(msg, sizeof msg, "model '%s' not found (GET /v1/models lists the models)",
                     model ? model : "");
        call->status = 404;
        call->sink->fail(call, 404, "model_not_found", msg);
        snprintf(call->error_msg, sizeof call->error_msg, "%s", msg);
        call->phase = CALL_DONE;
        snprintf(call->outcome, sizeof call->outcome, "error");
        call->req = NULL;
        fg__llm_record_usage(call);
        call_free(call);
        return FG_OK;
    }
    if (req && !embed && llm->cache_ops && ask_cache(call))
        return FG_OK;
    if (out)
        *out = call;
    ensure_timer(call); /* also makes the call's free wait for the next loop turn */
    if (req) {
        fg_http_req_on_abort(req, on_client_abort, call);
        fg_http_req_on_drain(req, on_client_drain, call);
    }
    call->retries_left = llm->retries;
    reserve_tokens(call);
    plan_order(call);
    call_start_attempt(call);
    return FG_OK;
}

int fg__llm_call_start(fg_llm *llm, fg_http_req *req, json_t *request,
                       const fg_llm_sink_ops *sink, void *sink_ud, const fg_principal *who)
{
    fg_llm_caller c;
    return call_start(llm, fg_http_req_worker(req), req, fg_http_req_path(req), caller_of(who, &c), request,
                      sink, sink_ud, false, NULL);
}

int fg__llm_embed_start(fg_llm *llm, fg_http_req *req, json_t *request,
                        const fg_llm_sink_ops *sink, void *sink_ud, const fg_principal *who)
{
    fg_llm_caller c;
    return call_start(llm, fg_http_req_worker(req), req, fg_http_req_path(req), caller_of(who, &c), request,
                      sink, sink_ud, true, NULL);
}

int fg_llm_call_start(fg_llm *llm, fg_http_worker *w, const char *route, json_t *request,
                      const fg_llm_sink_ops *sink, void *sink_ud, fg_llm_call **out)
{
    return call_start(llm, w, NULL, route, NULL, request, sink, sink_ud, false, out);
}

int fg_llm_call_start_as(fg_llm *llm, fg_http_worker *w, const char *route, const fg_llm_caller *caller,
                         json_t *request, const fg_llm_sink_ops *sink, void *sink_ud, fg_llm_call **out)
{
    return call_start(llm, w, NULL, route, caller, request, sink, sink_ud, false, out);
}

bool fg_llm_has_model(fg_llm *llm, const char *name)
{
    for (size_t i = 0; name && i < llm->nmodels; i++)
        if (strcmp(llm->models[i].name, name) == 0)
            return true;
    return false;
}

int fg_llm_embed_call_start(fg_llm *llm, fg_http_worker *w, const char *route, json_t *request,
                            const fg_llm_sink_ops *sink, void *sink_ud, fg_llm_call **out)
{
    return call_start(llm, w, NULL, route, NULL, request, sink, sink_ud, true, out);
}

int fg_llm_call_start_http(fg_llm *llm, fg_http_req *req, json_t *request,
                           const fg_llm_sink_ops *sink, void *sink_ud)
{
    return fg__llm_call_start(llm, req, request, sink, sink_ud, NULL);
}

int fg_llm_call_start_http_as(fg_llm *llm, fg_http_req *req, const fg_llm_caller *caller, json_t *request,
                              const fg_llm_sink_ops *sink, void *sink_ud)
{
    return call_start(llm, fg_http_req_worker(req), req, fg_http_req_path(req), caller, request, sink,
                      sink_ud, false, NULL);
}

void fg_llm_call_cancel(fg_llm_call *call)
{
    if (call->phase == CALL_DONE)
        return;
    call->aborted = true;
    if (call->attempt_live)
        call->attempt.dep->provider->ops->abort(&call->attempt);
    end_attempt(call);
    call->status = 499;
    release_req(call);
    call->sink->fail(call, 499, "cancelled", "the request was cancelled");
    call_finish(call, "cancelled");
}

void fg_llm_call_pause(fg_llm_call *call) { fg__llm_call_pause(call); }
void fg_llm_call_resume(fg_llm_call *call) { fg__llm_call_resume(call); }
void *fg_llm_call_sink_data(const fg_llm_call *call) { return call->sink_ud; }
long fg_llm_call_input_tokens(const fg_llm_call *call) { return call->input_tokens; }
long fg_llm_call_output_tokens(const fg_llm_call *call) { return call->output_tokens; }

const char *fg_llm_call_finish_reason(const fg_llm_call *call)
{
    return call->finish_reason[0] ? call->finish_reason : "stop";
}

long fg__llm_call_elapsed_ms(const fg_llm_call *call)
{
    return (long)((fg_clock_mono_ns() - call->start_ns) / 1000000u);
}

long fg__llm_call_ttft_ms(const fg_llm_call *call)
{
    return call->first_token_ns ? (long)((call->first_token_ns - call->start_ns) / 1000000u) : 0;
}

const char *fg__llm_upstream_model(const fg_llm_attempt *a)
{
    if (a->dep->model)
        return a->dep->model;
    const char *m = json_string_value(json_object_get(a->call->request, "model"));
    return m ? m : "";
}
