/* The inverted index's layout, private to src/kb. */
#ifndef FG_KB_INDEX_INT_H
#define FG_KB_INDEX_INT_H

#include "kb/index.h"
#include "kb/strmap.h"

/* One posting: a document and the term's frequency in it. */
typedef struct fg_kb_posting {
    uint32_t doc, tf;
} fg_kb_posting;

typedef struct fg_kb_postings {
    fg_kb_posting *p;   /* in increasing doc order; may include removed docs */
    uint32_t n, cap;
    uint32_t df;        /* live documents only */
} fg_kb_postings;

struct fg_kb_index {
    fg_kb_strmap terms;     /* term -> term id */
    fg_kb_postings *post;   /* per term id */
    uint32_t post_cap;

    fg_kb_strmap ids;       /* external id -> id slot */
    uint32_t *id_doc;       /* id slot -> current doc number (FG_KB_NO_ID: none) */
    uint32_t id_cap;

    uint32_t ndocs, docs_cap;   /* doc numbers ever assigned */
    uint32_t *doc_id;       /* doc -> id slot */
    uint32_t *len;          /* doc -> exact length (tokens indexed) */
    uint8_t *norm;          /* doc -> quantised length */
    uint8_t *live;          /* doc -> 1 unless removed */
    size_t *fwd_off;        /* doc -> start of its (term, tf) pairs in fwd; ndocs+1 */
    fg_kb_posting *fwd;     /* forward lists: .doc holds the term id */
    size_t fwd_len, fwd_cap;

    uint32_t *tf_scratch;   /* per term id, zero between documents */
    uint32_t *uniq;         /* distinct terms of the document being added */
    uint32_t uniq_cap;

    uint32_t live_docs;
    uint64_t total_terms;   /* sum of live lengths */
};

/* Adds a document from its sorted (term id, tf) pairs and its length (used by
 * fg_kb_index_load; the terms must exist). */
int fg__kb_index_append(fg_kb_index *ix, const char *id, uint32_t length,
                        const fg_kb_posting *pairs, uint32_t n);
/* Adds a term to the dictionary; returns its id or FG_KB_NO_ID. */
uint32_t fg__kb_index_term(fg_kb_index *ix, const char *term, size_t len);

#endif
