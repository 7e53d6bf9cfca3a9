#include "core/buf.h"
#include "core/json.h"
#include "kb/extract.h"
#include "fg_test.h"

static const char *article_page =
    "<html lang=\"en\"><head><title>Growing tomatoes at home | Garden Weekly</title>"
    "<meta property=\"og:site_name\" content=\"Garden Weekly\">"
    "<meta name=\"author\" content=\"Ann Gardener\">"
    "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\","
    "\"headline\":\"Growing tomatoes at home\",\"datePublished\":\"2024-05-01T10:00:00Z\"}</script>"
    "</head><body>"
    "<div class=\"menu\"><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/shop\">Shop</a></div>"
    "<div class=\"article-content\">"
    "<p>Tomatoes need sun, water, and patience. Plant them after the last frost, in soil rich "
    "with compost, and give each plant room to breathe.</p>"
    "<h2>Watering</h2>"
    "<p>Water deeply, twice a week, at the base of the plant; wet leaves invite disease, and "
    "shallow watering makes weak roots.</p>"
    "<p>Mulch keeps the soil moist, cool, and free of weeds during the hottest weeks of summer.</p>"
    "</div>"
    "<div class=\"footer\">Copyright Garden Weekly. <a href=\"/about\">About</a></div>"
    "</body></html>";

static fg_kb_doc extract(const char *html, size_t len, int *rc)
{
    fg_kb_doc doc;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    *rc = fg_kb_extract(html, len, NULL, &doc, &eb);
    return doc;
}

FG_TEST(extract_keeps_article_and_drops_navigation)
{
    int rc;
    fg_kb_doc doc = extract(article_page, strlen(article_page), &rc);
    FG_REQUIRE(rc == 0);
    char *text = fg_kb_doc_text(&doc);
    FG_CHECK(strstr(text, "Tomatoes need sun") != NULL);
    FG_CHECK(strstr(text, "Mulch keeps the soil") != NULL);
    FG_CHECK(strstr(text, "## Watering") != NULL);
    FG_CHECK(strstr(text, "Shop") == NULL);
    FG_CHECK(strstr(text, "Copyright") == NULL);
    int headings = 0;
    for (size_t i = 0; i < doc.nblocks; i++)
        headings += doc.blocks[i].type == FG_KB_BLOCK_HEADING && doc.blocks[i].level == 2;
    FG_CHECK_INT(headings, 1);
    free(text);
    fg_kb_doc_free(&doc);
}

FG_TEST(extract_reads_metadata_from_meta_tags_and_jsonld)
{
    int rc;
    fg_kb_doc doc = extract(article_page, strlen(article_page), &rc);
    FG_REQUIRE(rc == 0);
    FG_CHECK_STR(doc.title, "Growing tomatoes at home");
    FG_CHECK_STR(doc.byline, "Ann Gardener");
    FG_CHECK_STR(doc.site_name, "Garden Weekly");
    FG_CHECK_STR(doc.lang, "en");
    FG_CHECK_STR(doc.published_time, "2024-05-01T10:00:00Z");
    FG_CHECK(doc.excerpt && strncmp(doc.excerpt, "Tomatoes need sun", 17) == 0);
    json_t *j = fg_kb_doc_json(&doc);
    FG_CHECK_STR(json_string_value(json_object_get(j, "siteName")), "Garden Weekly");
    FG_CHECK(json_array_size(json_object_get(j, "blocks")) == doc.nblocks);
    json_decref(j);
    fg_kb_doc_free(&doc);
}

FG_TEST(extract_title_drops_site_name_after_separator)
{
    const char *html = "<title>A long and detailed article title - Example Site</title><p>x</p>";
    int rc;
    fg_kb_doc doc = extract(html, strlen(html), &rc);
    FG_REQUIRE(rc == 0);
    FG_CHECK_STR(doc.title, "A long and detailed article title");
    fg_kb_doc_free(&doc);
}

