/* Semantic entries: the embeddings of one account's namespace in one vector
 * set (src/kb's vectors: normalised, so cosine is a dot product). Lookups scan
 * exactly with SIMD dot products, or walk an HNSW graph once the namespace has
 * hnsw_min_entries vectors. A replaced or removed entry leaves its vector
 * behind, marked dead, and is skipped.
 *
 * Locks: the cache's lock guards the entries and every group's vectors and
 * entry map; each group's own lock guards its graph. A put adds the vector
 * under both (a copy) and links it into the graph after it released the
 * cache's lock (fg__cache_sem_link), so a graph insert, or the graph's first
 * build when the namespace reaches hnsw_min_entries, holds up semantic
 * lookups of that namespace only, never the other lookups of any worker.
 * Vectors not linked yet are scanned exactly by the lookups. */
#include "cache/cache_int.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_K 8
#define SHORT_EF 16 /* the walk that finds a hit */
#define FULL_EF 64  /* the walk that confirms a miss */
#define GROUP_KEY_MAX 512

static size_t group_key(char *out, const char *account_id, const char *ns)
{
    size_t a = strlen(account_id), n = strlen(ns);
    if (a + 1 + n > GROUP_KEY_MAX)
        return 0;
    memcpy(out, account_id, a);
    out[a] = '\0';
    memcpy(out + a + 1, ns, n);
    return a + 1 + n;
}

static sem_group *group_for(fg_cache *c, const char *account_id, const char *ns, bool create,
                            uint32_t *gid)
{
    char key[GROUP_KEY_MAX + 1];
    size_t klen = group_key(key, account_id, ns);
    if (!klen)
        return NULL;
    uint32_t id = create ? fg_kb_strmap_intern(&c->group_ids, key, klen, NULL)
                         : fg_kb_strmap_find(&c->group_ids, key, klen);
    if (id == FG_KB_NO_ID)
        return NULL;
    if (id >= c->groups_cap) {
        size_t cap = c->groups_cap ? c->groups_cap * 2 : 16;
        while (cap <= id)
            cap *= 2;
        sem_group **g = realloc(c->groups, cap * sizeof *g);
        if (!g)
            return NULL;
        memset(g + c->groups_cap, 0, (cap - c->groups_cap) * sizeof *g);
        c->groups = g;
        c->groups_cap = cap;
    }
    if (!c->groups[id]) {
        if (!create || !(c->groups[id] = calloc(1, sizeof *c->groups[id])))
            return NULL;
        pthread_rwlock_init(&c->groups[id]->lock, NULL);
    }
    if (id >= c->ngroups)
        c->ngroups = id + 1;
    *gid = id;
    return c->groups[id];
}

static int remember(sem_group *g, uint32_t id, cache_entry *e)
{
    if (id >= g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        while (cap <= id)
            cap *= 2;
        cache_entry **p = realloc(g->by_id, cap * sizeof *p);
        if (!p)
            return FG_ENOMEM;
        memset(p + g->cap, 0, (cap - g->cap) * sizeof *p);
        g->by_id = p;
        g->cap = cap;
    }
    g->by_id[id] = e;
    return FG_OK;
}

/* Links the vectors added since the last call into the graph, building the
 * graph once the group reaches hnsw_min_entries. Caller holds g->lock for
 * writing (and not the cache's lock: vectors change only under both). */
static int link_pending(const fg_cache *c, sem_group *g)
{
    size_t n = g->vectors ? fg_kb_vectors_count(g->vectors) : 0;
    if (!g->hnsw) {
        if (n < c->opts.hnsw_min_entries || c->opts.hnsw_min_entries == 0)
            return FG_OK;
        fg_kb_hnsw_opts o = {.m = 16, .ef_construction = 100, .seed = 42};
        if (!(g->hnsw = fg_kb_hnsw_new(g->vectors, &o)))
            return FG_ENOMEM;
        g->linked = 0;
    }
    for (; g->linked < n; g->linked++) {
        int rc = fg_kb_hnsw_add(g->hnsw, (uint32_t)g->linked);
        if (rc)
            return rc;
    }
    return FG_OK;
}

