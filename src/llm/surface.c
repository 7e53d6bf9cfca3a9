#include "llm/surface.h"

#include "core/json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int fg__llm_parse_json_body(fg_http_req *req, json_t **out, char *msg, size_t n)
{
    const char *ct = fg_http_req_header(req, "content-type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        snprintf(msg, n, "Content-Type must be application/json (got %s)", ct ? ct : "none");
        return 415;
    }
    size_t len;
    const char *body = fg_http_req_body(req, &len);
    json_error_t err;
    json_t *v = json_loadb(body, len, 0, &err);
    if (!v) {
        snprintf(msg, n, "the body is not valid JSON: %s at line %d, column %d", err.text, err.line,
                 err.column);
        return 400;
    }
    *out = v;
    return 0;
}
