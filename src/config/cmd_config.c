/* flowgate config check|show|docs */
#include "cli/args.h"
#include "config/config.h"
#include "core/json.h"

#include <stdio.h>

int fg_config_cmd(int argc, char **argv);

static int config_check(int argc, char **argv)
{
    static const fg_cli cli = {
        .usage = "flowgate config check FILE",
        .summary = "Checks a configuration file against every key flowgate knows and prints\n"
                   "each problem as FILE:LINE: message. Exit status 0 when the file is good.",
        .min_positional = 1, .max_positional = 1,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    fg_buf problems;
    fg_buf_init(&problems, 1 << 20);
    fg_config *c = NULL;
    rc = fg_config_load(argv[1], &c, &problems);
    if (rc) {
        fputs(problems.data ? problems.data : "", stderr);
    } else {
        printf("%s: ok\n", argv[1]);
    }
    fg_config_free(c);
    fg_buf_free(&problems);
    return rc ? 1 : 0;
}

static int config_show(int argc, char **argv)
{
    static const fg_cli cli = {
        .usage = "flowgate config show [FILE]",
        .summary = "Prints the effective configuration (the file with every default filled\n"
                   "in) as JSON, with secrets replaced by \"***\".",
        .max_positional = 1,
    };
    int npos = 0;
    int rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    fg_buf problems;
    fg_buf_init(&problems, 1 << 20);
    fg_config *c = NULL;
    if (fg_config_load(npos ? argv[1] : NULL, &c, &problems)) {
        fputs(problems.data ? problems.data : "", stderr);
        fg_buf_free(&problems);
        return 1;
    }
    json_t *shown = fg_config_redacted(c);
    json_dumpf(shown, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(shown);
    fg_config_free(c);
    fg_buf_free(&problems);
    return 0;
}

static int config_docs(int argc, char **argv)
{
    static const fg_cli cli = {
        .usage = "flowgate config docs",
        .summary = "Prints docs/configuration.md, generated from the configuration table.",
        .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    fg_buf out;
    fg_buf_init(&out, 0);
    fg_config_docs(&out);
    fwrite(out.data, 1, out.len, stdout);
    fg_buf_free(&out);
    return 0;
}

int fg_config_cmd(int argc, char **argv)
{
    static const fg_cli_sub subs[] = {
        {"check", config_check, "report every problem in a configuration file as FILE:LINE"},
        {"show", config_show, "print the effective configuration, secrets hidden"},
        {"docs", config_docs, "print the reference of every key (docs/configuration.md)"},
    };
    return fg_cli_dispatch("config", NULL, subs, sizeof subs / sizeof subs[0], argc, argv);
}
