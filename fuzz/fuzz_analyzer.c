/* The English analyzer, the index and BM25 on arbitrary bytes: every term is
 * non-empty, the index round-trips through its blob, and searching the text
 * itself finds the document. */
#include "core/buf.h"
#include "kb/analyzer.h"
#include "kb/index.h"

#include <stdint.h>
#include <stdlib.h>

static int check_term(const char *term, size_t len, unsigned pos, void *ctx)
{
    (void)term;
    (void)pos;
    (void)ctx;
    if (len == 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fg_kb_analyzer *an;
    if (!an)
        an = fg_kb_analyzer_new(NULL, NULL);
    const char *text = (const char *)data;
    fg_kb_analyze(an, text, size, check_term, NULL);
    fg_kb_index *ix = fg_kb_index_new();
    fg_kb_index_add(ix, an, "a", text, size, NULL, NULL);
    fg_kb_index_add(ix, an, "b", text, size / 2, NULL, NULL);
    fg_buf blob;
    fg_buf_init(&blob, 0);
    fg_kb_index_save(ix, &blob);
    fg_kb_index *copy = fg_kb_index_load(blob.data, blob.len, NULL);
    if (!copy || fg_kb_index_doc_count(copy) != 2)
        abort();
    fg_kb_hit hits[2];
    size_t n;
    fg_kb_bm25_search(copy, an, text, size, NULL, 2, NULL, NULL, hits, &n);
    if (fg_kb_index_total_terms(ix) > 0 && fg_kb_index_doc_length(ix, 0) > 0 && n == 0)
        abort();
    fg_kb_index_free(copy);
    fg_kb_index_free(ix);
    fg_buf_free(&blob);
    return 0;
}
