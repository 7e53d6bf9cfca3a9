#include "core/buf.h"
#include "kb/chunk.h"
#include "fg_test.h"

static fg_kb_doc md(const char *text)
{
    fg_kb_doc doc;
    FG_CHECK_INT(fg_kb_markdown_doc(text, strlen(text), &doc, NULL), 0);
    return doc;
}

FG_TEST(markdown_becomes_blocks)
{
    fg_kb_doc doc = md("# Title\n\nFirst para\ncontinues here.\n\n## Setup\n- one\n- two\n\n"
                       "```\ncode  line\n```\n> quoted\n");
    FG_REQUIRE(doc.nblocks == 7);
    FG_CHECK_STR(doc.title, "Title");
    FG_CHECK(doc.blocks[0].type == FG_KB_BLOCK_HEADING && doc.blocks[0].level == 1);
    FG_CHECK_STR(doc.blocks[1].text, "First para continues here.");
    FG_CHECK(doc.blocks[2].type == FG_KB_BLOCK_HEADING && doc.blocks[2].level == 2);
    FG_CHECK(doc.blocks[3].type == FG_KB_BLOCK_LIST_ITEM);
    FG_CHECK_STR(doc.blocks[4].text, "two");
    FG_CHECK(doc.blocks[5].type == FG_KB_BLOCK_CODE);
    FG_CHECK_STR(doc.blocks[5].text, "code  line");
    FG_CHECK(doc.blocks[6].type == FG_KB_BLOCK_QUOTE);
    fg_kb_doc_free(&doc);
}

FG_TEST(chunks_split_at_headings_and_keep_heading_path)
{
    fg_kb_doc doc = md("# Guide\nIntro text.\n## Install\nRun the installer.\n### Linux\nUse apt.\n"
                       "## Use\nStart it.\n");
    fg_kb_chunks c;
    FG_REQUIRE(fg_kb_chunk_doc(&doc, "guide.md", NULL, &c, NULL) == 0);
    FG_REQUIRE(c.n == 4);
    FG_CHECK_STR(c.items[0].heading_path, "Guide");
    FG_CHECK_STR(c.items[1].heading_path, "Guide > Install");
    FG_CHECK_STR(c.items[2].heading_path, "Guide > Install > Linux");
    FG_CHECK_STR(c.items[2].text, "Use apt.");
    FG_CHECK_STR(c.items[3].heading_path, "Guide > Use");
    FG_CHECK_STR(c.source, "guide.md");
    FG_CHECK_STR(c.title, "Guide");
    for (size_t i = 0; i < c.n; i++)
        FG_CHECK_INT(c.items[i].index, i);
    fg_kb_chunks_free(&c);
    fg_kb_doc_free(&doc);
}

FG_TEST(chunks_respect_budget_and_overlap_at_sentences)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    for (int i = 0; i < 60; i++)
        fg_buf_printf(&b, "Sentence number %d has exactly eight words here. ", i);
    fg_kb_doc doc = md(b.data);
    fg_kb_chunk_opts o = {60, 20, 0};
    fg_kb_chunks c;
    FG_REQUIRE(fg_kb_chunk_doc(&doc, "s", &o, &c, NULL) == 0);
    FG_CHECK(c.n > 5);
    for (size_t i = 0; i < c.n; i++) {
        FG_CHECK(c.items[i].tokens <= 60);
        FG_CHECK(strncmp(c.items[i].text, "Sentence number", 15) == 0); /* starts at a sentence */
        size_t l = strlen(c.items[i].text);
        FG_CHECK(c.items[i].text[l - 1] == '.');
        if (i > 0) { /* the previous chunk's last sentence opens this one */
            const char *prev = c.items[i - 1].text;
            const char *last = strrchr(prev, 'S');
            FG_CHECK(strncmp(c.items[i].text, last, strlen(last)) == 0);
            FG_CHECK(c.items[i].token_offset > c.items[i - 1].token_offset);
        }
    }
    /* every sentence appears in some chunk */
    for (int s = 0; s < 60; s++) {
        char want[64];
        snprintf(want, sizeof want, "number %d has", s);
        bool found = false;
        for (size_t i = 0; i < c.n && !found; i++)
            found = strstr(c.items[i].text, want) != NULL;
        FG_CHECK(found);
    }
    fg_kb_chunks_free(&c);
    fg_kb_doc_free(&doc);
    fg_buf_free(&b);
}

FG_TEST(chunks_cut_long_sentences_and_refuse_bad_overlap)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    for (int i = 0; i < 500; i++)
        fg_buf_puts(&b, "word ");
    fg_kb_doc doc = md(b.data);
    fg_kb_chunk_opts o = {100, 10, 0};
    fg_kb_chunks c;
    FG_REQUIRE(fg_kb_chunk_doc(&doc, "long", &o, &c, NULL) == 0);
    FG_CHECK(c.n >= 5);
    for (size_t i = 0; i < c.n; i++)
        FG_CHECK(c.items[i].tokens <= 100);
    fg_kb_chunks_free(&c);
    fg_kb_chunk_opts bad = {50, 50, 0};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_chunk_doc(&doc, "long", &bad, &c, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "overlap") != NULL);
    fg_kb_doc_free(&doc);
    fg_buf_free(&b);
}

FG_TEST(token_estimate_counts_words_and_punctuation)
{
    FG_CHECK_INT(fg_kb_estimate_tokens("hello world", 11), 4);  /* 2 + 2 */
    FG_CHECK_INT(fg_kb_estimate_tokens("a, b.", 5), 4);
    FG_CHECK_INT(fg_kb_estimate_tokens("", 0), 0);
}
