/* Lucene's SmallFloat int4 encoding of document lengths: lengths below 24 are
 * exact; larger ones keep 4 significant bits. */
#include "kb/index.h"

enum { MAX_INT4 = 231, NUM_FREE_VALUES = 255 - MAX_INT4 };

static uint32_t long_to_int4(uint64_t i)
{
    int bits = i ? 64 - __builtin_clzll(i) : 0;
    if (bits < 4)
        return (uint32_t)i;
    int shift = bits - 4;
    uint32_t encoded = (uint32_t)(i >> shift) & 0x07;
    return encoded | (uint32_t)(shift + 1) << 3;
}

static uint64_t int4_to_long(uint32_t i)
{
    uint64_t bits = i & 0x07;
    int shift = (int)(i >> 3) - 1;
    return shift == -1 ? bits : (bits | 0x08) << shift;
}

uint8_t fg_kb_length_to_norm(uint32_t len)
{
    if (len < NUM_FREE_VALUES)
        return (uint8_t)len;
    return (uint8_t)(NUM_FREE_VALUES + long_to_int4((uint64_t)len - NUM_FREE_VALUES));
}

uint32_t fg_kb_norm_to_length(uint8_t norm)
{
    if (norm < NUM_FREE_VALUES)
        return norm;
    uint64_t v = NUM_FREE_VALUES + int4_to_long((uint32_t)norm - NUM_FREE_VALUES);
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}
