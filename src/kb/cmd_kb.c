/* flowgate kb SUBCOMMAND: dispatches to the knowledge-base subcommands. */
#include "kb/commands.h"

#include <stdio.h>
#include <string.h>

typedef struct sub {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} sub;

static const sub subs[] = {
    {"eval", fg_kb_cmd_eval, "index a BEIR dataset and print nDCG@10 and Recall@100"},
    {"extract", fg_kb_cmd_extract, "print the main content (and metadata) of an HTML file"},
    {"chunk", fg_kb_cmd_chunk, "split a document into chunks at headings and sentences"},
    {"extract-eval", fg_kb_cmd_extract_eval, "measure extraction on a folder of test pages"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: flowgate kb SUBCOMMAND [options]\n\nsubcommands:\n");
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        fprintf(out, "  %-13s %s\n", subs[i].name, subs[i].summary);
    fprintf(out, "\nRun 'flowgate kb SUBCOMMAND --help' for its options.\n");
}

int fg_kb_cmd_kb(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].name, argv[1]) == 0)
            return subs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "flowgate kb: unknown subcommand '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
