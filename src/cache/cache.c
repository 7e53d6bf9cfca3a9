/* The cache's public operations: open (load from the store), put, the three
 * kinds of lookup, delete, clear, stats. One read-write lock guards the
 * memory index: lookups from every worker run side by side. */
#include "cache/cache_int.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMESPACE 256
#define SWEEP_EVERY 1024

static const char *const mode_names[FG_CACHE_NMODES] = {"exact", "normalised", "semantic"};

const char *fg_cache_mode_name(fg_cache_mode m)
{
    return (unsigned)m < FG_CACHE_NMODES ? mode_names[m] : "?";
}

int fg_cache_mode_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < FG_CACHE_NMODES; i++)
        if (strcmp(name, mode_names[i]) == 0)
            return i;
    return strcmp(name, "normalized") == 0 ? FG_CACHE_NORMALISED : -1;
}

/* Removes the oldest entries over the limit (after a load). */
static void trim(fg_cache *c)
{
    fg_errbuf eb;
    while (c->count > c->opts.max_entries && c->oldest) {
        cache_entry *e = c->oldest;
        fg__cache_persist_delete(c, e->account_id, e->mode, e->ns, e->key, e->key_len, &eb);
        fg__cache_remove(c, e);
    }
}

int fg_cache_open(fg_store *store, const fg_cache_opts *opts, fg_cache **out, fg_errbuf *eb)
{
    fg_cache *c = calloc(1, sizeof *c);
    if (!c)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the cache");
    c->store = store;
    c->opts = *opts;
    if (!c->opts.max_entries)
        c->opts.max_entries = 1000000;
    if (!c->opts.max_response_bytes)
        c->opts.max_response_bytes = 1 << 20;
    fg_rand_bytes(&c->seed, sizeof c->seed);
    pthread_rwlock_init(&c->lock, NULL);
    fg_kb_strmap_init(&c->group_ids);
    size_t max = c->opts.max_entries;
    c->opts.max_entries = SIZE_MAX; /* no deletes while the rows are read */
    int rc = fg__cache_persist_load(c, eb);
    c->opts.max_entries = max;
    if (rc) {
        fg_cache_free(c);
        return rc;
    }
    trim(c);
    if ((rc = fg__cache_sem_link_all(c)))
        fg_log(FG_LOG_WARN, NULL, "cache: semantic entries not in the graph (%s): they are scanned",
               fg_strerror(rc));
    if (store && c->opts.async_store && fg__cache_writer_start(c))
        fg_log(FG_LOG_WARN, NULL, "cache: no writer thread: entries are stored by the workers");
    *out = c;
    return FG_OK;
}

