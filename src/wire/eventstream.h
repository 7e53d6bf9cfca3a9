/* AWS event-stream framing (application/vnd.amazon.eventstream), used by
 * Bedrock's ConverseStream and InvokeModelWithResponseStream, in both
 * directions: an incremental decoder for upstream responses and an encoder
 * for flowgate's own.
 *
 * A message: total length (u32) | headers length (u32) | prelude CRC32 (u32) |
 * headers | payload | message CRC32 (u32), all big-endian. */
#ifndef FG_WIRE_EVENTSTREAM_H
#define FG_WIRE_EVENTSTREAM_H

#include "core/buf.h"
#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum fg_es_type {
    FG_ES_BOOL_TRUE = 0,
    FG_ES_BOOL_FALSE = 1,
    FG_ES_BYTE = 2,
    FG_ES_INT16 = 3,
    FG_ES_INT32 = 4,
    FG_ES_INT64 = 5,
    FG_ES_BYTES = 6,
    FG_ES_STRING = 7,
    FG_ES_TIMESTAMP = 8, /* milliseconds since the epoch */
    FG_ES_UUID = 9
} fg_es_type;

typedef struct fg_es_header {
    const char *name;   /* not NUL-terminated when decoded: use name_len */
    size_t name_len;    /* 1..255 */
    fg_es_type type;
    union {
        int64_t i;      /* BYTE, INT16, INT32, INT64, TIMESTAMP */
        struct {
            const uint8_t *data;
            size_t len; /* ≤ 32767 */
        } bytes;        /* BYTES, STRING */
        uint8_t uuid[16];
    } v;
} fg_es_header;

typedef struct fg_es_message {
    const fg_es_header *headers;
    size_t nheaders;
    const uint8_t *payload;
    size_t payload_len;
} fg_es_message;

/* Header constructors for the encoder (name and value must outlive the call). */
fg_es_header fg_es_header_string(const char *name, const char *value);
fg_es_header fg_es_header_bytes(const char *name, const void *data, size_t len);
fg_es_header fg_es_header_int(const char *name, fg_es_type type, int64_t value);
fg_es_header fg_es_header_bool(const char *name, bool value);
fg_es_header fg_es_header_uuid(const char *name, const uint8_t uuid[16]);

/* The first header named name (case-sensitive), or NULL. */
const fg_es_header *fg_es_find(const fg_es_message *m, const char *name);
/* The value of a string header as a pointer and length; NULL when absent or
 * not a string. */
const char *fg_es_find_string(const fg_es_message *m, const char *name, size_t *len);

/* Limits. 0 in a field means its default. AWS allows 16 MiB messages and
 * 128 KiB of headers. */
typedef struct fg_es_limits {
    size_t max_message;  /* default 16 MiB */
    size_t max_headers;  /* bytes of headers, default 128 KiB */
    size_t max_count;    /* headers per message, default 256 */
} fg_es_limits;

/* Decoder. Feed bytes in pieces of any size; each complete, verified message
 * is handed to the callback (its pointers are valid only during the call). A
 * non-zero return stops decoding and is returned by fg_es_decoder_feed; the
 * rest of that piece is dropped (the caller is abandoning the stream). */
typedef int (*fg_es_message_fn)(void *user, const fg_es_message *m);
typedef struct fg_es_decoder fg_es_decoder;

fg_es_decoder *fg_es_decoder_new(const fg_es_limits *limits, fg_es_message_fn fn, void *user);
void fg_es_decoder_free(fg_es_decoder *d);
/* Returns 0, the callback's value, FG_EPARSE (bad CRC, bad header, lengths
 * that do not add up) or FG_ELIMIT (a message over a limit). After an error
 * the decoder refuses further input. */
int fg_es_decoder_feed(fg_es_decoder *d, const void *data, size_t n, fg_errbuf *eb);
/* FG_EPARSE when the stream ended inside a message (a truncated response). */
int fg_es_decoder_finish(fg_es_decoder *d, fg_errbuf *eb);

/* Decodes exactly one message that fills buf[0..n); headers go to hdrs (room
 * for max). Used by the decoder and by tests. */
int fg_es_decode_one(const uint8_t *buf, size_t n, const fg_es_limits *limits,
                     fg_es_header *hdrs, size_t max, fg_es_message *out, fg_errbuf *eb);

/* Encoder: appends one framed message to out. FG_EINVAL for a header name
 * longer than 255 bytes or a value longer than 32767; FG_ELIMIT when out's
 * ceiling is reached. */
int fg_es_encode(fg_buf *out, const fg_es_header *headers, size_t nheaders, const void *payload,
                 size_t payload_len);
/* An event as Bedrock sends it: :event-type, :content-type, :message-type event. */
int fg_es_encode_event(fg_buf *out, const char *event_type, const char *content_type,
                       const void *payload, size_t len);
/* An exception inside a stream: :exception-type, :content-type
 * application/json, :message-type exception; the payload is the JSON error
 * body, e.g. {"message":"..."}. */
int fg_es_encode_exception(fg_buf *out, const char *exception_type, const void *payload,
                           size_t len);

/* CRC-32 (IEEE 802.3, as zlib computes it), continuing from crc (0 to start). */
uint32_t fg_es_crc32(uint32_t crc, const void *data, size_t n);

#endif
