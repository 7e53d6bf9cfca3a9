/* The in-memory index: a chained hash table of entries keyed by account,
 * mode, namespace and key, plus a list in insertion order so the oldest entry
 * goes first when the cache is full. Callers hold the cache's lock. */
#include "cache/cache_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t fg__cache_hash(const fg_cache *c, const char *account_id, fg_cache_mode mode,
                        const char *ns, const char *key, size_t key_len)
{
    uint64_t h = 14695981039346656037ull ^ c->seed;
    h = fnv(h, account_id, strlen(account_id) + 1);
    h = fnv(h, ns, strlen(ns) + 1);
    unsigned char m = (unsigned char)mode;
    h = fnv(h, &m, 1);
    h = fnv(h, key, key_len);
    return h ^ (h >> 29);
}

static bool same(const cache_entry *e, uint64_t h, const char *account_id, fg_cache_mode mode,
                 const char *ns, const char *key, size_t key_len)
{
    return e->hash == h && e->mode == mode && e->key_len == key_len &&
           memcmp(e->key, key, key_len) == 0 && strcmp(e->ns, ns) == 0 &&
           strcmp(e->account_id, account_id) == 0;
}

cache_entry *fg__cache_find(const fg_cache *c, uint64_t h, const char *account_id,
                            fg_cache_mode mode, const char *ns, const char *key, size_t key_len)
{
    if (!c->nbuckets)
        return NULL;
    for (cache_entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next)
        if (same(e, h, account_id, mode, ns, key, key_len))
            return e;
    return NULL;
}

bool fg__cache_live(const cache_entry *e, int64_t now_ms)
{
    return e->expires_ms == 0 || e->expires_ms > now_ms;
}

static int grow(fg_cache *c)
{
    size_t n = c->nbuckets ? c->nbuckets * 2 : 1024;
    cache_entry **b = calloc(n, sizeof *b);
    if (!b)
        return FG_ENOMEM;
    for (size_t i = 0; i < c->nbuckets; i++)
        for (cache_entry *e = c->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
    return FG_OK;
}

static void unlink_entry(fg_cache *c, cache_entry *e)
{
    for (cache_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)]; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
}

void fg__cache_remove(fg_cache *c, cache_entry *e)
{
    unlink_entry(c, e);
    if (e->mode == FG_CACHE_SEMANTIC)
        fg__cache_sem_forget(c, e);
    c->count--;
    c->per_mode[e->mode]--;
    c->bytes -= e->response_len + e->key_len;
    free(e);
}

static cache_entry *entry_new(const fg_cache_entry *in)
{
    size_t alen = strlen(in->account_id) + 1, nlen = strlen(in->ns) + 1;
    cache_entry *e = malloc(sizeof *e + alen + nlen + in->key_len + 1 + in->response_len + 1);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    char *p = (char *)(e + 1);
    e->account_id = memcpy(p, in->account_id, alen);
    e->ns = memcpy(p += alen, in->ns, nlen);
    e->key = memcpy(p += nlen, in->key, in->key_len);
    e->key[in->key_len] = '\0';
    e->response = memcpy(p += in->key_len + 1, in->response, in->response_len);
    e->response[in->response_len] = '\0';
    e->key_len = in->key_len;
    e->response_len = in->response_len;
    e->mode = in->mode;
    if (in->model) {
        size_t m = strlen(in->model);
        m = m < sizeof e->model - 1 ? m : sizeof e->model - 1;
        memcpy(e->model, in->model, m);
        e->model[m] = '\0';
    }
    e->gen_ms = in->gen_ms;
    return e;
}

static void link_entry(fg_cache *c, cache_entry *e)
{
    size_t b = e->hash & (c->nbuckets - 1);
    e->next = c->buckets[b];
    c->buckets[b] = e;
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
    c->count++;
    c->per_mode[e->mode]++;
    c->bytes += e->response_len + e->key_len;
}

/* Drops the oldest entries until there is room for one more. */
static void make_room(fg_cache *c)
{
    while (c->count >= c->opts.max_entries && c->oldest) {
        cache_entry *e = c->oldest;
        fg_errbuf eb;
        fg__cache_persist_delete(c, e->account_id, e->mode, e->ns, e->key, e->key_len, &eb);
        fg__cache_remove(c, e);
    }
}

int fg__cache_insert(fg_cache *c, const fg_cache_entry *in, int64_t created_ms, int64_t expires_ms)
{
    uint64_t h = fg__cache_hash(c, in->account_id, in->mode, in->ns, in->key, in->key_len);
    cache_entry *old = fg__cache_find(c, h, in->account_id, in->mode, in->ns, in->key, in->key_len);
    if (old)
        fg__cache_remove(c, old);
    make_room(c);
    if (c->count + 1 > c->nbuckets && grow(c))
        return FG_ENOMEM;
    cache_entry *e = entry_new(in);
    if (!e)
        return FG_ENOMEM;
    e->hash = h;
    e->created_ms = created_ms;
    e->expires_ms = expires_ms;
    if (in->mode == FG_CACHE_SEMANTIC) {
        int rc = fg__cache_sem_add(c, e, in->vec, in->dim);
        if (rc) {
            free(e);
            return rc;
        }
    }
    link_entry(c, e);
    return FG_OK;
}
