#include "core/arena.h"

#include "core/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_CHUNK 4096

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(ARENA_ALIGN) unsigned char mem[];
} chunk;

typedef struct cleanup {
    struct cleanup *next;
    fg_cleanup_fn fn;
    void *data;
} cleanup;

struct fg_arena {
    chunk *head;
    cleanup *cleanups;
    size_t used, max;
};

fg_arena *fg_arena_create(size_t max)
{
    fg_arena *a = calloc(1, sizeof *a);
    if (a)
        a->max = max ? max : SIZE_MAX / 2;
    return a;
}

void fg_arena_destroy(fg_arena *a)
{
    if (!a)
        return;
    for (cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->data);
    chunk *ch = a->head;
    while (ch) {
        chunk *next = ch->next;
        free(ch);
        ch = next;
    }
    free(a);
}

void fg_arena_reset(fg_arena *a, size_t max)
{
    for (cleanup *c = a->cleanups; c; c = c->next)
        c->fn(c->data);
    a->cleanups = NULL;
    chunk *keep = NULL;
    for (chunk *ch = a->head, *next; ch; ch = next) {
        next = ch->next;
        if (!next && ch->cap == ARENA_CHUNK) {
            keep = ch; /* the first chunk, of the usual size: kept for reuse */
        } else {
            free(ch);
        }
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used = 0;
    a->max = max ? max : SIZE_MAX / 2;
}

static chunk *arena_new_chunk(fg_arena *a, size_t n)
{
    size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
    chunk *ch = malloc(sizeof *ch + cap);
    if (!ch)
        return NULL;
    ch->used = 0;
    ch->cap = cap;
    ch->next = a->head;
    a->head = ch;
    return ch;
}

void *fg_arena_alloc(fg_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded < n || rounded > a->max - a->used)
        return NULL;
    chunk *ch = a->head;
    if (!ch || ch->cap - ch->used < rounded) {
        ch = arena_new_chunk(a, rounded);
        if (!ch)
            return NULL;
    }
    void *p = ch->mem + ch->used;
    ch->used += rounded;
    a->used += rounded;
    return p;
}

void *fg_arena_calloc(fg_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = fg_arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *fg_arena_strndup(fg_arena *a, const char *s, size_t n)
{
    char *p = fg_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *fg_arena_strdup(fg_arena *a, const char *s)
{
    return fg_arena_strndup(a, s, strlen(s));
}

char *fg_arena_printf(fg_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n < 0 ? NULL : fg_arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

int fg_arena_on_cleanup(fg_arena *a, fg_cleanup_fn fn, void *data)
{
    cleanup *c = fg_arena_alloc(a, sizeof *c);
    if (!c)
        return FG_ENOMEM;
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
    return FG_OK;
}

size_t fg_arena_used(const fg_arena *a)
{
    return a->used;
}
