#include "app/ops_routes.h"

#include "obs/metrics.h"

static void healthz(fg_http_req *req, void *ud)
{
    static const char body[] = "{\"status\":\"ok\"}";
    fg_http_respond(req, 200, "application/json", body, sizeof body - 1);
}

static void metrics(fg_http_req *req, void *ud)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_metrics_render(&b);
    fg_http_respond(req, 200, "text/plain; version=0.0.4", b.data ? b.data : "", b.len);
    fg_buf_free(&b);
}

void fg_app_register_ops_routes(fg_http_router *r)
{
    fg_http_router_add(r, "GET", "/healthz", healthz, NULL);
    fg_http_router_add(r, "GET", "/metrics", metrics, NULL);
}
