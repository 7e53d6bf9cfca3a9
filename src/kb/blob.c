#include "kb/blob.h"

int fg_kb_put_u32(fg_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return fg_buf_append(b, x, 4);
}

int fg_kb_put_u64(fg_buf *b, uint64_t v)
{
    int rc = fg_kb_put_u32(b, (uint32_t)v);
    return rc ? rc : fg_kb_put_u32(b, (uint32_t)(v >> 32));
}

int fg_kb_get_bytes(fg_kb_reader *r, size_t n, const void **p)
{
    if (r->len - r->pos < n)
        return fg_failf(r->eb, FG_EPARSE, "%s: truncated at byte %zu", r->what, r->pos);
    *p = r->p + r->pos;
    r->pos += n;
    return 0;
}

int fg_kb_get_u32(fg_kb_reader *r, uint32_t *v)
{
    const void *p = NULL;
    int rc = fg_kb_get_bytes(r, 4, &p);
    if (rc)
        return rc;
    const unsigned char *x = p;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return 0;
}

int fg_kb_get_u64(fg_kb_reader *r, uint64_t *v)
{
    uint32_t lo, hi;
    int rc = fg_kb_get_u32(r, &lo);
    if (!rc)
        rc = fg_kb_get_u32(r, &hi);
    if (!rc)
        *v = (uint64_t)hi << 32 | lo;
    return rc;
}
