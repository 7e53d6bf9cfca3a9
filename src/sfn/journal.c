/* The journal: one thread that commits the steps of durable executions in
 * batches (group commit). A run pauses after each step and resumes only when
 * its entry is committed, so what the store holds is never behind what the
 * execution did outside itself. */
#include "sfn/sfn_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sfn_journal {
    fg_sfn *svc;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    sfn_entry *head, *tail;
    bool stop;
    fg_store *db;         /* the journal's own connection, or the service's */
    bool own_db;
    sfn_checkpointer *ckpt; /* NULL: SQLite checkpoints in the commits */
    size_t queued;          /* entries from head to tail */
    atomic_long acked;      /* executions acknowledged and not yet back (see linger) */
};

/* Group commit with a short linger: while executions acknowledged by the last
 * commit are still stepping (acked > 0) and their next steps keep arriving,
 * the journal waits for them, a slice at a time and LINGER_MAX_NS at most, so
 * that a commit carries many executions' steps (fewer pages written per step:
 * the steps of one batch share the pages of the position and event indexes).
 * A lone execution's next step arrives when acked drops to 0 and is committed
 * at once. */
#define LINGER_SLICE_NS 200000
#define LINGER_MAX_NS 3000000
#define LINGER_MAX_ENTRIES 2048

void sfn_entry_free(sfn_entry *e)
{
    if (!e)
        return;
    sfn_exec_unref(e->x);
    free(e->snapshot);
    free(e->events);
    free(e->event_len);
    free(e->output);
    free(e->error);
    free(e->cause);
    free(e);
}

/* INSERTs of 1..EVENTS_PER_INSERT events in one statement, built when the
 * journal starts (the same texts each time, so the store caches them). The
 * events of a batch's steps go together, EVENTS_PER_INSERT at a time. */
#define EVENTS_PER_INSERT 16
static char events_sql_text[EVENTS_PER_INSERT + 1][1200];

static void build_events_sql(void)
{
    for (int n = 1; n <= EVENTS_PER_INSERT; n++) {
        char *p = events_sql_text[n];
        size_t left = sizeof events_sql_text[n];
        int w = snprintf(p, left, "INSERT INTO sfn_events (exec_id, id, body) VALUES ");
        for (int k = 0; k < n && w > 0 && (size_t)w < left; k++) {
            p += w;
            left -= (size_t)w;
            w = snprintf(p, left, "%s($%d, $%d, $%d)", k ? ", " : "", 1 + 3 * k, 2 + 3 * k,
                         3 + 3 * k);
        }
    }
}

/* Events waiting for their INSERT. */
typedef struct event_rows {
    fg_sval p[3 * EVENTS_PER_INSERT];
    int n;
} event_rows;

static int flush_events(fg_store *st, event_rows *r, fg_errbuf *eb)
{
    int rc = r->n ? fg_store_exec(st, events_sql_text[r->n], r->p, 3 * r->n, NULL, eb) : 0;
    r->n = 0;
    return rc;
}

