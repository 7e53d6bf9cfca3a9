#include "kb/tokenize.h"

#include "kb/utf8.h"

/* Word-break classes, a subset of UAX #29 sufficient for tokenizing. */
enum wb {
    WB_OTHER,
    WB_LETTER,   /* ALetter, Hebrew_Letter, South-East Asian letters */
    WB_NUMERIC,
    WB_KATAKANA,
    WB_IDEO,     /* ideographs and hiragana: one token each */
    WB_MIDLETTER,
    WB_MIDNUM,
    WB_MIDNUMLET, /* includes Single_Quote */
    WB_EXTENDNUMLET,
    WB_EXTEND    /* Extend, Format, ZWJ: attach to what precedes */
};

static int is_extend(uint32_t c)
{
    return (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) ||
           (c >= 0x0591 && c <= 0x05BD) || (c >= 0x0610 && c <= 0x061A) ||
           (c >= 0x064B && c <= 0x065F) || (c >= 0x0900 && c <= 0x0903) ||
           (c >= 0x093A && c <= 0x094F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
           (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
           (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F) || c == 0x00AD ||
           c == 0x200C || c == 0x200D || (c >= 0x200E && c <= 0x200F) ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

static int is_digit(uint32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 0x0660 && c <= 0x0669) ||
           (c >= 0x06F0 && c <= 0x06F9) || (c >= 0x0966 && c <= 0x096F) ||
           (c >= 0x09E6 && c <= 0x09EF) || (c >= 0x0E50 && c <= 0x0E59) ||
           (c >= 0xFF10 && c <= 0xFF19);
}

/* Non-letter symbols and punctuation above ASCII (everything else above ASCII
 * that is not listed here counts as a letter). */
static int is_symbol(uint32_t c)
{
    return (c >= 0x80 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xBA) || c == 0xD7 ||
           c == 0xF7 || (c >= 0x02C2 && c <= 0x02C5) || (c >= 0x02D2 && c <= 0x02DF) ||
           c == 0x037E || c == 0x0387 || (c >= 0x055A && c <= 0x055F) || c == 0x0589 ||
           (c >= 0x05BE && c <= 0x05C6 && c != 0x05C1 && c != 0x05C2 && c != 0x05C4 &&
            c != 0x05C5) ||
           (c >= 0x0600 && c <= 0x060F) || c == 0x061B || (c >= 0x061D && c <= 0x061F) ||
           (c >= 0x066A && c <= 0x066D) || c == 0x06D4 || (c >= 0x0964 && c <= 0x0965) ||
           c == 0x0E3F || c == 0x0E4F || (c >= 0x0E5A && c <= 0x0E5B) ||
           (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x2E00 && c <= 0x2E7F) ||
           (c >= 0x3000 && c <= 0x3004) || (c >= 0x3008 && c <= 0x3020) || c == 0x3030 ||
           (c >= 0xD800 && c <= 0xF8FF) || (c >= 0xFE10 && c <= 0xFE19) ||
           (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
           (c >= 0xFF5B && c <= 0xFF65) || (c >= 0xFFE0 && c <= 0xFFFF) ||
           (c >= 0x1F000 && c <= 0x1FAFF);
}

static int is_ideo(uint32_t c)
{
    return (c >= 0x3040 && c <= 0x309F) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x20000 && c <= 0x3FFFF);
}

static enum wb wb_class(uint32_t c)
{
    if (c < 0x80) {
        if ((c | 32) >= 'a' && (c | 32) <= 'z')
            return WB_LETTER;
        if (c >= '0' && c <= '9')
            return WB_NUMERIC;
        switch (c) {
        case ':':
            return WB_MIDLETTER;
        case '.':
        case '\'':
            return WB_MIDNUMLET;
        case ',':
        case ';':
            return WB_MIDNUM;
        case '_':
            return WB_EXTENDNUMLET;
        default:
            return WB_OTHER;
        }
    }
    if (is_extend(c))
        return WB_EXTEND;
    if (is_digit(c))
        return WB_NUMERIC;
    switch (c) {
    case 0x00B7: case 0x2027: case 0xFE13: case 0xFE55: case 0xFF1A: case 0x05F4:
        return WB_MIDLETTER;
    case 0x2018: case 0x2019: case 0x2024: case 0xFE52: case 0xFF07: case 0xFF0E:
        return WB_MIDNUMLET;
    case 0x066C: case 0x2044: case 0xFE10: case 0xFE14: case 0xFE50: case 0xFE54:
    case 0xFF0C: case 0xFF1B: case 0x060C:
        return WB_MIDNUM;
    case 0x203F: case 0x2040: case 0x2054: case 0xFE33: case 0xFE34: case 0xFE4D:
    case 0xFE4E: case 0xFE4F: case 0xFF3F:
        return WB_EXTENDNUMLET;
    default:
        break;
    }
    if ((c >= 0x30A0 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
        (c >= 0xFF66 && c <= 0xFF9F))
        return WB_KATAKANA;
    if (is_ideo(c))
        return WB_IDEO;
    if (is_symbol(c) || fg_kb_is_space(c))
        return WB_OTHER;
    return WB_LETTER;
}

typedef struct scanner {
    const char *s;
    size_t n;
} scanner;

/* Class of the character at byte i, skipping any Extend/Format after it;
 * *next receives the byte offset after the character and its extenders. */
static enum wb class_at(const scanner *sc, size_t i, size_t *next)
{
    size_t l = 1;
    unsigned char b = (unsigned char)sc->s[i];
    enum wb w = b < 0x80 ? wb_class(b) : wb_class(fg_kb_utf8_decode(sc->s + i, sc->n - i, &l));
    i += l;
    while (i < sc->n && (unsigned char)sc->s[i] >= 0x80) { /* Extend and Format are not ASCII */
        size_t l2;
        uint32_t c = fg_kb_utf8_decode(sc->s + i, sc->n - i, &l2);
        if (!is_extend(c))
            break;
        i += l2;
    }
    *next = i;
    return w;
}

static int joins(enum wb prev, enum wb mid, enum wb after)
{
    if (after == prev && (prev == WB_LETTER) &&
        (mid == WB_MIDLETTER || mid == WB_MIDNUMLET))
        return 1;
    if (after == prev && prev == WB_NUMERIC && (mid == WB_MIDNUM || mid == WB_MIDNUMLET))
        return 1;
    return 0;
}

static int word_char(enum wb w)
{
    return w == WB_LETTER || w == WB_NUMERIC || w == WB_EXTENDNUMLET;
}

/* Scans one word starting at i (a letter, digit, katakana or connector); returns its end. */
static size_t scan_word(const scanner *sc, size_t i, enum wb first, int *has_alnum)
{
    size_t next;
    enum wb prev = first;
    class_at(sc, i, &next);
    *has_alnum = first != WB_EXTENDNUMLET;
    i = next;
    while (i < sc->n) {
        enum wb w = class_at(sc, i, &next);
        if (first == WB_KATAKANA) {
            if (w != WB_KATAKANA && w != WB_EXTENDNUMLET)
                break;
        } else if (word_char(w)) {
            *has_alnum |= w != WB_EXTENDNUMLET;
        } else if (w == WB_MIDLETTER || w == WB_MIDNUM || w == WB_MIDNUMLET) {
            size_t after_end;
            if (next >= sc->n || !joins(prev, w, class_at(sc, next, &after_end)))
                break;
        } else {
            break;
        }
        if (word_char(w) || w == WB_KATAKANA)
            prev = w;
        i = next;
    }
    return i;
}

/* Emits s[start..end), split into pieces of at most FG_KB_MAX_TOKEN_CHARS code points. */
static int emit(const scanner *sc, size_t start, size_t end, fg_kb_token_fn fn, void *ctx)
{
    while (start < end) {
        size_t i = start, chars = 0, l;
        while (i < end && chars < FG_KB_MAX_TOKEN_CHARS) {
            fg_kb_utf8_decode(sc->s + i, end - i, &l);
            i += l;
            chars++;
        }
        int rc = fn(sc->s, (fg_kb_span){start, i - start}, ctx);
        if (rc)
            return rc;
        start = i;
    }
    return 0;
}

int fg_kb_tokenize(const char *text, size_t len, fg_kb_token_fn fn, void *ctx)
{
    scanner sc = {text, len};
    size_t i = 0;
    while (i < len) {
        size_t next;
        enum wb w = class_at(&sc, i, &next);
        if (w == WB_IDEO) {
            int rc = fn(text, (fg_kb_span){i, next - i}, ctx);
            if (rc)
                return rc;
            i = next;
            continue;
        }
        if (!word_char(w) && w != WB_KATAKANA) {
            i = next;
            continue;
        }
        int has_alnum;
        size_t end = scan_word(&sc, i, w, &has_alnum);
        if (has_alnum) {
            int rc = emit(&sc, i, end, fn, ctx);
            if (rc)
                return rc;
        }
        i = end;
    }
    return 0;
}
