/* A small mutable DOM built from gumbo's parse tree, for the extractor:
 * elements and text nodes in doubly linked child lists, so nodes can be
 * removed, moved, wrapped and renamed in O(1). Nodes live in an arena; text
 * and attributes point into gumbo's output, which must outlive the DOM. */
#ifndef FG_KB_DOM_H
#define FG_KB_DOM_H

#include "core/arena.h"

#include <gumbo.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct fg_kb_node fg_kb_node;
struct fg_kb_node {
    bool is_text;
    GumboTag tag;            /* elements */
    const GumboNode *src;    /* attributes come from here; NULL for created nodes */
    const char *text;        /* text nodes */
    size_t text_len;
    fg_kb_node *parent, *first, *last, *prev, *next;
    double score;            /* readability score */
    bool scored;
    bool data_table;
};

typedef struct fg_kb_dom {
    fg_arena *arena;
    fg_kb_node *root;        /* the <html> element */
    fg_kb_node *body;
    size_t nodes;
} fg_kb_dom;

/* Builds the DOM of doc; depth beyond max_depth is flattened into the deepest
 * allowed element (text kept). Returns 0 or FG_ENOMEM. */
int fg_kb_dom_build(fg_kb_dom *dom, const GumboOutput *doc, size_t max_depth);
void fg_kb_dom_free(fg_kb_dom *dom);

fg_kb_node *fg_kb_dom_new_element(fg_kb_dom *dom, GumboTag tag);
void fg_kb_dom_remove(fg_kb_node *n);                 /* unlink from its parent */
void fg_kb_dom_append(fg_kb_node *parent, fg_kb_node *child);
void fg_kb_dom_insert_before(fg_kb_node *ref, fg_kb_node *n);
void fg_kb_dom_replace(fg_kb_node *old, fg_kb_node *n);

/* Attribute value or NULL. */
const char *fg_kb_dom_attr(const fg_kb_node *n, const char *name);
/* Next node in document order within root (NULL at the end); skip_children
 * steps over n's subtree. */
fg_kb_node *fg_kb_dom_next(const fg_kb_node *root, const fg_kb_node *n, bool skip_children);
fg_kb_node *fg_kb_dom_first_element(const fg_kb_node *n);
fg_kb_node *fg_kb_dom_next_element(const fg_kb_node *n);
size_t fg_kb_dom_element_count(const fg_kb_node *n);

/* Text content with whitespace runs collapsed to one space and trimmed,
 * appended to out (bounded by out's ceiling). */
typedef struct fg_buf fg_buf;
int fg_kb_dom_text(const fg_kb_node *n, fg_buf *out);
/* Length of the collapsed, trimmed text content in bytes (no allocation). */
size_t fg_kb_dom_text_len(const fg_kb_node *n);
/* Count of c in the text content. */
size_t fg_kb_dom_count_char(const fg_kb_node *n, char c);
bool fg_kb_dom_has_ancestor(const fg_kb_node *n, GumboTag tag, int max_depth);
bool fg_kb_dom_is_whitespace(const fg_kb_node *n);

#endif
