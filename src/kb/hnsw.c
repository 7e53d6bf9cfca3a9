/* Hierarchical navigable small-world graphs (Malkov and Yashunin, 2016):
 * nodes get a random top layer (exponentially rarer upwards); a search
 * descends greedily from the top entry point and runs a best-first search
 * with a bounded result set on layer 0. Neighbours are chosen with the
 * paper's diversity heuristic. Similarity is the dot product of normalised
 * vectors (cosine). */
#include "kb/vector.h"

#include "kb/blob.h"
#include "kb/topk.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define PREFETCH(p) __builtin_prefetch(p)
#endif

#define MAX_LEVEL 16

/* Visited marks of one search: seen[id] == epoch. Searches take one from the
 * graph's pool and give it back, so a search neither allocates nor clears an
 * array the size of the graph (bumping the epoch forgets the last search). */
typedef struct visited {
    uint32_t *seen;
    size_t cap;
    uint32_t epoch;
    struct visited *next;
} visited;

typedef struct vis_pool {
    pthread_mutex_t lock;
    visited *free;
} vis_pool;

typedef struct node {
    int level;
    uint32_t *links;   /* level 0: 2m slots, then m per level above */
    uint16_t *count;   /* per level */
} node;

struct fg_kb_hnsw {
    const fg_kb_vectors *v;
    size_t m, m0, efc;
    double ml;
    uint64_t rng;
    node *nodes;       /* indexed by vector id */
    size_t cap;
    uint32_t entry;
    int max_level;
    size_t n;          /* linked nodes */
    visited ins;       /* visited marks for inserts (the writer's own) */
    vis_pool *pool;    /* marks for searches, which may run concurrently */
};

typedef struct cand {
    float sim;
    uint32_t id;
} cand;

/* A binary heap of candidates; best_on_top selects max-heap (by similarity). */
typedef struct heap {
    cand *a;
    size_t n, cap;
    bool best_on_top;
} heap;

static bool above(const heap *h, const cand *x, const cand *y)
{
    return h->best_on_top ? x->sim > y->sim : x->sim < y->sim;
}

static int heap_push(heap *h, cand c)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        cand *a = realloc(h->a, cap * sizeof *a);
        if (!a)
            return FG_ENOMEM;
        h->a = a;
        h->cap = cap;
    }
    size_t i = h->n++;
    h->a[i] = c;
    while (i > 0 && above(h, &h->a[i], &h->a[(i - 1) / 2])) {
        cand t = h->a[i];
        h->a[i] = h->a[(i - 1) / 2];
        h->a[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

static cand heap_pop(heap *h)
{
    cand top = h->a[0];
    h->a[0] = h->a[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && above(h, &h->a[l], &h->a[m]))
            m = l;
        if (r < h->n && above(h, &h->a[r], &h->a[m]))
            m = r;
        if (m == i)
            break;
        cand t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
    return top;
}

static size_t slots(const fg_kb_hnsw *h, int level)
{
    return level == 0 ? h->m0 : h->m;
}

static uint32_t *links_at(const fg_kb_hnsw *h, const node *nd, int level)
{
    return level == 0 ? nd->links : nd->links + h->m0 + (size_t)(level - 1) * h->m;
}

fg_kb_hnsw *fg_kb_hnsw_new(const fg_kb_vectors *v, const fg_kb_hnsw_opts *opts)
{
    fg_kb_hnsw *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->v = v;
    h->m = opts && opts->m ? opts->m : 16;
    if (h->m < 2)
        h->m = 2;
    if (h->m > 256)
        h->m = 256;
    h->m0 = 2 * h->m;
    h->efc = opts && opts->ef_construction ? opts->ef_construction : 200;
    h->ml = 1.0 / log((double)h->m);
    h->rng = opts && opts->seed ? opts->seed : 42;
    h->max_level = -1;
    h->pool = calloc(1, sizeof *h->pool);
    if (!h->pool) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->pool->lock, NULL);
    return h;
}

void fg_kb_hnsw_free(fg_kb_hnsw *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->cap; i++) {
        free(h->nodes[i].links);
        free(h->nodes[i].count);
    }
    free(h->nodes);
    free(h->ins.seen);
    for (visited *v = h->pool->free, *next; v; v = next) {
        next = v->next;
        free(v->seen);
        free(v);
    }
    pthread_mutex_destroy(&h->pool->lock);
    free(h->pool);
    free(h);
}

