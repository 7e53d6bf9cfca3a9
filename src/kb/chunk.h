/* Chunking for retrieval: a document's blocks are split at headings (a chunk
 * never spans two sections), then packed sentence by sentence into chunks of
 * at most max_tokens estimated tokens, each starting with up to
 * overlap_tokens of the previous chunk's closing sentences. A sentence longer
 * than the budget is cut at word boundaries. Every chunk keeps its source,
 * the document title, its heading path and its position. */
#ifndef FG_KB_CHUNK_H
#define FG_KB_CHUNK_H

#include "core/error.h"
#include "kb/extract.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct fg_kb_chunk_opts {
    size_t max_tokens;     /* default 300 */
    size_t overlap_tokens; /* default 50; less than max_tokens */
    size_t max_chunks;     /* ceiling per document; default 100000 */
} fg_kb_chunk_opts;

typedef struct fg_kb_chunk {
    char *text;            /* the content, blocks separated by blank lines */
    char *heading_path;    /* "Intro > Setup" (headings above the chunk), or "" */
    size_t index;          /* 0, 1, 2... within the document */
    size_t first_block, last_block; /* the blocks it draws from */
    size_t token_offset;   /* estimated tokens before its first new sentence */
    size_t tokens;         /* estimated tokens in text */
} fg_kb_chunk;

typedef struct fg_kb_chunks {
    char *source, *title;  /* copies; title may be NULL */
    fg_kb_chunk *items;
    size_t n;
} fg_kb_chunks;

/* Tokens as an embedding model would roughly count them: one per 4 bytes of
 * each word, at least one per word or punctuation mark. */
size_t fg_kb_estimate_tokens(const char *s, size_t len);

int fg_kb_chunk_doc(const fg_kb_doc *doc, const char *source, const fg_kb_chunk_opts *opts,
                    fg_kb_chunks *out, fg_errbuf *eb);
void fg_kb_chunks_free(fg_kb_chunks *c);

/* Markdown (ATX headings "#", lists, fenced code, quotes, paragraphs) or plain
 * text (paragraphs at blank lines) into blocks, for fg_kb_chunk_doc. */
int fg_kb_markdown_doc(const char *text, size_t len, fg_kb_doc *doc, fg_errbuf *eb);

#endif
