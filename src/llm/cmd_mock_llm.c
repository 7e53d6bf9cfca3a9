/* flowgate mock-llm: the mock model served over HTTP in the OpenAI protocol,
 * for tests and benchmarks (the gateway's upstream on loopback). It counts
 * requests and client disconnects at GET /mock/stats, so tests can prove that
 * the gateway cancels upstream requests; with --script it answers by rules
 * and GET /mock/requests shows what it received (mock_script.h). */
#include "cli/args.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "http/http.h"
#include "config/config.h"
#include "llm/llm.h"
#include "llm/mock.h"
#include "llm/mock_script.h"
#include "llm/llm_int.h"
#include "llm/surface.h"
#include "wire/eventstream.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fg_llm_cmd_mock_llm(int argc, char **argv);

static fg_mock_spec defaults;
static atomic_long n_requests, n_completed, n_disconnects, n_in_flight;
static _Atomic long long last_disconnect_ms;

typedef enum { PROTO_OPENAI, PROTO_ANTHROPIC, PROTO_TGI, PROTO_TGI_STREAM } mock_proto;

typedef struct mock_req {
    mock_proto proto;
    fg_http_req *req;
    fg_mock_stream *stream;
    fg_mock_spec spec;
    bool stream_mode, include_usage, ended;
    long input_tokens, sent;
    char model[128];
    char id[40];
    fg_buf text;
} mock_req;

static void mr_end(mock_req *m)
{
    m->ended = true;
    fg_mock_stream_stop(m->stream);
    m->stream = NULL;
    atomic_fetch_sub(&n_in_flight, 1);
    fg_buf_free(&m->text);
}

static void chunk(mock_req *m, fg_buf *b, const char *delta, const char *finish)
{
    fg_buf_printf(b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                     "\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s%s%s}]}\n\n",
                  m->id, m->model, delta, finish ? "\"" : "", finish ? finish : "null", finish ? "\"" : "");
}

/* One TGI server-sent event inside a SageMaker PayloadPart event. */
static void payload_part(fg_buf *out, const fg_buf *sse)
{
    fg_buf json;
    fg_buf_init(&json, 0);
    fg_buf_puts(&json, "{\"Bytes\":\"");
    fg_base64_encode(&json, sse->data, sse->len);
    fg_buf_puts(&json, "\"}");
    fg_es_encode_event(out, "PayloadPart", "application/json", json.data, json.len);
    fg_buf_free(&json);
}

static int on_token(void *ud, const char *text, size_t len, long index)
{
    mock_req *m = ud;
    m->sent = index + 1;
    if (!m->stream_mode) {
        fg_buf_append(&m->text, text, len);
        return 0;
    }
    fg_buf b, d;
    fg_buf_init(&b, 0);
    fg_buf_init(&d, 0);
    if (m->proto == PROTO_TGI_STREAM) {
        fg_buf_puts(&d, "data:{\"token\":{\"id\":0,\"text\":");
        fg_json_escape(&d, text, len);
        fg_buf_puts(&d, ",\"logprob\":0,\"special\":false},\"generated_text\":null,\"details\":null}\n\n");
        payload_part(&b, &d);
    } else if (m->proto == PROTO_ANTHROPIC) {
        fg_buf_puts(&b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                        "\"delta\":{\"type\":\"text_delta\",\"text\":");
        fg_json_escape(&b, text, len);
        fg_buf_puts(&b, "}}\n\n");
    } else {
        fg_buf_puts(&d, "{\"content\":");
        fg_json_escape(&d, text, len);
        fg_buf_putc(&d, '}');
        chunk(m, &b, d.data, NULL);
    }
    int rc = fg_http_stream_write(m->req, b.data, b.len);
    fg_buf_free(&b);
    fg_buf_free(&d);
    return rc == FG_EAGAIN;
}

static void usage_json(fg_buf *b, const mock_req *m)
{
    fg_buf_printf(b, "{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"total_tokens\":%ld}",
                  m->input_tokens, m->sent, m->input_tokens + m->sent);
}

