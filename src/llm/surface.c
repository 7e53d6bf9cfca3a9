#include "llm/surface.h"

#include "llm/llm_int.h"
#include "core/base64.h"
#include "wire/eventstream.h"

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
    return fg__llm_parse_json_body_any(req, out, msg, n);
}

int fg__llm_parse_json_body_any(fg_http_req *req, json_t **out, char *msg, size_t n)
{
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

const char *fg__llm_frame_content_type(fg_llm_framing framing)
{
    return framing == FG_FRAME_SSE ? "text/event-stream" : "application/vnd.amazon.eventstream";
}

static void write_out(fg_llm_call *call, const fg_buf *b)
{
    if (fg_http_stream_write(call->req, b->data, b->len) == FG_EAGAIN)
        fg__llm_call_pause(call);
}

void fg__llm_frame_event(struct fg_llm_call *call, fg_llm_framing framing, const char *name,
                         const char *json, size_t len)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    if (framing == FG_FRAME_SSE) {
        fg_buf_printf(&b, "event: %s\ndata: ", name);
        fg_buf_append(&b, json, len);
        fg_buf_puts(&b, "\n\n");
    } else if (framing == FG_FRAME_EVENTSTREAM) {
        fg_es_encode_event(&b, name, "application/json", json, len);
    } else {
        fg_buf payload;
        fg_buf_init(&payload, 0);
        fg_buf_puts(&payload, "{\"bytes\":\"");
        fg_base64_encode(&payload, json, len);
        fg_buf_puts(&payload, "\"}");
        fg_es_encode_event(&b, "chunk", "application/json", payload.data, payload.len);
        fg_buf_free(&payload);
    }
    write_out(call, &b);
    fg_buf_free(&b);
}

void fg__llm_frame_error(struct fg_llm_call *call, fg_llm_framing framing, const char *exception_type,
                         const char *msg)
{
    fg_buf json, b;
    fg_buf_init(&json, 0);
    fg_buf_init(&b, 0);
    fg_buf_puts(&json, "{\"message\":");
    fg_json_escape(&json, msg, strlen(msg));
    fg_buf_putc(&json, '}');
    fg_es_encode_exception(&b, exception_type, json.data, json.len);
    write_out(call, &b);
    fg_buf_free(&json);
    fg_buf_free(&b);
}

static const char *aws_error_type(int status)
{
    switch (status) {
    case 400: case 413: case 415: case 422: return "ValidationException";
    case 401: case 403: return "AccessDeniedException";
    case 404: return "ResourceNotFoundException";
    case 408: case 504: return "ModelTimeoutException";
    case 429: return "ThrottlingException";
    case 503: return "ServiceUnavailableException";
    case 502: return "ModelErrorException";
    default: return "InternalServerException";
    }
}

void fg__llm_respond_aws_error(fg_http_req *req, int status, const char *msg)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"message\":");
    fg_json_escape(&b, msg, strlen(msg));
    fg_buf_putc(&b, '}');
    fg_http_resp_header(req, "x-amzn-ErrorType", aws_error_type(status));
    /* Bedrock answers a model error with 424 */
    fg_http_respond(req, status == 502 ? 424 : status, "application/json", b.data, b.len);
    fg_buf_free(&b);
}
