#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fg_cli_print_help(const fg_cli *cli)
{
    printf("usage: %s\n\n%s\n", cli->usage, cli->summary);
    if (!cli->opts || !cli->opts[0].name) {
        printf("\noptions:\n  --help               show this help\n");
        return;
    }
    printf("\noptions:\n");
    for (const fg_opt *o = cli->opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        printf("  %-20s %s\n", left, o->help);
    }
    printf("  %-20s %s\n", "--help", "show this help");
}

static const fg_opt *find_opt(const fg_cli *cli, const char *name, size_t len)
{
    for (const fg_opt *o = cli->opts; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static int set_value(const fg_opt *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case FG_OPT_STR:
        *(const char **)o->out = v;
        return 0;
    case FG_OPT_INT: {
        long n = strtol(v, &end, 10);
        if (errno || !*v || *end)
            return -1;
        *(long *)o->out = n;
        return 0;
    }
    case FG_OPT_DOUBLE: {
        double d = strtod(v, &end);
        if (errno || !*v || *end)
            return -1;
        *(double *)o->out = d;
        return 0;
    }
    case FG_OPT_FLAG:
        *(bool *)o->out = true;
        return 0;
    }
    return -1;
}

int fg_cli_parse(const fg_cli *cli, int argc, char **argv, int *npos)
{
    int pos = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            argv[1 + pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fg_cli_print_help(cli);
            return FG_CLI_HELP;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const fg_opt *o = find_opt(cli, name, len);
        if (!o) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", argv[0], a);
            return FG_CLI_USAGE;
        }
        const char *val = NULL;
        if (o->kind != FG_OPT_FLAG) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                fprintf(stderr, "%s: option --%s needs a value (%s)\n", argv[0], o->name,
                        o->metavar ? o->metavar : "value");
                return FG_CLI_USAGE;
            }
        }
        if (set_value(o, val) != 0) {
            fprintf(stderr, "%s: bad value '%s' for --%s\n", argv[0], val, o->name);
            return FG_CLI_USAGE;
        }
    }
    if (pos < cli->min_positional || (cli->max_positional >= 0 && pos > cli->max_positional)) {
        fprintf(stderr, "usage: %s\n", cli->usage);
        return FG_CLI_USAGE;
    }
    if (npos)
        *npos = pos;
    return FG_CLI_RUN;
}

static void print_subs(FILE *out, const char *command, const char *about, const fg_cli_sub *subs,
                       size_t n)
{
    fprintf(out, "usage: flowgate %s SUBCOMMAND [options]\n\n", command);
    if (about)
        fprintf(out, "%s\n\n", about);
    fprintf(out, "subcommands:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-13s %s\n", subs[i].name, subs[i].summary);
    fprintf(out, "\nRun 'flowgate %s SUBCOMMAND --help' for its options.\n", command);
}

int fg_cli_dispatch(const char *command, const char *about, const fg_cli_sub *subs, size_t n,
                    int argc, char **argv)
{
    if (argc < 2) {
        print_subs(stderr, command, about, subs, n);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_subs(stdout, command, about, subs, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(subs[i].name, argv[1]) == 0)
            return subs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "flowgate %s: unknown subcommand '%s'\n\n", command, argv[1]);
    print_subs(stderr, command, about, subs, n);
    return 2;
}
