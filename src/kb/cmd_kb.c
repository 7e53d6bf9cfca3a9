/* flowgate kb SUBCOMMAND: dispatches to the knowledge-base subcommands. */
#include "cli/args.h"
#include "kb/commands.h"
#include "knowledge/commands.h"


static const fg_cli_sub subs[] = {
    {"eval", fg_kb_cmd_eval, "index a BEIR dataset and print nDCG@10 and Recall@100"},
    {"extract", fg_kb_cmd_extract, "print the main content (and metadata) of an HTML file"},
    {"chunk", fg_kb_cmd_chunk, "split a document into chunks at headings and sentences"},
    {"extract-eval", fg_kb_cmd_extract_eval, "measure extraction on a folder of test pages"},
    {"create", fg_knowledge_cmd_create, "create a knowledge base in the data folder's store"},
    {"list", fg_knowledge_cmd_list, "list the knowledge bases"},
    {"ingest", fg_knowledge_cmd_ingest, "ingest files, folders, URLs or a crawl into a base"},
    {"search", fg_knowledge_cmd_search, "search a knowledge base"},
    {"documents", fg_knowledge_cmd_documents, "list a base's documents and their status"},
    {"delete", fg_knowledge_cmd_delete, "delete a knowledge base or one of its documents"},
};

int fg_kb_cmd_kb(int argc, char **argv)
{
    return fg_cli_dispatch("kb", NULL, subs, sizeof subs / sizeof subs[0], argc, argv);
}