static double next_unit(fg_kb_hnsw *h)
{
    h->rng ^= h->rng << 13;
    h->rng ^= h->rng >> 7;
    h->rng ^= h->rng << 17;
    return ((double)(h->rng >> 11) + 0.5) / 9007199254740992.0;
}

static float sim(const fg_kb_hnsw *h, const float *q, uint32_t id)
{
    return fg_kb_dot(q, fg_kb_vectors_get(h->v, id), fg_kb_vectors_dim(h->v));
}

/* Makes v ready for a walk over n nodes: big enough, and with a fresh epoch. */
static int vis_begin(visited *v, size_t n)
{
    if (n > v->cap) {
        size_t cap = n + n / 2 + 64;
        uint32_t *seen = realloc(v->seen, cap * sizeof *seen);
        if (!seen)
            return FG_ENOMEM;
        memset(seen + v->cap, 0, (cap - v->cap) * sizeof *seen);
        v->seen = seen;
        v->cap = cap;
    }
    if (++v->epoch == 0) { /* wrapped: start the marks afresh */
        memset(v->seen, 0, v->cap * sizeof *v->seen);
        v->epoch = 1;
    }
    return 0;
}

static visited *vis_take(const fg_kb_hnsw *h, size_t n)
{
    pthread_mutex_lock(&h->pool->lock);
    visited *v = h->pool->free;
    if (v)
        h->pool->free = v->next;
    pthread_mutex_unlock(&h->pool->lock);
    if (!v && !(v = calloc(1, sizeof *v)))
        return NULL;
    if (vis_begin(v, n)) {
        free(v->seen);
        free(v);
        return NULL;
    }
    return v;
}

static void vis_give(const fg_kb_hnsw *h, visited *v)
{
    pthread_mutex_lock(&h->pool->lock);
    v->next = h->pool->free;
    h->pool->free = v;
    pthread_mutex_unlock(&h->pool->lock);
}

/* Every cache line of a vector (the first is usually on its way already). */
static void prefetch_vector(const fg_kb_hnsw *h, uint32_t id)
{
    const char *p = (const char *)fg_kb_vectors_get(h->v, id);
    size_t bytes = fg_kb_vectors_dim(h->v) * sizeof(float);
    for (size_t off = 64; off < bytes; off += 64)
        PREFETCH(p + off);
}

static bool visit(visited *v, uint32_t id)
{
    if (v->seen[id] == v->epoch)
        return false;
    v->seen[id] = v->epoch;
    return true;
}

/* Best-first search on one layer from the entries in *res; leaves up to ef
 * best in res (worst on top). */
static int search_layer(const fg_kb_hnsw *h, const float *q, heap *res, size_t ef, int level,
                        visited *vis)
{
    heap cands = {.best_on_top = true};
    int rc = 0;
    for (size_t i = 0; i < res->n && !rc; i++)
        rc = heap_push(&cands, res->a[i]);
    while (cands.n && !rc) {
        cand c = heap_pop(&cands);
        if (res->n >= ef && c.sim < res->a[0].sim)
            break;
        const node *nd = &h->nodes[c.id];
        const uint32_t *l = links_at(h, nd, level);
        uint16_t n = nd->count[level];
        for (uint16_t i = 0; i < n; i++)
            PREFETCH(&vis->seen[l[i]]);
        /* the neighbours not seen yet, their vectors on their way to the cache */
        uint32_t fresh[2 * 256];
        size_t nf = 0;
        for (uint16_t i = 0; i < n; i++)
            if (visit(vis, l[i])) {
                fresh[nf++] = l[i];
                PREFETCH(fg_kb_vectors_get(h->v, l[i]));
            }
        for (size_t i = 0; i < nf && !rc; i++) {
            uint32_t e = fresh[i];
            if (i + 1 < nf)
                prefetch_vector(h, fresh[i + 1]);
            float s = sim(h, q, e);
            if (res->n < ef || s > res->a[0].sim) {
                rc = heap_push(&cands, (cand){s, e});
                if (!rc)
                    rc = heap_push(res, (cand){s, e});
                if (res->n > ef)
                    heap_pop(res);
            }
        }
    }
    free(cands.a);
    return rc;
}

static int by_sim_desc(const void *a, const void *b)
{
    float x = ((const cand *)a)->sim, y = ((const cand *)b)->sim;
    return (x < y) - (x > y);
}

/* The paper's heuristic: keep a candidate only if it is closer to the new
 * node than to every neighbour kept so far; fill up with the rest. */
