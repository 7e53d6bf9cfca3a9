/* Declarations of every command function, from the generated table. */
#ifndef FG_CLI_COMMANDS_H
#define FG_CLI_COMMANDS_H

#define FG_VERSION "0.1.0"

#define FG_COMMAND(name, fn, summary) int fn(int argc, char **argv);
#include "fg_commands.inc"
#undef FG_COMMAND

#endif
