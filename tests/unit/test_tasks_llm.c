/* The LLM task integrations as flowgate serve runs them: an execution stepped
 * by the sfn runner on an HTTP worker's loop, each task a gateway call to the
 * in-process mock model, completed from the call's callbacks. */
#include "config/config.h"
#include "fg_test.h"
#include "flow/flow.h"
#include "http/http.h"
#include "llm/llm.h"
#include "sfn/runner.h"
#include "tasks/llm_tasks.h"

#include <jansson.h>
#include <pthread.h>
#include <time.h>

static const char config_yaml[] = "log:\n  level: error\n"
                                  "providers:\n  - { name: m, type: mock }\n"
                                  "models:\n  - { name: \"*\", deployments: [{ provider: m }] }\n";

typedef struct ctx {
    const char *def;
    fg_config *cfg;
    fg_llm *llm;
    fg_flow_registry *reg;
    fg_flow_machine *m;
    uv_timer_t kick;
    fg_http_worker *w;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, done;
    char status[32], error[128], cause[256];
    json_t *output;
} ctx;

static void run_done(fg_sfn_run *run, fg_flow_exec *e, void *ud)
{
    ctx *c = ud;
    pthread_mutex_lock(&c->mu);
    if (e) {
        snprintf(c->status, sizeof c->status, "%s", fg_flow_status_name(fg_flow_exec_status(e)));
        snprintf(c->error, sizeof c->error, "%s", fg_flow_exec_error(e) ? fg_flow_exec_error(e) : "");
        snprintf(c->cause, sizeof c->cause, "%s", fg_flow_exec_cause(e) ? fg_flow_exec_cause(e) : "");
        c->output = fg_flow_exec_output(e) ? json_deep_copy(fg_flow_exec_output(e)) : NULL;
    }
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void start_run(uv_timer_t *t)
{
    ctx *c = t->data;
    uv_close((uv_handle_t *)t, NULL);
    json_t *j = json_loads(c->def, 0, NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    c->m = fg_flow_machine_create(j, c->reg, NULL, &eb);
    json_decref(j);
    json_t *in = json_object();
    fg_flow_exec_opts o = {.express = true, .account_id = "acct-1"};
    if (!c->m || fg_sfn_run_start(c->w, c->m, in, &o, run_done, c, NULL, &eb)) {
        fprintf(stderr, "  cannot start: %s\n", eb.msg);
        run_done(NULL, NULL, c);
    }
    json_decref(in);
}

static void on_start(fg_http_worker *w, void *ud)
{
    ctx *c = ud;
    fg_llm_worker_start(c->llm, w);
    if (c->started)
        return;
    c->started = true;
    c->w = w;
    uv_timer_init(fg_http_worker_loop(w), &c->kick);
    c->kick.data = c;
    uv_timer_start(&c->kick, start_run, 1, 0);
}

static void on_stop(fg_http_worker *w, void *ud)
{
    fg_llm_worker_stop(((ctx *)ud)->llm, w);
}

/* Runs def on a one-worker server; false when it did not end within 20 s. */
static bool run_on_worker(ctx *c, const char *def)
{
    c->def = def;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_config_load_text("test.yaml", config_yaml, strlen(config_yaml), &c->cfg, NULL) ||
        fg_llm_create(c->cfg, NULL, &c->llm, &eb))
        return false;
    c->reg = fg_flow_registry_create();
    if (fg_tasks_register_llm(c->reg, c->llm, c->cfg))
        return false;
    fg_http_router *router = fg_http_router_create();
    fg_http_server_opts o = {.host = "127.0.0.1", .port = 0, .workers = 1, .router = router,
                             .on_worker_start = on_start, .on_worker_stop = on_stop, .ud = c};
    fg_http_limits_default(&o.limits);
    fg_http_server *s = NULL;
    if (fg_http_server_start(&o, &s, &eb))
        return false;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&c->mu);
    while (!c->done && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
        ;
    bool done = c->done;
    pthread_mutex_unlock(&c->mu);
    fg_http_server_shutdown(s);
    fg_http_server_join(s);
    fg_http_router_free(router);
    return done;
}

static void ctx_free(ctx *c)
{
    fg_flow_machine_free(c->m);
    fg_flow_registry_free(c->reg);
    fg_llm_free(c->llm);
    fg_config_free(c->cfg);
    json_decref(c->output);
}

#define TASK(resource, params) \
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\",\"Resource\":\"" resource "\"," \
    "\"Parameters\":" params ",\"End\":true}}}"

FG_TEST(invoke_model_titan_answers_in_titan_shape)
{
    ctx c = {0};
    FG_REQUIRE(run_on_worker(&c, TASK("arn:aws:states:::bedrock:invokeModel",
                                      "{\"ModelId\":\"amazon.titan-text-express-v1\",\"Body\":{\"inputText\":"
                                      "\"hi [mock-reply]titan says hi[/mock-reply]\"}}")));
    FG_CHECK_STR(c.status, "SUCCEEDED");
    json_t *r0 = json_array_get(json_object_get(json_object_get(c.output, "Body"), "results"), 0);
    FG_CHECK_STR(json_string_value(json_object_get(r0, "outputText")), "titan says hi");
    FG_CHECK_STR(json_string_value(json_object_get(c.output, "ContentType")), "application/json");
    ctx_free(&c);
}

FG_TEST(invoke_model_anthropic_by_arn_reports_the_model_id)
{
    ctx c = {0};
    FG_REQUIRE(run_on_worker(&c, TASK("arn:aws:states:::bedrock:invokeModel",
                                      "{\"ModelId\":\"arn:aws:bedrock:us-east-1::foundation-model/"
                                      "anthropic.claude-3-haiku-20240307-v1:0\",\"Body\":{\"anthropic_version\":"
                                      "\"bedrock-2023-05-31\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\","
                                      "\"content\":\"[mock-reply]keywords here[/mock-reply]\"}]}}")));
    FG_CHECK_STR(c.status, "SUCCEEDED");
    json_t *body = json_object_get(c.output, "Body");
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(body, "content"), 0), "text")),
                 "keywords here");
    FG_CHECK_STR(json_string_value(json_object_get(body, "model")), "anthropic.claude-3-haiku-20240307-v1:0");
    FG_CHECK(json_integer_value(json_object_get(json_object_get(body, "usage"), "output_tokens")) == 2);
    ctx_free(&c);
}

