/* flowgate serve: the composition root. Loads the configuration, opens the
 * store, builds the gateway and the routes, runs the server until SIGTERM or
 * SIGINT, then shuts down gracefully. */
#include "app/ops_routes.h"
#include "assist/assist.h"
#include "auth/auth.h"
#include "cache/cache.h"
#include "cache/gateway.h"
#include "chat/chat.h"
#include "cli/args.h"
#include "config/config.h"
#include "core/log.h"
#include "flow/flow.h"
#include "http/http.h"
#include "knowledge/knowledge.h"
#include "llm/llm.h"
#include "sfn/sfn.h"
#include "store/store.h"
#include "tasks/llm_tasks.h"
#include "tasks/http_tasks.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fg_app_cmd_serve(int argc, char **argv);

typedef struct app {
    fg_config *cfg;
    fg_store *store;
    fg_llm *llm;
    fg_auth *auth;
    fg_cache *cache;
    fg_cache_gateway *gateway_cache;
    fg_chat *chat;
    fg_knowledge *knowledge;
    fg_flow_registry *tasks; /* task integrations every workflow may call */
    fg_sfn *sfn;             /* the Step Functions service */
    fg_assist *assist;
    fg_tasks_http *http_tasks;
    fg_http_router *router;
    fg_http_server *server;
} app;

static void on_worker_start(fg_http_worker *w, void *ud)
{
    app *a = ud;
    fg_llm_worker_start(a->llm, w);
}

static void on_worker_stop(fg_http_worker *w, void *ud)
{
    app *a = ud;
    fg_sfn_worker_stop(a->sfn, w);
    fg_tasks_http_worker_stop(a->http_tasks, w);
    fg_llm_worker_stop(a->llm, w);
}

static int apply_overrides(fg_config *cfg, long port, const char *data, const char *host)
{
    if (port >= 0) {
        if (port > 65535) {
            fprintf(stderr, "flowgate serve: --port must be between 0 and 65535\n");
            return -1;
        }
        fg_config_set(cfg, "server.port", json_integer(port));
    }
    if (data)
        fg_config_set(cfg, "data_dir", json_string(data));
    if (host)
        fg_config_set(cfg, "server.host", json_string(host));
    return 0;
}

static void server_opts(const fg_config *cfg, app *a, fg_http_server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = fg_config_str(cfg, "server.host");
    o->port = (int)fg_config_int(cfg, "server.port");
    o->workers = (int)fg_config_int(cfg, "server.workers");
    fg_http_limits_default(&o->limits);
    o->limits.max_header_bytes = (size_t)fg_config_int(cfg, "server.max_header_bytes");
    o->limits.max_body_bytes = (size_t)fg_config_int(cfg, "server.max_body_bytes");
    o->limits.request_timeout_ms = (uint64_t)fg_config_int(cfg, "server.request_timeout_ms");
    o->limits.idle_timeout_ms = (uint64_t)fg_config_int(cfg, "server.idle_timeout_ms");
    o->limits.write_buffer_bytes = (size_t)fg_config_int(cfg, "server.write_buffer_bytes");
    o->limits.max_connections = (size_t)fg_config_int(cfg, "server.max_connections");
    o->limits.shutdown_grace_ms = (uint64_t)fg_config_int(cfg, "server.shutdown_grace_ms");
    o->access_log = fg_config_bool(cfg, "log.access");
    o->router = a->router;
    o->on_worker_start = on_worker_start;
    o->on_worker_stop = on_worker_stop;
    o->ud = a;
}

static int open_store(app *a, fg_errbuf *eb)
{
    if (!strcmp(fg_config_str(a->cfg, "store.backend"), "postgres"))
        return fg_failf(eb, FG_EUNSUPPORTED,
                        "store.backend: postgres is not available in this build (SQLite only; "
                        "processes on one machine can share a data folder)");
    const char *dir = fg_config_str(a->cfg, "data_dir");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fg_failf(eb, FG_EIO, "cannot create data folder %s: %s", dir, strerror(errno));
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", dir);
    return fg_store_open(url, &a->store, eb);
}

static void set_blocking_threads(const fg_config *cfg)
{
    char n[16];
    snprintf(n, sizeof n, "%lld", fg_config_int(cfg, "server.blocking_threads"));
    setenv("UV_THREADPOOL_SIZE", n, 0);
}

/* Fills the one task registry that every workflow engine user shares (the
 * Step Functions service, the assistants, `flowgate run`). Order matters where
 * patterns overlap: the first registration of a resource wins. */
static int register_tasks(app *a, fg_errbuf *eb)
{
    a->tasks = fg_flow_registry_create();
    if (!a->tasks)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the task registry");
    /* 1. test doubles from the configuration (assistants.test_retrieve_file)  */
    if (fg_assist_register_test_tasks(a->tasks, a->cfg, eb))
        return FG_EINVAL;
    /* 2. LLM tasks: bedrock:invokeModel, sagemaker:invokeEndpoint, llm:invoke  */
    if (fg_tasks_register_llm(a->tasks, a->llm, a->cfg))
        return fg_failf(eb, FG_ENOMEM, "out of memory registering the LLM tasks");
    /* 3. HTTP tasks: http:invoke, lambda:invoke                               */
    a->http_tasks = fg_tasks_http_create(a->cfg, eb);
    if (!a->http_tasks || fg_tasks_register_http(a->tasks, a->http_tasks))
        return fg_failf(eb, FG_EINVAL, "cannot register the HTTP tasks");
    /* 4. knowledge-base tasks: bedrockagentruntime:retrieve                   */
    if (fg_knowledge_register_tasks(a->tasks, a->knowledge) != 0)
        return fg_failf(eb, FG_ENOMEM, "out of memory registering the knowledge tasks");
    /* 5. Step Functions tasks: states:startExecution and activities          */
    return fg_sfn_create(a->cfg, a->store, a->auth, a->tasks, &a->sfn, eb);
}