static void on_end(void *ud, const char *how)
{
    mock_req *m = ud;
    fg_http_req *req = m->req;
    fg_buf b;
    fg_buf_init(&b, 0);
    if (strcmp(how, "truncate") == 0) {
        mr_end(m);
        fg_http_req_cut(req);
        fg_http_stream_end(req);
        fg_buf_free(&b);
        return;
    }
    if (strcmp(how, "stream-error") == 0) {
        if (m->proto == PROTO_ANTHROPIC)
            fg_buf_puts(&b, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                            "\"message\":\"mock error inside the stream\"}}\n\n");
        else
            fg_buf_puts(&b, "data: {\"error\":{\"message\":\"mock error inside the stream\",\"type\":\"server_error\"}}\n\n");
        fg_http_stream_write(req, b.data, b.len);
    } else if (m->stream_mode && m->proto == PROTO_TGI_STREAM) {
        fg_buf d;
        fg_buf_init(&d, 0);
        fg_buf_printf(&d, "data:{\"token\":{\"id\":0,\"text\":\"\",\"logprob\":0,\"special\":true},"
                          "\"generated_text\":\"\",\"details\":{\"finish_reason\":\"%s\",\"generated_tokens\":%ld}}\n\n",
                      strcmp(how, "length") == 0 ? "length" : "eos_token", m->sent);
        payload_part(&b, &d);
        fg_buf_free(&d);
        fg_http_stream_write(req, b.data, b.len);
    } else if (m->stream_mode && m->proto == PROTO_ANTHROPIC) {
        fg_buf_printf(&b, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                          "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\","
                          "\"stop_sequence\":null},\"usage\":{\"output_tokens\":%ld}}\n\n"
                          "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                      strcmp(how, "length") == 0 ? "max_tokens" : "end_turn", m->sent);
        fg_http_stream_write(req, b.data, b.len);
    } else if (m->stream_mode) {
        chunk(m, &b, "{}", how);
        if (m->include_usage) {
            fg_buf_printf(&b, "data: {\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                              "\"model\":\"%s\",\"choices\":[],\"usage\":", m->id, m->model);
            usage_json(&b, m);
            fg_buf_puts(&b, "}\n\n");
        }
        fg_buf_puts(&b, "data: [DONE]\n\n");
        fg_http_stream_write(req, b.data, b.len);
    }
    atomic_fetch_add(&n_completed, 1);
    if (m->stream_mode) {
        mr_end(m);
        fg_http_stream_end(req);
    } else if (m->proto == PROTO_TGI) {
        fg_buf_puts(&b, "[{\"generated_text\":");
        fg_json_escape(&b, m->text.data ? m->text.data : "", m->text.len);
        fg_buf_printf(&b, ",\"details\":{\"finish_reason\":\"%s\",\"generated_tokens\":%ld}}]",
                      strcmp(how, "length") == 0 ? "length" : "eos_token", m->sent);
        mr_end(m);
        fg_http_respond(req, 200, "application/json", b.data, b.len);
    } else if (m->proto == PROTO_ANTHROPIC) {
        fg_buf_printf(&b, "{\"id\":\"msg_%s\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\","
                          "\"content\":[{\"type\":\"text\",\"text\":", fg_http_req_id(req), m->model);
        fg_json_escape(&b, m->text.data ? m->text.data : "", m->text.len);
        fg_buf_printf(&b, "}],\"stop_reason\":\"%s\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
                          "\"output_tokens\":%ld}}", strcmp(how, "length") == 0 ? "max_tokens" : "end_turn",
                      m->input_tokens, m->sent);
        mr_end(m);
        fg_http_respond(req, 200, "application/json", b.data, b.len);
    } else {
        fg_buf_printf(&b, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"%s\","
                          "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":",
                      m->id, m->model);
        fg_json_escape(&b, m->text.data ? m->text.data : "", m->text.len);
        fg_buf_printf(&b, "},\"finish_reason\":\"%s\"}],\"usage\":", how);
        usage_json(&b, m);
        fg_buf_putc(&b, '}');
        mr_end(m);
        fg_http_respond(req, 200, "application/json", b.data, b.len);
    }
    fg_buf_free(&b);
}

static void on_abort(fg_http_req *req, void *ud)
{
    mock_req *m = ud;
    if (m->ended)
        return;
    atomic_fetch_add(&n_disconnects, 1);
    atomic_store(&last_disconnect_ms, (long long)fg_clock_wall_ms());
    mr_end(m);
    fg_http_stream_end(req);
}

static void on_drain(fg_http_req *req, void *ud)
{
    mock_req *m = ud;
    if (m->stream)
        fg_mock_stream_resume(m->stream);
}

static long header_long(fg_http_req *req, const char *name, long dflt)
{
    const char *v = fg_http_req_header(req, name);
    return v ? strtol(v, NULL, 10) : dflt;
}

static void apply_headers(fg_http_req *req, fg_mock_spec *s)
{
    s->tokens = header_long(req, "x-mock-tokens", s->tokens);
    s->ttft_ms = header_long(req, "x-mock-ttft-ms", s->ttft_ms);
    s->delay_ms = header_long(req, "x-mock-delay-ms", s->delay_ms);
    const char *f = fg_http_req_header(req, "x-mock-fault");
    if (f)
        snprintf(s->fault, sizeof s->fault, "%s", f);
    s->fault_after = header_long(req, "x-mock-fault-after", s->fault_after);
}

static const char *last_user_text(const json_t *messages, long *input_tokens)
{
    const char *last = "";
    size_t i;
    json_t *msg;
    json_array_foreach(messages, i, msg) {
        const json_t *c = json_object_get(msg, "content");
        const char *text = json_is_string(c) ? json_string_value(c) : NULL;
        size_t j;
        json_t *part;
        json_array_foreach(c, j, part) if (!text) text = json_string_value(json_object_get(part, "text"));
        *input_tokens += fg_mock_count_tokens(text);
        if (text && strcmp(fg_json_str(msg, "role", ""), "user") == 0)
            last = text;
    }
    return last;
}

static void fault_response(fg_http_req *req, const fg_mock_spec *s)
{
    bool r429 = strcmp(s->fault, "http-429") == 0;
    if (r429) {
        char ra[16];
        snprintf(ra, sizeof ra, "%ld", s->retry_after_s);
        fg_http_resp_header(req, "Retry-After", ra);
    }
    atomic_fetch_sub(&n_in_flight, 1);
    fg_http_respond_error(req, r429 ? 429 : 500, r429 ? "rate_limit_exceeded" : "server_error",
                          r429 ? "mock rate limit" : "mock server error");
}

static void start_stream(mock_req *m)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    if (m->proto == PROTO_ANTHROPIC) {
        fg_buf_printf(&b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_%s\","
                          "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"%s\","
                          "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%ld,"
                          "\"output_tokens\":1}}}\n\n"
                          "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                          "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                          "event: ping\ndata: {\"type\":\"ping\"}\n\n",
                      fg_http_req_id(m->req), m->model, m->input_tokens);
    } else {
        chunk(m, &b, "{\"role\":\"assistant\",\"content\":\"\"}", NULL);
    }
    fg_http_stream_write(m->req, b.data, b.len);
    fg_buf_free(&b);
}

