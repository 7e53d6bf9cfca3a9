/* GGUF v2/v3: header, metadata key-values and tensor descriptions, each field
 * checked against the bytes left before it is used. Values stay in the mapped
 * file; the parser records where they are. */
#include "infer/infer_int.h"

#include <stdlib.h>
#include <string.h>

#define GGUF_MAGIC 0x46554747u /* "GGUF" little-endian */
#define GGUF_MAX_KEY 65535
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_ELEMS ((uint64_t)1 << 42)

static const uint8_t scalar_size[FG__GV_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *fg__gguf_type_name(uint32_t type)
{
    static const char *names[] = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0",
                                  "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
                                  "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
                                  "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32",
                                  "I64", "F64", "IQ1_M", "BF16"};
    return type < FG_ARRAY_LEN(names) ? names[type] : NULL;
}

/* A string: u64 length then bytes. */
static bool read_str(fg__rd *r, uint64_t max, const char **s, size_t *len)
{
    uint64_t n = fg__rd_u64(r);
    if (r->bad || n > max || !fg__rd_need(r, (size_t)n)) {
        r->bad = true;
        return false;
    }
    *s = (const char *)r->p + r->off;
    *len = (size_t)n;
    r->off += (size_t)n;
    return true;
}

static int bad(const fg__rd *r, fg_errbuf *eb, const char *what)
{
    return fg_failf(eb, FG_EPARSE,
                    "GGUF: %s at byte offset %zu is truncated or out of range; the file is "
                    "damaged or not a GGUF file",
                    what, r->off);
}

static int read_value(fg__rd *r, fg__gguf_kv *kv, fg_errbuf *eb)
{
    kv->type = fg__rd_u32(r);
    kv->count = 1;
    if (kv->type >= FG__GV_COUNT)
        return fg_failf(eb, FG_EPARSE, "GGUF: key '%.*s' has unknown value type %u",
                        (int)kv->key_len, kv->key, kv->type);
    if (kv->type == FG__GV_ARRAY) {
        kv->elem_type = fg__rd_u32(r);
        kv->count = fg__rd_u64(r);
        if (r->bad)
            return bad(r, eb, "an array header");
        if (kv->elem_type >= FG__GV_COUNT || kv->elem_type == FG__GV_ARRAY)
            return fg_failf(eb, FG_EPARSE,
                            "GGUF: key '%.*s' is an array of unsupported type %u",
                            (int)kv->key_len, kv->key, kv->elem_type);
    } else {
        kv->elem_type = kv->type;
    }
    kv->val = r->p + r->off;
    if (kv->elem_type == FG__GV_STRING) {
        for (uint64_t i = 0; i < kv->count; i++) {
            const char *s;
            size_t n;
            if (!read_str(r, r->len, &s, &n))
                return fg_failf(eb, FG_EPARSE,
                                "GGUF: string %llu of key '%.*s' runs past the end of the file",
                                (unsigned long long)i, (int)kv->key_len, kv->key);
        }
        return FG_OK;
    }
    uint64_t bytes = kv->count * scalar_size[kv->elem_type];
    if (kv->count > r->len || !fg__rd_need(r, (size_t)bytes))
        return fg_failf(eb, FG_EPARSE,
                        "GGUF: the value of key '%.*s' (%llu elements) runs past the end of "
                        "the file",
                        (int)kv->key_len, kv->key, (unsigned long long)kv->count);
    r->off += (size_t)bytes;
    return FG_OK;
}

static int read_kvs(fg__gguf *g, fg__rd *r, fg_errbuf *eb)
{
    /* Every pair needs at least 12 bytes: this bounds the allocation by the file. */
    if (g->n_kv > (r->len - r->off) / 12)
        return fg_failf(eb, FG_EPARSE, "GGUF: %llu metadata pairs cannot fit in the file",
                        (unsigned long long)g->n_kv);
    g->kv = calloc((size_t)g->n_kv + 1, sizeof *g->kv);
    if (!g->kv)
        return fg_failf(eb, FG_ENOMEM, "GGUF: out of memory");
    for (uint64_t i = 0; i < g->n_kv; i++) {
        fg__gguf_kv *kv = &g->kv[i];
        if (!read_str(r, GGUF_MAX_KEY, &kv->key, &kv->key_len))
            return bad(r, eb, "a metadata key");
        int rc = read_value(r, kv, eb);
        if (rc)
            return rc;
    }
    return FG_OK;
}

