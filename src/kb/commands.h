/* The kb command and its subcommands. */
#ifndef FG_KB_COMMANDS_H
#define FG_KB_COMMANDS_H

int fg_kb_cmd_kb(int argc, char **argv);
int fg_kb_cmd_eval(int argc, char **argv);
int fg_kb_cmd_extract(int argc, char **argv);
int fg_kb_cmd_extract_eval(int argc, char **argv);
int fg_kb_cmd_chunk(int argc, char **argv);

#endif
