/* flowgate kb chunk FILE: the chunks a document would be indexed as. */
#include "cli/args.h"
#include "core/json.h"
#include "kb/chunk.h"
#include "kb/commands.h"
#include "kb/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_html(const char *path, const char *data)
{
    const char *dot = strrchr(path, '.');
    if (dot && (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0))
        return true;
    while (*data == ' ' || *data == '\n' || *data == '\r' || *data == '\t')
        data++;
    return strncasecmp(data, "<!doctype html", 14) == 0 || strncasecmp(data, "<html", 5) == 0;
}

static void print_chunks(const fg_kb_chunks *c, bool as_json)
{
    json_t *arr = as_json ? json_array() : NULL;
    for (size_t i = 0; i < c->n; i++) {
        const fg_kb_chunk *k = &c->items[i];
        if (!as_json) {
            printf("--- chunk %zu (%zu tokens, blocks %zu-%zu) %s\n%s\n", k->index, k->tokens,
                   k->first_block, k->last_block, k->heading_path, k->text);
            continue;
        }
        json_array_append_new(arr, json_pack("{s:s, s:s?, s:s, s:I, s:I, s:I, s:I, s:s}",
            "source", c->source, "title", c->title, "headingPath", k->heading_path,
            "index", (json_int_t)k->index, "firstBlock", (json_int_t)k->first_block,
            "lastBlock", (json_int_t)k->last_block, "tokens", (json_int_t)k->tokens, "text", k->text));
    }
    if (as_json) {
        char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "[]");
        free(s);
        json_decref(arr);
    }
}

int fg_kb_cmd_chunk(int argc, char **argv)
{
    long max_tokens = 300, overlap = 50;
    bool as_json = false;
    const fg_opt opts[] = {
        {"max-tokens", FG_OPT_INT, &max_tokens, "N", "token budget per chunk (default 300)"},
        {"overlap", FG_OPT_INT, &overlap, "N", "tokens repeated from the previous chunk (default 50)"},
        {"json", FG_OPT_FLAG, &as_json, NULL, "print the chunks as a JSON array"},
        {0},
    };
    const fg_cli cli = {
        .usage = "flowgate kb chunk FILE [--max-tokens N] [--overlap N] [--json]",
        .summary = "Splits a document (HTML: main content extracted first; otherwise Markdown or\n"
                   "plain text) into chunks at headings and sentences within a token budget.",
        .opts = opts,
        .min_positional = 1,
        .max_positional = 1,
    };
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (max_tokens < 16 || max_tokens > 100000 || overlap < 0 || overlap >= max_tokens) {
        fprintf(stderr, "kb chunk: --max-tokens must be 16..100000 and --overlap below it\n");
        return 2;
    }
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    size_t len;
    char *data = fg_kb_read_file(argv[1], 64u << 20, &len, &eb);
    fg_kb_doc doc;
    fg_kb_chunks chunks;
    fg_kb_chunk_opts o = {(size_t)max_tokens, (size_t)overlap, 0};
    rc = !data ? 1
         : is_html(argv[1], data) ? fg_kb_extract(data, len, NULL, &doc, &eb)
                                   : fg_kb_markdown_doc(data, len, &doc, &eb);
    free(data);
    if (rc) {
        fprintf(stderr, "kb chunk: %s\n", eb.msg);
        return 1;
    }
    rc = fg_kb_chunk_doc(&doc, argv[1], &o, &chunks, &eb);
    fg_kb_doc_free(&doc);
    if (rc) {
        fprintf(stderr, "kb chunk: %s\n", eb.msg);
        return 1;
    }
    print_chunks(&chunks, as_json);
    fg_kb_chunks_free(&chunks);
    return 0;
}
