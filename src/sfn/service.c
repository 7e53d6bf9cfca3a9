/* The service object: configuration, the table of live executions, the cache
 * of compiled machines, and its life (create, start = resume, stop, free). */
#include "sfn/sfn_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sfn_key(const char *account, const char *arn)
{
    size_t n = strlen(account) + strlen(arn) + 2;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s\n%s", account, arn);
    return k;
}

sfn_exec *sfn_exec_ref(sfn_exec *x)
{
    atomic_fetch_add(&x->refs, 1);
    return x;
}

void sfn_machine_unref(sfn_machine *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    fg_flow_machine_free(m->m);
    free(m->revision);
    free(m);
}

void sfn_exec_unref(sfn_exec *x)
{
    if (!x || atomic_fetch_sub(&x->refs, 1) != 1)
        return;
    sfn_activity_drop(x);
    sfn_machine_unref(x->machine);
    free(x->key);
    free(x->arn);
    free(x->machine_arn);
    free(x->machine_name);
    free(x->name);
    free(x->role_arn);
    free(x->input);
    free(x->definition);
    free(x->version_arn);
    free(x->alias_arn);
    free(x->parent_token);
    json_decref(x->saved_context);
    free(x);
}

static json_t *pointer_value(void *p)
{
    return json_integer((json_int_t)(intptr_t)p);
}

static void *value_pointer(const json_t *v)
{
    return v ? (void *)(intptr_t)json_integer_value(v) : NULL;
}

size_t sfn_live_count(fg_sfn *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = json_object_size(s->live);
    pthread_mutex_unlock(&s->lock);
    return n;
}

sfn_exec *sfn_live_get(fg_sfn *s, const char *account, const char *arn)
{
    char *k = sfn_key(account, arn);
    if (!k)
        return NULL;
    pthread_mutex_lock(&s->lock);
    sfn_exec *x = value_pointer(json_object_get(s->live, k));
    if (x)
        sfn_exec_ref(x);
    pthread_mutex_unlock(&s->lock);
    free(k);
    return x;
}

void sfn_live_put(fg_sfn *s, sfn_exec *x)
{
    pthread_mutex_lock(&s->lock);
    json_object_set_new(s->live, x->key, pointer_value(sfn_exec_ref(x)));
    pthread_mutex_unlock(&s->lock);
}

void sfn_live_del(fg_sfn *s, sfn_exec *x)
{
    pthread_mutex_lock(&s->lock);
    sfn_exec *cur = value_pointer(json_object_get(s->live, x->key));
    if (cur == x)
        json_object_del(s->live, x->key);
    pthread_mutex_unlock(&s->lock);
    if (cur == x)
        sfn_exec_unref(x);
}

int64_t sfn_next_exec_id(fg_sfn *s)
{
    unsigned n = atomic_fetch_add(&s->exec_counter, 1);
    return (fg_clock_wall_ms() << 16) | (int64_t)(n & 0xffff);
}

