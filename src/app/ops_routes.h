/* Operational routes: GET /healthz and GET /metrics. */
#ifndef FG_APP_OPS_ROUTES_H
#define FG_APP_OPS_ROUTES_H

#include "http/http.h"

void fg_app_register_ops_routes(fg_http_router *r);

#endif