static int wait_for_signal(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

static int run(app *a)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int level = fg_log_level_from_name(fg_config_str(a->cfg, "log.level"));
    fg_log_set_level(level < 0 ? FG_LOG_INFO : (fg_log_level)level);
    set_blocking_threads(a->cfg);
    if (open_store(a, &eb) || fg_auth_create(a->cfg, a->store, &a->auth, &eb) ||
        fg_llm_create(a->cfg, a->store, &a->llm, &eb) ||
        fg_cache_open_configured(a->cfg, a->store, &a->cache, &eb) ||
        fg_knowledge_create(a->cfg, a->store, a->llm, a->auth, &a->knowledge, &eb)) {
        fprintf(stderr, "flowgate serve: %s\n", eb.msg);
        return 1;
    }
    if (register_tasks(a, &eb)) {
        fprintf(stderr, "flowgate serve: %s\n", eb.msg);
        return 1;
    }
    fg_llm_set_auth(a->llm, a->auth);
    a->router = fg_http_router_create();
    fg_app_register_ops_routes(a->router);
    fg_auth_register_routes(a->auth, a->router);
    fg_llm_register_routes(a->llm, a->router);
    a->gateway_cache = fg_cache_gateway_create(a->cfg, a->cache);
    fg_cache_gateway_attach(a->gateway_cache, a->llm);
    a->chat = fg_chat_create(a->cfg, a->llm, a->auth, a->store, a->cache);
    fg_chat_register_routes(a->chat, a->router);
    fg_knowledge_register_routes(a->knowledge, a->router);
    fg_sfn_register_routes(a->sfn, a->router);
    if (fg_assist_create(a->cfg, a->llm, a->auth, a->tasks, &a->assist, &eb)) {
        fprintf(stderr, "flowgate serve: %s\n", eb.msg);
        return 1;
    }
    fg_assist_register_routes(a->assist, a->router);
    /* Workers inherit a mask with SIGTERM/SIGINT blocked; this thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (fg_knowledge_start(a->knowledge, &eb)) {
        fprintf(stderr, "flowgate serve: %s\n", eb.msg);
        return 1;
    }
    fg_http_server_opts o;
    server_opts(a->cfg, a, &o);
    if (fg_http_server_start(&o, &a->server, &eb)) {
        fprintf(stderr, "flowgate serve: %s\n", eb.msg);
        return 1;
    }
    if (fg_sfn_start(a->sfn, a->server, &eb))
        fg_log(FG_LOG_ERROR, NULL, "workflow executions were not resumed: %s", eb.msg);
    fg_log(FG_LOG_INFO, NULL, "flowgate listening on http://%s:%d/ (data in %s, config %s)",
           o.host, fg_http_server_port(a->server), fg_config_str(a->cfg, "data_dir"),
           fg_config_source(a->cfg));
    int sig = wait_for_signal();
    fg_log(FG_LOG_INFO, NULL, "received %s: finishing in-flight requests (up to %lld ms)",
           sig == SIGTERM ? "SIGTERM" : "SIGINT", fg_config_int(a->cfg, "server.shutdown_grace_ms"));
    fg_http_server_shutdown(a->server);
    fg_sfn_stop(a->sfn);
    fg_http_server_join(a->server);
    fg_log(FG_LOG_INFO, NULL, "flowgate stopped");
    return 0;
}

int fg_app_cmd_serve(int argc, char **argv)
{
    const char *config = NULL, *data = NULL, *host = NULL;
    long port = -1;
    const fg_opt opts[] = {
        {"config", FG_OPT_STR, &config, "FILE", "configuration file (YAML); default: built-in defaults"},
        {"port", FG_OPT_INT, &port, "N", "TCP port (default 8080; 0 picks a free port)"},
        {"host", FG_OPT_STR, &host, "ADDR", "address to listen on (default 127.0.0.1)"},
        {"data", FG_OPT_STR, &data, "DIR", "data folder (default ./flowgate-data)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate serve [--config FILE] [--port N] [--data DIR]",
        .summary = "Runs the flowgate server: the LLM gateway, workflows, knowledge bases and\n"
                   "the web UI on one port. With no configuration file it starts on safe\n"
                   "defaults: 127.0.0.1:8080, data in ./flowgate-data. SIGTERM or Ctrl-C stops\n"
                   "it gracefully.",
        .opts = opts, .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    app a = {0};
    fg_buf problems;
    fg_buf_init(&problems, 1 << 20);
    if (fg_config_load(config, &a.cfg, &problems)) {
        fputs(problems.data ? problems.data : "", stderr);
        fg_buf_free(&problems);
        return 1;
    }
    fg_buf_free(&problems);
    if (apply_overrides(a.cfg, port, data, host) != 0) {
        fg_config_free(a.cfg);
        return 2;
    }
    rc = run(&a);
    fg_http_router_free(a.router);
    fg_sfn_free(a.sfn);
    fg_chat_free(a.chat);
    fg_assist_free(a.assist);
    fg_knowledge_free(a.knowledge);
    fg_cache_gateway_free(a.gateway_cache);
    fg_cache_free(a.cache);
    fg_flow_registry_free(a.tasks);
    fg_tasks_http_free(a.http_tasks);
    fg_llm_free(a.llm);
    fg_auth_free(a.auth);
    fg_store_close(a.store);
    fg_config_free(a.cfg);
    return rc;
}
