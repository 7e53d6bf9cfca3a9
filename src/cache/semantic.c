/* Semantic entries: the embeddings of one account's namespace in one vector
 * set (src/kb's vectors: normalised, so cosine is a dot product). Lookups scan
 * exactly with SIMD dot products, or walk an HNSW graph once the namespace has
 * hnsw_min_entries vectors. A replaced or removed entry leaves its vector
 * behind, marked dead, and is skipped. */
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
        sem_group *g = realloc(c->groups, cap * sizeof *g);
        if (!g)
            return NULL;
        memset(g + c->groups_cap, 0, (cap - c->groups_cap) * sizeof *g);
        c->groups = g;
        c->groups_cap = cap;
    }
    if (id >= c->ngroups)
        c->ngroups = id + 1;
    *gid = id;
    return &c->groups[id];
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

static int index_vector(fg_cache *c, sem_group *g, uint32_t id)
{
    size_t n = fg_kb_vectors_count(g->vectors);
    if (g->hnsw)
        return fg_kb_hnsw_add(g->hnsw, id);
    if (n < c->opts.hnsw_min_entries || c->opts.hnsw_min_entries == 0)
        return FG_OK;
    fg_kb_hnsw_opts o = {.m = 16, .ef_construction = 100, .seed = 42};
    g->hnsw = fg_kb_hnsw_new(g->vectors, &o);
    if (!g->hnsw)
        return FG_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        int rc = fg_kb_hnsw_add(g->hnsw, i);
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
    if (!g->vectors && !(g->vectors = fg_kb_vectors_new(dim)))
        return FG_ENOMEM;
    if (fg_kb_vectors_dim(g->vectors) != dim)
        return FG_EINVAL;
    uint32_t id;
    int rc = fg_kb_vectors_add(g->vectors, vec, &id);
    if (rc)
        return rc;
    if ((rc = remember(g, id, e)))
        return rc;
    if (e->expires_ms)
        g->expiring++;
    e->group = gid;
    e->vec_id = id;
    return index_vector(c, g, id);
}

void fg__cache_sem_forget(fg_cache *c, cache_entry *e)
{
    if (e->group < c->ngroups && c->groups[e->group].by_id && e->vec_id < c->groups[e->group].cap &&
        c->groups[e->group].by_id[e->vec_id] == e) {
        c->groups[e->group].by_id[e->vec_id] = NULL;
        c->groups[e->group].dead++;
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

cache_entry *fg__cache_sem_best(fg_cache *c, const char *account_id, const char *ns,
                                const float *vec, size_t dim, int64_t now_ms, float threshold,
                                float *score)
{
    char key[GROUP_KEY_MAX + 1];
    size_t klen = group_key(key, account_id, ns);
    uint32_t id = klen ? fg_kb_strmap_find(&c->group_ids, key, klen) : FG_KB_NO_ID;
    if (id == FG_KB_NO_ID || id >= c->ngroups)
        return NULL;
    const sem_group *g = &c->groups[id];
    if (!g->vectors || fg_kb_vectors_dim(g->vectors) != dim)
        return NULL;
    fg_kb_hit hits[SEARCH_K];
    size_t nhits = 0;
    live_filter f = {g, now_ms};
    bool filtered = g->dead || g->expiring;
    int rc;
    if (g->hnsw) {
        /* The graph is walked without the filter (a filter doubles the walk):
         * the best live vector among the SEARCH_K best is the best live one.
         * A short walk first: a prompt close enough to hit has its neighbour
         * found by it; anything less is confirmed with the full walk, and
         * only when all of the full walk's best are gone (removed, expired)
         * is it repeated with the filter. */
        static const size_t efs[] = {SHORT_EF, FULL_EF};
        cache_entry *best = NULL;
        for (size_t w = 0; w < sizeof efs / sizeof efs[0]; w++) {
            best = NULL;
            rc = fg_kb_hnsw_search(g->hnsw, vec, SEARCH_K, efs[w], NULL, NULL, hits, &nhits);
            for (size_t i = 0; !rc && i < nhits; i++)
                if (is_live(hits[i].doc, &f)) {
                    *score = hits[i].score;
                    best = g->by_id[hits[i].doc];
                    break;
                }
            if (rc || (best && *score >= threshold))
                return best;
        }
        if (best || rc || !filtered || nhits == 0)
            return best;
        rc = fg_kb_hnsw_search(g->hnsw, vec, SEARCH_K, FULL_EF, is_live, &f, hits, &nhits);
    } else {
        rc = fg_kb_vectors_search(g->vectors, vec, SEARCH_K, filtered ? is_live : NULL, &f, hits, &nhits);
    }
    if (rc || nhits == 0 || !is_live(hits[0].doc, &f))
        return NULL;
    *score = hits[0].score;
    return g->by_id[hits[0].doc];
}

void fg__cache_sem_free(fg_cache *c)
{
    for (size_t i = 0; i < c->ngroups; i++) {
        fg_kb_hnsw_free(c->groups[i].hnsw);
        fg_kb_vectors_free(c->groups[i].vectors);
        free(c->groups[i].by_id);
    }
    free(c->groups);
    fg_kb_strmap_free(&c->group_ids);
}