static size_t select_neighbors(const fg_kb_hnsw *h, cand *c, size_t n, size_t max, uint32_t *out)
{
    qsort(c, n, sizeof *c, by_sim_desc);
    size_t kept = 0;
    bool *used = calloc(n ? n : 1, sizeof *used);
    if (!used)
        return 0;
    size_t dim = fg_kb_vectors_dim(h->v);
    for (size_t i = 0; i < n && kept < max; i++) {
        bool good = true;
        for (size_t j = 0; j < kept && good; j++)
            good = fg_kb_dot(fg_kb_vectors_get(h->v, c[i].id), fg_kb_vectors_get(h->v, out[j]), dim) < c[i].sim;
        if (good) {
            out[kept++] = c[i].id;
            used[i] = true;
        }
    }
    for (size_t i = 0; i < n && kept < max; i++)
        if (!used[i])
            out[kept++] = c[i].id;
    free(used);
    return kept;
}

static int ensure_node(fg_kb_hnsw *h, uint32_t id, int level)
{
    if (id >= h->cap) {
        size_t cap = h->cap ? h->cap : 256;
        while (cap <= id)
            cap *= 2;
        node *nodes = realloc(h->nodes, cap * sizeof *nodes);
        if (!nodes)
            return FG_ENOMEM;
        memset(nodes + h->cap, 0, (cap - h->cap) * sizeof *nodes);
        h->nodes = nodes;
        h->cap = cap;
    }
    node *nd = &h->nodes[id];
    if (nd->links)
        return FG_EEXIST;
    nd->links = malloc((h->m0 + (size_t)level * h->m) * sizeof *nd->links);
    nd->count = calloc((size_t)level + 1, sizeof *nd->count);
    if (!nd->links || !nd->count) {
        free(nd->links);
        free(nd->count);
        nd->links = NULL;
        nd->count = NULL;
        return FG_ENOMEM;
    }
    nd->level = level;
    return 0;
}

/* Adds a link from a to b on level, pruning a's list with the heuristic when full. */
static int link_to(fg_kb_hnsw *h, uint32_t a, uint32_t b, int level)
{
    node *nd = &h->nodes[a];
    uint32_t *l = links_at(h, nd, level);
    size_t max = slots(h, level), n = nd->count[level];
    if (n < max) {
        l[n] = b;
        nd->count[level]++;
        return 0;
    }
    cand *c = malloc((max + 1) * sizeof *c);
    if (!c)
        return FG_ENOMEM;
    const float *va = fg_kb_vectors_get(h->v, a);
    for (size_t i = 0; i < n; i++)
        c[i] = (cand){sim(h, va, l[i]), l[i]};
    c[n] = (cand){sim(h, va, b), b};
    nd->count[level] = (uint16_t)select_neighbors(h, c, n + 1, max, l);
    free(c);
    return 0;
}

static int greedy(const fg_kb_hnsw *h, const float *q, uint32_t *ep, float *best, int level)
{
    bool moved = true;
    while (moved) {
        moved = false;
        const node *nd = &h->nodes[*ep];
        const uint32_t *l = links_at(h, nd, level);
        for (uint16_t i = 0; i < nd->count[level]; i++) {
            float s = sim(h, q, l[i]);
            if (s > *best) {
                *best = s;
                *ep = l[i];
                moved = true;
            }
        }
    }
    return 0;
}

static int connect_layers(fg_kb_hnsw *h, uint32_t id, int level, const float *q, visited *vis)
{
    uint32_t ep = h->entry;
    float best = sim(h, q, ep);
    for (int lc = h->max_level; lc > level; lc--)
        greedy(h, q, &ep, &best, lc);
    heap res = {.best_on_top = false};
    uint32_t *chosen = malloc(h->m0 * sizeof *chosen);
    int rc = chosen ? heap_push(&res, (cand){best, ep}) : FG_ENOMEM;
    for (int lc = level < h->max_level ? level : h->max_level; lc >= 0 && !rc; lc--) {
        if ((rc = vis_begin(vis, fg_kb_vectors_count(h->v))))
            break;
        for (size_t i = 0; i < res.n; i++)
            visit(vis, res.a[i].id);
        rc = search_layer(h, q, &res, h->efc, lc, vis);
        if (rc)
            break;
        cand *copy = malloc(res.n * sizeof *copy);
        if (!copy) {
            rc = FG_ENOMEM;
            break;
        }
        memcpy(copy, res.a, res.n * sizeof *copy);
        size_t k = select_neighbors(h, copy, res.n, h->m, chosen);
        free(copy);
        node *nd = &h->nodes[id];
        memcpy(links_at(h, nd, lc), chosen, k * sizeof *chosen);
        nd->count[lc] = (uint16_t)k;
        for (size_t i = 0; i < k && !rc; i++)
            rc = link_to(h, chosen[i], id, lc);
    }
    free(chosen);
    free(res.a);
    return rc;
}

