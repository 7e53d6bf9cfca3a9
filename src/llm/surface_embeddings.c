/* POST /v1/embeddings in the OpenAI shape: input as a string or an array of
 * strings, encoding_format float or base64, optional dimensions. */
#include "llm/llm_int.h"
#include "llm/surface.h"

#include "core/base64.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUTS 2048

typedef struct em_sink {
    char model[256];
    bool base64;
    fg_buf out;     /* the data array being built */
    size_t count;
} em_sink;

static void em_begin(fg_llm_call *call) {}

static void em_event(fg_llm_call *call, const fg_llm_event *ev)
{
    em_sink *s = call->sink_ud;
    if (ev->type != FG_LLM_EV_EMBEDDING)
        return;
    fg_buf_printf(&s->out, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", s->count++ ? "," : "",
                  ev->index);
    if (s->base64) {
        fg_buf_putc(&s->out, '"');
        fg_base64_encode(&s->out, ev->vector, ev->dim * sizeof(float)); /* little-endian floats */
        fg_buf_putc(&s->out, '"');
    } else {
        fg_buf_putc(&s->out, '[');
        for (size_t i = 0; i < ev->dim; i++)
            fg_buf_printf(&s->out, "%s%.9g", i ? "," : "", (double)ev->vector[i]);
        fg_buf_putc(&s->out, ']');
    }
    fg_buf_putc(&s->out, '}');
}

static void em_end(fg_llm_call *call)
{
    em_sink *s = call->sink_ud;
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "{\"object\":\"list\",\"data\":[");
    fg_buf_append(&b, s->out.data ? s->out.data : "", s->out.len);
    fg_buf_puts(&b, "],\"model\":");
    fg_json_escape(&b, s->model, strlen(s->model));
    fg_buf_printf(&b, ",\"usage\":{\"prompt_tokens\":%ld,\"total_tokens\":%ld}}", call->input_tokens,
                  call->input_tokens);
    fg_buf_free(&s->out);
    fg_http_respond(call->req, 200, "application/json", b.data, b.len);
    fg_buf_free(&b);
}

static void em_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    em_sink *s = call->sink_ud;
    fg_buf_free(&s->out);
    fg_http_respond_error(call->req, status, type, msg);
}

static const fg_llm_sink_ops em_sink_ops = {em_begin, em_event, em_end, em_fail};

static const char *check(json_t *body, char *param, size_t n)
{
    if (!json_is_object(body))
        return snprintf(param, n, "(body)"), "the body must be a JSON object";
    if (!json_is_string(json_object_get(body, "model")))
        return snprintf(param, n, "model"), "model is required";
    json_t *input = json_object_get(body, "input");
    if (json_is_string(input)) {
        json_object_set_new(body, "input", json_pack("[O]", input));
        input = json_object_get(body, "input");
    }
    if (!json_is_array(input) || !json_array_size(input) || json_array_size(input) > MAX_INPUTS)
        return snprintf(param, n, "input"), "input must be a string or an array of 1 to 2048 strings";
    size_t i;
    json_t *v;
    json_array_foreach(input, i, v) if (!json_is_string(v)) {
        snprintf(param, n, "input[%zu]", i);
        return "must be a string (token arrays are not supported)";
    }
    const json_t *dims = json_object_get(body, "dimensions");
    if (dims && (!json_is_integer(dims) || json_integer_value(dims) < 1 || json_integer_value(dims) > 16384))
        return snprintf(param, n, "dimensions"), "must be an integer between 1 and 16384";
    const char *fmt = fg_json_str(body, "encoding_format", "float");
    if (strcmp(fmt, "float") && strcmp(fmt, "base64"))
        return snprintf(param, n, "encoding_format"), "must be float or base64";
    return NULL;
}

static void embeddings(fg_http_req *req, void *ud)
{
    fg_principal who;
    if (fg_llm_authorize(ud, req, &who))
        return;
    json_t *body = NULL;
    char msg[400], param[64];
    int status = fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        fg_http_respond_error(req, status, "invalid_request_error", msg);
        return;
    }
    const char *err = check(body, param, sizeof param);
    if (err) {
        snprintf(msg, sizeof msg, "%s: %s", param, err);
        fg_http_respond_error(req, 400, "invalid_request_error", msg);
        json_decref(body);
        return;
    }
    em_sink *s = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *s);
    snprintf(s->model, sizeof s->model, "%s", fg_json_str(body, "model", ""));
    s->base64 = strcmp(fg_json_str(body, "encoding_format", "float"), "base64") == 0;
    fg_buf_init(&s->out, 256u << 20);
    fg__llm_embed_start(ud, req, body, &em_sink_ops, s, &who);
}

void fg__llm_surface_embeddings_register(fg_llm *llm, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/v1/embeddings", embeddings, llm);
}
