/* The in-process mock provider: the mock model (mock.h) driven by a timer on
 * the call's loop, reporting canonical events directly. */
#include "llm/llm_int.h"
#include "llm/mock.h"

#include <math.h>
#include <stdint.h>
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

/* Deterministic embeddings by feature hashing of lower-cased words: texts that
 * share words have a high cosine similarity, which is what tests of semantic
 * search and caching need. */
static void hash_embed(const char *text, float *v, size_t dim)
{
    memset(v, 0, dim * sizeof *v);
    uint32_t h = 2166136261u;
    size_t wlen = 0;
    for (const char *p = text;; p++) {
        unsigned char c = (unsigned char)*p;
        bool word = c && (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'));
        if (word) {
            h = (h ^ (unsigned char)(c >= 'A' && c <= 'Z' ? c | 32 : c)) * 16777619u;
            wlen++;
        } else if (wlen) {
            v[h % dim] += (h >> 31) ? 1.0f : -1.0f;
            h = 2166136261u;
            wlen = 0;
        }
        if (!c)
            break;
    }
    double norm = 0;
    for (size_t i = 0; i < dim; i++)
        norm += (double)v[i] * v[i];
    if (norm > 0)
        for (size_t i = 0; i < dim; i++)
            v[i] = (float)(v[i] / sqrt(norm));
}

static int mock_embed(fg_llm_attempt *a)
{
    const json_t *input = json_object_get(a->call->request, "input");
    size_t dim = (size_t)json_integer_value(json_object_get(a->call->request, "dimensions"));
    if (!dim)
        dim = 256;
    float *v = malloc(dim * sizeof *v);
    if (!v)
        return FG_ENOMEM;
    long tokens = 0;
    size_t i;
    json_t *t;
    json_array_foreach(input, i, t) {
        hash_embed(json_string_value(t), v, dim);
        tokens += fg_mock_count_tokens(json_string_value(t));
        fg_llm_event ev = {.type = FG_LLM_EV_EMBEDDING, .vector = v, .dim = dim, .index = i};
        fg__llm_emit(a, &ev);
    }
    free(v);
    fg_llm_event usage = {.type = FG_LLM_EV_USAGE, .input_tokens = tokens, .output_tokens = 0};
    fg__llm_emit(a, &usage);
    fg_llm_event done = {.type = FG_LLM_EV_DONE};
    fg__llm_emit(a, &done);
    return 0;
}

const fg_llm_provider_ops fg_llm_provider_mock = {
    .type = "mock",
    .start = mock_start,
    .abort = mock_abort,
    .resume = mock_resume,
    .embed = mock_embed,
};
