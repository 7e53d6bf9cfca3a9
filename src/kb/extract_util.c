/* Extractor helpers: the Readability patterns and string cleanup. */
#include "kb/extract_int.h"
#include "kb/utf8.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static fg_kb_regexes regexes;
static pthread_once_t regexes_once = PTHREAD_ONCE_INIT;

static void compile(regex_t *re, const char *pattern)
{
    if (regcomp(re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
        abort(); /* the patterns are constants: a failure is a bug */
}

static void compile_all(void)
{
    compile(&regexes.unlikely,
            "-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|"
            "footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|"
            "skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|"
            "yom-remote");
    compile(&regexes.maybe, "and|article|body|column|content|main|mathjax|shadow");
    compile(&regexes.positive,
            "article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story");
    compile(&regexes.negative,
            "-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|"
            "masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|"
            "skyscraper|sponsor|shopping|tags|widget");
    compile(&regexes.byline, "byline|author|dateline|writtenby|p-author");
    compile(&regexes.share, "(^|[ _-])(share|sharedaddy)([ _-]|$)");
    compile(&regexes.videos,
            "//(www\\.)?((dailymotion|youtube|youtube-nocookie|player\\.vimeo|v\\.qq)\\.com|"
            "(archive|upload\\.wikimedia)\\.org|player\\.twitch\\.tv)");
    compile(&regexes.sentence_end, "\\.( |$)");
}

const fg_kb_regexes *fg__kb_regexes(void)
{
    pthread_once(&regexes_once, compile_all);
    return &regexes;
}

bool fg__kb_match(const regex_t *re, const char *s)
{
    return s && *s && regexec(re, s, 0, NULL, 0) == 0;
}

char *fg__kb_clean_string(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s), o = 0;
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    bool space = false;
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t c = fg_kb_utf8_decode(s + i, n - i, &l);
        i += l;
        if (fg_kb_is_space(c)) {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        o += fg_kb_utf8_encode(c, out + o);
    }
    out[o] = 0;
    if (!o) {
        free(out);
        return NULL;
    }
    return out;
}

char *fg__kb_node_text(const fg_kb_node *n, size_t max)
{
    fg_buf b;
    fg_buf_init(&b, max);
    if (fg_buf_puts(&b, "") || fg_kb_dom_text(n, &b) == FG_ENOMEM) {
        fg_buf_free(&b);
        return NULL;
    }
    return fg_buf_detach(&b, NULL);
}

/* Lowercased words (runs of alphanumerics or non-ASCII) of s, as a list of
 * (start, len) pairs into a lowercased copy. */
typedef struct words {
    char *text;
    size_t *start, *len;
    size_t n;
} words;

static int split_words(const char *s, words *w)
{
    size_t n = strlen(s);
    memset(w, 0, sizeof *w);
    w->text = malloc(n + 1);
    w->start = malloc((n / 2 + 1) * sizeof *w->start);
    w->len = malloc((n / 2 + 1) * sizeof *w->len);
    if (!w->text || !w->start || !w->len)
        return -1;
    for (size_t i = 0; i <= n; i++)
        w->text[i] = (char)tolower((unsigned char)s[i]);
    for (size_t i = 0; i < n;) {
        while (i < n && !(isalnum((unsigned char)w->text[i]) || (unsigned char)w->text[i] >= 0x80))
            i++;
        size_t st = i;
        while (i < n && (isalnum((unsigned char)w->text[i]) || (unsigned char)w->text[i] >= 0x80))
            i++;
        if (i > st) {
            w->start[w->n] = st;
            w->len[w->n++] = i - st;
        }
    }
    return 0;
}

static void free_words(words *w)
{
    free(w->text);
    free(w->start);
    free(w->len);
}

static bool has_word(const words *w, const char *s, size_t len)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->len[i] == len && memcmp(w->text + w->start[i], s, len) == 0)
            return true;
    return false;
}

/* Readability's textSimilarity: 1 - (length of b's words not in a) / (length of b's words). */
double fg__kb_text_similarity(const char *a, const char *b)
{
    words wa = {0}, wb = {0};
    double sim = 0;
    if (split_words(a, &wa) == 0 && split_words(b, &wb) == 0 && wa.n && wb.n) {
        size_t all = 0, uniq = 0, nuniq = 0;
        for (size_t i = 0; i < wb.n; i++) {
            all += wb.len[i] + (i > 0);
            if (!has_word(&wa, wb.text + wb.start[i], wb.len[i])) {
                uniq += wb.len[i] + (nuniq > 0);
                nuniq++;
            }
        }
        sim = 1.0 - (double)uniq / (double)all;
    }
    free_words(&wa);
    free_words(&wb);
    return sim;
}
