#include "kb/strmap.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h ^ (h >> 15);
}

void fg_kb_strmap_init(fg_kb_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void fg_kb_strmap_free(fg_kb_strmap *m)
{
    free(m->slots);
    free(m->off);
    free(m->len);
    free(m->hash);
    free(m->pool);
    memset(m, 0, sizeof *m);
}

static int rehash(fg_kb_strmap *m, uint32_t nslots)
{
    uint64_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    for (uint32_t id = 0; id < m->count; id++) {
        uint32_t i = m->hash[id] & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint64_t)m->hash[id] << 32 | (id + 1);
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    return 0;
}

static int grow_ids(fg_kb_strmap *m)
{
    uint32_t cap = m->cap ? m->cap * 2 : 64;
    size_t *off = realloc(m->off, cap * sizeof *off);
    if (!off)
        return -1;
    m->off = off;
    uint32_t *len = realloc(m->len, cap * sizeof *len);
    if (!len)
        return -1;
    m->len = len;
    uint32_t *hash = realloc(m->hash, cap * sizeof *hash);
    if (!hash)
        return -1;
    m->hash = hash;
    m->cap = cap;
    return 0;
}

static int pool_append(fg_kb_strmap *m, const char *key, size_t len)
{
    if (len == 0)
        return 0;
    if (m->pool_len + len > m->pool_cap) {
        size_t cap = m->pool_cap ? m->pool_cap * 2 : 4096;
        while (cap < m->pool_len + len)
            cap *= 2;
        char *p = realloc(m->pool, cap);
        if (!p)
            return -1;
        m->pool = p;
        m->pool_cap = cap;
    }
    memcpy(m->pool + m->pool_len, key, len);
    m->pool_len += len;
    return 0;
}

static uint32_t lookup(const fg_kb_strmap *m, const char *key, size_t len, uint32_t h,
                       uint32_t *slot)
{
    if (!m->nslots)
        return FG_KB_NO_ID;
    uint32_t i = h & (m->nslots - 1);
    for (; m->slots[i]; i = (i + 1) & (m->nslots - 1)) {
        if ((uint32_t)(m->slots[i] >> 32) != h)
            continue;
        uint32_t id = (uint32_t)m->slots[i] - 1;
        if (m->len[id] == len &&
            (len == 0 || memcmp(m->pool + m->off[id], key, len) == 0))
            return id;
    }
    if (slot)
        *slot = i;
    return FG_KB_NO_ID;
}

uint32_t fg_kb_strmap_find(const fg_kb_strmap *m, const char *key, size_t len)
{
    return lookup(m, key, len, hash_bytes(key, len), NULL);
}

uint32_t fg_kb_strmap_intern(fg_kb_strmap *m, const char *key, size_t len, int *created)
{
    uint32_t h = hash_bytes(key, len), slot = 0;
    if (created)
        *created = 0;
    uint32_t id = lookup(m, key, len, h, &slot);
    if (id != FG_KB_NO_ID)
        return id;
    if (len > UINT32_MAX || m->count >= UINT32_MAX - 1)
        return FG_KB_NO_ID;
    if ((uint64_t)(m->count + 1) * 2 > (uint64_t)m->nslots) { /* load factor 1/2 */
        if (rehash(m, m->nslots ? m->nslots * 2 : 256))
            return FG_KB_NO_ID;
        lookup(m, key, len, h, &slot);
    }
    if (m->count == m->cap && grow_ids(m))
        return FG_KB_NO_ID;
    size_t off = m->pool_len;
    if (pool_append(m, key, len))
        return FG_KB_NO_ID;
    id = m->count++;
    m->off[id] = off;
    m->len[id] = (uint32_t)len;
    m->hash[id] = h;
    m->slots[slot] = (uint64_t)h << 32 | (id + 1);
    if (created)
        *created = 1;
    return id;
}

const char *fg_kb_strmap_key(const fg_kb_strmap *m, uint32_t id, size_t *len)
{
    *len = m->len[id];
    return *len ? m->pool + m->off[id] : "";
}