int sfn_post(fg_sfn *s, fg_http_worker *w, fg_http_worker_fn fn, void *ud)
{
    if (!w)
        return FG_ECANCELED;
    pthread_mutex_lock(&s->lock);
    bool stopped = false;
    for (int i = 0; i < s->nstopped && !stopped; i++)
        stopped = s->stopped[i] == w;
    /* Posting under the lock: a worker marks itself stopped under it too, and is
     * freed only after that, so w stays valid while this runs. */
    int rc = stopped ? FG_ECANCELED : fg_http_worker_post(w, fn, ud);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

fg_http_worker *sfn_pick_worker(fg_sfn *s)
{
    int n = s->server ? fg_http_server_nworkers(s->server) : 0;
    if (n <= 0)
        return NULL;
    unsigned i = atomic_fetch_add(&s->next_worker, 1);
    return fg_http_server_worker(s->server, (int)(i % (unsigned)n));
}

int fg_sfn_create(const fg_config *cfg, fg_store *store, fg_auth *auth, fg_flow_registry *tasks,
                  fg_sfn **out, fg_errbuf *eb)
{
    fg_sfn *s = calloc(1, sizeof *s);
    if (!s)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the Step Functions service");
    s->cfg = cfg;
    s->store = store;
    s->auth = auth;
    s->tasks = tasks;
    snprintf(s->region, sizeof s->region, "%s", fg_config_str(cfg, "sfn.region"));
    /* An all-digit id may arrive as a number from YAML. */
    const json_t *acct = fg_config_get(cfg, "sfn.account_id");
    if (json_is_string(acct))
        snprintf(s->account, sizeof s->account, "%s", json_string_value(acct));
    else if (json_is_integer(acct))
        snprintf(s->account, sizeof s->account, "%012lld", (long long)json_integer_value(acct));
    else
        snprintf(s->account, sizeof s->account, "123456789012");
    s->poll_ms = fg_config_int(cfg, "sfn.activity_poll_seconds") * 1000;
    s->max_running = (size_t)fg_config_int(cfg, "sfn.max_running_executions");
    fg_flow_limits_default(&s->limits);
    s->limits.max_transitions = (uint64_t)fg_config_int(cfg, "sfn.max_transitions");
    s->limits.max_history = (size_t)fg_config_int(cfg, "sfn.max_history_events");
    pthread_mutex_init(&s->lock, NULL);
    s->live = json_object();
    s->machines = json_object();
    s->acts = sfn_activities_create();
    if (!s->live || !s->machines || !s->acts || sfn_register_tasks(s) != 0) {
        fg_sfn_free(s);
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the Step Functions service");
    }
    s->journal = sfn_journal_start(s);
    if (!s->journal) {
        fg_sfn_free(s);
        return fg_failf(eb, FG_EIO, "cannot start the Step Functions journal thread");
    }
    *out = s;
    return 0;
}

int fg_sfn_start(fg_sfn *s, fg_http_server *server, fg_errbuf *eb)
{
    s->server = server;
    return sfn_exec_resume_all(s, eb);
}

void fg_sfn_worker_stop(fg_sfn *s, fg_http_worker *w)
{
    if (!s)
        return;
    /* Collect this worker's executions first: abandoning one changes the table. */
    json_t *mine = json_array();
    pthread_mutex_lock(&s->lock);
    if (s->nstopped < (int)FG_ARRAY_LEN(s->stopped))
        s->stopped[s->nstopped++] = w;
    const char *k;
    json_t *v;
    json_object_foreach(s->live, k, v) {
        sfn_exec *x = value_pointer(v);
        if (x->worker == w)
            json_array_append_new(mine, pointer_value(sfn_exec_ref(x)));
    }
    pthread_mutex_unlock(&s->lock);
    size_t i;
    json_array_foreach(mine, i, v) {
        sfn_exec *x = value_pointer(v);
        if (x->run) {
            fg_sfn_run_abandon(x->run);
            x->run = NULL;
        }
        if (x->sync_req) {
            sfn_api_error(x->sync_req, 503, "ServiceUnavailable", "flowgate is shutting down");
            x->sync_req = NULL;
        }
        sfn_live_del(s, x);
        sfn_exec_unref(x);
    }
    json_decref(mine);
}

void fg_sfn_stop(fg_sfn *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    sfn_activities_release(s);
}

void fg_sfn_free(fg_sfn *s)
{
    if (!s)
        return;
    if (s->journal)
        sfn_journal_stop(s->journal);
    const char *k;
    json_t *v;
    json_object_foreach(s->live, k, v)
        sfn_exec_unref(value_pointer(v));
    json_object_foreach(s->machines, k, v)
        sfn_machine_unref(value_pointer(v));
    json_decref(s->live);
    json_decref(s->machines);
    sfn_activities_free(s->acts);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void fg_sfn_register_routes(fg_sfn *s, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/", sfn_api_handle, s);
}