void fg_cache_free(fg_cache *c)
{
    if (!c)
        return;
    fg__cache_writer_stop(c); /* every queued write reaches the store first */
    for (cache_entry *e = c->oldest, *next; e; e = next) {
        next = e->newer;
        free(e);
    }
    free(c->buckets);
    fg__cache_sem_free(c);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

const fg_cache_opts *fg_cache_options(const fg_cache *c)
{
    return &c->opts;
}

static void sweep_expired(fg_cache *c, int64_t now)
{
    fg_errbuf eb;
    for (cache_entry *e = c->oldest, *next; e; e = next) {
        next = e->newer;
        if (!fg__cache_live(e, now)) {
            fg__cache_persist_delete(c, e->account_id, e->mode, e->ns, e->key, e->key_len, &eb);
            fg__cache_remove(c, e);
        }
    }
}

static int check_entry(const fg_cache *c, const fg_cache_entry *e, fg_errbuf *eb)
{
    if ((unsigned)e->mode >= FG_CACHE_NMODES)
        return fg_failf(eb, FG_EINVAL, "cache: unknown mode %d", (int)e->mode);
    if (!e->account_id || !e->ns || !e->key || !e->response)
        return fg_failf(eb, FG_EINVAL, "cache: account, namespace, key and response are required");
    if (strlen(e->ns) > MAX_NAMESPACE)
        return fg_failf(eb, FG_ELIMIT, "cache: namespace longer than %d bytes", MAX_NAMESPACE);
    if (e->response_len > c->opts.max_response_bytes)
        return fg_failf(eb, FG_ELIMIT, "cache: answer of %zu bytes is over cache.max_response_bytes (%zu)",
                        e->response_len, c->opts.max_response_bytes);
    if (e->mode == FG_CACHE_SEMANTIC && (!e->vec || !e->dim || e->dim > 65536))
        return fg_failf(eb, FG_EINVAL, "cache: a semantic entry needs its embedding");
    return FG_OK;
}

int fg_cache_put(fg_cache *c, const fg_cache_entry *e, fg_errbuf *eb)
{
    int rc = check_entry(c, e, eb);
    if (rc)
        return rc;
    int64_t now = fg_clock_wall_ms();
    int64_t ttl = e->ttl_ms ? e->ttl_ms : c->opts.ttl_ms;
    int64_t expires = ttl > 0 ? now + ttl : 0;
    pthread_rwlock_wrlock(&c->lock);
    if (++c->puts_since_sweep >= SWEEP_EVERY) {
        c->puts_since_sweep = 0;
        sweep_expired(c, now);
    }
    rc = fg__cache_insert(c, e, now, expires);
    pthread_rwlock_unlock(&c->lock);
    if (rc)
        return fg_failf(eb, rc, "cache: cannot add the entry (%s)",
                        rc == FG_EINVAL ? "an embedding of another size or a zero vector" : fg_strerror(rc));
    /* Into the graph without the cache's lock: other lookups go on meanwhile
     * (a vector not linked yet is scanned exactly). */
    if (e->mode == FG_CACHE_SEMANTIC && (rc = fg__cache_sem_link(c, e->account_id, e->ns)))
        fg_log(FG_LOG_WARN, NULL, "cache: semantic entry not in the graph yet (%s)", fg_strerror(rc));
    return fg__cache_persist_put(c, e, now, expires, eb);
}

void fg_cache_hit_free(fg_cache_hit *h)
{
    free(h->response);
    h->response = NULL;
}

static bool fill_hit(const cache_entry *e, float score, fg_cache_hit *out)
{
    memset(out, 0, sizeof *out);
    out->response = malloc(e->response_len + 1);
    if (!out->response)
        return false;
    memcpy(out->response, e->response, e->response_len + 1);
    out->len = e->response_len;
    snprintf(out->model, sizeof out->model, "%s", e->model);
    out->gen_ms = e->gen_ms;
    out->score = score;
    out->mode = e->mode;
    return true;
}

/* An entry the memory index does not have may be in the store: written by
 * another node sharing it, or imported while this one ran. Found and live, it
 * joins the index. Costs one read by primary key per miss, next to an
 * upstream call that costs milliseconds. */
static bool get_from_store(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                           const char *key, size_t key_len, int64_t now, fg_cache_hit *out)
{
    fg__cache_row row;
    if (!c->store || fg__cache_persist_get(c, account_id, mode, ns, key, key_len, &row))
        return false;
    bool hit = false;
    if (row.expires_ms == 0 || row.expires_ms > now) {
        pthread_rwlock_wrlock(&c->lock);
        uint64_t h = fg__cache_hash(c, account_id, mode, ns, key, key_len);
        if (!fg__cache_find(c, h, account_id, mode, ns, key, key_len))
            fg__cache_insert(c, &row.entry, row.created_ms, row.expires_ms);
        const cache_entry *e = fg__cache_find(c, h, account_id, mode, ns, key, key_len);
        hit = e && fg__cache_live(e, now) && fill_hit(e, 1.0f, out);
        pthread_rwlock_unlock(&c->lock);
    }
    fg__cache_row_free(&row);
    return hit;
}

bool fg_cache_get_memory(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                         const char *key, size_t key_len, fg_cache_hit *out, bool *in_memory)
{
    *in_memory = false;
    if (!account_id || !ns || !key)
        return false;
    uint64_t h = fg__cache_hash(c, account_id, mode, ns, key, key_len);
    int64_t now = fg_clock_wall_ms();
    pthread_rwlock_rdlock(&c->lock);
    const cache_entry *e = fg__cache_find(c, h, account_id, mode, ns, key, key_len);
    bool hit = e && fg__cache_live(e, now) && fill_hit(e, 1.0f, out);
    pthread_rwlock_unlock(&c->lock);
    *in_memory = e != NULL;
    return hit;
}

bool fg_cache_get_stored(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                         const char *key, size_t key_len, fg_cache_hit *out)
{
    if (!account_id || !ns || !key)
        return false;
    return get_from_store(c, account_id, mode, ns, key, key_len, fg_clock_wall_ms(), out);
}

bool fg_cache_get(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                  const char *key, size_t key_len, fg_cache_hit *out)
{
    bool in_memory;
    if (fg_cache_get_memory(c, account_id, mode, ns, key, key_len, out, &in_memory))
        return true;
    return !in_memory && fg_cache_get_stored(c, account_id, mode, ns, key, key_len, out);
}

bool fg_cache_get_similar(fg_cache *c, const char *account_id, const char *ns, const float *vec,
                          size_t dim, fg_cache_hit *out)
{
    if (!account_id || !ns || !vec || !dim)
        return false;
    int64_t now = fg_clock_wall_ms();
    float score = 0;
    pthread_rwlock_rdlock(&c->lock);
    const cache_entry *e =
        fg__cache_sem_best(c, account_id, ns, vec, dim, now, (float)c->opts.threshold, &score);
    bool hit = e && score >= (float)c->opts.threshold && fill_hit(e, score, out);
    pthread_rwlock_unlock(&c->lock);
    return hit;
}

int fg_cache_delete(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                    const char *key, size_t key_len, fg_errbuf *eb)
{
    uint64_t h = fg__cache_hash(c, account_id, mode, ns, key, key_len);
    pthread_rwlock_wrlock(&c->lock);
    cache_entry *e = fg__cache_find(c, h, account_id, mode, ns, key, key_len);
    if (e)
        fg__cache_remove(c, e);
    pthread_rwlock_unlock(&c->lock);
    return fg__cache_persist_delete(c, account_id, mode, ns, key, key_len, eb);
}

int fg_cache_clear(fg_cache *c, const char *account_id, size_t *removed, fg_errbuf *eb)
{
    size_t n = 0;
    pthread_rwlock_wrlock(&c->lock);
    for (cache_entry *e = c->oldest, *next; e; e = next) {
        next = e->newer;
        if (!account_id || strcmp(e->account_id, account_id) == 0) {
            fg__cache_remove(c, e);
            n++;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (removed)
        *removed = n;
    return fg__cache_persist_clear(c, account_id, eb);
}

void fg_cache_stats_get(fg_cache *c, fg_cache_stats *out)
{
    pthread_rwlock_rdlock(&c->lock);
    memcpy(out->entries, c->per_mode, sizeof out->entries);
    out->bytes = c->bytes;
    pthread_rwlock_unlock(&c->lock);
}
