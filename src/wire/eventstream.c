/* The AWS event-stream decoder: one message at a time from a buffer, and an
 * incremental decoder that buffers at most one message. */
#include "wire/eventstream.h"

#include "wire/eventstream_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct fg_es_decoder {
    fg_es_limits lim;
    fg_buf buf;          /* a message that spans chunks */
    size_t want;         /* its total length once the prelude is in */
    fg_es_header *hdrs;  /* lim.max_count entries */
    fg_es_message_fn fn;
    void *user;
    int failed;
};

uint32_t fg_es_crc32(uint32_t crc, const void *data, size_t n)
{
    const Bytef *p = data;
    uLong c = crc;
    while (n > 0) {
        uInt chunk = n > UINT_MAX ? UINT_MAX : (uInt)n;
        c = crc32(c, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)c;
}

static fg_es_limits effective(const fg_es_limits *l)
{
    fg_es_limits e = l ? *l : (fg_es_limits){0};
    if (!e.max_message)
        e.max_message = 16u * 1024 * 1024;
    if (!e.max_headers)
        e.max_headers = 128u * 1024;
    if (!e.max_count)
        e.max_count = 256;
    return e;
}

/* Checks the 12-byte prelude; on success *total is the message length. */
static int check_prelude(const uint8_t *p, const fg_es_limits *l, size_t *total, fg_errbuf *eb)
{
    uint32_t tot = fg__es_be32(p), hlen = fg__es_be32(p + 4), crc = fg__es_be32(p + 8);
    if (fg_es_crc32(0, p, 8) != crc)
        return fg_failf(eb, FG_EPARSE,
                        "event-stream prelude CRC mismatch (expected %08x, computed %08x): the "
                        "stream is corrupt or not application/vnd.amazon.eventstream",
                        crc, fg_es_crc32(0, p, 8));
    if (tot < FG_ES_OVERHEAD || hlen > tot - FG_ES_OVERHEAD)
        return fg_failf(eb, FG_EPARSE,
                        "event-stream message lengths do not add up (total %u, headers %u)", tot,
                        hlen);
    if (tot > l->max_message || hlen > l->max_headers)
        return fg_failf(eb, FG_ELIMIT,
                        "event-stream message of %u bytes (%u of headers) exceeds the limit of "
                        "%zu bytes (%zu of headers)",
                        tot, hlen, l->max_message, l->max_headers);
    *total = tot;
    return 0;
}

static size_t value_size(fg_es_type t)
{
    static const size_t sizes[] = {0, 0, 1, 2, 4, 8, 0, 0, 8, 16};
    return sizes[t];
}

static int64_t read_int(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    switch (n) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

/* Reads the value of header h of type h->type from p[0..n); returns bytes used or 0. */
static size_t read_value(fg_es_header *h, const uint8_t *p, size_t n)
{
    if (h->type == FG_ES_BOOL_TRUE || h->type == FG_ES_BOOL_FALSE) {
        h->v.i = h->type == FG_ES_BOOL_TRUE;
        return 0;
    }
    if (h->type == FG_ES_BYTES || h->type == FG_ES_STRING) {
        if (n < 2)
            return SIZE_MAX;
        size_t len = (size_t)p[0] << 8 | p[1];
        if (len > n - 2)
            return SIZE_MAX;
        h->v.bytes.data = p + 2;
        h->v.bytes.len = len;
        return 2 + len;
    }
    size_t sz = value_size(h->type);
    if (sz > n)
        return SIZE_MAX;
    if (h->type == FG_ES_UUID)
        memcpy(h->v.uuid, p, 16);
    else
        h->v.i = read_int(p, sz);
    return sz;
}

static int parse_headers(const uint8_t *p, size_t n, const fg_es_limits *l, fg_es_header *hdrs,
                         size_t max, size_t *count, fg_errbuf *eb)
{
    size_t off = 0, k = 0;
    while (off < n) {
        if (k >= max || k >= l->max_count)
            return fg_failf(eb, FG_ELIMIT, "event-stream message has more than %zu headers",
                            max < l->max_count ? max : l->max_count);
        fg_es_header *h = &hdrs[k];
        size_t nl = p[off];
        if (nl == 0 || nl + 2 > n - off)
            return fg_failf(eb, FG_EPARSE, "event-stream header %zu: bad name length %zu", k, nl);
        h->name = (const char *)p + off + 1;
        h->name_len = nl;
        uint8_t type = p[off + 1 + nl];
        if (type > FG_ES_UUID)
            return fg_failf(eb, FG_EPARSE, "event-stream header '%.*s': unknown type %u",
                            (int)nl, h->name, type);
        h->type = (fg_es_type)type;
        off += nl + 2;
        size_t used = read_value(h, p + off, n - off);
        if (used == SIZE_MAX)
            return fg_failf(eb, FG_EPARSE, "event-stream header '%.*s': value runs past the headers",
                            (int)nl, h->name);
        off += used;
        k++;
    }
    *count = k;
    return 0;
}

int fg_es_decode_one(const uint8_t *buf, size_t n, const fg_es_limits *limits, fg_es_header *hdrs,
                     size_t max, fg_es_message *out, fg_errbuf *eb)
{
    fg_es_limits l = effective(limits);
    size_t total = 0;
    if (n < FG_ES_OVERHEAD)
        return fg_failf(eb, FG_EPARSE, "event-stream message of %zu bytes is shorter than 16", n);
    int rc = check_prelude(buf, &l, &total, eb);
    if (rc)
        return rc;
    if (total != n)
        return fg_failf(eb, FG_EPARSE, "event-stream message says %zu bytes but has %zu", total, n);
    uint32_t crc = fg__es_be32(buf + n - 4), got = fg_es_crc32(0, buf, n - 4);
    if (crc != got)
        return fg_failf(eb, FG_EPARSE,
                        "event-stream message CRC mismatch (expected %08x, computed %08x)", crc, got);
    size_t hlen = fg__es_be32(buf + 4), count = 0;
    rc = parse_headers(buf + FG_ES_PRELUDE, hlen, &l, hdrs, max, &count, eb);
    if (rc)
        return rc;
    *out = (fg_es_message){hdrs, count, buf + FG_ES_PRELUDE + hlen, n - hlen - FG_ES_OVERHEAD};
    return 0;
}

fg_es_decoder *fg_es_decoder_new(const fg_es_limits *limits, fg_es_message_fn fn, void *user)
{
    fg_es_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->lim = effective(limits);
    d->hdrs = calloc(d->lim.max_count, sizeof *d->hdrs);
    if (!d->hdrs) {
        free(d);
        return NULL;
    }
    fg_buf_init(&d->buf, d->lim.max_message);
    d->fn = fn;
    d->user = user;
    return d;
}

void fg_es_decoder_free(fg_es_decoder *d)
{
    if (!d)
        return;
    fg_buf_free(&d->buf);
    free(d->hdrs);
    free(d);
}

static int deliver(fg_es_decoder *d, const uint8_t *msg, size_t n, fg_errbuf *eb)
{
    fg_es_message m;
    int rc = fg_es_decode_one(msg, n, &d->lim, d->hdrs, d->lim.max_count, &m, eb);
    if (rc) {
        d->failed = rc;
        return rc;
    }
    return d->fn ? d->fn(d->user, &m) : 0;
}

/* Adds up to what the current message still needs from s; returns bytes taken. */
static size_t take(fg_es_decoder *d, const uint8_t *s, size_t n, int *rc, fg_errbuf *eb)
{
    size_t need = (d->buf.len < FG_ES_PRELUDE ? FG_ES_PRELUDE : d->want) - d->buf.len;
    size_t k = n < need ? n : need;
    if ((*rc = fg_buf_append(&d->buf, s, k)) != 0)
        return k;
    if (d->buf.len == FG_ES_PRELUDE && !d->want) {
        *rc = check_prelude((const uint8_t *)d->buf.data, &d->lim, &d->want, eb);
        if (*rc)
            d->failed = *rc;
        return k;
    }
    if (d->want && d->buf.len == d->want) {
        *rc = deliver(d, (const uint8_t *)d->buf.data, d->buf.len, eb);
        fg_buf_reset(&d->buf);
        d->want = 0;
    }
    return k;
}

int fg_es_decoder_feed(fg_es_decoder *d, const void *data, size_t n, fg_errbuf *eb)
{
    if (d->failed)
        return fg_failf(eb, d->failed, "event-stream decoder: the stream already failed");
    const uint8_t *s = data;
    while (n > 0) {
        int rc = 0;
        size_t total = 0;
        if (d->buf.len == 0 && n >= FG_ES_PRELUDE) {
            /* Whole messages in the input are decoded in place, without a copy. */
            if ((rc = check_prelude(s, &d->lim, &total, eb)) != 0)
                return d->failed = rc;
            if (n >= total) {
                if ((rc = deliver(d, s, total, eb)) != 0)
                    return rc;
                s += total;
                n -= total;
                continue;
            }
        }
        size_t k = take(d, s, n, &rc, eb);
        if (rc)
            return rc;
        s += k;
        n -= k;
    }
    return 0;
}

int fg_es_decoder_finish(fg_es_decoder *d, fg_errbuf *eb)
{
    if (d->failed)
        return fg_failf(eb, d->failed, "event-stream decoder: the stream already failed");
    if (d->buf.len)
        return fg_failf(eb, FG_EPARSE,
                        "the event stream ended inside a message (%zu of %zu bytes): the upstream "
                        "response was truncated",
                        d->buf.len, d->want ? d->want : (size_t)FG_ES_PRELUDE);
    return 0;
}