static void serve_mock(fg_http_req *req, mock_proto proto)
{
    atomic_fetch_add(&n_requests, 1);
    atomic_fetch_add(&n_in_flight, 1);
    json_t *body = NULL;
    char msg[300];
    int status = fg__llm_parse_json_body(req, &body, msg, sizeof msg);
    if (status) {
        atomic_fetch_sub(&n_in_flight, 1);
        fg_http_respond_error(req, status, "invalid_request_error", msg);
        return;
    }
    mock_req *m = fg_arena_calloc(fg_http_req_arena(req), 1, sizeof *m);
    m->proto = proto;
    m->req = req;
    m->spec = defaults;
    m->stream_mode = json_is_true(json_object_get(body, "stream"));
    m->include_usage = json_is_true(json_object_get(json_object_get(body, "stream_options"), "include_usage"));
    snprintf(m->model, sizeof m->model, "%s", fg_json_str(body, "model", "mock"));
    snprintf(m->id, sizeof m->id, "chatcmpl-mock-%s", fg_http_req_id(req));
    const char *system = fg_json_str(body, "system", NULL);
    if (system)
        m->input_tokens += fg_mock_count_tokens(system);
    if (proto == PROTO_TGI || proto == PROTO_TGI_STREAM) {
        const char *inputs = fg_json_str(body, "inputs", "");
        m->input_tokens = fg_mock_count_tokens(inputs);
        fg_mock_spec_apply_text(&m->spec, inputs);
    } else {
        fg_mock_spec_apply_text(&m->spec, last_user_text(json_object_get(body, "messages"), &m->input_tokens));
    }
    if (!m->spec.reply[0]) {
        const char *scripted = fg__mock_script_reply(body);
        if (scripted)
            snprintf(m->spec.reply, sizeof m->spec.reply, "%s", scripted);
    }
    fg__mock_requests_record(fg_http_req_path(req), body);
    apply_headers(req, &m->spec);
    long max_tokens = (long)fg_json_int(body, "max_tokens",
                                        fg_json_int(json_object_get(body, "parameters"), "max_new_tokens", 0));
    json_decref(body);
    fg_buf_init(&m->text, 16u << 20);
    if (strcmp(m->spec.fault, "http-500") == 0 || strcmp(m->spec.fault, "http-429") == 0) {
        fault_response(req, &m->spec);
        return;
    }
    fg_http_req_on_abort(req, on_abort, m);
    fg_http_req_on_drain(req, on_drain, m);
    if (proto == PROTO_TGI_STREAM) {
        m->stream_mode = true;
        fg_http_stream_start(req, 200, "application/vnd.amazon.eventstream");
    } else if (m->stream_mode) {
        fg_http_stream_start(req, 200, "text/event-stream");
        start_stream(m);
    }
    static const fg_mock_stream_cbs cbs = {on_token, on_end};
    m->stream = fg_mock_stream_start(fg_http_worker_loop(fg_http_req_worker(req)), &m->spec,
                                     max_tokens, &cbs, m);
}

