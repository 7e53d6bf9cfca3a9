/* An interning hash map from byte strings to dense ids (0, 1, 2... in order of
 * first insertion). Used for the term dictionary and for document ids. */
#ifndef FG_KB_STRMAP_H
#define FG_KB_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#define FG_KB_NO_ID UINT32_MAX

typedef struct fg_kb_strmap {
    uint64_t *slots;   /* hash << 32 | (id + 1); 0 is empty */
    uint32_t nslots;   /* a power of two */
    uint32_t count;
    uint32_t cap;      /* capacity of the per-id arrays */
    size_t *off;       /* key offset in pool, per id */
    uint32_t *len;     /* key length, per id */
    uint32_t *hash;    /* per id */
    char *pool;
    size_t pool_len, pool_cap;
} fg_kb_strmap;

void fg_kb_strmap_init(fg_kb_strmap *m);
void fg_kb_strmap_free(fg_kb_strmap *m);
/* Finds or adds key; returns its id, or FG_KB_NO_ID when out of memory. *created
 * (may be NULL) tells whether it was added. */
uint32_t fg_kb_strmap_intern(fg_kb_strmap *m, const char *key, size_t len, int *created);
uint32_t fg_kb_strmap_find(const fg_kb_strmap *m, const char *key, size_t len);
/* The key of id (not NUL-terminated). */
const char *fg_kb_strmap_key(const fg_kb_strmap *m, uint32_t id, size_t *len);

#endif
