/* flowgate kb extract FILE [--json]: the main content of an HTML page. */
#include "cli/args.h"
#include "core/json.h"
#include "kb/commands.h"
#include "kb/extract.h"
#include "kb/file.h"

#include <stdio.h>
#include <stdlib.h>

int fg_kb_cmd_extract(int argc, char **argv)
{
    bool as_json = false;
    long max_mb = 32;
    const fg_opt opts[] = {
        {"json", FG_OPT_FLAG, &as_json, NULL, "print JSON: metadata, text and blocks"},
        {"max-mb", FG_OPT_INT, &max_mb, "N", "refuse pages larger than N MiB (default 32)"},
        {0},
    };
    const fg_cli cli = {
        .usage = "flowgate kb extract FILE [--json]",
        .summary = "Extracts the main content of an HTML page (Readability-style) and prints its\n"
                   "text, headings kept as \"## \" lines; --json adds title, byline, excerpt,\n"
                   "siteName, lang, dir, publishedTime and the blocks.",
        .opts = opts,
        .min_positional = 1,
        .max_positional = 1,
    };
    int npos, rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (max_mb <= 0 || max_mb > 4096) {
        fprintf(stderr, "kb extract: --max-mb must be 1..4096\n");
        return 2;
    }
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    size_t len;
    char *html = fg_kb_read_file(argv[1], (size_t)max_mb << 20, &len, &eb);
    fg_kb_extract_opts o = {.max_bytes = (size_t)max_mb << 20};
    fg_kb_doc doc;
    if (!html || fg_kb_extract(html, len, &o, &doc, &eb) != 0) {
        fprintf(stderr, "kb extract: %s\n", eb.msg);
        free(html);
        return 1;
    }
    free(html);
    if (as_json) {
        json_t *j = fg_kb_doc_json(&doc);
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "null");
        free(s);
        json_decref(j);
    } else {
        char *t = fg_kb_doc_text(&doc);
        printf("%s\n", t ? t : "");
        free(t);
    }
    fg_kb_doc_free(&doc);
    return 0;
}
