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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
