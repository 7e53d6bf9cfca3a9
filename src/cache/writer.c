/* Store writes off the event loops: the memory index changes at once, and one
 * thread applies the queued row writes in order, many per transaction, so a
 * worker never waits for SQLite to put an answer in the cache. The queue is
 * bounded; when it is full the caller writes itself. */
#include "cache/cache_int.h"

#include "core/log.h"

#include <stdlib.h>
#include <string.h>

#define MAX_QUEUED 100000
#define MAX_PER_TRANSACTION 1000

typedef struct write_job {
    struct write_job *next;
    bool del;
    fg_cache_entry e; /* strings and vector in the job's allocation */
    int64_t created_ms, expires_ms;
} write_job;

struct cache_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    write_job *head, *tail;
    size_t queued;
    bool stop, busy;
};

static write_job *job_new(const fg_cache_entry *e)
{
    size_t alen = strlen(e->account_id) + 1, nlen = strlen(e->ns) + 1;
    size_t mlen = e->model ? strlen(e->model) + 1 : 0;
    size_t vbytes = e->vec ? e->dim * sizeof(float) : 0;
    write_job *j = malloc(sizeof *j + vbytes + alen + nlen + e->key_len + 1 + e->response_len + 1 + mlen);
    if (!j)
        return NULL;
    memset(j, 0, sizeof *j);
    j->e = *e;
    char *p = (char *)(j + 1);
    if (vbytes) {
        j->e.vec = memcpy(p, e->vec, vbytes);
        p += vbytes;
    }
    j->e.account_id = memcpy(p, e->account_id, alen);
    j->e.ns = memcpy(p += alen, e->ns, nlen);
    j->e.key = memcpy(p += nlen, e->key, e->key_len);
    p[e->key_len] = '\0';
    p += e->key_len + 1;
    if (e->response) {
        j->e.response = memcpy(p, e->response, e->response_len);
        p[e->response_len] = '\0';
    }
    p += e->response_len + 1;
    j->e.model = mlen ? memcpy(p, e->model, mlen) : NULL;
    return j;
}

static int enqueue(fg_cache *c, write_job *j)
{
    struct cache_writer *w = c->writer;
    pthread_mutex_lock(&w->lock);
    if (w->queued >= MAX_QUEUED || w->stop) {
        pthread_mutex_unlock(&w->lock);
        free(j);
        return FG_ELIMIT;
    }
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    w->queued++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return FG_OK;
}

int fg__cache_writer_put(fg_cache *c, const fg_cache_entry *e, int64_t created_ms, int64_t expires_ms)
{
    write_job *j = job_new(e);
    if (!j)
        return FG_ENOMEM;
    j->created_ms = created_ms;
    j->expires_ms = expires_ms;
    return enqueue(c, j);
}

int fg__cache_writer_delete(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                            const char *key, size_t key_len)
{
    fg_cache_entry e = {.account_id = account_id, .mode = mode, .ns = ns, .key = key, .key_len = key_len};
    write_job *j = job_new(&e);
    if (!j)
        return FG_ENOMEM;
    j->del = true;
    return enqueue(c, j);
}

/* Takes up to MAX_PER_TRANSACTION jobs off the queue (the lock held). */
static write_job *take_jobs(struct cache_writer *w)
{
    write_job *first = w->head, *last = first;
    size_t n = 1;
    while (last->next && n < MAX_PER_TRANSACTION) {
        last = last->next;
        n++;
    }
    w->head = last->next;
    if (!w->head)
        w->tail = NULL;
    last->next = NULL;
    w->queued -= n;
    return first;
}

static void apply(fg_cache *c, write_job *jobs)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_store_begin(c->store, &eb);
    for (write_job *j = jobs; j && !rc; j = j->next)
        rc = j->del ? fg__cache_store_delete(c, j->e.account_id, j->e.mode, j->e.ns, j->e.key, j->e.key_len, &eb)
                    : fg__cache_store_put(c, &j->e, j->created_ms, j->expires_ms, &eb);
    if (rc) {
        fg_store_rollback(c->store);
        fg_log(FG_LOG_WARN, NULL, "cache: entries not stored: %s", eb.msg);
    } else if (fg_store_commit(c->store, &eb)) {
        fg_log(FG_LOG_WARN, NULL, "cache: entries not stored: %s", eb.msg);
    }
    while (jobs) {
        write_job *next = jobs->next;
        free(jobs);
        jobs = next;
    }
}

static void *writer_main(void *arg)
{
    fg_cache *c = arg;
    struct cache_writer *w = c->writer;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head)
            break; /* stopping, and everything is written */
        write_job *jobs = take_jobs(w);
        w->busy = true;
        pthread_mutex_unlock(&w->lock);
        apply(c, jobs);
        pthread_mutex_lock(&w->lock);
        w->busy = false;
        if (!w->head)
            pthread_cond_broadcast(&w->idle);
    }
    pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int fg__cache_writer_start(fg_cache *c)
{
    struct cache_writer *w = calloc(1, sizeof *w);
    if (!w)
        return FG_ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->idle, NULL);
    c->writer = w;
    if (pthread_create(&w->thread, NULL, writer_main, c) != 0) {
        c->writer = NULL;
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->idle);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return FG_EIO;
    }
    return FG_OK;
}

void fg__cache_writer_flush(fg_cache *c)
{
    struct cache_writer *w = c->writer;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    while (w->head || w->busy)
        pthread_cond_wait(&w->idle, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void fg__cache_writer_stop(fg_cache *c)
{
    struct cache_writer *w = c->writer;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    c->writer = NULL;
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
