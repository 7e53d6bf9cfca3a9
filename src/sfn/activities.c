/* Activity tasks waiting for a worker, and workers waiting for a task
 * (GetActivityTask long polls). Both are lists under one lock; a poll that
 * finds nothing parks on its worker's loop with a timer until a task arrives
 * (posted to that loop), the timer ends it, or its client goes away. The
 * queue is memory only: after a restart the Task runs again and queues itself
 * again with the same token. */
#include "sfn/sfn_int.h"

#include "sfn/arn.h"

#include <stdlib.h>
#include <string.h>

typedef struct act_item {
    char *key; /* account "\n" activity ARN */
    char *token, *input;
    struct act_item *next;
} act_item;

typedef struct poller {
    fg_sfn *svc;
    fg_http_req *req;
    fg_http_worker *w;
    uv_timer_t timer;
    char *key;
    act_item *item; /* set when a task was handed to it */
    bool claimed;
    struct poller *next;
} poller;

struct sfn_activities {
    pthread_mutex_t lock;
    act_item *items;
    poller *pollers;
};

sfn_activities *sfn_activities_create(void)
{
    sfn_activities *a = calloc(1, sizeof *a);
    if (a)
        pthread_mutex_init(&a->lock, NULL);
    return a;
}

static void item_free(act_item *it)
{
    if (!it)
        return;
    free(it->key);
    free(it->token);
    free(it->input);
    free(it);
}

