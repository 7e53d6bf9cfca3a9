/* The checkpointer: a thread with its own connection that copies the WAL back
 * into the database (PASSIVE checkpoints: they never block the journal), so
 * the journal's commits only append to the WAL. SQLite's automatic checkpoint
 * is off on the journal's connection; this thread runs one every
 * CHECKPOINT_STEPS committed steps (or once a second while steps are
 * committed). SQLite starts the WAL over only when a write transaction begins
 * with every frame copied back, which a journal committing during the
 * checkpoint prevents; so after each one the journal copies the few frames it
 * appended meanwhile itself, between two batches (sfn_checkpointer_catch_up),
 * and its next batch starts the WAL over. The WAL stays bounded: when one
 * holds more than WAL_MAX_PAGES after a checkpoint (a reader kept it from
 * starting over), a TRUNCATE checkpoint waits for the writer and empties it. */
#include "sfn/sfn_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define CHECKPOINT_STEPS 5000
#define WAL_MAX_PAGES 32768 /* 128 MiB of 4 KiB pages */
#define CATCH_UP_PAGES 200  /* left for the journal to copy */

struct sfn_checkpointer {
    fg_store *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t pending; /* steps committed since the last checkpoint */
    bool stop;
    atomic_bool catch_up; /* the journal should copy its latest frames */
};

typedef struct wal_state {
    int64_t busy, log, done;
} wal_state;

static int read_wal_state(void *ctx, int ncols, const char *const *names, const fg_sval *c)
{
    (void)names;
    wal_state *w = ctx;
    if (ncols >= 3) {
        w->busy = c[0].v.i;
        w->log = c[1].v.i;
        w->done = c[2].v.i;
    }
    return 1;
}

static int checkpoint_on(fg_store *db, const char *sql, wal_state *w, fg_errbuf *eb)
{
    return fg_store_query(db, sql, NULL, 0, read_wal_state, w, eb);
}

static bool checkpoint(sfn_checkpointer *c, const char *sql, wal_state *w)
{
    uint64_t t0 = fg_clock_mono_ns();
    *w = (wal_state){0, -1, -1};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (checkpoint_on(c->db, sql, w, &eb) != 0) {
        fg_log(FG_LOG_WARN, NULL, "sfn checkpoint: %s", eb.msg);
        return false;
    }
    fg_log(FG_LOG_DEBUG, NULL, "sfn checkpoint: %lld of %lld WAL pages copied in %.3f ms (%s)",
           (long long)w->done, (long long)w->log, (double)(fg_clock_mono_ns() - t0) / 1e6, sql);
    return true;
}

/* PASSIVE checkpoints until what the journal appended meanwhile is little
 * (each copies what it appended during the one before), then the journal
 * copies the rest between two batches; TRUNCATE when the WAL grew too big. */
static void checkpoint_round(sfn_checkpointer *c)
{
    wal_state w;
    int64_t before = 0;
    for (int i = 0; i < 4; i++) { /* log: the WAL's frames when the checkpoint began */
        if (!checkpoint(c, "PRAGMA wal_checkpoint(PASSIVE)", &w) || w.log <= 0)
            return;
        if (i > 0 && w.log - before < CATCH_UP_PAGES)
            break;
        before = w.log;
    }
    if (w.log > WAL_MAX_PAGES)
        checkpoint(c, "PRAGMA wal_checkpoint(TRUNCATE)", &w);
    else
        atomic_store(&c->catch_up, true);
}

void sfn_checkpointer_catch_up(sfn_checkpointer *c, fg_store *journal_db)
{
    if (!atomic_exchange(&c->catch_up, false))
        return;
    uint64_t t0 = fg_clock_mono_ns();
    wal_state w = {0, -1, -1};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (checkpoint_on(journal_db, "PRAGMA wal_checkpoint(PASSIVE)", &w, &eb) != 0)
        fg_log(FG_LOG_WARN, NULL, "sfn checkpoint: %s", eb.msg);
    else
        fg_log(FG_LOG_DEBUG, NULL, "sfn checkpoint: the journal copied %lld of %lld WAL pages in "
               "%.3f ms", (long long)w.done, (long long)w.log,
               (double)(fg_clock_mono_ns() - t0) / 1e6);
}

/* Waits until enough steps were committed, a second passed with some, or stop. */
static bool wait_for_work(sfn_checkpointer *c)
{
    pthread_mutex_lock(&c->lock);
    while (!c->stop && c->pending < CHECKPOINT_STEPS) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT && c->pending)
            break;
    }
    bool go = !c->stop;
    c->pending = 0;
    pthread_mutex_unlock(&c->lock);
    return go;
}

static void *checkpointer_main(void *arg)
{
    sfn_checkpointer *c = arg;
    while (wait_for_work(c))
        checkpoint_round(c);
    return NULL;
}

sfn_checkpointer *sfn_checkpointer_start(fg_store *db)
{
    sfn_checkpointer *c = calloc(1, sizeof *c);
    if (!c) {
        fg_store_close(db);
        return NULL;
    }
    c->db = db;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        fg_store_close(db);
        free(c);
        return NULL;
    }
    return c;
}

void sfn_checkpointer_note(sfn_checkpointer *c, size_t steps)
{
    pthread_mutex_lock(&c->lock);
    c->pending += steps;
    if (c->pending >= CHECKPOINT_STEPS)
        pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void sfn_checkpointer_stop(sfn_checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    fg_store_close(c->db);
    free(c);
}