int fg__cache_sem_add(fg_cache *c, cache_entry *e, const float *vec, size_t dim)
{
    if (!vec || !dim)
        return FG_EINVAL;
    uint32_t gid;
    sem_group *g = group_for(c, e->account_id, e->ns, true, &gid);
    if (!g)
        return FG_ENOMEM;
    pthread_rwlock_wrlock(&g->lock); /* the graph may be linking: it reads the vectors */
    int rc = FG_OK;
    if (!g->vectors && !(g->vectors = fg_kb_vectors_new(dim)))
        rc = FG_ENOMEM;
    else if (fg_kb_vectors_dim(g->vectors) != dim)
        rc = FG_EINVAL;
    uint32_t id = 0;
    if (!rc && !(rc = fg_kb_vectors_add(g->vectors, vec, &id)) && (rc = remember(g, id, e)))
        g->dead++; /* the vector stays, with no entry */
    pthread_rwlock_unlock(&g->lock);
    if (rc)
        return rc;
    if (e->expires_ms)
        g->expiring++;
    e->group = gid;
    e->vec_id = id;
    return FG_OK;
}

int fg__cache_sem_link(fg_cache *c, const char *account_id, const char *ns)
{
    char key[GROUP_KEY_MAX + 1];
    size_t klen = group_key(key, account_id, ns);
    pthread_rwlock_rdlock(&c->lock);
    uint32_t id = klen ? fg_kb_strmap_find(&c->group_ids, key, klen) : FG_KB_NO_ID;
    sem_group *g = id != FG_KB_NO_ID && id < c->ngroups ? c->groups[id] : NULL;
    pthread_rwlock_unlock(&c->lock); /* groups live as long as the cache */
    if (!g)
        return FG_OK;
    pthread_rwlock_wrlock(&g->lock);
    int rc = link_pending(c, g);
    pthread_rwlock_unlock(&g->lock);
    return rc;
}

int fg__cache_sem_link_all(fg_cache *c)
{
    int rc = FG_OK;
    for (size_t i = 0; i < c->ngroups && !rc; i++)
        if (c->groups[i])
            rc = link_pending(c, c->groups[i]);
    return rc;
}

void fg__cache_sem_forget(fg_cache *c, cache_entry *e)
{
    sem_group *g = e->group < c->ngroups ? c->groups[e->group] : NULL;
    if (g && g->by_id && e->vec_id < g->cap && g->by_id[e->vec_id] == e) {
        g->by_id[e->vec_id] = NULL;
        g->dead++;
    }
}

typedef struct live_filter {
    const sem_group *g;
    int64_t now_ms;
} live_filter;

static bool is_live(uint32_t id, void *ctx)
{
    const live_filter *f = ctx;
    return id < f->g->cap && f->g->by_id[id] && fg__cache_live(f->g->by_id[id], f->now_ms);
}

/* Over the graph: walked without the filter (a filter doubles the walk), the
 * best live vector among the SEARCH_K best is the best live one. A short walk
 * first: a prompt close enough to hit has its neighbour found by it; anything
 * less is confirmed with the full walk, and only when all of the full walk's
 * best are gone (removed, expired) is it repeated with the filter. The best
 * live entry, at or below threshold, or NULL. */
