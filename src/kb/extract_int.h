/* Extractor internals shared by its files. */
#ifndef FG_KB_EXTRACT_INT_H
#define FG_KB_EXTRACT_INT_H

#include "core/buf.h"
#include "kb/dom.h"
#include "kb/extract.h"

#include <regex.h>

enum {
    FLAG_STRIP_UNLIKELYS = 1,
    FLAG_WEIGHT_CLASSES = 2,
    FLAG_CLEAN_CONDITIONALLY = 4
};

typedef struct fg_kb_regexes {
    regex_t unlikely, maybe, positive, negative, byline, share, videos, sentence_end;
} fg_kb_regexes;

/* Compiled once per process. */
const fg_kb_regexes *fg__kb_regexes(void);
bool fg__kb_match(const regex_t *re, const char *s);

/* Metadata from meta tags, JSON-LD and the title; fills the doc's fields. */
int fg__kb_extract_meta(const fg_kb_dom *dom, fg_kb_doc *doc);
/* Heuristic title cleanup (site names after separators and the like). */
char *fg__kb_article_title(const fg_kb_dom *dom);

/* Appends the blocks of the article subtree to doc. */
int fg__kb_render_blocks(const fg_kb_node *article, size_t max_text, fg_kb_doc *doc);

/* A malloc'd copy with whitespace collapsed and trimmed; NULL for empty. */
char *fg__kb_clean_string(const char *s);
char *fg__kb_node_text(const fg_kb_node *n, size_t max);

double fg__kb_text_similarity(const char *a, const char *b);

#endif