static int tensor_bytes(fg__gguf_tensor *t, fg_errbuf *eb)
{
    uint64_t n = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if (t->ne[d] == 0 || __builtin_mul_overflow(n, t->ne[d], &n) || n > GGUF_MAX_ELEMS)
            return fg_failf(eb, FG_EPARSE, "GGUF: tensor '%.*s' has absurd dimensions",
                            (int)t->name_len, t->name);
    }
    const char *tn = fg__gguf_type_name(t->type);
    if (!fg__type_name((int)t->type))
        return fg_failf(eb, FG_EUNSUPPORTED,
                        "GGUF: tensor '%.*s' has type %s (%u), which flowgate does not "
                        "support; use a file quantised as F32, F16, BF16, Q8_0 or Q4_0",
                        (int)t->name_len, t->name, tn ? tn : "unknown", t->type);
    uint64_t row;
    if (fg__type_row_bytes((int)t->type, t->ne[0], &row) != FG_OK)
        return fg_failf(eb, FG_EPARSE,
                        "GGUF: tensor '%.*s' has %llu columns, not a multiple of the %s block "
                        "size 32",
                        (int)t->name_len, t->name, (unsigned long long)t->ne[0], tn);
    t->bytes = row * (n / t->ne[0]);
    return FG_OK;
}

static int read_tensor_info(fg__gguf *g, fg__rd *r, fg__gguf_tensor *t, fg_errbuf *eb)
{
    if (!read_str(r, GGUF_MAX_KEY, &t->name, &t->name_len))
        return bad(r, eb, "a tensor name");
    t->n_dims = fg__rd_u32(r);
    if (r->bad)
        return bad(r, eb, "a tensor description");
    if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS)
        return fg_failf(eb, FG_EPARSE, "GGUF: tensor '%.*s' has %u dimensions (1..4 allowed)",
                        (int)t->name_len, t->name, t->n_dims);
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++)
        t->ne[d] = d < t->n_dims ? fg__rd_u64(r) : 1;
    t->type = fg__rd_u32(r);
    t->offset = fg__rd_u64(r);
    if (r->bad)
        return bad(r, eb, "a tensor description");
    if (t->offset % g->alignment)
        return fg_failf(eb, FG_EPARSE, "GGUF: tensor '%.*s' offset %llu is not aligned to %llu",
                        (int)t->name_len, t->name, (unsigned long long)t->offset,
                        (unsigned long long)g->alignment);
    return tensor_bytes(t, eb);
}

static int read_alignment(fg__gguf *g, fg_errbuf *eb)
{
    g->alignment = 32;
    const fg__gguf_kv *kv = fg__gguf_find(g, "general.alignment");
    if (!kv)
        return FG_OK;
    uint64_t a;
    if (!fg__gguf_get_u64(g, "general.alignment", &a) || a < 8 || a > 65536 || (a & (a - 1)))
        return fg_failf(eb, FG_EPARSE,
                        "GGUF: general.alignment must be a power of two from 8 to 65536");
    g->alignment = a;
    return FG_OK;
}

static int place_tensors(fg__gguf *g, const fg__rd *r, fg_errbuf *eb)
{
    uint64_t start = (r->off + g->alignment - 1) / g->alignment * g->alignment;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        fg__gguf_tensor *t = &g->tensors[i];
        if (start > r->len || t->offset > r->len - start || t->bytes > r->len - start - t->offset)
            return fg_failf(eb, FG_EPARSE,
                            "GGUF: tensor '%.*s' (%llu bytes at data offset %llu) lies past the "
                            "end of the %zu-byte file; the file is truncated",
                            (int)t->name_len, t->name, (unsigned long long)t->bytes,
                            (unsigned long long)t->offset, r->len);
        t->data = r->p + start + t->offset;
    }
    return FG_OK;
}

