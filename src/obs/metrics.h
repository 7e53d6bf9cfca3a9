/* Process-wide metrics (counters, gauges, histograms with labels), rendered in
 * the Prometheus text format at GET /metrics. Thread-safe. */
#ifndef FG_OBS_METRICS_H
#define FG_OBS_METRICS_H

#include "core/buf.h"

void fg_metrics_counter_add(const char *name, const char *help, int nlabels,
                            const char *const *label_names, const char *const *label_values,
                            double value);
void fg_metrics_gauge_add(const char *name, const char *help, int nlabels,
                          const char *const *label_names, const char *const *label_values,
                          double delta);
void fg_metrics_hist_observe(const char *name, const char *help, int nlabels,
                             const char *const *label_names, const char *const *label_values,
                             double value);
int fg_metrics_render(fg_buf *out);
/* Drops every series (tests). */
void fg_metrics_reset(void);

#endif
