/* Bulk files of cache entries: the seed's format (a JSON list of
 * {"id": node_id + prompt, "responses": "<JSON string with a completion>"})
 * and flowgate's ({"flowgate_cache": 1, "entries": [...]}, docs/cache.md).
 * The parser has no I/O: each valid item goes to on_entry, each invalid one
 * to on_invalid with its index and what is wrong. */
#ifndef FG_CACHE_IMPORT_H
#define FG_CACHE_IMPORT_H

#include "cache/cache.h"

typedef struct fg_cache_import_cbs {
    /* e's strings live until the callback returns; return non-zero to stop. */
    int (*on_entry)(void *ud, size_t index, const fg_cache_entry *e);
    void (*on_invalid)(void *ud, size_t index, const char *msg);
} fg_cache_import_cbs;

typedef enum fg_cache_import_format { FG_IMPORT_SEED, FG_IMPORT_FLOWGATE } fg_cache_import_format;

/* Parses data and reports every item; account_id goes into every entry.
 * Fails (FG_EINVAL with a message naming line and column) only when the file
 * as a whole is not one of the formats; *format and *total (may be NULL) get
 * what was found. */
int fg_cache_import_parse(const char *data, size_t len, const char *account_id,
                          const fg_cache_import_cbs *cbs, void *ud, fg_cache_import_format *format,
                          size_t *total, fg_errbuf *eb);

#endif