static cache_entry *graph_best(const sem_group *g, const float *vec, live_filter *f, float threshold,
                               float *score)
{
    static const size_t efs[] = {SHORT_EF, FULL_EF};
    fg_kb_hit hits[SEARCH_K];
    size_t nhits = 0;
    for (size_t w = 0; w < sizeof efs / sizeof efs[0]; w++) {
        if (fg_kb_hnsw_search(g->hnsw, vec, SEARCH_K, efs[w], NULL, NULL, hits, &nhits))
            return NULL;
        cache_entry *best = NULL;
        for (size_t i = 0; i < nhits && !best; i++)
            if (is_live(hits[i].doc, f)) {
                *score = hits[i].score;
                best = g->by_id[hits[i].doc];
            }
        if (best && (*score >= threshold || w + 1 == sizeof efs / sizeof efs[0]))
            return best;
    }
    if (!(g->dead || g->expiring) || nhits == 0 ||
        fg_kb_hnsw_search(g->hnsw, vec, SEARCH_K, FULL_EF, is_live, f, hits, &nhits) || nhits == 0 ||
        !is_live(hits[0].doc, f))
        return NULL;
    *score = hits[0].score;
    return g->by_id[hits[0].doc];
}

/* The vectors added since the graph was last linked (usually none, or the one
 * a put is about to link), scanned exactly. */
static cache_entry *tail_best(const sem_group *g, const float *vec, size_t dim, live_filter *f,
                              float *score)
{
    size_t n = fg_kb_vectors_count(g->vectors);
    if (g->linked >= n)
        return NULL;
    float *q = malloc(dim * sizeof *q);
    if (!q)
        return NULL;
    memcpy(q, vec, dim * sizeof *q);
    cache_entry *best = NULL;
    if (fg_kb_normalize(q, dim))
        for (size_t i = g->linked; i < n; i++) {
            float s = fg_kb_dot(q, fg_kb_vectors_get(g->vectors, (uint32_t)i), dim);
            if (is_live((uint32_t)i, f) && (!best || s > *score)) {
                *score = s;
                best = g->by_id[i];
            }
        }
    free(q);
    return best;
}

cache_entry *fg__cache_sem_best(fg_cache *c, const char *account_id, const char *ns,
                                const float *vec, size_t dim, int64_t now_ms, float threshold,
                                float *score)
{
    char key[GROUP_KEY_MAX + 1];
    size_t klen = group_key(key, account_id, ns);
    uint32_t id = klen ? fg_kb_strmap_find(&c->group_ids, key, klen) : FG_KB_NO_ID;
    sem_group *g = id != FG_KB_NO_ID && id < c->ngroups ? c->groups[id] : NULL;
    if (!g)
        return NULL;
    pthread_rwlock_rdlock(&g->lock);
    cache_entry *best = NULL;
    live_filter f = {g, now_ms};
    if (!g->vectors || fg_kb_vectors_dim(g->vectors) != dim) {
        /* nothing of this size */
    } else if (g->hnsw) {
        float gs = 0, ts = 0;
        cache_entry *ge = graph_best(g, vec, &f, threshold, &gs);
        cache_entry *te = tail_best(g, vec, dim, &f, &ts);
        best = te && (!ge || ts > gs) ? te : ge;
        *score = best == te ? ts : gs;
    } else {
        fg_kb_hit hits[SEARCH_K];
        size_t nhits = 0;
        bool filtered = g->dead || g->expiring;
        if (!fg_kb_vectors_search(g->vectors, vec, SEARCH_K, filtered ? is_live : NULL, &f, hits, &nhits) &&
            nhits > 0 && is_live(hits[0].doc, &f)) {
            *score = hits[0].score;
            best = g->by_id[hits[0].doc];
        }
    }
    pthread_rwlock_unlock(&g->lock);
    return best;
}

void fg__cache_sem_free(fg_cache *c)
{
    for (size_t i = 0; i < c->ngroups; i++) {
        sem_group *g = c->groups[i];
        if (!g)
            continue;
        fg_kb_hnsw_free(g->hnsw);
        fg_kb_vectors_free(g->vectors);
        free(g->by_id);
        pthread_rwlock_destroy(&g->lock);
        free(g);
    }
    free(c->groups);
    fg_kb_strmap_free(&c->group_ids);
}
