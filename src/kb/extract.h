/* Main-content extraction from HTML, after the Readability algorithm: the page
 * is parsed with gumbo (HTML5), unlikely parts are dropped, paragraphs are
 * scored and their scores given to ancestors, the best candidate (adjusted by
 * link density) and its related siblings make the article, which is then
 * cleaned; when too little text remains the extraction is retried with relaxed
 * rules. Metadata comes from meta tags, JSON-LD and the document. The result
 * keeps the article's block structure (headings, paragraphs, list items, code)
 * so the chunker can split at headings. */
#ifndef FG_KB_EXTRACT_H
#define FG_KB_EXTRACT_H

#include "core/error.h"

#include <jansson.h>
#include <stddef.h>

typedef struct fg_kb_extract_opts {
    size_t max_bytes;          /* input ceiling; default 32 MiB */
    size_t max_depth;          /* element nesting kept; deeper content is flattened; default 256 */
    size_t max_nodes;          /* tag ceiling (counted before parsing); default 1,000,000 */
    size_t max_nesting;        /* estimated open-element depth ceiling (before parsing; the
                                * HTML5 tree builder is quadratic in depth); default 4096 */
    size_t max_text;           /* output text ceiling; default 8 MiB */
    size_t char_threshold;     /* an article shorter than this is retried relaxed; default 500 */
    int top_candidates;        /* default 5 */
} fg_kb_extract_opts;

typedef enum fg_kb_block_type {
    FG_KB_BLOCK_PARAGRAPH,
    FG_KB_BLOCK_HEADING,   /* level 1..6 */
    FG_KB_BLOCK_LIST_ITEM,
    FG_KB_BLOCK_CODE,      /* whitespace preserved */
    FG_KB_BLOCK_QUOTE,
    FG_KB_BLOCK_TABLE_ROW  /* cells separated by " | " */
} fg_kb_block_type;

typedef struct fg_kb_block {
    fg_kb_block_type type;
    int level;             /* heading level; 0 otherwise */
    char *text;            /* valid UTF-8 */
} fg_kb_block;

typedef struct fg_kb_doc {
    char *title, *byline, *excerpt, *site_name, *lang, *dir, *published_time; /* NULL if unknown */
    fg_kb_block *blocks;
    size_t nblocks;
} fg_kb_doc;

/* opts may be NULL. On success fills *doc (free with fg_kb_doc_free); an HTML
 * page with no readable content gives zero blocks, not an error. */
int fg_kb_extract(const char *html, size_t len, const fg_kb_extract_opts *opts, fg_kb_doc *doc,
                  fg_errbuf *eb);
void fg_kb_doc_free(fg_kb_doc *doc);

/* The article as text: blocks separated by blank lines, headings as "## ",
 * list items as "- " (Markdown-like). malloc'd. */
char *fg_kb_doc_text(const fg_kb_doc *doc);
/* {"title",...,"text","blocks":[{"type","level","text"}]} */
json_t *fg_kb_doc_json(const fg_kb_doc *doc);

/* F1 over word 4-gram shingles (words: lowercased letter/digit runs) of a
 * against b; 1 when both have no words. */
double fg_kb_shingle_f1(const char *a, const char *b);

/* All the text of an HTML page's body, as blocks rendered like fg_kb_doc_text. */
char *fg_kb_html_text(const char *html, size_t len, fg_errbuf *eb);

#endif
