#include "core/buf.h"
#include "kb/analyzer.h"
#include "kb/tokenize.h"
#include "fg_test.h"

/* Joins the analyzed terms with spaces (and positions when asked). */
typedef struct joined {
    fg_buf b;
    int with_pos;
} joined;

static int join_term(const char *term, size_t len, unsigned pos, void *ctx)
{
    joined *j = ctx;
    if (j->b.len)
        fg_buf_putc(&j->b, ' ');
    fg_buf_append(&j->b, term, len);
    if (j->with_pos)
        fg_buf_printf(&j->b, "@%u", pos);
    return 0;
}

static char *analyze(const char *text, int with_pos)
{
    static char out[8192];
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_kb_analyzer *an = fg_kb_analyzer_new(NULL, &eb);
    joined j = {.with_pos = with_pos};
    fg_buf_init(&j.b, 0);
    fg_buf_puts(&j.b, "");
    fg_kb_analyze(an, text, strlen(text), join_term, &j);
    snprintf(out, sizeof out, "%s", j.b.data);
    fg_buf_free(&j.b);
    fg_kb_analyzer_free(an);
    return out;
}

FG_TEST(analyzer_drops_stopwords_possessives_and_stems)
{
    FG_CHECK_STR(analyze("The quick brown fox's jumps", 0), "quick brown fox jump");
    FG_CHECK_STR(analyze("this is a test", 1), "test@3");
    FG_CHECK_STR(analyze("Mary\xE2\x80\x99s running RUNS", 0), "mari run run");
}

FG_TEST(analyzer_uses_original_porter_like_lucene)
{
    /* Porter (Lucene's PorterStemFilter) gives "gener"; Porter2 would give "general". */
    FG_CHECK_STR(analyze("generalization", 0), "gener");
    FG_CHECK_STR(analyze("relational conditional", 0), "relat condit");
    /* like Lucene, one- and two-letter words are not stemmed ("us" stays, not "u") */
    FG_CHECK_STR(analyze("us ms's s", 0), "us ms s");
}

FG_TEST(tokenizer_keeps_uax29_mid_word_punctuation)
{
    FG_CHECK_STR(analyze("U.S.A. 3.14 1,000 snake_case don't", 0), "u.s.a 3.14 1,000 snake_cas don't");
    FG_CHECK_STR(analyze("p53-mediated 1.5-fold x,y", 0), "p53 mediat 1.5 fold x y");
    FG_CHECK_STR(analyze("\"quoted\" (paren) end.", 0), "quot paren end");
}

FG_TEST(tokenizer_handles_non_ascii_scripts)
{
    FG_CHECK_STR(analyze("\xE4\xB8\xAD\xE6\x96\x87 caf\xC3\xA9 \xC3\x89T\xC3\x89", 0),
                 "\xE4\xB8\xAD \xE6\x96\x87 caf\xC3\xA9 \xC3\xa9t\xC3\xa9");
    FG_CHECK_STR(analyze("\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0", 0),
                 "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
}

FG_TEST(tokenizer_survives_invalid_utf8_and_long_words)
{
    FG_CHECK_STR(analyze("abc\xff\xfe" "def \xC3", 0), "abc def");
    char longw[301];
    memset(longw, 'x', 300);
    longw[300] = 0;
    char *out = analyze(longw, 0);
    char *sp = strchr(out, ' ');
    FG_REQUIRE(sp != NULL);
    FG_CHECK_INT(sp - out, FG_KB_MAX_TOKEN_CHARS);
    FG_CHECK_INT(strlen(sp + 1), 300 - FG_KB_MAX_TOKEN_CHARS);
}

FG_TEST(stopword_list_is_lucenes)
{
    FG_CHECK(fg_kb_is_stopword("the", 3));
    FG_CHECK(fg_kb_is_stopword("with", 4));
    FG_CHECK(fg_kb_is_stopword("a", 1));
    FG_CHECK(!fg_kb_is_stopword("from", 4)); /* not in Lucene's list */
    FG_CHECK(!fg_kb_is_stopword("th", 2));
}
