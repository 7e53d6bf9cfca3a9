/* Loading an index blob from arbitrary bytes: refused with a message or
 * loaded into an index that can be searched and saved again. */
#include "core/buf.h"
#include "kb/index.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fg_kb_analyzer *an;
    if (!an)
        an = fg_kb_analyzer_new(NULL, NULL);
    fg_kb_index *ix = fg_kb_index_load(data, size, NULL);
    if (!ix)
        return 0;
    fg_kb_hit hits[4];
    size_t n;
    fg_kb_bm25_search(ix, an, "the cat sat", 11, NULL, 4, NULL, NULL, hits, &n);
    fg_buf blob;
    fg_buf_init(&blob, 0);
    fg_kb_index_save(ix, &blob);
    fg_buf_free(&blob);
    fg_kb_index_free(ix);
    return 0;
}