int fg__gguf_parse(fg__gguf *g, const uint8_t *data, size_t len, fg_errbuf *eb)
{
    memset(g, 0, sizeof *g);
    fg__rd r = {data, len, 0, false};
    uint32_t magic = fg__rd_u32(&r);
    g->version = fg__rd_u32(&r);
    g->n_tensors = fg__rd_u64(&r);
    g->n_kv = fg__rd_u64(&r);
    if (r.bad || magic != GGUF_MAGIC)
        return fg_failf(eb, FG_EPARSE, "GGUF: missing 'GGUF' magic; not a GGUF file");
    if (g->version != 2 && g->version != 3)
        return fg_failf(eb, FG_EUNSUPPORTED, "GGUF: version %u is not supported (2 or 3)",
                        g->version);
    int rc = read_kvs(g, &r, eb);
    if (rc || (rc = read_alignment(g, eb)))
        return rc;
    /* Every tensor description needs at least 28 bytes. */
    if (g->n_tensors > (r.len - r.off) / 28)
        return fg_failf(eb, FG_EPARSE, "GGUF: %llu tensors cannot fit in the file",
                        (unsigned long long)g->n_tensors);
    g->tensors = calloc((size_t)g->n_tensors + 1, sizeof *g->tensors);
    if (!g->tensors)
        return fg_failf(eb, FG_ENOMEM, "GGUF: out of memory");
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if ((rc = read_tensor_info(g, &r, &g->tensors[i], eb)))
            return rc;
    return place_tensors(g, &r, eb);
}

void fg__gguf_free(fg__gguf *g)
{
    free(g->kv);
    free(g->tensors);
    memset(g, 0, sizeof *g);
}

static bool name_is(const char *s, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(s, want, n) == 0;
}

const fg__gguf_kv *fg__gguf_find(const fg__gguf *g, const char *key)
{
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (name_is(g->kv[i].key, g->kv[i].key_len, key))
            return &g->kv[i];
    return NULL;
}

const fg__gguf_tensor *fg__gguf_tensor_find(const fg__gguf *g, const char *name)
{
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (name_is(g->tensors[i].name, g->tensors[i].name_len, name))
            return &g->tensors[i];
    return NULL;
}

bool fg__gguf_get_u64(const fg__gguf *g, const char *key, uint64_t *out)
{
    const fg__gguf_kv *kv = fg__gguf_find(g, key);
    if (!kv || kv->type == FG__GV_ARRAY)
        return false;
    uint8_t b[8] = {0};
    memcpy(b, kv->val, scalar_size[kv->type]);
    int64_t s;
    switch (kv->type) {
    case FG__GV_U8: case FG__GV_U16: case FG__GV_U32: case FG__GV_U64:
        memcpy(out, b, 8);
        return true;
    case FG__GV_I8: s = (int8_t)b[0]; break;
    case FG__GV_I16: { int16_t v; memcpy(&v, b, 2); s = v; break; }
    case FG__GV_I32: { int32_t v; memcpy(&v, b, 4); s = v; break; }
    case FG__GV_I64: memcpy(&s, b, 8); break;
    default: return false;
    }
    if (s < 0)
        return false;
    *out = (uint64_t)s;
    return true;
}

bool fg__gguf_get_f32(const fg__gguf *g, const char *key, float *out)
{
    const fg__gguf_kv *kv = fg__gguf_find(g, key);
    if (!kv)
        return false;
    if (kv->type == FG__GV_F32) {
        memcpy(out, kv->val, 4);
        return true;
    }
    if (kv->type == FG__GV_F64) {
        double d;
        memcpy(&d, kv->val, 8);
        *out = (float)d;
        return true;
    }
    uint64_t u;
    if (!fg__gguf_get_u64(g, key, &u))
        return false;
    *out = (float)u;
    return true;
}

bool fg__gguf_get_bool(const fg__gguf *g, const char *key, bool *out)
{
    const fg__gguf_kv *kv = fg__gguf_find(g, key);
    if (!kv || kv->type != FG__GV_BOOL)
        return false;
    *out = kv->val[0] != 0;
    return true;
}

bool fg__gguf_get_str(const fg__gguf *g, const char *key, const char **s, size_t *len)
{
    const fg__gguf_kv *kv = fg__gguf_find(g, key);
    if (!kv || kv->type != FG__GV_STRING)
        return false;
    fg__gguf_arr_str(kv, 0, s, len);
    return true;
}

void fg__gguf_arr_str(const fg__gguf_kv *kv, uint64_t i, const char **s, size_t *len)
{
    const uint8_t *p = kv->val;
    uint64_t n;
    for (;;) {
        memcpy(&n, p, 8);
        if (i-- == 0)
            break;
        p += 8 + n;
    }
    *s = (const char *)p + 8;
    *len = (size_t)n;
}