void sfn_activities_free(sfn_activities *a)
{
    if (!a)
        return;
    while (a->items) {
        act_item *next = a->items->next;
        item_free(a->items);
        a->items = next;
    }
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static void poller_closed(uv_handle_t *h)
{
    poller *p = h->data;
    free(p->key);
    free(p);
}

static void poller_end(poller *p, act_item *it)
{
    uv_timer_stop(&p->timer);
    if (it)
        sfn_api_reply(p->req, json_pack("{s:s,s:s}", "taskToken", it->token, "input", it->input));
    else
        sfn_api_reply(p->req, json_object());
    item_free(it);
    uv_close((uv_handle_t *)&p->timer, poller_closed);
}

/* Removes p from the waiting list; false when a task already claimed it. */
static bool unlist(sfn_activities *a, poller *p)
{
    bool found = false;
    pthread_mutex_lock(&a->lock);
    for (poller **pp = &a->pollers; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            found = true;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    return found;
}

static void append_item(sfn_activities *a, act_item *it)
{
    act_item **pp = &a->items;
    while (*pp)
        pp = &(*pp)->next;
    it->next = NULL;
    *pp = it;
}

/* Hands it to a waiting poll of its activity; false when none waits. */
static bool hand_over(fg_sfn *s, act_item *it);

static void on_delivered(fg_http_worker *w, void *ud)
{
    (void)w;
    poller *p = ud;
    act_item *it = p->item;
    p->item = NULL;
    if (it && fg_http_req_aborted(p->req)) { /* its client left: the next poll gets it */
        if (!hand_over(p->svc, it)) {
            pthread_mutex_lock(&p->svc->acts->lock);
            append_item(p->svc->acts, it);
            pthread_mutex_unlock(&p->svc->acts->lock);
        }
        it = NULL;
    }
    poller_end(p, it);
}

static bool hand_over(fg_sfn *s, act_item *it)
{
    sfn_activities *a = s->acts;
    pthread_mutex_lock(&a->lock);
    poller *found = NULL;
    for (poller **pp = &a->pollers; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->key, it->key)) {
            found = *pp;
            *pp = found->next;
            break;
        }
    if (found) {
        found->claimed = true;
        found->item = it;
    }
    pthread_mutex_unlock(&a->lock);
    if (found && sfn_post(s, found->w, on_delivered, found) != 0) {
        found->item = NULL; /* that worker is gone with its request */
        return false;
    }
    return found != NULL;
}

void sfn_activity_push(fg_sfn *s, const char *account, const char *activity_arn,
                       const char *token, const char *input)
{
    act_item *it = calloc(1, sizeof *it);
    it->key = sfn_key(account, activity_arn);
    it->token = strdup(token);
    it->input = strdup(input ? input : "{}");
    if (hand_over(s, it))
        return;
    pthread_mutex_lock(&s->acts->lock);
    append_item(s->acts, it);
    pthread_mutex_unlock(&s->acts->lock);
}

typedef struct sfn_deferred_act {
    char *activity_arn, *token, *input;
    struct sfn_deferred_act *next;
} sfn_deferred_act;

void sfn_activity_defer(sfn_exec *x, const char *activity_arn, const char *token, const char *input)
{
    sfn_deferred_act *d = calloc(1, sizeof *d);
    if (!d) { /* hand it over now: a crash before the commit would mint a new token */
        sfn_activity_push(x->svc, x->account, activity_arn, token, input);
        return;
    }
    d->activity_arn = strdup(activity_arn);
    d->token = strdup(token);
    d->input = strdup(input ? input : "{}");
    sfn_deferred_act **tail = &x->deferred;
    while (*tail)
        tail = &(*tail)->next;
    *tail = d;
}

static void deferred_free(sfn_deferred_act *d)
{
    free(d->activity_arn);
    free(d->token);
    free(d->input);
    free(d);
}

void sfn_activity_flush(sfn_exec *x)
{
    while (x->deferred) {
        sfn_deferred_act *d = x->deferred;
        x->deferred = d->next;
        sfn_activity_push(x->svc, x->account, d->activity_arn, d->token, d->input);
        deferred_free(d);
    }
}

void sfn_activity_drop(sfn_exec *x)
{
    while (x->deferred) {
        sfn_deferred_act *d = x->deferred;
        x->deferred = d->next;
        deferred_free(d);
    }
}

static act_item *take_item(sfn_activities *a, const char *key)
{
    pthread_mutex_lock(&a->lock);
    act_item *found = NULL;
    for (act_item **pp = &a->items; *pp; pp = &(*pp)->next)
        if (!strcmp((*pp)->key, key)) {
            found = *pp;
            *pp = found->next;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    return found;
}

/* True when the execution that queued the task still runs (a task of an
 * execution that ended, timed out or was stopped is dropped, not handed out). */
static bool owner_runs(fg_sfn *s, const act_item *it)
{
    char account[64];
    char *arn = NULL;
    sfn_exec *x = fg_sfn_token_owner(it->token, account, sizeof account, &arn)
                      ? sfn_live_get(s, account, arn) : NULL;
    free(arn);
    bool runs = x != NULL;
    sfn_exec_unref(x);
    return runs;
}

/* The next task of key whose execution still runs. */
static act_item *take_live_item(fg_sfn *s, const char *key)
{
    for (;;) {
        act_item *it = take_item(s->acts, key);
        if (!it || owner_runs(s, it))
            return it;
        item_free(it);
    }
}

static void on_poll_timeout(uv_timer_t *t)
{
    poller *p = t->data;
    if (unlist(p->svc->acts, p))
        poller_end(p, NULL);
}

static void on_poll_abort(fg_http_req *req, void *ud)
{
    (void)req;
    poller *p = ud;
    if (unlist(p->svc->acts, p))
        poller_end(p, NULL);
}

void sfn_activity_poll(fg_sfn *s, fg_http_req *req, const char *account, const char *activity_arn)
{
    char *key = sfn_key(account, activity_arn);
    act_item *it = take_live_item(s, key);
    if (it || atomic_load(&s->stopping) || s->poll_ms <= 0) {
        if (it)
            sfn_api_reply(req, json_pack("{s:s,s:s}", "taskToken", it->token, "input", it->input));
        else
            sfn_api_reply(req, json_object());
        item_free(it);
        free(key);
        return;
    }
    poller *p = calloc(1, sizeof *p);
    p->svc = s;
    p->req = req;
    p->w = fg_http_req_worker(req);
    p->key = key;
    uv_timer_init(fg_http_worker_loop(p->w), &p->timer);
    p->timer.data = p;
    pthread_mutex_lock(&s->acts->lock);
    p->next = s->acts->pollers;
    s->acts->pollers = p;
    pthread_mutex_unlock(&s->acts->lock);
    fg_http_req_on_abort(req, on_poll_abort, p);
    uv_timer_start(&p->timer, on_poll_timeout, (uint64_t)s->poll_ms, 0);
}

void sfn_activities_release(fg_sfn *s)
{
    sfn_activities *a = s->acts;
    pthread_mutex_lock(&a->lock);
    poller *list = a->pollers;
    a->pollers = NULL;
    for (poller *p = list; p; p = p->next)
        p->claimed = true;
    pthread_mutex_unlock(&a->lock);
    while (list) {
        poller *next = list->next;
        /* When the worker is gone, its loop has closed the request already. */
        (void)sfn_post(s, list->w, on_delivered, list);
        list = next;
    }
}
