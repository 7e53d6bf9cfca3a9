/* libFuzzer target for the cache's bulk import parser (both formats): every
 * reported entry is put into a memory-only cache, which must accept it or
 * refuse it with an error, and each item is reported exactly once. */
#include "cache/cache.h"
#include "cache/import.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
    fg_cache *cache;
    size_t reports, last;
} run;

static void seen(run *r, size_t index)
{
    if (r->reports && index <= r->last)
        abort(); /* items come once each, in order */
    r->last = index;
    r->reports++;
}

static int on_entry(void *ud, size_t index, const fg_cache_entry *e)
{
    run *r = ud;
    seen(r, index);
    if (!e->key || !e->response || strlen(e->account_id) == 0)
        abort();
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_cache_put(r->cache, e, &eb) && !eb.msg[0])
        abort(); /* a refusal always says why */
    return 0;
}

static void on_invalid(void *ud, size_t index, const char *msg)
{
    run *r = ud;
    seen(r, index);
    if (!msg || !*msg)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 8, .max_entries = 64,
                       .max_response_bytes = 4096};
    run r = {0};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_cache_open(NULL, &o, &r.cache, &eb))
        return 0;
    const fg_cache_import_cbs cbs = {on_entry, on_invalid};
    size_t total = 0;
    if (fg_cache_import_parse((const char *)data, size, "acct", &cbs, &r, NULL, &total, &eb) == 0 &&
        r.reports != total)
        abort();
    fg_cache_free(r.cache);
    return 0;
}
