/* JSON answers for the auth layer's routes: bodies in, objects and errors out,
 * with the status each failure deserves. */
#include "auth/auth_int.h"

#include "core/json.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

void fg__respond_json(fg_http_req *req, int status, json_t *body)
{
    char *text = body ? fg_json_dumps(body) : NULL;
    json_decref(body);
    if (!text) {
        fg_http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    fg_http_respond(req, status, "application/json", text, strlen(text));
    free(text);
}

static int status_of(int code)
{
    switch (code) {
    case FG_ENOTFOUND:
        return 404;
    case FG_EEXIST:
        return 409;
    case FG_EINVAL:
    case FG_EPARSE:
        return 422;
    case FG_EDENIED:
        return 403;
    case FG_ELIMIT:
        return 429;
    default:
        return 500;
    }
}

void fg__respond_failure(fg_http_req *req, const fg_errbuf *eb)
{
    int status = status_of(eb->code);
    if (status == 500)
        fg_error("%s %s: %s", fg_http_req_method(req), fg_http_req_path(req), eb->msg);
    const char *type = status == 404   ? "not_found"
                       : status == 409 ? "conflict"
                       : status == 422 ? "invalid_request_error"
                       : status == 403 ? "permission_error"
                       : status == 429 ? "rate_limit_error"
                                       : "internal_error";
    fg_http_respond_error(req, status, type, status == 500 ? "internal error (see the server log)" : eb->msg);
}

json_t *fg__body_object(fg_http_req *req)
{
    size_t n = 0;
    const char *body = fg_http_req_body(req, &n);
    json_error_t jerr;
    json_t *v = n ? fg_json_parse(body, n, &jerr) : NULL;
    if (!v) {
        fg_http_respond_error(req, 400, "invalid_request_error",
                              n ? "the body is not valid JSON" : "a JSON body is required");
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        fg_http_respond_error(req, 422, "invalid_request_error", "the body must be a JSON object");
        return NULL;
    }
    return v;
}
