/* The HTTP tasks as flowgate serve runs them: an execution stepped by the sfn
 * runner on an HTTP worker's loop, the task's work on that loop, and a
 * function's process killed when its execution ends. */
#include "config/config.h"
#include "fg_test.h"
#include "flow/flow.h"
#include "http/http.h"
#include "sfn/runner.h"
#include "tasks/http_tasks.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

typedef struct ctx {
    const char *def_fmt;
    fg_config *cfg;
    fg_tasks_http *tasks;
    fg_flow_registry *reg;
    fg_flow_machine *m;
    uv_timer_t poll;
    fg_http_worker *w;
    volatile int port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started, done;
    char status[32], error[128];
    char *output;
} ctx;

static void hello(fg_http_req *req, void *ud)
{
    fg_http_respond(req, 200, "application/json", "{\"hi\":1}", 8);
}

static void run_done(fg_sfn_run *run, fg_flow_exec *e, void *ud)
{
    ctx *c = ud;
    pthread_mutex_lock(&c->mu);
    snprintf(c->status, sizeof c->status, "%s", fg_flow_status_name(fg_flow_exec_status(e)));
    snprintf(c->error, sizeof c->error, "%s", fg_flow_exec_error(e) ? fg_flow_exec_error(e) : "");
    c->output = fg_flow_exec_output(e) ? json_dumps(fg_flow_exec_output(e), JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits on the worker's loop for the port, then compiles and starts the run. */
static void start_when_ready(uv_timer_t *t)
{
    ctx *c = t->data;
    if (!c->port)
        return;
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    char def[4096];
    const char *at = strstr(c->def_fmt, "PORT");
    if (at)
        snprintf(def, sizeof def, "%.*s%d%s", (int)(at - c->def_fmt), c->def_fmt, c->port, at + 4);
    else
        snprintf(def, sizeof def, "%s", c->def_fmt);
    json_t *j = json_loads(def, 0, NULL);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    c->m = fg_flow_machine_create(j, c->reg, NULL, &eb);
    json_decref(j);
    json_t *in = json_object();
    if (!c->m || fg_sfn_run_start(c->w, c->m, in, NULL, run_done, c, NULL, &eb)) {
        fprintf(stderr, "  cannot start: %s\n", eb.msg);
        run_done(NULL, NULL, c);
    }
    json_decref(in);
}

static void on_start(fg_http_worker *w, void *ud)
{
    ctx *c = ud;
    if (c->started)
        return;
    c->started = true;
    c->w = w;
    uv_timer_init(fg_http_worker_loop(w), &c->poll);
    c->poll.data = c;
    uv_timer_start(&c->poll, start_when_ready, 1, 5);
}

static void on_stop(fg_http_worker *w, void *ud)
{
    fg_tasks_http_worker_stop(((ctx *)ud)->tasks, w);
}

/* Runs def_fmt (PORT replaced by the server's port) on a one-worker server. */
static bool run_on_worker(ctx *c, const char *config_yaml, const char *def_fmt)
{
    c->def_fmt = def_fmt;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (fg_config_load_text("test.yaml", config_yaml, strlen(config_yaml), &c->cfg, NULL))
        return false;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    c->tasks = fg_tasks_http_create(c->cfg, &eb);
    c->reg = fg_flow_registry_create();
    if (!c->tasks || fg_tasks_register_http(c->reg, c->tasks))
        return false;
    fg_http_router *router = fg_http_router_create();
    fg_http_router_add(router, "GET", "/hello", hello, NULL);
    fg_http_server_opts o = {.host = "127.0.0.1", .port = 0, .workers = 1, .router = router,
                             .on_worker_start = on_start, .on_worker_stop = on_stop, .ud = c};
    fg_http_limits_default(&o.limits);
    fg_http_server *s = NULL;
    if (fg_http_server_start(&o, &s, &eb))
        return false;
    c->port = fg_http_server_port(s);
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
    fg_tasks_http_free(c->tasks);
    fg_config_free(c->cfg);
    free(c->output);
}

FG_TEST(http_invoke_runs_on_the_worker_loop)
{
    ctx c = {0};
    const char *def = "{\"StartAt\":\"H\",\"States\":{\"H\":{\"Type\":\"Task\","
                      "\"Resource\":\"arn:aws:states:::http:invoke\",\"Parameters\":{"
                      "\"ApiEndpoint\":\"http://127.0.0.1:PORT/hello\",\"Method\":\"GET\"},"
                      "\"ResultSelector\":{\"b.$\":\"$.ResponseBody\",\"s.$\":\"$.StatusCode\"},"
                      "\"End\":true}}}";
    FG_REQUIRE(run_on_worker(&c, "fetch:\n  allow_loopback: true\n", def));
    FG_CHECK_STR(c.status, "SUCCEEDED");
    FG_CHECK_STR(c.output, "{\"b\":{\"hi\":1},\"s\":200}");
    ctx_free(&c);
}

FG_TEST(http_invoke_refuses_loopback_by_default)
{
    ctx c = {0};
    const char *def = "{\"StartAt\":\"H\",\"States\":{\"H\":{\"Type\":\"Task\","
                      "\"Resource\":\"arn:aws:states:::http:invoke\",\"Parameters\":{"
                      "\"ApiEndpoint\":\"http://localhost:PORT/hello\",\"Method\":\"GET\"},\"End\":true}}}";
    FG_REQUIRE(run_on_worker(&c, "log:\n  level: error\n", def));
    FG_CHECK_STR(c.status, "FAILED");
    FG_CHECK_STR(c.error, "States.Http.Socket");
    ctx_free(&c);
}

static bool process_gone(pid_t pid, int seconds)
{
    for (int i = 0; i < seconds * 20; i++) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return true;
        usleep(50000);
    }
    return false;
}

FG_TEST(a_function_is_killed_when_its_task_times_out)
{
    char dir[] = "/tmp/fg-tasks-XXXXXX";
    FG_REQUIRE(mkdtemp(dir));
    char script[256], pidfile[256], yaml[1024];
    snprintf(script, sizeof script, "%s/slow.sh", dir);
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    FILE *f = fopen(script, "w");
    FG_REQUIRE(f);
    fprintf(f, "#!/bin/sh\necho $$ > %s\nexec sleep 60\n", pidfile);
    fclose(f);
    chmod(script, 0755);
    snprintf(yaml, sizeof yaml, "functions:\n  - name: slow\n    command: [%s]\n    timeout_ms: 600000\n",
             script);
    ctx c = {0};
    const char *def = "{\"StartAt\":\"L\",\"States\":{\"L\":{\"Type\":\"Task\","
                      "\"Resource\":\"arn:aws:states:::lambda:invoke\",\"TimeoutSeconds\":1,"
                      "\"Parameters\":{\"FunctionName\":\"slow\"},\"End\":true}}}";
    FG_REQUIRE(run_on_worker(&c, yaml, def));
    FG_CHECK_STR(c.status, "FAILED");
    FG_CHECK_STR(c.error, "States.Timeout");
    f = fopen(pidfile, "r");
    FG_REQUIRE(f);
    int pid = 0;
    FG_CHECK(fscanf(f, "%d", &pid) == 1);
    fclose(f);
    FG_CHECK(pid > 0 && process_gone(pid, 10));
    unlink(pidfile);
    unlink(script);
    rmdir(dir);
    ctx_free(&c);
}
