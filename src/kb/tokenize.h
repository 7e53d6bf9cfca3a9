/* Word breaking after Unicode UAX #29 word boundaries, as Lucene's
 * StandardTokenizer applies them: runs of letters and digits joined by the
 * mid-word punctuation the standard allows ("don't", "u.s.a", "3.14", "1,000",
 * "snake_case"); each ideograph and each hiragana is a token of its own. Only
 * segments with a letter or a digit become tokens. */
#ifndef FG_KB_TOKENIZE_H
#define FG_KB_TOKENIZE_H

#include <stddef.h>

/* Longer tokens are split into pieces of this many code points (Lucene's default). */
#define FG_KB_MAX_TOKEN_CHARS 255

typedef struct fg_kb_span {
    size_t start, len; /* bytes into the input */
} fg_kb_span;

/* Called for each token; a non-zero return stops the tokenizer and is returned. */
typedef int (*fg_kb_token_fn)(const char *text, fg_kb_span span, void *ctx);

int fg_kb_tokenize(const char *text, size_t len, fg_kb_token_fn fn, void *ctx);

#endif
