/* A small pthread pool for matrix work. One call runs at a time: the caller
 * takes the first range itself and the workers take the others; a second
 * caller arriving meanwhile (another session on another thread) does its work
 * alone instead of waiting. */
#include "infer/infer_int.h"

#include <pthread.h>
#include <stdlib.h>

struct fg__pool {
    pthread_mutex_t run_lock;   /* held by the call in progress */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t *threads;
    unsigned n_threads;         /* workers, not counting the caller */
    uint64_t generation;        /* bumped for each call */
    unsigned pending;           /* workers still busy with this generation */
    bool quit;
    fg__pool_fn fn;
    void *ctx;
    size_t n;
};

static void range_of(size_t n, unsigned parts, unsigned i, size_t *b, size_t *e)
{
    *b = n * i / parts;
    *e = n * (i + 1) / parts;
}

static void *worker(void *arg)
{
    fg__pool *p = arg;
    uint64_t seen = 0;
    unsigned index = 0;
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        if (pthread_equal(p->threads[i], pthread_self()))
            index = i + 1;
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit)
            break;
        seen = p->generation;
        fg__pool_fn fn = p->fn;
        void *ctx = p->ctx;
        size_t b, e;
        range_of(p->n, p->n_threads + 1, index, &b, &e);
        pthread_mutex_unlock(&p->mu);
        if (b < e)
            fn(ctx, b, e);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

fg__pool *fg__pool_create(unsigned threads)
{
    fg__pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    unsigned workers = threads > 1 ? threads - 1 : 0;
    p->threads = workers ? calloc(workers, sizeof *p->threads) : NULL;
    if (workers && !p->threads)
        workers = 0;
    /* Workers read their index under mu once every thread id is stored. */
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->n_threads++;
    }
    pthread_mutex_unlock(&p->mu);
    return p;
}

void fg__pool_free(fg__pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->run_lock);
    free(p);
}

void fg__pool_run(fg__pool *p, size_t n, fg__pool_fn fn, void *ctx)
{
    if (!p || p->n_threads == 0 || n < 2 || pthread_mutex_trylock(&p->run_lock) != 0) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->pending = p->n_threads;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    size_t b, e;
    range_of(n, p->n_threads + 1, 0, &b, &e);
    if (b < e)
        fn(ctx, b, e);
    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->run_lock);
}
