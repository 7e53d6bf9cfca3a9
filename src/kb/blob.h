/* Little-endian blob writing and bounds-checked reading for the persisted
 * index structures. */
#ifndef FG_KB_BLOB_H
#define FG_KB_BLOB_H

#include "core/buf.h"
#include "core/error.h"

#include <stdint.h>

int fg_kb_put_u32(fg_buf *b, uint32_t v);
int fg_kb_put_u64(fg_buf *b, uint64_t v);

typedef struct fg_kb_reader {
    const unsigned char *p;
    size_t len, pos;
    const char *what;   /* "vector blob", for messages */
    fg_errbuf *eb;
} fg_kb_reader;

int fg_kb_get_u32(fg_kb_reader *r, uint32_t *v);
int fg_kb_get_u64(fg_kb_reader *r, uint64_t *v);
/* Points *p at the next n bytes. */
int fg_kb_get_bytes(fg_kb_reader *r, size_t n, const void **p);

#endif
