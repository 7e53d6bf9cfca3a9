#include "core/buf.h"

#include "core/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fg_buf_init(fg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SIZE_MAX / 2;
}

void fg_buf_free(fg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void fg_buf_reset(fg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int fg_buf_reserve(fg_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return FG_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return FG_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 4 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return FG_ENOMEM;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';
    return FG_OK;
}

int fg_buf_append(fg_buf *b, const void *data, size_t n)
{
    int rc = fg_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return FG_OK;
}

int fg_buf_puts(fg_buf *b, const char *s)
{
    return fg_buf_append(b, s, strlen(s));
}

int fg_buf_putc(fg_buf *b, char c)
{
    return fg_buf_append(b, &c, 1);
}

int fg_buf_vprintf(fg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return FG_EINVAL;
    int rc = fg_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return FG_OK;
}

int fg_buf_printf(fg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fg_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void fg_buf_consume(fg_buf *b, size_t n)
{
    if (n >= b->len) {
        fg_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *fg_buf_detach(fg_buf *b, size_t *len)
{
    if (!b->data && fg_buf_reserve(b, 0))
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
