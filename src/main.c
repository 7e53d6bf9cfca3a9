/* flowgate: one binary, many commands. The table below is generated from every
 * module's commands.def (see cmake/flowgate.cmake). */
#include "cli/commands.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
#define FG_COMMAND(name, fn, summary) {name, fn, summary},
#define FG_SUBCOMMAND(command, sub, fn, summary)
#include "fg_commands.inc"
#undef FG_COMMAND
#undef FG_SUBCOMMAND
};

typedef struct subcommand {
    const char *command, *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
#define FG_COMMAND(name, fn, summary)
#define FG_SUBCOMMAND(command, sub, fn, summary) {command, sub, fn, summary},
#include "fg_commands.inc"
#undef FG_COMMAND
#undef FG_SUBCOMMAND
    {NULL, NULL, NULL, NULL},
};

static bool has_subcommands(const char *cmd)
{
    for (const subcommand *s = subcommands; s->command; s++)
        if (strcmp(s->command, cmd) == 0)
            return true;
    return false;
}

static void print_subcommands(FILE *out, const char *cmd)
{
    fprintf(out, "usage: flowgate %s SUBCOMMAND [options]\n\nsubcommands:\n", cmd);
    for (const subcommand *s = subcommands; s->command; s++)
        if (strcmp(s->command, cmd) == 0)
            fprintf(out, "  %-12s %s\n", s->name, s->summary);
    fprintf(out, "\nRun 'flowgate %s SUBCOMMAND --help' for its options.\n", cmd);
}

/* Shared commands: their subcommands come from several modules. */
static int dispatch_shared(const char *cmd, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_subcommands(argc < 2 ? stderr : stdout, cmd);
        return argc < 2 ? 2 : 0;
    }
    for (const subcommand *s = subcommands; s->command; s++)
        if (strcmp(s->command, cmd) == 0 && strcmp(s->name, argv[1]) == 0)
            return s->fn(argc, argv);
    fprintf(stderr, "flowgate %s: unknown subcommand '%s'\n\n", cmd, argv[1]);
    print_subcommands(stderr, cmd);
    return 2;
}

static bool has_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return true;
    return false;
}

static void print_usage(FILE *out)
{
    fprintf(out, "usage: flowgate COMMAND [options]\n\n"
                 "flowgate is a self-hosted GenAI assistant server: an LLM gateway, an Amazon\n"
                 "States Language workflow engine, a knowledge base, accounts and a cache.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    /* Shared commands, each once, with the names of their subcommands. */
    for (const subcommand *s = subcommands; s->command; s++) {
        bool first = true;
        for (const subcommand *t = subcommands; t < s; t++)
            first = first && strcmp(t->command, s->command) != 0;
        if (!first || has_command(s->command))
            continue;
        fprintf(out, "  %-18s", s->command);
        const char *sep = " subcommands: ";
        for (const subcommand *t = s; t->command; t++)
            if (strcmp(t->command, s->command) == 0) {
                fprintf(out, "%s%s", sep, t->name);
                sep = ", ";
            }
        fputc('\n', out);
    }
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
    if (has_subcommands(name))
        return dispatch_shared(name, argc - 1, argv + 1);
    fprintf(stderr, "flowgate: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return 2;
}
