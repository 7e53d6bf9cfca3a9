#include "core/buf.h"
#include "kb/index.h"
#include "fg_test.h"

static fg_kb_analyzer *an;

static fg_kb_index *small_index(void)
{
    an = fg_kb_analyzer_new(NULL, NULL);
    fg_kb_index *ix = fg_kb_index_new();
    const char *docs[][2] = {
        {"d1", "The cat sat on the mat."},
        {"d2", "Dogs and cats are friends; the dog barks."},
        {"d3", "Quantum chromodynamics describes the strong interaction."},
        {"d4", "A cat, a cat, and another cat."},
    };
    for (size_t i = 0; i < 4; i++)
        fg_kb_index_add(ix, an, docs[i][0], docs[i][1], strlen(docs[i][1]), NULL, NULL);
    return ix;
}

static const char *top_id(const fg_kb_index *ix, const char *q, size_t *n)
{
    fg_kb_hit hits[10];
    fg_kb_bm25_search(ix, an, q, strlen(q), NULL, 10, NULL, NULL, hits, n);
    return *n ? fg_kb_index_doc_id(ix, hits[0].doc) : NULL;
}

FG_TEST(smallfloat_matches_lucene_byte4)
{
    for (uint32_t i = 0; i < 24; i++)
        FG_CHECK_INT(fg_kb_norm_to_length(fg_kb_length_to_norm(i)), i);
    /* 4 significant bits above 24: 100 decodes to 96, 1000 to 984 */
    FG_CHECK_INT(fg_kb_norm_to_length(fg_kb_length_to_norm(100)), 96);
    FG_CHECK_INT(fg_kb_norm_to_length(fg_kb_length_to_norm(1000)), 984);
    FG_CHECK_INT(fg_kb_length_to_norm(UINT32_MAX >> 1), 255);
    for (uint32_t i = 1; i < 100000; i += 7)
        FG_CHECK(fg_kb_norm_to_length(fg_kb_length_to_norm(i)) <= i);
}

FG_TEST(bm25_ranks_by_frequency_and_rarity)
{
    fg_kb_index *ix = small_index();
    size_t n;
    FG_CHECK_STR(top_id(ix, "cats", &n), "d4");
    FG_CHECK_INT(n, 3);
    FG_CHECK_STR(top_id(ix, "barking dog", &n), "d2");
    FG_CHECK_STR(top_id(ix, "strong quantum", &n), "d3");
    FG_CHECK(top_id(ix, "the and a", &n) == NULL); /* stop words only */
    FG_CHECK_INT(fg_kb_index_doc_count(ix), 4);
    fg_kb_index_free(ix);
    fg_kb_analyzer_free(an);
}

FG_TEST(remove_and_replace_update_statistics)
{
    fg_kb_index *ix = small_index();
    size_t n;
    FG_CHECK_INT(fg_kb_index_doc_freq(ix, "cat", 3), 3);
    FG_CHECK_INT(fg_kb_index_remove(ix, "d4"), FG_OK);
    FG_CHECK_INT(fg_kb_index_remove(ix, "d4"), FG_ENOTFOUND);
    FG_CHECK_INT(fg_kb_index_doc_freq(ix, "cat", 3), 2);
    FG_CHECK_INT(fg_kb_index_doc_count(ix), 3);
    const char *t = "Quantum cats everywhere";
    FG_CHECK_INT(fg_kb_index_add(ix, an, "d1", t, strlen(t), NULL, NULL), FG_OK);
    FG_CHECK_INT(fg_kb_index_doc_count(ix), 3);
    FG_CHECK(top_id(ix, "mat", &n) == NULL);
    FG_CHECK_INT(n, 0); /* d1's old text is gone */
    FG_CHECK_INT(fg_kb_index_total_terms(ix), 5 + 5 + 3);
    fg_kb_index_free(ix);
    fg_kb_analyzer_free(an);
}

static bool only_d2(uint32_t doc, void *ctx)
{
    return strcmp(fg_kb_index_doc_id(ctx, doc), "d2") == 0;
}

FG_TEST(filter_and_k_limit_results)
{
    fg_kb_index *ix = small_index();
    fg_kb_hit hits[4];
    size_t n;
    fg_kb_bm25_search(ix, an, "cat", 3, NULL, 1, NULL, NULL, hits, &n);
    FG_CHECK_INT(n, 1);
    fg_kb_bm25_search(ix, an, "cat", 3, NULL, 4, only_d2, ix, hits, &n);
    FG_REQUIRE(n == 1);
    FG_CHECK_STR(fg_kb_index_doc_id(ix, hits[0].doc), "d2");
    fg_kb_index_free(ix);
    fg_kb_analyzer_free(an);
}

FG_TEST(save_and_load_give_identical_scores)
{
    fg_kb_index *ix = small_index();
    fg_kb_index_remove(ix, "d3");
    fg_buf blob;
    fg_buf_init(&blob, 0);
    FG_REQUIRE(fg_kb_index_save(ix, &blob) == FG_OK);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_kb_index *copy = fg_kb_index_load(blob.data, blob.len, &eb);
    FG_REQUIRE(copy != NULL);
    FG_CHECK_INT(fg_kb_index_doc_count(copy), 3);
    fg_kb_hit a[4], b[4];
    size_t na, nb;
    fg_kb_bm25_search(ix, an, "cat dog", 7, NULL, 4, NULL, NULL, a, &na);
    fg_kb_bm25_search(copy, an, "cat dog", 7, NULL, 4, NULL, NULL, b, &nb);
    FG_REQUIRE(na == nb && na == 3);
    for (size_t i = 0; i < na; i++) {
        FG_CHECK_STR(fg_kb_index_doc_id(ix, a[i].doc), fg_kb_index_doc_id(copy, b[i].doc));
        FG_CHECK(a[i].score == b[i].score);
    }
    /* every truncation is refused with a message, never a crash */
    for (size_t cut = 0; cut < blob.len; cut += 3) {
        fg_errbuf_clear(&eb);
        FG_CHECK(fg_kb_index_load(blob.data, cut, &eb) == NULL);
        FG_CHECK(eb.msg[0] != 0);
    }
    fg_kb_index_free(copy);
    fg_kb_index_free(ix);
    fg_buf_free(&blob);
    fg_kb_analyzer_free(an);
}