static void chat(fg_http_req *req, void *ud)
{
    serve_mock(req, PROTO_OPENAI);
}

static void messages(fg_http_req *req, void *ud)
{
    serve_mock(req, PROTO_ANTHROPIC);
}

static void tgi(fg_http_req *req, void *ud)
{
    serve_mock(req, PROTO_TGI);
}

static void tgi_stream(fg_http_req *req, void *ud)
{
    serve_mock(req, PROTO_TGI_STREAM);
}

static void stats(fg_http_req *req, void *ud)
{
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"requests\":%ld,\"completed\":%ld,\"disconnects\":%ld,\"in_flight\":%ld,"
                     "\"last_disconnect_ms\":%lld}",
                     atomic_load(&n_requests), atomic_load(&n_completed),
                     atomic_load(&n_disconnects), atomic_load(&n_in_flight),
                     atomic_load(&last_disconnect_ms));
    fg_http_respond(req, 200, "application/json", body, (size_t)n);
}

static void models(fg_http_req *req, void *ud)
{
    static const char body[] = "{\"object\":\"list\",\"data\":[{\"id\":\"mock\",\"object\":\"model\","
                               "\"created\":0,\"owned_by\":\"flowgate-mock\"}]}";
    fg_http_respond(req, 200, "application/json", body, sizeof body - 1);
}

/* Bedrock's protocols come from flowgate's own Bedrock surface over the
 * in-process mock provider, for every model id. */
static const char bedrock_config[] =
    "providers:\n  - name: mock\n    type: mock\n"
    "models:\n  - name: \"*\"\n    deployments:\n      - provider: mock\n"
    "router:\n  retries: 0\n";

static void on_worker_start(fg_http_worker *w, void *ud)
{
    fg_llm_worker_start(ud, w);
}

static void on_worker_stop(fg_http_worker *w, void *ud)
{
    fg_llm_worker_stop(ud, w);
}

static fg_llm *bedrock_gateway(fg_config **cfg)
{
    fg_buf problems;
    fg_buf_init(&problems, 0);
    fg_llm *llm = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_config_load_text("(mock-llm)", bedrock_config, sizeof bedrock_config - 1, cfg, &problems) ||
        fg_llm_create(*cfg, NULL, &llm, &eb))
        fprintf(stderr, "flowgate mock-llm: %s%s\n", problems.data ? problems.data : "", eb.msg);
    fg_buf_free(&problems);
    return llm;
}

