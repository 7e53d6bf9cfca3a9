#include "kb/analyzer.h"

#include "kb/strmap.h"
#include "kb/tokenize.h"
#include "kb/utf8.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

/* Stemming is the analyzer's most expensive step and words repeat (Zipf), so
 * stems are cached per analyzer: surface word id -> stem id. */
#define STEM_CACHE_MAX 200000

struct fg_kb_analyzer {
    fg_kb_analyzer_opts opts;
    struct sb_stemmer *stemmer;
    fg_kb_strmap words, stems;
    uint32_t *stem_of;   /* per word id */
    uint32_t stem_cap;
};

/* Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, sorted. */
static const char *const stop_words[] = {
    "a",    "an",   "and",   "are",   "as",    "at",   "be",   "but",  "by",
    "for",  "if",   "in",    "into",  "is",    "it",   "no",   "not",  "of",
    "on",   "or",   "such",  "that",  "the",   "their", "then", "there", "these",
    "they", "this", "to",    "was",   "will",  "with",
};

bool fg_kb_is_stopword(const char *word, size_t len)
{
    if (len > 5)
        return false;
    size_t lo = 0, hi = FG_ARRAY_LEN(stop_words);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *s = stop_words[mid];
        size_t sl = strlen(s);
        int c = strncmp(word, s, len < sl ? len : sl);
        if (c == 0)
            c = (len > sl) - (len < sl);
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

fg_kb_analyzer *fg_kb_analyzer_new(const fg_kb_analyzer_opts *opts, fg_errbuf *eb)
{
    fg_kb_analyzer *an = calloc(1, sizeof *an);
    if (!an) {
        fg_failf(eb, FG_ENOMEM, "analyzer: out of memory");
        return NULL;
    }
    if (opts)
        an->opts = *opts;
    fg_kb_strmap_init(&an->words);
    fg_kb_strmap_init(&an->stems);
    if (!an->opts.no_stem) {
        an->stemmer = sb_stemmer_new("porter", "UTF_8");
        if (!an->stemmer) {
            free(an);
            fg_failf(eb, FG_EINTERNAL,
                     "analyzer: libstemmer has no \"porter\" algorithm; install libstemmer0d");
            return NULL;
        }
    }
    return an;
}

void fg_kb_analyzer_free(fg_kb_analyzer *an)
{
    if (!an)
        return;
    if (an->stemmer)
        sb_stemmer_delete(an->stemmer);
    fg_kb_strmap_free(&an->words);
    fg_kb_strmap_free(&an->stems);
    free(an->stem_of);
    free(an);
}

typedef struct run {
    fg_kb_analyzer *an;
    fg_kb_term_fn fn;
    void *ctx;
    unsigned pos;
} run;

/* Lucene's EnglishPossessiveFilter: drops a trailing 's or 'S (any of its apostrophes). */
static size_t strip_possessive(const char *s, size_t n)
{
    if (n >= 2 && (s[n - 1] == 's' || s[n - 1] == 'S')) {
        if (s[n - 2] == '\'')
            return n - 2;
        if (n >= 4 && (memcmp(s + n - 4, "\xE2\x80\x99", 3) == 0 ||
                       memcmp(s + n - 4, "\xEF\xBC\x87", 3) == 0))
            return n - 4;
    }
    return n;
}

/* Lowercases s[0..n) into out (which has room for 2n bytes); returns the length. */
static size_t lowercase(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t c = fg_kb_utf8_decode(s + i, n - i, &l);
        if (c < 0x80) {
            out[o++] = (char)fg_kb_lower(c);
        } else {
            o += fg_kb_utf8_encode(fg_kb_lower(c), out + o);
        }
        i += l;
    }
    return o;
}

static void clear_cache(fg_kb_analyzer *an)
{
    fg_kb_strmap_free(&an->words);
    fg_kb_strmap_free(&an->stems);
    fg_kb_strmap_init(&an->words);
    fg_kb_strmap_init(&an->stems);
}

/* The Porter stem of word, from the cache when seen before. */
static const char *stem(fg_kb_analyzer *an, const char *word, size_t n, size_t *len)
{
    uint32_t w = fg_kb_strmap_find(&an->words, word, n);
    if (w != FG_KB_NO_ID)
        return fg_kb_strmap_key(&an->stems, an->stem_of[w], len);
    const sb_symbol *st = sb_stemmer_stem(an->stemmer, (const sb_symbol *)word, (int)n);
    if (!st)
        return NULL;
    *len = (size_t)sb_stemmer_length(an->stemmer);
    if (an->words.count >= STEM_CACHE_MAX)
        clear_cache(an);
    uint32_t s = fg_kb_strmap_intern(&an->stems, (const char *)st, *len, NULL);
    if (s == FG_KB_NO_ID)
        return (const char *)st; /* no room to cache: still correct */
    if (an->words.count + 1 > an->stem_cap) {
        uint32_t cap = an->stem_cap ? an->stem_cap * 2 : 1024;
        uint32_t *p = realloc(an->stem_of, cap * sizeof *p);
        if (!p)
            return fg_kb_strmap_key(&an->stems, s, len);
        an->stem_of = p;
        an->stem_cap = cap;
    }
    w = fg_kb_strmap_intern(&an->words, word, n, NULL);
    if (w != FG_KB_NO_ID)
        an->stem_of[w] = s;
    return fg_kb_strmap_key(&an->stems, s, len);
}

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int on_token(const char *text, fg_kb_span sp, void *ctx)
{
    run *r = ctx;
    char lower[FG_KB_MAX_TOKEN_CHARS * 4 * 2];
    size_t n = strip_possessive(text + sp.start, sp.len);
    unsigned pos = r->pos++;
    if (n == 0)
        return 0;
    n = lowercase(text + sp.start, n, lower);
    if (!r->an->opts.keep_stopwords && fg_kb_is_stopword(lower, n))
        return 0;
    /* Lucene's PorterStemmer leaves words of one or two characters alone */
    if (!r->an->stemmer || chars(lower, n) <= 2)
        return r->fn(lower, n, pos, r->ctx);
    size_t sl;
    const char *st = stem(r->an, lower, n, &sl);
    if (!st)
        return FG_ENOMEM;
    return r->fn(st, sl, pos, r->ctx);
}

int fg_kb_analyze(fg_kb_analyzer *an, const char *text, size_t len, fg_kb_term_fn fn, void *ctx)
{
    run r = {an, fn, ctx, 0};
    return fg_kb_tokenize(text, len, on_token, &r);
}
