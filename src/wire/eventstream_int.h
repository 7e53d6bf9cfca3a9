/* Private helpers shared by the event-stream decoder and encoder. */
#ifndef FG_WIRE_EVENTSTREAM_INT_H
#define FG_WIRE_EVENTSTREAM_INT_H

#include <stdint.h>

#define FG_ES_PRELUDE 12u  /* total length, headers length, prelude CRC */
#define FG_ES_OVERHEAD 16u /* prelude plus the message CRC */
#define FG_ES_MAX_NAME 255u
#define FG_ES_MAX_VALUE 32767u

static inline uint32_t fg__es_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void fg__es_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
