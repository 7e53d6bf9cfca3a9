/* Command-line options for every flowgate command: one table per command gives
 * the options, their types and help, and --help is printed from it. */
#ifndef FG_CLI_ARGS_H
#define FG_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum fg_opt_kind {
    FG_OPT_FLAG,   /* bool*, no value */
    FG_OPT_STR,    /* const char**   */
    FG_OPT_INT,    /* long*          */
    FG_OPT_DOUBLE  /* double*        */
} fg_opt_kind;

typedef struct fg_opt {
    const char *name;    /* long name without dashes: "port" */
    fg_opt_kind kind;
    void *out;
    const char *metavar; /* "N", "FILE"; NULL for flags */
    const char *help;
} fg_opt;

typedef struct fg_cli {
    const char *usage;   /* "flowgate serve [--config FILE] ..." */
    const char *summary; /* one or more lines of description */
    const fg_opt *opts;  /* terminated by {NULL} */
    int min_positional, max_positional; /* max -1: unlimited */
} fg_cli;

enum { FG_CLI_RUN = 0, FG_CLI_HELP = 1, FG_CLI_USAGE = 2 };

/* Parses argv[1..argc) (argv[0] is the command name). Positional arguments are
 * compacted to the front of argv+1 and counted in *npos. Returns FG_CLI_RUN,
 * FG_CLI_HELP (help printed on stdout) or FG_CLI_USAGE (error on stderr). */
int fg_cli_parse(const fg_cli *cli, int argc, char **argv, int *npos);
void fg_cli_print_help(const fg_cli *cli);

/* A command made of subcommands ("kb eval", "model pull"): a table of them. */
typedef struct fg_cli_sub {
    const char *name;
    int (*fn)(int argc, char **argv); /* gets argv from the subcommand on */
    const char *summary;
} fg_cli_sub;

/* Runs subcommand argv[1] of command; prints the list of subcommands (about
 * first, when given) for --help, a missing or an unknown one. Returns the
 * subcommand's exit status, 0 for --help, 2 for a usage error. */
int fg_cli_dispatch(const char *command, const char *about, const fg_cli_sub *subs, size_t n,
                    int argc, char **argv);

/* The exit status a command returns after fg_cli_parse said it should not run. */
#define FG_CLI_EXIT(rc) ((rc) == FG_CLI_HELP ? 0 : 2)

#endif
