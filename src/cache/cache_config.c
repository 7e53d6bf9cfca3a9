/* The cache's options from the configuration (cache.*). */
#include "cache/cache.h"

#include "config/config.h"

int fg_cache_open_configured(const fg_config *cfg, fg_store *store, fg_cache **out, fg_errbuf *eb)
{
    fg_cache_opts o = {
        .ttl_ms = fg_config_int(cfg, "cache.ttl_seconds") * 1000,
        .threshold = fg_config_num(cfg, "cache.semantic_threshold"),
        .hnsw_min_entries = (size_t)fg_config_int(cfg, "cache.hnsw_min_entries"),
        .max_entries = (size_t)fg_config_int(cfg, "cache.max_entries"),
        .max_response_bytes = (size_t)fg_config_int(cfg, "cache.max_response_bytes"),
        .async_store = true,
    };
    return fg_cache_open(store, &o, out, eb);
}
