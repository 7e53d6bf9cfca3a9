/* A growable byte buffer with a ceiling: every buffer fed from outside has a
 * maximum size, and appending past it fails with FG_ELIMIT instead of growing. */
#ifndef FG_CORE_BUF_H
#define FG_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct fg_buf {
    char *data;     /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;     /* ceiling on len; 0 means SIZE_MAX / 2 */
} fg_buf;

void fg_buf_init(fg_buf *b, size_t max);
void fg_buf_free(fg_buf *b);
void fg_buf_reset(fg_buf *b);
int fg_buf_reserve(fg_buf *b, size_t extra);
int fg_buf_append(fg_buf *b, const void *data, size_t n);
int fg_buf_puts(fg_buf *b, const char *s);
int fg_buf_putc(fg_buf *b, char c);
int fg_buf_printf(fg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fg_buf_vprintf(fg_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes. */
void fg_buf_consume(fg_buf *b, size_t n);
/* Hands the storage to the caller (free() it); the buffer is left empty. */
char *fg_buf_detach(fg_buf *b, size_t *len);

#endif
