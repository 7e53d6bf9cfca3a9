/* Streaming text must be whole UTF-8: byte-fallback tokens deliver a
 * character one byte at a time, so the tail of an incomplete character is held
 * back, and bytes that can never form a character become U+FFFD. */
#include "infer/infer_int.h"

/* Expected length of a sequence from its lead byte; 0 for a byte that cannot lead. */
static size_t seq_len(uint8_t c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

/* Checks s[0..n) (n <= the sequence's length) as the start of a valid sequence. */
static bool valid_prefix(const uint8_t *s, size_t n)
{
    size_t want = seq_len(s[0]);
    if (want == 0)
        return false;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return false;
    if (n >= 2) {
        uint8_t a = s[0], b = s[1];
        if ((a == 0xe0 && b < 0xa0) || (a == 0xed && b > 0x9f) || (a == 0xf0 && b < 0x90) ||
            (a == 0xf4 && b > 0x8f))
            return false;
    }
    return true;
}

size_t fg__utf8_complete(const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        uint8_t c = s[n - back];
        if ((c & 0xc0) == 0x80)
            continue;
        size_t want = seq_len(c);
        if (want > back && valid_prefix(s + n - back, back))
            return n - back;
        return n;
    }
    return n;
}

int fg__utf8_sanitize(fg_buf *out, const char *str, size_t n)
{
    const uint8_t *s = (const uint8_t *)str;
    int rc = fg_buf_reserve(out, n);
    for (size_t i = 0; rc == FG_OK && i < n;) {
        size_t want = seq_len(s[i]);
        if (want && want <= n - i && valid_prefix(s + i, want)) {
            rc = fg_buf_append(out, s + i, want);
            i += want;
        } else {
            rc = fg_buf_append(out, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    return rc;
}
