/* fg_llm_embed: one embeddings call for a thread without an event loop. The
 * call runs on a private libuv loop with its own HTTP client, through the same
 * router (retries, fallback, usage records) as every other call. */
#include "llm/llm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sync_embed {
    size_t n, dim;
    float *vectors;
    size_t got;
    bool done;
    int status;
    char msg[256];
} sync_embed;

static void se_begin(fg_llm_call *call) { (void)call; }

static void se_event(fg_llm_call *call, const fg_llm_event *ev)
{
    sync_embed *s = call->sink_ud;
    if (ev->type != FG_LLM_EV_EMBEDDING || ev->index >= s->n || !ev->dim)
        return;
    if (!s->vectors) {
        s->dim = ev->dim;
        s->vectors = calloc(s->n * s->dim, sizeof *s->vectors);
    }
    if (!s->vectors || ev->dim != s->dim)
        return;
    memcpy(s->vectors + ev->index * s->dim, ev->vector, s->dim * sizeof *s->vectors);
    s->got++;
}

static void se_end(fg_llm_call *call)
{
    sync_embed *s = call->sink_ud;
    s->done = true;
}

static void se_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    (void)type;
    sync_embed *s = call->sink_ud;
    s->status = status ? status : 502;
    snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "the embeddings call failed");
    s->done = true;
}

static const fg_llm_sink_ops sync_ops = {se_begin, se_event, se_end, se_fail};

static json_t *request_for(const char *model, const char *const *texts, size_t n)
{
    json_t *input = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(input, json_string(texts[i] ? texts[i] : ""));
    return json_pack("{s:s,s:o}", "model", model, "input", input);
}

int fg_llm_embed(fg_llm *llm, const char *route, const char *model, const char *const *texts,
                 size_t n, float **vectors, size_t *dim, fg_errbuf *eb)
{
    *vectors = NULL;
    *dim = 0;
    if (n == 0)
        return 0;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return fg_failf(eb, FG_EIO, "cannot create an event loop for embeddings");
    fg_http_client *client = fg_http_client_create(&loop);
    sync_embed s = {.n = n};
    int rc = client ? fg__llm_embed_start_on(llm, &loop, client, route, request_for(model, texts, n),
                                             &sync_ops, &s)
                    : FG_ENOMEM;
    while (!rc && !s.done && uv_run(&loop, UV_RUN_ONCE))
        ;
    if (client)
        fg_http_client_destroy(client);
    uv_run(&loop, UV_RUN_DEFAULT); /* lets the call and the client close their handles */
    uv_loop_close(&loop);
    if (!rc && s.status)
        rc = fg_failf(eb, s.status == 404 ? FG_ENOTFOUND : FG_EUPSTREAM, "embeddings with %s: %s",
                      model, s.msg);
    else if (!rc && (!s.done || s.got != n))
        rc = fg_failf(eb, FG_EUPSTREAM, "embeddings with %s: %zu of %zu vectors came back", model,
                      s.got, n);
    else if (rc)
        rc = fg_failf(eb, rc, "cannot start an embeddings call: %s", fg_strerror(rc));
    if (rc) {
        free(s.vectors);
        return rc;
    }
    *vectors = s.vectors;
    *dim = s.dim;
    return 0;
}
