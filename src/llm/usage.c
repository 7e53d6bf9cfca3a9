/* Usage records: one row per gateway request (caller, model, deployment,
 * tokens, status, timings, cost), written off the event loop. */
#include "llm/llm_int.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "obs/metrics.h"

#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct usage_row {
    struct usage_row *next;
    fg_store *store;
    char id[37];
    int64_t created_ms;
    char route[96], model[160], deployment[160], provider[64], outcome[16];
    char account_id[64], key_id[64]; /* "" when the call was made for no account */
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

/* Rows are written by one writer thread in batches (one transaction per
 * batch), off the event loops: a request never waits for the database. */
#define USAGE_QUEUE_MAX 100000
#define USAGE_BATCH_NS 20000000L /* 20 ms */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    usage_row *head, *tail;
    size_t queued;
    bool started, stopping;
    long dropped;
} Q = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void insert_row(fg_store *store, const usage_row *u)
{
    fg_sval p[16] = {
        FG_STEXT(u->id), FG_SINT(u->created_ms), FG_STEXT(u->route), FG_STEXT(u->model),
        FG_STEXT(u->deployment), FG_STEXT(u->provider), FG_SINT(u->status), FG_STEXT(u->outcome),
        FG_SINT(u->input_tokens), FG_SINT(u->output_tokens),
        u->has_ttft ? FG_SREAL(u->ttft_ms) : FG_SNULL, FG_SREAL(u->total_ms),
        FG_SREAL(u->upstream_ms), FG_SREAL(u->cost),
        u->account_id[0] ? FG_STEXT(u->account_id) : FG_SNULL, u->key_id[0] ? FG_STEXT(u->key_id) : FG_SNULL};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_store_exec(store,
                      "INSERT INTO usage_records (id, created_ms, route, model, deployment, provider, "
                      "status, outcome, input_tokens, output_tokens, ttft_ms, total_ms, upstream_ms, "
                      "cost, account_id, key_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,"
                      "$15,$16)",
                      p, 16, NULL, &eb))
        fg_warn("usage record not written: %s", eb.msg);
}

static void write_batch(usage_row *batch)
{
    fg_store *store = batch->store;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    bool txn = fg_store_begin(store, &eb) == FG_OK;
    for (usage_row *u = batch; u; u = u->next)
        insert_row(u->store, u);
    if (txn && fg_store_commit(store, &eb))
        fg_warn("usage records not committed: %s", eb.msg);
    while (batch) {
        usage_row *next = batch->next;
        free(batch);
        batch = next;
    }
}

static void *writer_main(void *arg)
{
    pthread_mutex_lock(&Q.lock);
    for (;;) {
        while (!Q.head && !Q.stopping)
            pthread_cond_wait(&Q.wake, &Q.lock);
        if (!Q.head && Q.stopping)
            break;
        usage_row *batch = Q.head;
        Q.head = Q.tail = NULL;
        Q.queued = 0;
        pthread_mutex_unlock(&Q.lock);
        write_batch(batch); /* rows of one process share one store */
        pthread_mutex_lock(&Q.lock);
        /* Gather the next batch for a moment: one commit per interval instead
         * of a wake-up per request. */
        if (!Q.stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += USAGE_BATCH_NS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!Q.stopping && pthread_cond_timedwait(&Q.wake, &Q.lock, &until) == 0)
                ;
        }
    }
    pthread_mutex_unlock(&Q.lock);
    return NULL;
}

static void enqueue(usage_row *u)
{
    pthread_mutex_lock(&Q.lock);
    if (Q.queued >= USAGE_QUEUE_MAX) {
        Q.dropped++;
        pthread_mutex_unlock(&Q.lock);
        free(u);
        fg_warn("usage queue full: a usage record was dropped");
        return;
    }
    if (!Q.started) {
        Q.started = true;
        Q.stopping = false;
        pthread_create(&Q.thread, NULL, writer_main, NULL);
    }
    if (Q.tail)
        Q.tail->next = u;
    else
        Q.head = u;
    Q.tail = u;
    Q.queued++;
    if (Q.queued == 1)
        pthread_cond_signal(&Q.wake);
    pthread_mutex_unlock(&Q.lock);
}

void fg__llm_usage_flush(void)
{
    pthread_mutex_lock(&Q.lock);
    if (!Q.started) {
        pthread_mutex_unlock(&Q.lock);
        return;
    }
    Q.stopping = true;
    pthread_cond_signal(&Q.wake);
    pthread_mutex_unlock(&Q.lock);
    pthread_join(Q.thread, NULL);
    Q.started = false;
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

double fg__llm_call_cost(const fg_llm_call *call)
{
    const char *alias = json_string_value(json_object_get(call->request, "model"));
    const fg_llm_deployment *d = call->model && call->attempt.dep ? call->attempt.dep : NULL;
    return fg__llm_cost(call->llm, d ? fg__llm_upstream_model(&call->attempt) : NULL, alias,
                        call->input_tokens, call->output_tokens);
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
    snprintf(u->account_id, sizeof u->account_id, "%s", call->account_id);
    snprintf(u->key_id, sizeof u->key_id, "%s", call->key_id);
    u->status = call->status;
    u->input_tokens = call->input_tokens;
    u->output_tokens = call->output_tokens;
    u->has_ttft = call->first_token_ns != 0;
    u->ttft_ms = u->has_ttft ? (double)(call->first_token_ns - call->start_ns) / 1e6 : 0;
    u->total_ms = (double)(now - call->start_ns) / 1e6;
    u->upstream_ms = (double)call->upstream_ns / 1e6;
    u->cost = fg__llm_call_cost(call);
    observe(u);
    if (!u->store) {
        free(u);
        return;
    }
    enqueue(u);
}
