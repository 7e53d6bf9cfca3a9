/* libFuzzer target for the AWS event-stream decoder: the first byte picks
 * the chunk size; every message the decoder accepts must re-encode to the
 * very same bytes. */
#include "core/buf.h"
#include "wire/eventstream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct state {
    const uint8_t *start; /* the input, to compare re-encoded messages with */
    size_t offset;
} state;

static int check(void *user, const fg_es_message *m)
{
    state *st = user;
    fg_buf b;
    fg_buf_init(&b, 0);
    if (fg_es_encode(&b, m->headers, m->nheaders, m->payload, m->payload_len) != 0)
        abort();
    if (memcmp(b.data, st->start + st->offset, b.len) != 0)
        abort();
    st->offset += b.len;
    fg_buf_free(&b);
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Random bytes rarely carry valid CRCs, so the input is also framed as the
 * headers and payload of a message with correct lengths and CRCs: that
 * reaches the header parser, whose accepted output must re-encode exactly. */
static void framed(const uint8_t *data, size_t size)
{
    size_t hlen = size ? data[0] % (size) : 0;
    size_t n = 16 + size;
    uint8_t *m = malloc(n);
    put32(m, (uint32_t)n);
    put32(m + 4, (uint32_t)hlen);
    put32(m + 8, fg_es_crc32(0, m, 8));
    if (size)
        memcpy(m + 12, data, size);
    put32(m + n - 4, fg_es_crc32(0, m, n - 4));
    fg_es_header h[64];
    fg_es_message msg;
    if (fg_es_decode_one(m, n, NULL, h, 64, &msg, NULL) == 0) {
        state st = {m, 0};
        check(&st, &msg);
    }
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size <= 4096)
        framed(data, size);
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] * 7 + 1;
    state st = {data + 1, 0};
    fg_es_limits lim = {.max_message = 1 << 16, .max_headers = 1 << 14, .max_count = 64};
    fg_es_decoder *d = fg_es_decoder_new(&lim, check, &st);
    int rc = 0;
    for (size_t i = 1; !rc && i < size; i += piece)
        rc = fg_es_decoder_feed(d, data + i, size - i < piece ? size - i : piece, NULL);
    if (!rc)
        fg_es_decoder_finish(d, NULL);
    fg_es_decoder_free(d);
    return 0;
}
