/* flowgate kb extract: placeholder until the extractor lands. */
#include "kb/commands.h"

#include <stdio.h>

int fg_kb_cmd_extract(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kb extract: not built yet\n");
    return 1;
}
