/* Main-content extraction, Markdown reading and chunking on arbitrary bytes:
 * must not crash, leak or grow without bound, and must produce valid UTF-8
 * and chunks within the budget. */
#include "core/json.h"
#include "kb/chunk.h"
#include "kb/extract.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_chunks(const fg_kb_doc *doc)
{
    fg_kb_chunks chunks;
    fg_kb_chunk_opts co = {64, 16, 10000};
    if (fg_kb_chunk_doc(doc, "fuzz", &co, &chunks, NULL) != 0)
        return;
    for (size_t i = 0; i < chunks.n; i++)
        if (chunks.items[i].tokens > 64 ||
            !fg_utf8_valid(chunks.items[i].text, strlen(chunks.items[i].text)))
            abort();
    fg_kb_chunks_free(&chunks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_kb_doc md;
    if (fg_kb_markdown_doc((const char *)data, size, &md, NULL) == 0) {
        check_chunks(&md);
        fg_kb_doc_free(&md);
    }
    fg_kb_extract_opts o = {.max_bytes = 1 << 20, .max_depth = 128, .max_nodes = 20000,
                            .max_text = 1 << 20};
    fg_kb_doc doc;
    if (fg_kb_extract((const char *)data, size, &o, &doc, NULL) != 0)
        return 0;
    char *text = fg_kb_doc_text(&doc);
    if (text && !fg_utf8_valid(text, strlen(text)))
        abort();
    free(text);
    check_chunks(&doc);
    json_t *j = fg_kb_doc_json(&doc);
    json_decref(j);
    fg_kb_doc_free(&doc);
    return 0;
}
