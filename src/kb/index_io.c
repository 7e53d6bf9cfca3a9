/* Index persistence: a little-endian blob holding the term dictionary and, per
 * live document, its id, length and sorted (term, tf) list. Loading re-inverts
 * the lists, which is fast and keeps the blob compact (removed documents are
 * not written).
 *   "FGKBIX" u16 version | u32 nterms | nterms x (u32 len, bytes)
 *   | u32 ndocs | ndocs x (u32 idlen, bytes, u32 length, u32 n, n x (u32 term, u32 tf)) */
#include "kb/index_int.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC "FGKBIX"
#define VERSION 1

static int put_u32(fg_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return fg_buf_append(b, x, 4);
}

static int save_terms(const fg_kb_index *ix, fg_buf *out)
{
    int rc = put_u32(out, ix->terms.count);
    for (uint32_t t = 0; t < ix->terms.count && !rc; t++) {
        size_t len;
        const char *s = fg_kb_strmap_key(&ix->terms, t, &len);
        rc = put_u32(out, (uint32_t)len);
        if (!rc)
            rc = fg_buf_append(out, s, len);
    }
    return rc;
}

static int save_doc(const fg_kb_index *ix, uint32_t d, fg_buf *out)
{
    const char *id = fg_kb_index_doc_id(ix, d);
    size_t idlen = strlen(id), n = ix->fwd_off[d + 1] - ix->fwd_off[d];
    int rc = put_u32(out, (uint32_t)idlen);
    if (!rc)
        rc = fg_buf_append(out, id, idlen);
    if (!rc)
        rc = put_u32(out, ix->len[d]);
    if (!rc)
        rc = put_u32(out, (uint32_t)n);
    for (size_t i = ix->fwd_off[d]; i < ix->fwd_off[d + 1] && !rc; i++) {
        rc = put_u32(out, ix->fwd[i].doc);
        if (!rc)
            rc = put_u32(out, ix->fwd[i].tf);
    }
    return rc;
}

int fg_kb_index_save(const fg_kb_index *ix, fg_buf *out)
{
    int rc = fg_buf_append(out, MAGIC, 6);
    if (!rc)
        rc = fg_buf_append(out, (unsigned char[]){VERSION, 0}, 2);
    if (!rc)
        rc = save_terms(ix, out);
    if (!rc)
        rc = put_u32(out, ix->live_docs);
    for (uint32_t d = 0; d < ix->ndocs && !rc; d++)
        if (ix->live[d])
            rc = save_doc(ix, d, out);
    return rc;
}

typedef struct reader {
    const unsigned char *p;
    size_t len, pos;
    fg_errbuf *eb;
} reader;

static int get_u32(reader *r, uint32_t *v)
{
    if (r->len - r->pos < 4)
        return fg_failf(r->eb, FG_EPARSE, "index blob: truncated at byte %zu", r->pos);
    const unsigned char *x = r->p + r->pos;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    r->pos += 4;
    return 0;
}

static int get_bytes(reader *r, uint32_t n, const char **s)
{
    if (r->len - r->pos < n)
        return fg_failf(r->eb, FG_EPARSE, "index blob: truncated at byte %zu", r->pos);
    *s = (const char *)r->p + r->pos;
    r->pos += n;
    return 0;
}

static int load_terms(reader *r, fg_kb_index *ix)
{
    uint32_t n, len;
    const char *s = NULL;
    int rc = get_u32(r, &n);
    for (uint32_t t = 0; t < n && !rc; t++) {
        rc = get_u32(r, &len);
        if (!rc)
            rc = get_bytes(r, len, &s);
        if (!rc && fg__kb_index_term(ix, s, len) != t)
            rc = fg_failf(r->eb, FG_EPARSE, "index blob: term %u is a duplicate or out of memory", t);
    }
    return rc;
}

static int load_doc(reader *r, fg_kb_index *ix, fg_kb_posting **pairs, uint32_t *cap)
{
    uint32_t idlen = 0, length = 0, n = 0;
    const char *id = NULL;
    int rc = get_u32(r, &idlen);
    if (!rc)
        rc = get_bytes(r, idlen, &id);
    if (!rc)
        rc = get_u32(r, &length);
    if (!rc)
        rc = get_u32(r, &n);
    if (rc)
        return rc;
    if ((r->len - r->pos) / 8 < n || memchr(id, 0, idlen))
        return fg_failf(r->eb, FG_EPARSE, "index blob: bad document at byte %zu", r->pos);
    if (n > *cap) {
        fg_kb_posting *p = realloc(*pairs, (size_t)n * sizeof *p);
        if (!p)
            return fg_failf(r->eb, FG_ENOMEM, "index blob: out of memory");
        *pairs = p;
        *cap = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        get_u32(r, &(*pairs)[i].doc);
        get_u32(r, &(*pairs)[i].tf);
        if ((*pairs)[i].doc >= ix->terms.count || (*pairs)[i].tf == 0 ||
            (i > 0 && (*pairs)[i].doc <= (*pairs)[i - 1].doc))
            return fg_failf(r->eb, FG_EPARSE, "index blob: bad term list at byte %zu", r->pos);
    }
    char *idz = strndup(id, idlen);
    if (!idz)
        return fg_failf(r->eb, FG_ENOMEM, "index blob: out of memory");
    rc = fg__kb_index_append(ix, idz, length, *pairs, n);
    free(idz);
    return rc ? fg_failf(r->eb, rc, "index blob: out of memory") : 0;
}

fg_kb_index *fg_kb_index_load(const void *data, size_t len, fg_errbuf *eb)
{
    reader r = {data, len, 8, eb};
    if (len < 8 || memcmp(data, MAGIC, 6) != 0 || r.p[6] != VERSION || r.p[7] != 0) {
        fg_failf(eb, FG_EPARSE, "index blob: not a flowgate index of version %d", VERSION);
        return NULL;
    }
    fg_kb_index *ix = fg_kb_index_new();
    if (!ix) {
        fg_failf(eb, FG_ENOMEM, "index blob: out of memory");
        return NULL;
    }
    fg_kb_posting *pairs = NULL;
    uint32_t cap = 0, ndocs = 0;
    int rc = load_terms(&r, ix);
    if (!rc)
        rc = get_u32(&r, &ndocs);
    for (uint32_t d = 0; d < ndocs && !rc; d++)
        rc = load_doc(&r, ix, &pairs, &cap);
    free(pairs);
    if (!rc && r.pos != len)
        rc = fg_failf(eb, FG_EPARSE, "index blob: %zu trailing bytes", len - r.pos);
    if (rc) {
        fg_kb_index_free(ix);
        return NULL;
    }
    return ix;
}