FG_TEST(extract_output_is_valid_utf8_for_invalid_input)
{
    char html[600];
    snprintf(html, sizeof html, "<title>bad \xff\xfe title</title><body><p>%s \xc3\x28 \xed\xa0\x80 end, "
             "with enough words, commas, and length to be kept as the article body.</p></body>",
             "Caf\xc3\xa9 \xe2\x82 broken sequence");
    int rc;
    fg_kb_doc doc = extract(html, strlen(html), &rc);
    FG_REQUIRE(rc == 0);
    char *text = fg_kb_doc_text(&doc);
    FG_CHECK(fg_utf8_valid(text, strlen(text)));
    FG_CHECK(strstr(text, "Caf\xc3\xa9") != NULL);
    FG_CHECK(doc.title && fg_utf8_valid(doc.title, strlen(doc.title)));
    free(text);
    fg_kb_doc_free(&doc);
}

FG_TEST(extract_survives_deep_nesting)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    for (int i = 0; i < 4000; i++)
        fg_buf_puts(&b, "<div>");
    fg_buf_puts(&b, "<p>Deep inside, a paragraph with words, commas, and more words to keep it.</p>");
    int rc;
    fg_kb_doc doc = extract(b.data, b.len, &rc);
    FG_CHECK_INT(rc, 0);
    char *text = rc ? NULL : fg_kb_doc_text(&doc);
    FG_CHECK(text && strstr(text, "Deep inside") != NULL);
    free(text);
    fg_kb_doc_free(&doc);
    fg_buf_free(&b);
}

FG_TEST(extract_refuses_nesting_bombs_quickly)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    for (int i = 0; i < 300000; i++)
        fg_buf_puts(&b, "<div><span>");
    fg_kb_doc doc;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_extract(b.data, b.len, NULL, &doc, &eb), FG_ELIMIT);
    FG_CHECK(strstr(eb.msg, "nest") != NULL);
    fg_buf_reset(&b);
    for (int i = 0; i < 100000; i++) /* unclosed paragraphs and items do not nest */
        fg_buf_puts(&b, "<p>text<li>item<br><img src=x />");
    int rc;
    doc = extract(b.data, b.len, &rc);
    FG_CHECK_INT(rc, 0);
    fg_kb_doc_free(&doc);
    fg_buf_free(&b);
}

FG_TEST(extract_refuses_pages_over_the_limits)
{
    fg_kb_extract_opts o = {.max_bytes = 1000};
    char big[2000];
    memset(big, 'a', sizeof big);
    fg_kb_doc doc;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_kb_extract(big, sizeof big, &o, &doc, &eb), FG_ELIMIT);
    FG_CHECK(strstr(eb.msg, "limit") != NULL);
    fg_kb_extract_opts o2 = {.max_nodes = 10};
    fg_errbuf_clear(&eb);
    const char *tags = "<b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b>";
    FG_CHECK_INT(fg_kb_extract(tags, strlen(tags), &o2, &doc, &eb), FG_ELIMIT);
}

FG_TEST(extract_handles_empty_and_text_only_input)
{
    int rc;
    fg_kb_doc doc = extract("", 0, &rc);
    FG_CHECK_INT(rc, 0);
    FG_CHECK_INT(doc.nblocks, 0);
    fg_kb_doc_free(&doc);
    doc = extract("just some words", 15, &rc);
    FG_CHECK_INT(rc, 0);
    FG_CHECK(doc.nblocks == 1 && strcmp(doc.blocks[0].text, "just some words") == 0);
    fg_kb_doc_free(&doc);
}

FG_TEST(shingle_f1_scores_overlap)
{
    FG_CHECK(fg_kb_shingle_f1("the quick brown fox jumps", "The quick, brown fox jumps!") == 1.0);
    double f = fg_kb_shingle_f1("a b c d e f g h", "a b c d x y z w");
    FG_CHECK(f > 0.15 && f < 0.25); /* 1 of 5 shingles in common */
    FG_CHECK(fg_kb_shingle_f1("one two three four", "five six seven eight") == 0.0);
    FG_CHECK(fg_kb_shingle_f1("", "") == 1.0);
}
