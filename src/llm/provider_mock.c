/* The in-process mock provider: the mock model (mock.h) driven by a timer on
 * the call's loop, reporting canonical events directly. */
#include "llm/llm_int.h"
#include "llm/mock.h"

#include <stdlib.h>
#include <string.h>

typedef struct mock_state {
    fg_mock_stream *stream;
    fg_llm_attempt *a;
    long input_tokens;
    long sent;
} mock_state;

static const char *last_user_text(const json_t *messages)
{
    for (size_t i = json_array_size(messages); i-- > 0;) {
        const json_t *m = json_array_get(messages, i);
        if (strcmp(json_string_value(json_object_get(m, "role")) ?: "", "user") != 0)
            continue;
        const json_t *c = json_object_get(m, "content");
        if (json_is_string(c))
            return json_string_value(c);
        size_t j;
        json_t *part;
        json_array_foreach(c, j, part) if (json_is_string(json_object_get(part, "text")))
            return json_string_value(json_object_get(part, "text"));
    }
    return "";
}

static long count_input_tokens(const json_t *messages)
{
    long n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        const json_t *c = json_object_get(m, "content");
        if (json_is_string(c))
            n += fg_mock_count_tokens(json_string_value(c));
        size_t j;
        json_t *part;
        json_array_foreach(c, j, part) n += fg_mock_count_tokens(json_string_value(json_object_get(part, "text")));
    }
    return n;
}

static int on_token(void *ud, const char *text, size_t len, long index)
{
    mock_state *s = ud;
    s->sent = index + 1;
    fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = text, .len = len};
    fg_llm_call *call = s->a->call;
    fg__llm_emit(s->a, &ev);
    /* The call may have ended (client gone) inside emit: then s is freed, and
     * the call's memory lives until the next loop iteration. */
    return call->phase == CALL_DONE || call->backpressured;
}

static void on_end(void *ud, const char *how)
{
    mock_state *s = ud;
    fg_llm_attempt *a = s->a;
    fg_mock_stream_stop(s->stream);
    s->stream = NULL;
    a->state = NULL;
    fg_llm_event usage = {.type = FG_LLM_EV_USAGE, .input_tokens = s->input_tokens,
                          .output_tokens = s->sent};
    free(s);
    fg__llm_emit(a, &usage);
    if (strcmp(how, "stop") == 0 || strcmp(how, "length") == 0) {
        fg_llm_event fin = {.type = FG_LLM_EV_FINISH, .finish_reason = how};
        fg__llm_emit(a, &fin);
        fg_llm_event done = {.type = FG_LLM_EV_DONE};
        fg__llm_emit(a, &done);
    } else {
        fg_llm_event err = {.type = FG_LLM_EV_ERROR, .status = 502, .retryable = true,
                            .error_type = "upstream_error",
                            .error_msg = strcmp(how, "truncate") == 0 ? "mock stream truncated"
                                                                      : "mock error inside the stream"};
        fg__llm_emit(a, &err);
    }
}

static int mock_start(fg_llm_attempt *a)
{
    fg_llm_call *call = a->call;
    const json_t *messages = json_object_get(call->request, "messages");
    fg_mock_spec spec;
    fg_mock_spec_default(&spec);
    fg_mock_spec_apply_text(&spec, last_user_text(messages));
    if (strcmp(spec.fault, "http-500") == 0 || strcmp(spec.fault, "http-429") == 0) {
        bool r429 = spec.fault[5] == '4';
        fg_llm_event err = {.type = FG_LLM_EV_ERROR, .status = r429 ? 429 : 500, .retryable = true,
                            .error_type = r429 ? "rate_limited" : "upstream_error",
                            .error_msg = r429 ? "mock rate limit" : "mock server error",
                            .retry_after_ms = r429 ? spec.retry_after_s * 1000 : 0};
        fg__llm_emit(a, &err);
        return 0;
    }
    long max_tokens = (long)json_integer_value(json_object_get(call->request, "max_tokens"));
    mock_state *s = calloc(1, sizeof *s);
    if (!s)
        return FG_ENOMEM;
    s->a = a;
    s->input_tokens = count_input_tokens(messages);
    a->state = s;
    static const fg_mock_stream_cbs cbs = {on_token, on_end};
    s->stream = fg_mock_stream_start(call->loop, &spec, max_tokens, &cbs, s);
    return s->stream ? 0 : FG_ENOMEM;
}

static void mock_abort(fg_llm_attempt *a)
{
    mock_state *s = a->state;
    if (!s)
        return;
    fg_mock_stream_stop(s->stream);
    s->stream = NULL;
    a->state = NULL;
    free(s);
}

static void mock_resume(fg_llm_attempt *a)
{
    mock_state *s = a->state;
    if (s && s->stream)
        fg_mock_stream_resume(s->stream);
}

const fg_llm_provider_ops fg_llm_provider_mock = {
    .type = "mock",
    .start = mock_start,
    .abort = mock_abort,
    .resume = mock_resume,
};
