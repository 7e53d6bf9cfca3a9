/* The cache's counters in /metrics: hits and misses per mode, and the time
 * hits saved (the generation time of the answers they replayed). */
#include "cache/cache.h"

#include "obs/metrics.h"

void fg_cache_metric_hit(fg_cache_mode mode, double saved_ms)
{
    static const char *const names[] = {"mode"};
    const char *values[] = {fg_cache_mode_name(mode)};
    fg_metrics_counter_add("flowgate_cache_hits_total", "Answers served from the cache, by mode.", 1,
                           names, values, 1);
    fg_metrics_counter_add("flowgate_cache_saved_seconds_total",
                           "Generation time the cache hits saved (the time the cached answers took "
                           "when they were fresh), by mode.",
                           1, names, values, saved_ms / 1000.0);
}

void fg_cache_metric_miss(fg_cache_mode mode)
{
    static const char *const names[] = {"mode"};
    const char *values[] = {fg_cache_mode_name(mode)};
    fg_metrics_counter_add("flowgate_cache_misses_total", "Cache lookups that found nothing, by mode.",
                           1, names, values, 1);
}
