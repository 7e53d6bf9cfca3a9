/* Private to src/cache. */
#ifndef FG_CACHE_CACHE_INT_H
#define FG_CACHE_CACHE_INT_H

#include "cache/cache.h"

#include "kb/strmap.h"
#include "kb/vector.h"

#include <pthread.h>

typedef struct cache_entry {
    uint64_t hash;
    fg_cache_mode mode;
    char *account_id, *ns, *key; /* one allocation with the entry */
    size_t key_len;
    char *response;
    size_t response_len;
    char model[128];
    double gen_ms;
    int64_t created_ms, expires_ms; /* expires_ms 0: never */
    uint32_t group, vec_id;         /* semantic: the namespace's vector */
    struct cache_entry *next;       /* bucket chain */
    struct cache_entry *older, *newer;
} cache_entry;

/* The vectors of one account's namespace (semantic entries). */
typedef struct sem_group {
    pthread_rwlock_t lock;   /* the graph (vectors change under this and the cache's lock) */
    fg_kb_vectors *vectors;
    fg_kb_hnsw *hnsw;        /* built once the group reaches hnsw_min_entries */
    size_t linked;           /* vectors 0..linked-1 are in the graph */
    cache_entry **by_id;     /* vector id -> entry; NULL once replaced or removed */
    size_t cap;
    size_t dead, expiring;   /* vectors of removed entries; entries with a TTL */
} sem_group;

struct fg_cache {
    fg_store *store;
    fg_cache_opts opts;
    pthread_rwlock_t lock;
    uint64_t seed;
    cache_entry **buckets;
    size_t nbuckets, count, bytes;
    size_t per_mode[FG_CACHE_NMODES];
    cache_entry *oldest, *newest;
    fg_kb_strmap group_ids; /* account \0 namespace -> group */
    sem_group **groups;     /* each allocated once: stable while the cache lives */
    size_t ngroups, groups_cap;
    unsigned puts_since_sweep;
    bool batch;             /* inside fg_cache_batch_begin/end: one store transaction */
    struct cache_writer *writer; /* store writes off the loops (writer.c); NULL: inline */
};

/* Memory index (index.c); callers hold the write lock for changes. */
uint64_t fg__cache_hash(const fg_cache *c, const char *account_id, fg_cache_mode mode,
                        const char *ns, const char *key, size_t key_len);
cache_entry *fg__cache_find(const fg_cache *c, uint64_t h, const char *account_id,
                            fg_cache_mode mode, const char *ns, const char *key, size_t key_len);
int fg__cache_insert(fg_cache *c, const fg_cache_entry *e, int64_t created_ms, int64_t expires_ms);
void fg__cache_remove(fg_cache *c, cache_entry *e);
bool fg__cache_live(const cache_entry *e, int64_t now_ms);

/* Semantic groups (semantic.c). */
/* Adds e's vector (caller holds the cache's write lock); the graph learns it
 * from fg__cache_sem_link, called without the cache's lock. */
int fg__cache_sem_add(fg_cache *c, cache_entry *e, const float *vec, size_t dim);
int fg__cache_sem_link(fg_cache *c, const char *account_id, const char *ns);
/* Every group (single-threaded: after the load at open). */
int fg__cache_sem_link_all(fg_cache *c);
void fg__cache_sem_forget(fg_cache *c, cache_entry *e);
/* The most similar live entry; over HNSW a short walk decides entries at or
 * above threshold, a full walk anything less. */
cache_entry *fg__cache_sem_best(fg_cache *c, const char *account_id, const char *ns,
                                const float *vec, size_t dim, int64_t now_ms, float threshold,
                                float *score);
void fg__cache_sem_free(fg_cache *c);

/* Store rows (persist.c): the statements alone, and the writes that pick
 * the writer, the batch or a transaction of their own. */
int fg__cache_store_put(fg_cache *c, const fg_cache_entry *e, int64_t created_ms, int64_t expires_ms,
                        fg_errbuf *eb);
int fg__cache_store_delete(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                           const char *key, size_t key_len, fg_errbuf *eb);
int fg__cache_persist_put(fg_cache *c, const fg_cache_entry *e, int64_t created_ms,
                          int64_t expires_ms, fg_errbuf *eb);
int fg__cache_persist_delete(fg_cache *c, const char *account_id, fg_cache_mode mode,
                             const char *ns, const char *key, size_t key_len, fg_errbuf *eb);
int fg__cache_persist_clear(fg_cache *c, const char *account_id, fg_errbuf *eb);
int fg__cache_persist_load(fg_cache *c, fg_errbuf *eb);
/* One stored exact or normalised entry by its key. */
typedef struct fg__cache_row {
    fg_cache_entry entry; /* strings owned by the row */
    int64_t created_ms, expires_ms;
} fg__cache_row;
int fg__cache_persist_get(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                          const char *key, size_t key_len, fg__cache_row *out);
void fg__cache_row_free(fg__cache_row *r);

/* The writer thread (writer.c): queued puts and deletes applied in order,
 * many per transaction. Queueing fails (FG_ELIMIT) when the queue is full:
 * the caller then writes itself. */
int fg__cache_writer_start(fg_cache *c);
void fg__cache_writer_stop(fg_cache *c);
int fg__cache_writer_put(fg_cache *c, const fg_cache_entry *e, int64_t created_ms, int64_t expires_ms);
int fg__cache_writer_delete(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                            const char *key, size_t key_len);
/* Waits until every queued write is in the store. */
void fg__cache_writer_flush(fg_cache *c);

#endif
