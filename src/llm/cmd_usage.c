/* flowgate usage: the recorded usage of the gateway, newest first. */
#include "cli/args.h"
#include "core/clock.h"
#include "core/json.h"
#include "store/store.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>

int fg_llm_cmd_usage(int argc, char **argv);

int fg_llm_cmd_usage(int argc, char **argv)
{
    const char *data = "./flowgate-data";
    long limit = 20;
    bool as_json = false;
    const fg_opt opts[] = {
        {"data", FG_OPT_STR, &data, "DIR", "data folder (default ./flowgate-data)"},
        {"limit", FG_OPT_INT, &limit, "N", "rows to show (default 20)"},
        {"json", FG_OPT_FLAG, &as_json, NULL, "print JSON lines"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate usage [--data DIR] [--limit N] [--json]",
        .summary = "Lists the usage records of gateway requests, newest first: route, model,\n"
                   "deployment, status, outcome (ok, error, cancelled), input and output tokens,\n"
                   "time to first token, total and upstream time, and cost.",
        .opts = opts, .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    char url[PATH_MAX + 32];
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", data);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *store = NULL;
    json_t *rows = NULL;
    fg_sval lim = FG_SINT(limit);
    if (fg_store_open(url, &store, &eb) ||
        fg_store_query_json(store, "SELECT * FROM usage_records ORDER BY created_ms DESC, rowid DESC LIMIT $1",
                            &lim, 1, &rows, &eb)) {
        fprintf(stderr, "flowgate usage: %s\n", eb.msg);
        fg_store_close(store);
        return 1;
    }
    size_t i;
    json_t *r;
    if (!as_json)
        printf("%-24s %-22s %-6s %-9s %8s %8s %9s %9s %10s\n", "time", "model", "status", "outcome", "in", "out",
               "ttft_ms", "total_ms", "cost");
    json_array_foreach(rows, i, r) {
        if (as_json) {
            char *line = fg_json_dumps(r);
            puts(line);
            free(line);
            continue;
        }
        char ts[40];
        fg_clock_format_iso8601(fg_json_int(r, "created_ms", 0), ts, sizeof ts);
        printf("%-24s %-22.22s %-6lld %-9s %8lld %8lld %9.1f %9.1f %10.6f\n", ts, fg_json_str(r, "model", ""),
               (long long)fg_json_int(r, "status", 0), fg_json_str(r, "outcome", ""),
               (long long)fg_json_int(r, "input_tokens", 0), (long long)fg_json_int(r, "output_tokens", 0),
               fg_json_num(r, "ttft_ms", 0), fg_json_num(r, "total_ms", 0), fg_json_num(r, "cost", 0));
    }
    json_decref(rows);
    fg_store_close(store);
    return 0;
}
