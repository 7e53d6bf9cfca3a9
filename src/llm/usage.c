/* Usage records: one row per gateway request (caller, model, deployment,
 * tokens, status, timings, cost), written off the event loop. */
#include "llm/llm_int.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "obs/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct usage_row {
    uv_work_t work;
    fg_store *store;
    char id[37];
    int64_t created_ms;
    char route[96], model[160], deployment[160], provider[64], outcome[16];
    int status;
    long input_tokens, output_tokens;
    double ttft_ms, total_ms, upstream_ms, cost;
    bool has_ttft;
} usage_row;

double fg__llm_cost(const fg_llm *llm, const char *model, const char *alias, long in, long out)
{
    for (size_t i = 0; i < llm->nprices; i++) {
        const fg_llm_price *p = &llm->prices[i];
        if ((model && strcmp(p->model, model) == 0) || (alias && strcmp(p->model, alias) == 0))
            return ((double)in * p->input_per_mtok + (double)out * p->output_per_mtok) / 1e6;
    }
    return 0;
}

static void write_row(uv_work_t *w)
{
    usage_row *u = w->data;
    fg_sval p[16] = {
        FG_STEXT(u->id), FG_SINT(u->created_ms), FG_STEXT(u->route), FG_STEXT(u->model),
        FG_STEXT(u->deployment), FG_STEXT(u->provider), FG_SINT(u->status), FG_STEXT(u->outcome),
        FG_SINT(u->input_tokens), FG_SINT(u->output_tokens),
        u->has_ttft ? FG_SREAL(u->ttft_ms) : FG_SNULL, FG_SREAL(u->total_ms),
        FG_SREAL(u->upstream_ms), FG_SREAL(u->cost)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_exec(u->store,
                      "INSERT INTO usage_records (id, created_ms, route, model, deployment, provider, "
                      "status, outcome, input_tokens, output_tokens, ttft_ms, total_ms, upstream_ms, "
                      "cost) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
                      p, 14, NULL, &eb))
        fg_warn("usage record not written: %s", eb.msg);
}

static void after_write(uv_work_t *w, int status)
{
    free(w->data);
}

static void observe(const usage_row *u)
{
    const char *names[] = {"model", "direction"};
    const char *in_v[] = {u->model, "input"}, *out_v[] = {u->model, "output"};
    fg_metrics_counter_add("flowgate_tokens_total", "Tokens by model and direction", 2, names, in_v,
                           (double)u->input_tokens);
    fg_metrics_counter_add("flowgate_tokens_total", "Tokens by model and direction", 2, names, out_v,
                           (double)u->output_tokens);
    if (u->has_ttft)
        fg_metrics_hist_observe("flowgate_ttft_seconds", "Time to first token", 1, names, in_v,
                                u->ttft_ms / 1e3);
}

void fg__llm_record_usage(fg_llm_call *call)
{
    usage_row *u = calloc(1, sizeof *u);
    if (!u)
        return;
    u->store = call->llm->store;
    fg_rand_uuid(u->id);
    u->created_ms = fg_clock_wall_ms();
    uint64_t now = fg_clock_mono_ns();
    const char *alias = json_string_value(json_object_get(call->request, "model"));
    fg_llm_deployment *d = call->model && (call->attempt.dep) ? call->attempt.dep : NULL;
    snprintf(u->route, sizeof u->route, "%s", call->route);
    snprintf(u->model, sizeof u->model, "%s", alias ? alias : "");
    snprintf(u->deployment, sizeof u->deployment, "%s", d ? d->label : "");
    snprintf(u->provider, sizeof u->provider, "%s", d ? d->provider->name : "");
    snprintf(u->outcome, sizeof u->outcome, "%s", call->outcome);
    u->status = call->status;
    u->input_tokens = call->input_tokens;
    u->output_tokens = call->output_tokens;
    u->has_ttft = call->first_token_ns != 0;
    u->ttft_ms = u->has_ttft ? (double)(call->first_token_ns - call->start_ns) / 1e6 : 0;
    u->total_ms = (double)(now - call->start_ns) / 1e6;
    u->upstream_ms = (double)call->upstream_ns / 1e6;
    u->cost = fg__llm_cost(call->llm, d ? fg__llm_upstream_model(&call->attempt) : NULL, alias,
                           u->input_tokens, u->output_tokens);
    observe(u);
    if (!u->store || !call->loop) {
        if (u->store)
            write_row(&u->work);
        free(u);
        return;
    }
    u->work.data = u;
    if (uv_queue_work(call->loop, &u->work, write_row, after_write) != 0)
        free(u);
}
