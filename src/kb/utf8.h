/* UTF-8 decoding and the few Unicode character facts the analyzer and the
 * extractor need (letter, digit, space, lowercase), without a locale. */
#ifndef FG_KB_UTF8_H
#define FG_KB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s[0..n); stores its byte length in *len (>= 1).
 * Invalid or truncated sequences decode to U+FFFD with *len 1. */
uint32_t fg_kb_utf8_decode(const char *s, size_t n, size_t *len);
/* Encodes cp into out (4 bytes at most); returns the byte count. */
size_t fg_kb_utf8_encode(uint32_t cp, char *out);
/* Simple case mapping to lowercase (Latin, Greek, Cyrillic, Armenian, fullwidth). */
uint32_t fg_kb_lower(uint32_t cp);
/* White space (Unicode White_Space). */
int fg_kb_is_space(uint32_t cp);

#endif
