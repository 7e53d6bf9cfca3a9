/* flowgate: one binary, many commands. The table below is generated from every
 * module's commands.def (see cmake/flowgate.cmake). */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
#define FG_COMMAND(name, fn, summary) {name, fn, summary},
#include "fg_commands.inc"
#undef FG_COMMAND
};

static void print_usage(FILE *out)
{
    fprintf(out, "usage: flowgate COMMAND [options]\n\n"
                 "flowgate is a self-hosted GenAI assistant server: an LLM gateway, an Amazon\n"
                 "States Language workflow engine, a knowledge base, accounts and a cache.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'flowgate COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0)
        name = "version";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "flowgate: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return 2;
}