FG_TEST(invoke_endpoint_answers_a_tgi_body_string)
{
    ctx c = {0};
    FG_REQUIRE(run_on_worker(&c, TASK("arn:aws:states:::sagemaker:invokeEndpoint",
                                      "{\"EndpointName\":\"tgi\",\"Body\":{\"inputs\":\"[mock-reply]a story"
                                      "[/mock-reply]\",\"parameters\":{\"max_new_tokens\":30}}}")));
    FG_CHECK_STR(c.status, "SUCCEEDED");
    FG_CHECK_STR(json_string_value(json_object_get(c.output, "Body")), "[{\"generated_text\":\"a story\"}]");
    ctx_free(&c);
}

FG_TEST(llm_invoke_answers_a_chat_completion)
{
    ctx c = {0};
    FG_REQUIRE(run_on_worker(&c, TASK("arn:flowgate:states:::llm:invoke",
                                      "{\"model\":\"any\",\"messages\":[{\"role\":\"user\",\"content\":"
                                      "\"[mock-reply]plain answer[/mock-reply]\"}]}")));
    FG_CHECK_STR(c.status, "SUCCEEDED");
    json_t *msg = json_object_get(json_array_get(json_object_get(c.output, "choices"), 0), "message");
    FG_CHECK_STR(json_string_value(json_object_get(msg, "content")), "plain answer");
    FG_CHECK(json_integer_value(json_object_get(json_object_get(c.output, "usage"), "total_tokens")) > 0);
    ctx_free(&c);
}

FG_TEST(bad_parameters_fail_with_the_service_error)
{
    ctx c = {0};
    FG_REQUIRE(run_on_worker(&c, TASK("arn:aws:states:::bedrock:invokeModel", "{\"Body\":{}}")));
    FG_CHECK_STR(c.status, "FAILED");
    FG_CHECK_STR(c.error, "Bedrock.ValidationException");
    ctx_free(&c);
    ctx d = {0};
    FG_REQUIRE(run_on_worker(&d, TASK("arn:aws:states:::sagemaker:invokeEndpoint", "{\"EndpointName\":\"x\"}")));
    FG_CHECK_STR(d.error, "SageMaker.ValidationException");
    ctx_free(&d);
    ctx e = {0};
    FG_REQUIRE(run_on_worker(&e, TASK("arn:flowgate:states:::llm:invoke",
                                      "{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}")));
    FG_CHECK_STR(e.error, "Flowgate.LLM.ValidationException");
    FG_CHECK(strstr(e.cause, "messages[0]") != NULL);
    ctx_free(&e);
}

FG_TEST(a_task_timeout_aborts_the_model_call)
{
    ctx c = {0};
    time_t t0 = time(NULL);
    FG_REQUIRE(run_on_worker(&c, "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                                 "\"Resource\":\"arn:flowgate:states:::llm:invoke\",\"TimeoutSeconds\":1,"
                                 "\"Parameters\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                                 "\"[mock: ttft=8000]\"}]},\"End\":true}}}"));
    FG_CHECK_STR(c.status, "FAILED");
    FG_CHECK_STR(c.error, "States.Timeout");
    FG_CHECK(time(NULL) - t0 < 5);
    ctx_free(&c);
}
