/* Memory by lifetime: an arena per request or per workflow run. Allocations are
 * freed all at once by fg_arena_destroy, after the cleanup hooks have run (in
 * reverse order of registration) for resources that are not memory. */
#ifndef FG_CORE_ARENA_H
#define FG_CORE_ARENA_H

#include <stddef.h>

typedef struct fg_arena fg_arena;
typedef void (*fg_cleanup_fn)(void *data);

/* max: ceiling on the bytes the arena may hand out (0: unlimited). */
fg_arena *fg_arena_create(size_t max);
void fg_arena_destroy(fg_arena *a);
/* Runs the cleanup hooks and frees everything but one chunk, which later
 * allocations reuse; max is the new ceiling. For arenas reused by a loop. */
void fg_arena_reset(fg_arena *a, size_t max);
/* Returns NULL when out of memory or over the ceiling. Aligned for any type. */
void *fg_arena_alloc(fg_arena *a, size_t n);
void *fg_arena_calloc(fg_arena *a, size_t count, size_t size);
char *fg_arena_strndup(fg_arena *a, const char *s, size_t n);
char *fg_arena_strdup(fg_arena *a, const char *s);
char *fg_arena_printf(fg_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fg_arena_on_cleanup(fg_arena *a, fg_cleanup_fn fn, void *data);
size_t fg_arena_used(const fg_arena *a);

#endif
