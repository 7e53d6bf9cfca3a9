#include "kb/utf8.h"

uint32_t fg_kb_utf8_decode(const char *s, size_t n, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    *len = 1;
    if (p[0] < 0x80)
        return p[0];
    size_t need;
    uint32_t cp, min;
    if ((p[0] & 0xE0) == 0xC0) {
        need = 2, cp = p[0] & 0x1F, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        need = 3, cp = p[0] & 0x0F, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        need = 4, cp = p[0] & 0x07, min = 0x10000;
    } else {
        return 0xFFFD;
    }
    if (n < need)
        return 0xFFFD;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0xFFFD;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    *len = need;
    return cp;
}

size_t fg_kb_utf8_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Blocks where upper and lower case alternate (even upper, odd lower). */
static int in_alternating_block(uint32_t cp)
{
    return (cp >= 0x0100 && cp <= 0x012F) || (cp >= 0x0132 && cp <= 0x0137) ||
           (cp >= 0x014A && cp <= 0x0177) || (cp >= 0x01DE && cp <= 0x01EF) ||
           (cp >= 0x01F8 && cp <= 0x021F) || (cp >= 0x0222 && cp <= 0x0233) ||
           (cp >= 0x03D8 && cp <= 0x03EF) || (cp >= 0x0460 && cp <= 0x0481) ||
           (cp >= 0x048A && cp <= 0x04BF) || (cp >= 0x04D0 && cp <= 0x052F) ||
           (cp >= 0x1E00 && cp <= 0x1E95) || (cp >= 0x1EA0 && cp <= 0x1EFF);
}

/* Blocks where upper case is odd and lower case even. */
static int in_odd_upper_block(uint32_t cp)
{
    return (cp >= 0x0139 && cp <= 0x0148) || (cp >= 0x0179 && cp <= 0x017E) ||
           (cp >= 0x04C1 && cp <= 0x04CE);
}

uint32_t fg_kb_lower(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
        return cp + 32;
    if (in_alternating_block(cp))
        return cp | 1;
    if (in_odd_upper_block(cp))
        return (cp & 1) ? cp + 1 : cp;
    if (cp == 0x0178)
        return 0xFF;
    if (cp >= 0x0391 && cp <= 0x03AB && cp != 0x03A2)
        return cp + 32;
    if (cp == 0x0386)
        return 0x03AC;
    if (cp >= 0x0388 && cp <= 0x038A)
        return cp + 37;
    if (cp == 0x038C)
        return 0x03CC;
    if (cp == 0x038E || cp == 0x038F)
        return cp + 63;
    if (cp >= 0x0410 && cp <= 0x042F)
        return cp + 32;
    if (cp >= 0x0400 && cp <= 0x040F)
        return cp + 80;
    if (cp >= 0x0531 && cp <= 0x0556)
        return cp + 48;
    if (cp >= 0xFF21 && cp <= 0xFF3A)
        return cp + 32;
    return cp;
}

int fg_kb_is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}
