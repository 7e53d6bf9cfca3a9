/* The English analyzer, like Lucene's EnglishAnalyzer with its defaults:
 * UAX #29 word breaking, English possessive removal ("'s"), lowercasing,
 * Lucene's English stop words, and the original Porter stemmer (libstemmer's
 * "porter", which is what Lucene's PorterStemFilter implements; "english" is
 * Porter2 and stems differently). An analyzer is not thread-safe: use one per
 * thread. */
#ifndef FG_KB_ANALYZER_H
#define FG_KB_ANALYZER_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct fg_kb_analyzer fg_kb_analyzer;

typedef struct fg_kb_analyzer_opts {
    bool keep_stopwords; /* false: drop Lucene's English stop words */
    bool no_stem;        /* true: skip the Porter stemmer */
} fg_kb_analyzer_opts;

/* opts may be NULL (the defaults above). */
fg_kb_analyzer *fg_kb_analyzer_new(const fg_kb_analyzer_opts *opts, fg_errbuf *eb);
void fg_kb_analyzer_free(fg_kb_analyzer *an);

/* Called with each analyzed term (UTF-8, not NUL-terminated) and its position
 * (counting removed stop words, as Lucene's position increments do). A non-zero
 * return stops the analysis and is returned by fg_kb_analyze. */
typedef int (*fg_kb_term_fn)(const char *term, size_t len, unsigned pos, void *ctx);

int fg_kb_analyze(fg_kb_analyzer *an, const char *text, size_t len, fg_kb_term_fn fn, void *ctx);

/* True if the lowercase word is one of Lucene's 33 English stop words. */
bool fg_kb_is_stopword(const char *word, size_t len);

#endif
