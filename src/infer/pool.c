/* A small pthread pool for matrix work. A call splits [0, n) into chunks that
 * the caller and the workers claim one by one, so when a worker is slow to
 * wake (the machine is busy) the others simply take more chunks. Only one call
 * runs at a time; a second caller arriving meanwhile (another session on
 * another thread) does its work alone instead of waiting. A token makes a few
 * calls per layer, tens of microseconds each, so waiting threads spin briefly
 * before sleeping.
 *
 * The call's generation, its number of chunks and the next chunk share one
 * 64-bit word (generation << 32 | chunks << 16 | next), so a claim checks all
 * three at once: a worker still holding an old generation can never claim a
 * chunk of a newer call, nor claim past the end of its own call when a newer
 * call is being set up (the count it compares with is its call's, not the
 * next one's: reading a shared count let a stale worker claim a chunk that no
 * caller waited for, and run it on a job whose caller had returned). A thread
 * reads the call's function only after claiming a chunk, when the call cannot
 * change under it. */
#include "infer/infer_int.h"

#include <pthread.h>
#include <stdlib.h>

#define SPIN_ROUNDS 1000
#define CHUNKS_PER_THREAD 4
#define MAX_CHUNKS 0xffffu /* the chunk fields of the ticket are 16 bits */

struct fg__pool {
    pthread_mutex_t run_lock;     /* held by the call in progress */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t *threads;
    unsigned n_threads;           /* workers, not counting the caller */
    atomic_uint_fast64_t ticket;  /* generation << 32 | chunks << 16 | next chunk */
    atomic_uint done_chunks;
    atomic_bool quit;
    fg__pool_fn fn;               /* the call: valid while chunks remain */
    void *ctx;
    size_t n, chunk;
    atomic_uint n_chunks;         /* the current call's, for its completion count */
};

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Claims the next chunk of generation gen; false when none is left. */
static bool claim(fg__pool *p, uint64_t gen, uint32_t *chunk)
{
    uint64_t v = atomic_load_explicit(&p->ticket, memory_order_acquire);
    for (;;) {
        uint32_t next = (uint32_t)(v & 0xffffu), chunks = (uint32_t)((v >> 16) & 0xffffu);
        if (v >> 32 != gen || next >= chunks)
            return false;
        if (atomic_compare_exchange_weak_explicit(&p->ticket, &v, v + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *chunk = next;
            return true;
        }
    }
}

static void run_chunks(fg__pool *p, uint64_t gen)
{
    uint32_t c;
    while (claim(p, gen, &c)) {
        size_t b = (size_t)c * p->chunk, e = b + p->chunk < p->n ? b + p->chunk : p->n;
        p->fn(p->ctx, b, e);
        if (atomic_fetch_add_explicit(&p->done_chunks, 1, memory_order_acq_rel) + 1 ==
            atomic_load_explicit(&p->n_chunks, memory_order_relaxed)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static uint64_t generation(fg__pool *p)
{
    return atomic_load_explicit(&p->ticket, memory_order_acquire) >> 32;
}

static void wait_for_work(fg__pool *p, uint64_t seen)
{
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (generation(p) != seen || atomic_load(&p->quit))
            return;
        relax();
    }
    pthread_mutex_lock(&p->mu);
    while (generation(p) == seen && !atomic_load(&p->quit))
        pthread_cond_wait(&p->wake, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
    fg__pool *p = arg;
    uint64_t seen = generation(p);
    for (;;) {
        wait_for_work(p, seen);
        if (atomic_load(&p->quit))
            break;
        seen = generation(p);
        run_chunks(p, seen);
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
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
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
    size_t parts = (size_t)(p->n_threads + 1) * CHUNKS_PER_THREAD;
    if (parts > MAX_CHUNKS)
        parts = MAX_CHUNKS;
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->chunk = (n + parts - 1) / parts;
    uint32_t n_chunks = (uint32_t)((n + p->chunk - 1) / p->chunk);
    atomic_store_explicit(&p->n_chunks, n_chunks, memory_order_relaxed);
    atomic_store_explicit(&p->done_chunks, 0, memory_order_relaxed);
    uint64_t gen = generation(p) + 1;
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->ticket, gen << 32 | (uint64_t)n_chunks << 16, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, gen);
    for (int i = 0; i < SPIN_ROUNDS &&
                    atomic_load_explicit(&p->done_chunks, memory_order_acquire) < n_chunks;
         i++)
        relax();
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->done_chunks) < n_chunks)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->run_lock);
}
