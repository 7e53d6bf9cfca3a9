/* The AWS event-stream encoder, and header helpers. */
#include "wire/eventstream.h"

#include "wire/eventstream_int.h"

#include <string.h>

fg_es_header fg_es_header_string(const char *name, const char *value)
{
    return (fg_es_header){.name = name, .name_len = strlen(name), .type = FG_ES_STRING,
                          .v.bytes = {(const uint8_t *)value, strlen(value)}};
}

fg_es_header fg_es_header_bytes(const char *name, const void *data, size_t len)
{
    return (fg_es_header){.name = name, .name_len = strlen(name), .type = FG_ES_BYTES,
                          .v.bytes = {data, len}};
}

fg_es_header fg_es_header_int(const char *name, fg_es_type type, int64_t value)
{
    return (fg_es_header){.name = name, .name_len = strlen(name), .type = type, .v.i = value};
}

fg_es_header fg_es_header_bool(const char *name, bool value)
{
    return (fg_es_header){.name = name, .name_len = strlen(name),
                          .type = value ? FG_ES_BOOL_TRUE : FG_ES_BOOL_FALSE, .v.i = value};
}

fg_es_header fg_es_header_uuid(const char *name, const uint8_t uuid[16])
{
    fg_es_header h = {.name = name, .name_len = strlen(name), .type = FG_ES_UUID};
    memcpy(h.v.uuid, uuid, 16);
    return h;
}

const fg_es_header *fg_es_find(const fg_es_message *m, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < m->nheaders; i++)
        if (m->headers[i].name_len == n && memcmp(m->headers[i].name, name, n) == 0)
            return &m->headers[i];
    return NULL;
}

const char *fg_es_find_string(const fg_es_message *m, const char *name, size_t *len)
{
    const fg_es_header *h = fg_es_find(m, name);
    if (!h || h->type != FG_ES_STRING)
        return NULL;
    *len = h->v.bytes.len;
    return (const char *)h->v.bytes.data;
}

static size_t int_size(fg_es_type t)
{
    switch (t) {
    case FG_ES_BYTE: return 1;
    case FG_ES_INT16: return 2;
    case FG_ES_INT32: return 4;
    case FG_ES_INT64:
    case FG_ES_TIMESTAMP: return 8;
    case FG_ES_UUID: return 16;
    default: return 0;
    }
}

/* The encoded size of one header, or 0 when it cannot be encoded. */
static size_t header_size(const fg_es_header *h)
{
    if (h->name_len == 0 || h->name_len > FG_ES_MAX_NAME || (unsigned)h->type > FG_ES_UUID)
        return 0;
    size_t v = int_size(h->type);
    if (h->type == FG_ES_BYTES || h->type == FG_ES_STRING) {
        if (h->v.bytes.len > FG_ES_MAX_VALUE)
            return 0;
        v = 2 + h->v.bytes.len;
    }
    return 2 + h->name_len + v;
}

static uint8_t *put_header(uint8_t *p, const fg_es_header *h)
{
    *p++ = (uint8_t)h->name_len;
    memcpy(p, h->name, h->name_len);
    p += h->name_len;
    *p++ = (uint8_t)h->type;
    if (h->type == FG_ES_BYTES || h->type == FG_ES_STRING) {
        *p++ = (uint8_t)(h->v.bytes.len >> 8);
        *p++ = (uint8_t)h->v.bytes.len;
        if (h->v.bytes.len)
            memcpy(p, h->v.bytes.data, h->v.bytes.len);
        return p + h->v.bytes.len;
    }
    if (h->type == FG_ES_UUID) {
        memcpy(p, h->v.uuid, 16);
        return p + 16;
    }
    size_t n = int_size(h->type);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((uint64_t)h->v.i >> (8 * (n - 1 - i)));
    return p + n;
}

int fg_es_encode(fg_buf *out, const fg_es_header *headers, size_t nheaders, const void *payload,
                 size_t payload_len)
{
    size_t hlen = 0;
    for (size_t i = 0; i < nheaders; i++) {
        size_t s = header_size(&headers[i]);
        if (!s)
            return FG_EINVAL;
        hlen += s;
    }
    if (hlen > UINT32_MAX - FG_ES_OVERHEAD || payload_len > UINT32_MAX - FG_ES_OVERHEAD - hlen)
        return FG_ELIMIT;
    size_t total = FG_ES_OVERHEAD + hlen + payload_len;
    int rc = fg_buf_reserve(out, total);
    if (rc)
        return rc;
    uint8_t *start = (uint8_t *)out->data + out->len, *p = start;
    fg__es_put32(p, (uint32_t)total);
    fg__es_put32(p + 4, (uint32_t)hlen);
    fg__es_put32(p + 8, fg_es_crc32(0, p, 8));
    p += FG_ES_PRELUDE;
    for (size_t i = 0; i < nheaders; i++)
        p = put_header(p, &headers[i]);
    if (payload_len)
        memcpy(p, payload, payload_len);
    p += payload_len;
    fg__es_put32(p, fg_es_crc32(0, start, total - 4));
    out->len += total;
    out->data[out->len] = '\0';
    return 0;
}

int fg_es_encode_event(fg_buf *out, const char *event_type, const char *content_type,
                       const void *payload, size_t len)
{
    fg_es_header h[3] = {
        fg_es_header_string(":event-type", event_type),
        fg_es_header_string(":content-type", content_type),
        fg_es_header_string(":message-type", "event"),
    };
    return fg_es_encode(out, h, 3, payload, len);
}

int fg_es_encode_exception(fg_buf *out, const char *exception_type, const void *payload,
                           size_t len)
{
    fg_es_header h[3] = {
        fg_es_header_string(":exception-type", exception_type),
        fg_es_header_string(":content-type", "application/json"),
        fg_es_header_string(":message-type", "exception"),
    };
    return fg_es_encode(out, h, 3, payload, len);
}