int fg_kb_hnsw_add(fg_kb_hnsw *h, uint32_t id)
{
    const float *q = fg_kb_vectors_get(h->v, id);
    if (!q)
        return FG_ENOTFOUND;
    int level = (int)floor(-log(next_unit(h)) * h->ml);
    if (level > MAX_LEVEL)
        level = MAX_LEVEL;
    int rc = ensure_node(h, id, level);
    if (rc)
        return rc;
    if (h->max_level < 0) {
        h->entry = id;
        h->max_level = level;
        h->n = 1;
        return 0;
    }
    rc = connect_layers(h, id, level, q, &h->ins);
    if (rc)
        return rc;
    if (level > h->max_level) {
        h->max_level = level;
        h->entry = id;
    }
    h->n++;
    return 0;
}

int fg_kb_hnsw_search(const fg_kb_hnsw *h, const float *query, size_t k, size_t ef,
                      fg_kb_filter_fn filter, void *ctx, fg_kb_hit *hits, size_t *nhits)
{
    *nhits = 0;
    if (h->max_level < 0 || k == 0)
        return 0;
    size_t dim = fg_kb_vectors_dim(h->v);
    float *q = malloc(dim * sizeof *q);
    visited *vis = vis_take(h, fg_kb_vectors_count(h->v));
    heap res = {.best_on_top = false};
    int rc = (!q || !vis) ? FG_ENOMEM : 0;
    if (!rc) {
        memcpy(q, query, dim * sizeof *q);
        if (!fg_kb_normalize(q, dim))
            rc = FG_EINVAL;
    }
    if (!rc) {
        if (ef < k)
            ef = k > 64 ? k : 64;
        uint32_t ep = h->entry;
        float best = sim(h, q, ep);
        for (int lc = h->max_level; lc > 0; lc--)
            greedy(h, q, &ep, &best, lc);
        visit(vis, ep);
        rc = heap_push(&res, (cand){best, ep});
        if (!rc)
            rc = search_layer(h, q, &res, filter ? ef * 2 : ef, 0, vis);
    }
    if (!rc) {
        fg_kb_topk top;
        fg_kb_topk_init(&top, hits, k);
        for (size_t i = 0; i < res.n; i++)
            if (!filter || filter(res.a[i].id, ctx))
                fg_kb_topk_push(&top, res.a[i].id, res.a[i].sim);
        *nhits = fg_kb_topk_finish(&top);
    }
    if (vis)
        vis_give(h, vis);
    free(res.a);
    free(q);
    return rc;
}

/* "FGKBHN" u16 version | u32 m | u32 ef_construction | u64 rng | u32 entry |
 * u32 max_level + 1 (0: empty) | u32 nodes | per node: u32 level + 1 (0: not
 * in the graph), then per level u32 count and count x u32 neighbour ids */
int fg_kb_hnsw_save(const fg_kb_hnsw *h, fg_buf *out)
{
    size_t nodes = fg_kb_vectors_count(h->v) < h->cap ? fg_kb_vectors_count(h->v) : h->cap;
    int rc = fg_buf_append(out, "FGKBHN\x01\x00", 8);
    if (!rc)
        rc = fg_kb_put_u32(out, (uint32_t)h->m);
    if (!rc)
        rc = fg_kb_put_u32(out, (uint32_t)h->efc);
    if (!rc)
        rc = fg_kb_put_u64(out, h->rng);
    if (!rc)
        rc = fg_kb_put_u32(out, h->entry);
    if (!rc)
        rc = fg_kb_put_u32(out, (uint32_t)(h->max_level + 1));
    if (!rc)
        rc = fg_kb_put_u32(out, (uint32_t)nodes);
    for (size_t i = 0; i < nodes && !rc; i++) {
        const node *nd = &h->nodes[i];
        rc = fg_kb_put_u32(out, nd->links ? (uint32_t)(nd->level + 1) : 0);
        for (int l = 0; nd->links && l <= nd->level && !rc; l++) {
            rc = fg_kb_put_u32(out, nd->count[l]);
            const uint32_t *links = links_at(h, nd, l);
            for (uint16_t k = 0; k < nd->count[l] && !rc; k++)
                rc = fg_kb_put_u32(out, links[k]);
        }
    }
    return rc;
}

