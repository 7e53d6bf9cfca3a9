/* Declarations of every command function, from the generated table. */
#ifndef FG_CLI_COMMANDS_H
#define FG_CLI_COMMANDS_H

#define FG_VERSION "0.1.0"

/* FG_SUBCOMMAND(command, sub, fn, summary): a module's part of a command that
 * several modules share (e.g. `conformance asl`, `conformance jsonata`). fn
 * gets the whole argv: argv[0] is the command, argv[1] the subcommand. */
#define FG_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#define FG_SUBCOMMAND(command, sub, fn, summary) int fn(int argc, char **argv);
#include "fg_commands.inc"
#undef FG_COMMAND
#undef FG_SUBCOMMAND

#endif
