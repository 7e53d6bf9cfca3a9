/* The access log (one JSON line per request) and the request metrics. */
#include "http/http_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "obs/metrics.h"

#include <stdio.h>
#include <string.h>

void fg__http_access_log(fg_http_req *r)
{
    uint64_t now = fg_clock_mono_ns();
    double total_ms = (double)(now - r->start_ns) / 1e6;
    double upstream_ms = (double)r->upstream_ns / 1e6;
    double overhead_ms = total_ms > upstream_ms ? total_ms - upstream_ms : 0;
    int status = r->aborted ? 499 : r->status;
    if (r->dispatched)
        fg_metrics_gauge_add("flowgate_http_in_flight", "Requests being handled", 0, NULL, NULL, -1);
    const char *route = r->route[0] ? r->route : "(none)";
    char status_s[8];
    snprintf(status_s, sizeof status_s, "%d", status);
    const char *names[] = {"route", "model", "status"};
    const char *values[] = {route, r->label, status_s};
    fg_metrics_counter_add("flowgate_http_requests_total", "HTTP requests by route, model and status",
                           3, names, values, 1);
    fg_metrics_hist_observe("flowgate_overhead_seconds",
                            "Time flowgate itself spent on a request (total minus upstream)", 1,
                            names, values, overhead_ms / 1e3);
    bool log_on = r->c ? r->c->w->server->opts.access_log : true;
    if (!log_on || fg_log_get_level() > FG_LOG_INFO)
        return;
    char ts[40];
    fg_clock_format_iso8601(fg_clock_wall_ms(), ts, sizeof ts);
    fg_buf b;
    fg_buf_init(&b, 16 * 1024);
    fg_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"access\",\"id\":\"%s\",\"method\":",
                  ts, r->id);
    fg_json_escape(&b, r->method ? r->method : "-", strlen(r->method ? r->method : "-"));
    fg_buf_puts(&b, ",\"path\":");
    fg_json_escape(&b, r->path ? r->path : "-", strlen(r->path ? r->path : "-"));
    fg_buf_printf(&b, ",\"status\":%d,\"bytes\":%zu,\"ms\":%.3f,\"upstream_ms\":%.3f,"
                      "\"overhead_ms\":%.3f",
                  status, r->bytes_out, total_ms, upstream_ms, overhead_ms);
    if (r->label[0]) {
        fg_buf_puts(&b, ",\"model\":");
        fg_json_escape(&b, r->label, strlen(r->label));
    }
    if (r->http2)
        fg_buf_puts(&b, ",\"http\":\"2\"");
    if (r->aborted)
        fg_buf_puts(&b, ",\"aborted\":true");
    fg_buf_putc(&b, '}');
    if (b.data)
        fg_log_line(b.data, b.len);
    fg_buf_free(&b);
}
