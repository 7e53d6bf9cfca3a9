/* A small pthread pool for matrix work. One call runs at a time: the caller
 * takes the first range itself and the workers take the others; a second
 * caller arriving meanwhile (another session on another thread) does its work
 * alone instead of waiting. A token makes ~7 calls per layer, each tens of
 * microseconds, so workers spin briefly for the next call before sleeping on
 * the condition variable. */
#include "infer/infer_int.h"

#include <pthread.h>
#include <stdlib.h>

#define SPIN_ROUNDS 1000

struct fg__pool {
    pthread_mutex_t run_lock;   /* held by the call in progress */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t *threads;
    unsigned n_threads;         /* workers, not counting the caller */
    atomic_uint_fast64_t generation; /* bumped for each call */
    atomic_uint pending;        /* workers still busy with this generation */
    atomic_bool quit;
    fg__pool_fn fn;             /* published before generation is bumped */
    void *ctx;
    size_t n;
};

typedef struct worker_arg {
    fg__pool *p;
    unsigned index;
} worker_arg;

static void range_of(size_t n, unsigned parts, unsigned i, size_t *b, size_t *e)
{
    *b = n * i / parts;
    *e = n * (i + 1) / parts;
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void wait_for_work(fg__pool *p, uint64_t seen)
{
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(&p->generation, memory_order_acquire) != seen ||
            atomic_load(&p->quit))
            return;
        relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->generation) == seen && !atomic_load(&p->quit))
        pthread_cond_wait(&p->wake, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
    worker_arg w = *(worker_arg *)arg;
    free(arg);
    fg__pool *p = w.p;
    uint64_t seen = 0;
    for (;;) {
        wait_for_work(p, seen);
        if (atomic_load(&p->quit))
            break;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        size_t b, e;
        range_of(p->n, p->n_threads + 1, w.index, &b, &e);
        if (b < e)
            p->fn(p->ctx, b, e);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
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
    if (!p->threads)
        workers = 0;
    /* Ranges depend on n_threads: no call can start before creation is over. */
    for (unsigned i = 0; i < workers; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a)
            break;
        *a = (worker_arg){p, i + 1};
        if (pthread_create(&p->threads[i], NULL, worker, a) != 0) {
            free(a);
            break;
        }
        p->n_threads++;
    }
    return p;
}

void fg__pool_free(fg__pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, true);
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
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->pending, p->n_threads);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    size_t b, e;
    range_of(n, p->n_threads + 1, 0, &b, &e);
    if (b < e)
        fn(ctx, b, e);
    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&p->pending, memory_order_acquire);
         i++)
        relax();
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->pending))
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->run_lock);
}
