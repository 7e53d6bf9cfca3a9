/* The fetch module's CLI commands (listed in commands.def). */
#ifndef FG_FETCH_COMMANDS_H
#define FG_FETCH_COMMANDS_H

int fg_fetch_cmd_crawl(int argc, char **argv);

#endif