static int write_events(fg_store *st, const sfn_entry *e, event_rows *r, fg_errbuf *eb)
{
    const char *text = e->events;
    for (size_t i = 0; i < e->nevents; i++) {
        size_t len = e->event_len[i];
        fg_sval *p = &r->p[3 * r->n];
        p[0] = FG_SINT(e->x->exec_id);
        p[1] = FG_SINT((int64_t)(e->first_event + i + 1));
        p[2] = FG_STEXTN(text, len);
        text += len;
        if (++r->n == EVENTS_PER_INSERT) {
            int rc = flush_events(st, r, eb);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int write_insert(fg_store *st, const sfn_entry *e, fg_errbuf *eb)
{
    const sfn_exec *x = e->x;
    int64_t nevents = (int64_t)(e->first_event + e->nevents);
    fg_sval p[16] = {SFN_TEXT(x->account), FG_STEXT(x->arn), FG_STEXT(x->machine_arn),
                     FG_STEXT(x->name), FG_STEXT(x->express ? "EXPRESS" : "STANDARD"),
                     FG_STEXT(e->status), FG_STEXT(x->definition ? x->definition : ""), FG_STEXT(x->role_arn),
                     FG_STEXT(x->input), FG_STEXT(e->output), FG_STEXT(e->error),
                     FG_STEXT(e->cause), FG_SINT(x->start_ms), FG_SINT(e->stop_ms), FG_SINT(nevents),
                     FG_SINT(x->exec_id)};
    return fg_store_exec(st,
                         "INSERT INTO sfn_executions (account_id, arn, machine_arn, name, type, "
                         "status, definition, role_arn, input, output, error, cause, start_ms, "
                         "stop_ms, events, exec_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                         "$10, $11, $12, $13, $14, $15, $16)",
                         p, 16, NULL, eb);
}

static int write_update(fg_store *st, const sfn_entry *e, fg_errbuf *eb)
{
    const sfn_exec *x = e->x;
    int64_t nevents = (int64_t)(e->first_event + e->nevents);
    if (!e->final) { /* the position only: the execution row stays put */
        fg_sval p[3] = {FG_SINT(x->exec_id), FG_STEXT(e->snapshot), FG_SINT(e->wake_ms)};
        if (e->delta) /* a narrow row, so a batch's deltas share few pages */
            return fg_store_exec(st, "INSERT INTO sfn_deltas (exec_id, delta, wake_ms) "
                                     "VALUES ($1, $2, $3) ON CONFLICT (exec_id) DO UPDATE SET "
                                     "delta = excluded.delta, wake_ms = excluded.wake_ms",
                                 p, 3, NULL, eb);
        int rc = fg_store_exec(st, "UPDATE sfn_positions SET snapshot = $2, delta = NULL, "
                                   "wake_ms = $3 WHERE exec_id = $1", p, 3, NULL, eb);
        return rc ? rc : fg_store_exec(st, "DELETE FROM sfn_deltas WHERE exec_id = $1", p, 1,
                                       NULL, eb);
    }
    fg_sval p[8] = {SFN_TEXT(x->account), FG_STEXT(x->arn), FG_STEXT(e->status),
                    FG_STEXT(e->output), FG_STEXT(e->error), FG_STEXT(e->cause),
                    FG_SINT(e->stop_ms), FG_SINT(nevents)};
    int rc = fg_store_exec(st, "UPDATE sfn_executions SET status = $3, output = $4, error = $5, "
                               "cause = $6, stop_ms = $7, events = $8 "
                               "WHERE account_id = $1 AND arn = $2",
                           p, 8, NULL, eb);
    fg_sval id = FG_SINT(x->exec_id);
    if (!rc)
        rc = fg_store_exec(st, "DELETE FROM sfn_positions WHERE exec_id = $1", &id, 1, NULL, eb);
    return rc ? rc : fg_store_exec(st, "DELETE FROM sfn_deltas WHERE exec_id = $1", &id, 1,
                                   NULL, eb);
}

/* One transaction for the batch; the store's error (FG_EAGAIN: busy). */
static int try_batch(fg_store *st, sfn_entry *batch, fg_errbuf *eb)
{
    event_rows rows;
    rows.n = 0;
    int rc = fg_store_begin(st, eb);
    if (rc)
        return rc;
    for (sfn_entry *e = batch; e && !rc; e = e->next) {
        rc = e->insert ? write_insert(st, e, eb) : write_update(st, e, eb);
        if (!rc)
            rc = write_events(st, e, &rows, eb);
    }
    if (!rc)
        rc = flush_events(st, &rows, eb);
    if (!rc)
        return fg_store_commit(st, eb);
    fg_store_rollback(st);
    return rc;
}

/* The journal's connection is one of several: another may hold the write lock
 * longer than the busy timeout (a TRUNCATE checkpoint waiting for a reader), so
 * a busy batch is tried again before it is given up. */
#define BUSY_RETRIES 12

static int write_batch(sfn_journal *j, sfn_entry *batch)
{
    uint64_t t0 = fg_clock_mono_ns();
    size_t n = 0;
    for (sfn_entry *e = batch; e; e = e->next)
        n++;
    fg_errbuf eb;
    int rc;
    for (int attempt = 0;; attempt++) {
        fg_errbuf_clear(&eb);
        rc = try_batch(j->db, batch, &eb);
        if (rc != FG_EAGAIN || attempt == BUSY_RETRIES)
            break;
        fg_log(FG_LOG_WARN, NULL, "sfn journal: the database is busy, trying the batch again");
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    if (rc) {
        fg_log(FG_LOG_ERROR, NULL, "sfn journal: %zu execution steps not saved yet: %s", n,
               eb.msg);
        return rc;
    }
    if (j->ckpt)
        sfn_checkpointer_note(j->ckpt, n);
    fg_log(FG_LOG_DEBUG, NULL, "sfn journal: committed %zu steps in %.3f ms", n,
           (double)(fg_clock_mono_ns() - t0) / 1e6);
    return 0;
}

/* A batch the store refused (disk full, a read-only or damaged file): none of
 * its executions may go on unsaved, so it goes back to the head of the queue
 * and is tried again after a pause (doubling from REFUSED_PAUSE_MS up to
 * REFUSED_PAUSE_MAX_MS); meanwhile its executions wait. With j->lock held. */
#define REFUSED_PAUSE_MS 50
#define REFUSED_PAUSE_MAX_MS 5000

static void requeue_refused(sfn_journal *j, sfn_entry *batch, long pause_ms)
{
    sfn_entry *last = batch;
    size_t n = 1;
    for (; last->next; last = last->next)
        n++;
    last->next = j->head;
    j->head = batch;
    if (!j->tail)
        j->tail = last;
    j->queued += n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = (long long)ts.tv_nsec + pause_ms * 1000000LL;
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    while (!j->stop && pthread_cond_timedwait(&j->cond, &j->lock, &ts) == 0) {
    } /* new entries signal too: only the pause's end or a stop counts */
}

/* Hands each committed entry back to its execution's worker. */
static void acknowledge(sfn_journal *j, sfn_entry *batch)
{
    while (batch) {
        sfn_entry *next = batch->next;
        batch->next = NULL;
        sfn_exec *x = batch->x;
        bool back = !batch->insert && !batch->final; /* its next step will come */
        if (back) {
            x->journal_acked = true;
            atomic_fetch_add(&j->acked, 1);
        }
        if (batch->insert || sfn_post(j->svc, x->worker, sfn_exec_committed, batch) != 0) {
            if (back) {
                x->journal_acked = false;
                atomic_fetch_sub(&j->acked, 1);
            }
            sfn_entry_free(batch);
        }
        batch = next;
    }
}

static void deadline_in(struct timespec *ts, long ns)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ns;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* With j->lock held and entries queued: waits while more are coming. */
static void linger(sfn_journal *j)
{
    uint64_t t0 = fg_clock_mono_ns();
    while (!j->stop && atomic_load(&j->acked) > 0 && j->queued < LINGER_MAX_ENTRIES &&
           fg_clock_mono_ns() - t0 < LINGER_MAX_NS) {
        size_t before = j->queued;
        struct timespec ts;
        deadline_in(&ts, LINGER_SLICE_NS);
        pthread_cond_timedwait(&j->cond, &j->lock, &ts);
        if (j->queued == before)
            break; /* nothing came in a whole slice */
    }
}

static void *journal_main(void *arg)
{
    sfn_journal *j = arg;
    long pause_ms = REFUSED_PAUSE_MS;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        while (!j->head && !j->stop)
            pthread_cond_wait(&j->cond, &j->lock);
        if (j->head)
            linger(j);
        sfn_entry *batch = j->head;
        j->head = j->tail = NULL;
        j->queued = 0;
        bool stop = j->stop;
        pthread_mutex_unlock(&j->lock);
        if (batch) {
            if (write_batch(j, batch) != 0 && !stop) {
                pthread_mutex_lock(&j->lock);
                requeue_refused(j, batch, pause_ms);
                pthread_mutex_unlock(&j->lock);
                pause_ms = pause_ms * 2 < REFUSED_PAUSE_MAX_MS ? pause_ms * 2 : REFUSED_PAUSE_MAX_MS;
                continue;
            }
            pause_ms = REFUSED_PAUSE_MS;
            acknowledge(j, batch); /* at a stop, also a batch that was refused */
            if (j->ckpt)
                sfn_checkpointer_catch_up(j->ckpt, j->db);
        } else if (stop) {
            return NULL;
        }
    }
}

/* Its own connection when the database allows a second one, with SQLite's
 * automatic checkpoint off (the checkpointer does it on a third). */
static void open_db(sfn_journal *j)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    j->db = j->svc->store;
    fg_store *db = NULL, *cdb = NULL;
    if (fg_store_open_again(j->svc->store, &db, &eb) != 0)
        return;
    j->db = db;
    j->own_db = true;
    if (fg_store_open_again(j->svc->store, &cdb, &eb) != 0)
        return;
    j->ckpt = sfn_checkpointer_start(cdb);
    if (j->ckpt && fg_store_exec(db, "PRAGMA wal_autocheckpoint=0", NULL, 0, NULL, &eb) != 0)
        fg_log(FG_LOG_WARN, NULL, "sfn journal: %s", eb.msg);
    /* the positions and the recent end of the events in memory, not re-read */
    if (fg_store_exec(db, "PRAGMA cache_size=-32768", NULL, 0, NULL, &eb) != 0)
        fg_log(FG_LOG_WARN, NULL, "sfn journal: %s", eb.msg);
}

sfn_journal *sfn_journal_start(fg_sfn *s)
{
    sfn_journal *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->svc = s;
    open_db(j);
    build_events_sql();
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    if (pthread_create(&j->thread, NULL, journal_main, j) != 0) {
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->cond);
        sfn_checkpointer_stop(j->ckpt);
        if (j->own_db)
            fg_store_close(j->db);
        free(j);
        return NULL;
    }
    return j;
}

void sfn_journal_submit(sfn_journal *j, sfn_entry *e)
{
    e->next = NULL;
    long acked = atomic_load(&j->acked);
    if (e->x->journal_acked) { /* on its worker: the journal set it before posting */
        e->x->journal_acked = false;
        acked = atomic_fetch_sub(&j->acked, 1) - 1;
    }
    pthread_mutex_lock(&j->lock);
    bool wake = !j->head || acked <= 0 || j->queued + 1 >= LINGER_MAX_ENTRIES;
    if (j->tail)
        j->tail->next = e;
    else
        j->head = e;
    j->tail = e;
    j->queued++;
    if (wake)
        pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

void sfn_journal_stop(sfn_journal *j)
{
    pthread_mutex_lock(&j->lock);
    j->stop = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    sfn_checkpointer_stop(j->ckpt);
    if (j->own_db)
        fg_store_close(j->db);
    free(j);
}