int fg_llm_cmd_mock_llm(int argc, char **argv)
{
    long port = 8081, workers = 1, tokens = 16, ttft = 0, delay = 0;
    const char *host = "127.0.0.1";
    bool quiet = false;
    const char *script = NULL;
    const fg_opt opts[] = {
        {"script", FG_OPT_STR, &script, "FILE", "answer by rules matching the prompt text (JSON, see docs/assistants.md)"},
        {"port", FG_OPT_INT, &port, "N", "TCP port (default 8081; 0 picks a free one and prints it)"},
        {"host", FG_OPT_STR, &host, "ADDR", "address (default 127.0.0.1)"},
        {"workers", FG_OPT_INT, &workers, "N", "event-loop threads (default 1)"},
        {"tokens", FG_OPT_INT, &tokens, "N", "tokens per answer (default 16)"},
        {"ttft-ms", FG_OPT_INT, &ttft, "MS", "time to first token (default 0)"},
        {"delay-ms", FG_OPT_INT, &delay, "MS", "time between tokens (default 0)"},
        {"quiet", FG_OPT_FLAG, &quiet, NULL, "no access log"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate mock-llm [--port N] [--tokens N] [--ttft-ms MS] [--delay-ms MS] [--script FILE]",
        .summary = "Serves a deterministic mock model over HTTP in the OpenAI protocol\n"
                   "(POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models), Anthropic protocol\n"
                   "(POST /v1/messages) and Bedrock's (POST /model/ID/converse, converse-stream,\n"
                   "invoke, invoke-with-response-stream; Titan and Cohere embeddings on invoke),\n"
                   "and a SageMaker TGI endpoint\n"
                   "(POST /endpoints/NAME/invocations), for tests and benchmarks.\n"
                   "A request changes its own behaviour with a directive in its last user\n"
                   "message, e.g. [mock: tokens=20 ttft=50 delay=5 fault=stream-error after=3],\n"
                   "or headers x-mock-tokens, x-mock-ttft-ms, x-mock-delay-ms, x-mock-fault,\n"
                   "x-mock-fault-after.\n"
                   "Faults: http-500, http-429, stream-error, truncate, hang.\n"
                   "GET /mock/stats counts requests, completions and client disconnects.\n"
                   "--script FILE answers by rules {\"rules\":[{\"match\":TEXT|[TEXT..],\"model\":M,\"reply\":R}]}\n"
                   "(the first rule whose texts all occur in the prompt wins); GET /mock/requests\n"
                   "lists the last 256 requests received (DELETE /mock/requests clears them).",
        .opts = opts, .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (script) {
        fg_errbuf seb;
        fg_errbuf_clear(&seb);
        if (fg__mock_script_load(script, &seb)) {
            fprintf(stderr, "flowgate mock-llm: --script %s\n", seb.msg);
            return 2;
        }
    }
    fg_mock_spec_default(&defaults);
    defaults.tokens = tokens;
    defaults.ttft_ms = ttft;
    defaults.delay_ms = delay;
    fg_http_router *router = fg_http_router_create();
    fg_http_router_add(router, "POST", "/v1/chat/completions", chat, NULL);
    fg_http_router_add(router, "POST", "/chat/completions", chat, NULL);
    fg_http_router_add(router, "POST", "/v1/messages", messages, NULL);
    fg_http_router_add(router, "POST", "/endpoints/{name}/invocations", tgi, NULL);
    fg_http_router_add(router, "POST", "/endpoints/{name}/invocations-response-stream", tgi_stream, NULL);
    fg_http_router_add(router, "GET", "/v1/models", models, NULL);
    fg_http_router_add(router, "GET", "/mock/stats", stats, NULL);
    fg_http_router_add(router, "GET", "/mock/requests", fg__mock_requests_route, NULL);
    fg_http_router_add(router, "DELETE", "/mock/requests", fg__mock_requests_route, NULL);
    fg_config *cfg = NULL;
    fg_llm *llm = bedrock_gateway(&cfg);
    if (!llm) {
        fg_http_router_free(router);
        fg_config_free(cfg);
        return 1;
    }
    fg__llm_surface_bedrock_register(llm, router);
    fg__llm_surface_embeddings_register(llm, router);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    fg_http_server_opts o = {.host = host, .port = (int)port, .workers = (int)workers,
                             .access_log = !quiet, .router = router, .on_worker_start = on_worker_start,
                             .on_worker_stop = on_worker_stop, .ud = llm};
    fg_http_limits_default(&o.limits);
    o.limits.shutdown_grace_ms = 1000;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_http_server *s = NULL;
    if (fg_http_server_start(&o, &s, &eb)) {
        fprintf(stderr, "flowgate mock-llm: %s\n", eb.msg);
        fg_http_router_free(router);
        fg_llm_free(llm);
        fg_config_free(cfg);
        return 1;
    }
    printf("mock-llm listening on http://%s:%d/\n", host, fg_http_server_port(s));
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    fg_http_server_shutdown(s);
    fg_http_server_join(s);
    fg_http_router_free(router);
    fg_llm_free(llm);
    fg_config_free(cfg);
    fg__mock_script_free();
    return 0;
}
