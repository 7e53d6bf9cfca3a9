/* The question-answer cache: answers kept per account and namespace under a
 * key, found again by exact key (the seed's node_id + prompt), by normalised
 * key (a hash of the canonical JSON of model, messages and parameters with
 * whitespace and case folded) or by meaning (cosine of embeddings at or above
 * a threshold). Entries live in the store; an in-memory index answers lookups
 * (loaded at open, shared by every worker thread behind a read-write lock). */
#ifndef FG_CACHE_CACHE_H
#define FG_CACHE_CACHE_H

#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_cache fg_cache;

typedef enum fg_cache_mode { FG_CACHE_EXACT = 0, FG_CACHE_NORMALISED, FG_CACHE_SEMANTIC } fg_cache_mode;
#define FG_CACHE_NMODES 3

const char *fg_cache_mode_name(fg_cache_mode m);
/* "exact", "normalised" (or "normalized"), "semantic"; -1 for anything else. */
int fg_cache_mode_parse(const char *name);

typedef struct fg_cache_opts {
    int64_t ttl_ms;            /* default lifetime of an entry; 0: forever */
    double threshold;          /* semantic: lowest cosine that counts as a hit */
    size_t hnsw_min_entries;   /* semantic: HNSW search from this many vectors on */
    size_t max_entries;        /* entries in memory at most; the oldest go first */
    size_t max_response_bytes; /* bigger answers are not cached */
    bool async_store;          /* store writes on a writer thread (the server) */
} fg_cache_opts;

/* Opens the cache over store (which must outlive it) and loads every live
 * entry into memory. store may be NULL (memory only: tests, benchmarks). */
int fg_cache_open(fg_store *store, const fg_cache_opts *opts, fg_cache **out, fg_errbuf *eb);
void fg_cache_free(fg_cache *c);
struct fg_config;
/* The same with the options of the configuration's cache.* keys. */
int fg_cache_open_configured(const struct fg_config *cfg, fg_store *store, fg_cache **out, fg_errbuf *eb);
const fg_cache_opts *fg_cache_options(const fg_cache *c);

/* Where an entry lives: account, mode, namespace and key. For semantic entries
 * the key is the prompt (one entry per distinct prompt) and vec its embedding. */
typedef struct fg_cache_entry {
    const char *account_id;
    fg_cache_mode mode;
    const char *ns;
    const char *key;
    size_t key_len;
    const char *response; /* the answer's text */
    size_t response_len;
    const char *model;    /* may be NULL */
    double gen_ms;        /* how long the fresh answer took: the time a hit saves */
    int64_t ttl_ms;       /* 0: the cache's default; < 0: never expires */
    const float *vec;     /* semantic only */
    size_t dim;
} fg_cache_entry;

/* Adds or replaces an entry (memory and store). FG_ELIMIT for an answer over
 * max_response_bytes, FG_EINVAL for a bad semantic vector. */
int fg_cache_put(fg_cache *c, const fg_cache_entry *e, fg_errbuf *eb);

/* Bulk writes (import): the store writes of the puts between begin and end
 * share one transaction. Single-threaded use only (commands, benchmarks). */
int fg_cache_batch_begin(fg_cache *c, fg_errbuf *eb);
int fg_cache_batch_end(fg_cache *c, fg_errbuf *eb);

typedef struct fg_cache_hit {
    char *response; /* malloc'd, NUL-terminated; fg_cache_hit_free */
    size_t len;
    char model[128];
    double gen_ms;
    float score;    /* semantic: the cosine; 1 otherwise */
    fg_cache_mode mode;
} fg_cache_hit;

void fg_cache_hit_free(fg_cache_hit *h);
/* Exact or normalised lookup. True on a live entry (the hit filled). */
bool fg_cache_get(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                  const char *key, size_t key_len, fg_cache_hit *out);
/* fg_cache_get in two steps, for a caller with more than one key to try
 * before it reads the store: the memory index alone (*in_memory says whether
 * it holds the entry, live or not; then the store need not be read), and the
 * store alone (an entry another node wrote, or one imported while this one
 * runs; found and live, it joins the memory index). */
bool fg_cache_get_memory(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                         const char *key, size_t key_len, fg_cache_hit *out, bool *in_memory);
bool fg_cache_get_stored(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                         const char *key, size_t key_len, fg_cache_hit *out);
/* Semantic lookup: the most similar live entry of the namespace when its
 * cosine reaches the threshold. */
bool fg_cache_get_similar(fg_cache *c, const char *account_id, const char *ns, const float *vec,
                          size_t dim, fg_cache_hit *out);
/* Removes one entry (invalidate_cache). */
int fg_cache_delete(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                    const char *key, size_t key_len, fg_errbuf *eb);
/* Removes every entry of account_id (NULL: of every account). *removed may be NULL. */
int fg_cache_clear(fg_cache *c, const char *account_id, size_t *removed, fg_errbuf *eb);

typedef struct fg_cache_stats {
    size_t entries[FG_CACHE_NMODES];
    size_t bytes;
} fg_cache_stats;
void fg_cache_stats_get(fg_cache *c, fg_cache_stats *out);

/* --- keys (normalise.c) --------------------------------------------------- */

/* The seed's exact key: node_id followed by the prompt. */
int fg_cache_exact_key(const char *node_id, const char *prompt, fg_buf *out);
/* Appends text with runs of white space made one space, leading and trailing
 * space dropped and ASCII letters lower-cased. */
int fg_cache_fold_text(const char *s, size_t n, fg_buf *out);
/* Appends the canonical JSON of v: object keys sorted by byte order, no white
 * space, numbers with an integral value written as integers, strings escaped
 * the same way every time. */
int fg_cache_canonical_json(const json_t *v, fg_buf *out);
/* The normalised key of a canonical gateway request (the OpenAI chat shape):
 * sha256 (hex) of the canonical JSON of its model, messages (text folded) and
 * generation parameters; stream options and the user tag do not count. */
int fg_cache_normalised_key(const json_t *request, char hex[65]);
/* The same with fold false: the text of the messages as sent (the exact mode
 * for gateway requests). */
int fg_cache_request_key(const json_t *request, bool fold, char hex[65]);

/* --- metrics (metrics.c) -------------------------------------------------- */

void fg_cache_metric_hit(fg_cache_mode mode, double saved_ms);
void fg_cache_metric_miss(fg_cache_mode mode);

#endif
