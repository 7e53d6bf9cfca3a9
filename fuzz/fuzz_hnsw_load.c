/* Loading an HNSW graph blob (over a fixed store of 64 vectors) from arbitrary
 * bytes: refused with a message, or a graph that can be searched and grown. */
#include "core/buf.h"
#include "kb/vector.h"

#include <stdint.h>
#include <stdlib.h>

static fg_kb_vectors *store(void)
{
    static fg_kb_vectors *v;
    if (v)
        return v;
    v = fg_kb_vectors_new(8);
    uint64_t s = 99;
    for (int i = 0; i < 64; i++) {
        float x[8];
        for (int d = 0; d < 8; d++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            x[d] = (float)(s >> 40) / 16777216.0f - 0.5f;
        }
        fg_kb_vectors_add(v, x, NULL);
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_kb_vectors *v = store();
    fg_kb_hnsw *h = fg_kb_hnsw_load(v, data, size, NULL);
    if (h) {
        float q[8] = {1, 0, 0, 0, 0, 0, 0, 1};
        fg_kb_hit hits[5];
        size_t n;
        fg_kb_hnsw_search(h, q, 5, 16, NULL, NULL, hits, &n);
        fg_kb_hnsw_free(h);
    }
    fg_kb_vectors *v2 = fg_kb_vectors_load(data, size, NULL);
    fg_kb_vectors_free(v2);
    return 0;
}
