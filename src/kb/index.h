/* flowgate's inverted index for lexical search: a term dictionary, postings with
 * term frequencies, document lengths (exact and quantised as Lucene stores them),
 * and BM25 ranking. Documents are added, replaced and removed one at a time; the
 * whole index serialises to one blob and loads back into memory. Not
 * thread-safe for writes; searches may run concurrently with each other. */
#ifndef FG_KB_INDEX_H
#define FG_KB_INDEX_H

#include "core/buf.h"
#include "core/error.h"
#include "kb/analyzer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_kb_index fg_kb_index;

typedef struct fg_kb_bm25_params {
    float k1;            /* term-frequency saturation (default 1.2) */
    float b;             /* length normalisation, 0..1 (default 0.75) */
    bool exact_lengths;  /* false (default): lengths quantised to one byte like Lucene */
} fg_kb_bm25_params;

/* Lucene's BM25Similarity defaults: k1 1.2, b 0.75, quantised lengths. (Anserini's
 * BEIR runs use k1 0.9, b 0.4.) */
#define FG_KB_BM25_DEFAULTS ((fg_kb_bm25_params){1.2f, 0.75f, false})

typedef struct fg_kb_hit {
    uint32_t doc;  /* internal document number (see fg_kb_index_doc_id) */
    float score;
} fg_kb_hit;

/* A metadata filter: return true to keep doc. */
typedef bool (*fg_kb_filter_fn)(uint32_t doc, void *ctx);

fg_kb_index *fg_kb_index_new(void);
void fg_kb_index_free(fg_kb_index *ix);

/* Analyzes text and adds it under id (replacing a document with the same id).
 * *doc (may be NULL) receives the internal document number. */
int fg_kb_index_add(fg_kb_index *ix, fg_kb_analyzer *an, const char *id, const char *text,
                    size_t len, uint32_t *doc, fg_errbuf *eb);
/* Removes the document with this id; FG_ENOTFOUND if there is none. */
int fg_kb_index_remove(fg_kb_index *ix, const char *id);

size_t fg_kb_index_doc_count(const fg_kb_index *ix);     /* live documents */
uint64_t fg_kb_index_total_terms(const fg_kb_index *ix); /* sum of live lengths */
size_t fg_kb_index_term_count(const fg_kb_index *ix);
/* Number of live documents containing the analyzed term (0 if none). */
uint32_t fg_kb_index_doc_freq(const fg_kb_index *ix, const char *term, size_t len);
/* The id a document was added under (NUL-terminated), or NULL. */
const char *fg_kb_index_doc_id(const fg_kb_index *ix, uint32_t doc);
uint32_t fg_kb_index_doc_length(const fg_kb_index *ix, uint32_t doc);

/* BM25 top-k: analyzes the query with an, ranks live documents passing filter
 * (may be NULL), and writes up to k hits, best first (ties: lower document
 * number first) into hits; *nhits receives the count. */
int fg_kb_bm25_search(const fg_kb_index *ix, fg_kb_analyzer *an, const char *query, size_t qlen,
                      const fg_kb_bm25_params *params, size_t k, fg_kb_filter_fn filter,
                      void *filter_ctx, fg_kb_hit *hits, size_t *nhits);

/* Serialises live documents to out (a versioned little-endian blob). */
int fg_kb_index_save(const fg_kb_index *ix, fg_buf *out);
/* Rebuilds an index from a blob written by fg_kb_index_save; NULL on error. */
fg_kb_index *fg_kb_index_load(const void *data, size_t len, fg_errbuf *eb);

/* Lucene's SmallFloat.intToByte4 and byte4ToInt: document lengths as one byte. */
uint8_t fg_kb_length_to_norm(uint32_t len);
uint32_t fg_kb_norm_to_length(uint8_t norm);

#endif