static int load_node(fg_kb_hnsw *h, fg_kb_reader *r, uint32_t id, uint32_t nodes)
{
    uint32_t level1;
    int rc = fg_kb_get_u32(r, &level1);
    if (rc || level1 == 0)
        return rc;
    if (level1 - 1 > MAX_LEVEL)
        return fg_failf(r->eb, FG_EPARSE, "hnsw blob: node %u has level %u", id, level1 - 1);
    if ((rc = ensure_node(h, id, (int)level1 - 1)))
        return fg_failf(r->eb, rc, "hnsw blob: out of memory");
    node *nd = &h->nodes[id];
    for (int l = 0; l <= nd->level; l++) {
        uint32_t count;
        if ((rc = fg_kb_get_u32(r, &count)))
            return rc;
        if (count > slots(h, l))
            return fg_failf(r->eb, FG_EPARSE, "hnsw blob: node %u has %u links on level %d", id, count, l);
        uint32_t *links = links_at(h, nd, l);
        for (uint32_t k = 0; k < count; k++) {
            if ((rc = fg_kb_get_u32(r, &links[k])))
                return rc;
            if (links[k] >= nodes)
                return fg_failf(r->eb, FG_EPARSE, "hnsw blob: node %u links to %u", id, links[k]);
        }
        nd->count[l] = (uint16_t)count;
    }
    h->n++;
    return 0;
}

/* Every link must point at a node present on that level. */
static int check_links(const fg_kb_hnsw *h, uint32_t nodes, fg_errbuf *eb)
{
    if (nodes && !h->nodes)
        return fg_failf(eb, FG_EPARSE, "HNSW data: %u nodes announced, none stored", nodes);
    for (uint32_t i = 0; i < nodes; i++) {
        const node *nd = &h->nodes[i];
        for (int l = 0; nd->links && l <= nd->level; l++)
            for (uint16_t k = 0; k < nd->count[l]; k++) {
                uint32_t to_id = links_at(h, nd, l)[k];
                const node *to = to_id < h->cap ? &h->nodes[to_id] : NULL;
                if (!to || !to->links || to->level < l)
                    return fg_failf(eb, FG_EPARSE, "hnsw blob: node %u links to a node absent on level %d", i, l);
            }
    }
    if (h->max_level >= 0 && (h->entry >= nodes || h->entry >= h->cap || !h->nodes[h->entry].links ||
                              h->nodes[h->entry].level != h->max_level))
        return fg_failf(eb, FG_EPARSE, "hnsw blob: bad entry point %u", h->entry);
    return 0;
}

fg_kb_hnsw *fg_kb_hnsw_load(const fg_kb_vectors *v, const void *data, size_t len, fg_errbuf *eb)
{
    fg_kb_reader r = {data, len, 8, "hnsw blob", eb};
    if (len < 8 || memcmp(data, "FGKBHN\x01\x00", 8) != 0) {
        fg_failf(eb, FG_EPARSE, "hnsw blob: not a flowgate HNSW graph of version 1");
        return NULL;
    }
    uint32_t m = 0, efc = 0, entry = 0, level1 = 0, nodes = 0;
    uint64_t rng = 0;
    if (fg_kb_get_u32(&r, &m) || fg_kb_get_u32(&r, &efc) || fg_kb_get_u64(&r, &rng) ||
        fg_kb_get_u32(&r, &entry) || fg_kb_get_u32(&r, &level1) || fg_kb_get_u32(&r, &nodes))
        return NULL;
    if (m < 2 || m > 256 || efc == 0 || level1 > MAX_LEVEL + 1 || nodes > fg_kb_vectors_count(v)) {
        fg_failf(eb, FG_EPARSE, "hnsw blob: bad header (m %u, nodes %u for %zu vectors)", m, nodes,
                 fg_kb_vectors_count(v));
        return NULL;
    }
    fg_kb_hnsw_opts o = {m, efc, rng ? rng : 42};
    fg_kb_hnsw *h = fg_kb_hnsw_new(v, &o);
    if (!h) {
        fg_failf(eb, FG_ENOMEM, "hnsw blob: out of memory");
        return NULL;
    }
    h->entry = entry;
    h->max_level = (int)level1 - 1;
    int rc = 0;
    for (uint32_t i = 0; i < nodes && !rc; i++)
        rc = load_node(h, &r, i, nodes);
    if (!rc && r.pos != len)
        rc = fg_failf(eb, FG_EPARSE, "hnsw blob: %zu trailing bytes", len - r.pos);
    if (!rc)
        rc = check_links(h, nodes, eb);
    if (rc) {
        fg_kb_hnsw_free(h);
        return NULL;
    }
    return h;
}
