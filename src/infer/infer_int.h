/* Private layouts of the infer module: shared by its files only. */
#ifndef FG_INFER_INT_H
#define FG_INFER_INT_H

#include "infer/infer.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tensor element types (GGUF numbering). */
enum {
    FG__T_F32 = 0,
    FG__T_F16 = 1,
    FG__T_Q4_0 = 2,
    FG__T_Q8_0 = 8,
    FG__T_BF16 = 30,
};
#define FG__QK 32 /* elements per quantised block */

typedef struct fg__block_q8_0 {
    uint16_t d;           /* f16 scale */
    int8_t qs[FG__QK];
} fg__block_q8_0;

typedef struct fg__block_q4_0 {
    uint16_t d;           /* f16 scale */
    uint8_t qs[FG__QK / 2]; /* low nibbles: elements 0..15; high: 16..31 */
} fg__block_q4_0;

/* A row-major matrix (rows x cols) inside the mapped file. */
typedef struct fg__tensor {
    int type;
    const void *data;
    uint64_t rows, cols;
    size_t row_bytes;
} fg__tensor;

/* ---- quant.c: element types and dot products ---- */
const char *fg__type_name(int type);
/* Bytes for n elements of type (n a multiple of the block size); 0 if invalid. */
int fg__type_row_bytes(int type, uint64_t n, uint64_t *bytes);
float fg__f16_to_f32(uint16_t h);
uint16_t fg__f32_to_f16(float f);
void fg__quantize_q8_0(const float *x, fg__block_q8_0 *out, size_t n);
void fg__quantize_q4_0(const float *x, fg__block_q4_0 *out, size_t n);
float fg__dot_f32(const float *a, const float *b, size_t n);
float fg__dot_f16(const uint16_t *w, const float *x, size_t n);
float fg__bf16_to_f32(uint16_t h);
float fg__dot_bf16(const uint16_t *w, const float *x, size_t n);
float fg__dot_q8_0(const fg__block_q8_0 *w, const fg__block_q8_0 *x, size_t n);
float fg__dot_q4_0(const fg__block_q4_0 *w, const fg__block_q8_0 *x, size_t n);
/* Decodes row r of t into out[cols]. */
void fg__tensor_row(const fg__tensor *t, uint64_t r, float *out);
/* Forces the portable code paths (tests compare both). */
void fg__simd_enable(bool on);

/* ---- pool.c: a small pthread pool ---- */
typedef struct fg__pool fg__pool;
typedef void (*fg__pool_fn)(void *ctx, size_t begin, size_t end);
fg__pool *fg__pool_create(unsigned threads);
void fg__pool_free(fg__pool *p);
/* Runs fn over [0, n) split in contiguous ranges; on the caller alone when the
 * pool is busy with another call or has no workers. */
void fg__pool_run(fg__pool *p, size_t n, fg__pool_fn fn, void *ctx);

/* ---- matmul.c ---- */
/* out[rows] = t * x; xq is scratch for the quantised x (cols/32 blocks). */
void fg__matvec(fg__pool *pool, const fg__tensor *t, const float *x, fg__block_q8_0 *xq,
                float *out);
/* The same for n vectors: x is n x cols, out n x rows, xq n x cols/32 blocks. */
void fg__matmul(fg__pool *pool, const fg__tensor *t, const float *x, uint32_t n,
                fg__block_q8_0 *xq, float *out);
/* Up to three matrices with the same input and column count in one pool call. */
void fg__matmul_multi(fg__pool *pool, const fg__tensor *const *ts, float *const *outs,
                      unsigned parts, const float *x, uint32_t n, fg__block_q8_0 *xq);

/* ---- ops.c: the numerical building blocks ---- */
void fg__rmsnorm(float *out, const float *x, const float *w, size_t n, float eps);
void fg__softmax(float *x, size_t n);
/* Rotates pairs (2i, 2i+1) of each head of vec (n_heads * head_size) for pos;
 * only the first rope_dim of each head. */
void fg__rope(float *vec, size_t n_heads, size_t head_size, size_t rope_dim, uint32_t pos,
              float base);
float fg__silu(float x);

/* ---- the mapped file and a bounds-checked reader ---- */
typedef struct fg__map {
    const uint8_t *data;
    size_t len;
    bool mapped;   /* munmap on close */
} fg__map;
int fg__map_open(fg__map *m, const char *path, uint64_t max_bytes, fg_errbuf *eb);
void fg__map_close(fg__map *m);

typedef struct fg__rd {
    const uint8_t *p;
    size_t len, off;
    bool bad;
} fg__rd;
bool fg__rd_need(fg__rd *r, size_t n);
uint8_t fg__rd_u8(fg__rd *r);
uint32_t fg__rd_u32(fg__rd *r);
uint64_t fg__rd_u64(fg__rd *r);

/* ---- gguf.c ---- */
enum {
    FG__GV_U8 = 0, FG__GV_I8, FG__GV_U16, FG__GV_I16, FG__GV_U32, FG__GV_I32, FG__GV_F32,
    FG__GV_BOOL, FG__GV_STRING, FG__GV_ARRAY, FG__GV_U64, FG__GV_I64, FG__GV_F64,
    FG__GV_COUNT
};

typedef struct fg__gguf_kv {
    const char *key;      /* into the map, not NUL-terminated */
    size_t key_len;
    uint32_t type;        /* FG__GV_* */
    uint32_t elem_type;   /* arrays */
    uint64_t count;       /* arrays: elements; else 1 */
    const uint8_t *val;   /* the value (arrays: the first element) */
} fg__gguf_kv;

typedef struct fg__gguf_tensor {
    const char *name;
    size_t name_len;
    uint32_t n_dims;
    uint64_t ne[4];
    uint32_t type;
    uint64_t offset;      /* from the start of the data section */
    const void *data;
    uint64_t bytes;
} fg__gguf_tensor;

typedef struct fg__gguf {
    uint32_t version;
    uint64_t n_kv, n_tensors;
    fg__gguf_kv *kv;
    fg__gguf_tensor *tensors;
    uint64_t alignment;
} fg__gguf;

typedef struct fg__limits {
    uint64_t max_file_bytes;
    uint32_t max_vocab, max_dim, max_layers, max_context;
    unsigned threads;
    /* Attention is spread over the pool once positions x dim reaches this. */
    uint64_t attn_parallel_min;
} fg__limits;
void fg__limits_from_opts(fg__limits *l, const fg_infer_load_opts *o);

/* Parses the whole file in memory; tensors are bounds-checked against len. */
int fg__gguf_parse(fg__gguf *g, const uint8_t *data, size_t len, fg_errbuf *eb);
void fg__gguf_free(fg__gguf *g);
const fg__gguf_kv *fg__gguf_find(const fg__gguf *g, const char *key);
const fg__gguf_tensor *fg__gguf_tensor_find(const fg__gguf *g, const char *name);
/* Typed getters: false when absent or of an incompatible type. */
bool fg__gguf_get_u64(const fg__gguf *g, const char *key, uint64_t *out);
bool fg__gguf_get_f32(const fg__gguf *g, const char *key, float *out);
bool fg__gguf_get_bool(const fg__gguf *g, const char *key, bool *out);
bool fg__gguf_get_str(const fg__gguf *g, const char *key, const char **s, size_t *len);
/* Array element i of a string array (bounds already validated by the parser). */
void fg__gguf_arr_str(const fg__gguf_kv *kv, uint64_t i, const char **s, size_t *len);
const char *fg__gguf_type_name(uint32_t type);

/* ---- tokenizer ---- */
enum { FG__TOK_NORMAL = 1, FG__TOK_UNKNOWN = 2, FG__TOK_CONTROL = 3, FG__TOK_USER = 4,
       FG__TOK_UNUSED = 5, FG__TOK_BYTE = 6 };

typedef struct fg__tokenizer {
    uint32_t n;
    char **text;          /* NUL-terminated; SentencePiece's U+2581 is stored as ' ' */
    uint32_t *len;
    float *score;
    uint8_t *kind;        /* FG__TOK_* */
    int32_t *sorted;      /* hash table of ids by text, for lookups */
    int32_t byte_tok[256];/* byte fallback tokens, -1 if absent */
    bool gpt2;            /* BPE with merges over byte-level text */
    bool space_prefix;    /* SentencePiece's leading space */
    bool add_bos;         /* FG_INFER_TOK_BOS adds BOS (GGUF add_bos_token) */
    uint32_t n_merges;
    const char **merge_text; /* "left right" in the mapped file; rank = index */
    uint32_t *merge_len;
    int32_t *merge_index;    /* hash table of ranks */
    int32_t bos, eos, unk;
    uint32_t max_len;
    int32_t *special;     /* control/user tokens matched in text, longest first */
    uint32_t n_special;
} fg__tokenizer;

int fg__tok_alloc(fg__tokenizer *t, uint32_t n);
/* Sorts, builds the byte and special tables; call after filling text/score/kind. */
int fg__tok_finish(fg__tokenizer *t, fg_errbuf *eb);
void fg__tok_free(fg__tokenizer *t);
int32_t fg__tok_lookup(const fg__tokenizer *t, const char *s, size_t len);
/* Rank of the merge "left right" (lower merges first); -1 when absent. */
int32_t fg__tok_merge_rank(const fg__tokenizer *t, const char *s, size_t len);
int fg__tok_build_merges(fg__tokenizer *t);
uint64_t fg__hash_bytes(const char *s, size_t n);
int fg__tok_encode(const fg__tokenizer *t, const char *text, size_t len, int flags,
                   int32_t **out, size_t *n_out, fg_errbuf *eb);
/* Appends the bytes of token id (prev: the token before it, for the leading space). */
int fg__tok_piece(const fg__tokenizer *t, int32_t prev, int32_t id, fg_buf *out);
/* GPT-2 byte-level mapping. */
size_t fg__bytelevel_encode(const uint8_t *in, size_t n, char *out);
size_t fg__bytelevel_decode(const char *in, size_t n, uint8_t *out);

/* ---- the model ---- */
typedef struct fg__layer {
    const float *attn_norm, *ffn_norm;  /* dim floats (decoded once) */
    fg__tensor wq, wk, wv, wo, w1, w2, w3;
} fg__layer;

struct fg_infer_model {
    atomic_int refs;
    fg_infer_info info;
    fg__map map, tok_map;
    fg__gguf gguf;
    fg__tokenizer tok;
    fg__tensor embed, output;
    const float *out_norm;
    fg__layer *layers;
    float *norms;          /* owned copies of norm vectors */
    char *name;
    char *chat_template;
    int32_t *eog;          /* ids that end a turn */
    size_t n_eog;
    fg__pool *pool;
    fg__limits lim;
};

int fg__model_from_llama2c(fg_infer_model *m, fg_errbuf *eb);
int fg__tok_from_llama2c(fg__tokenizer *t, const uint8_t *data, size_t len, uint32_t vocab,
                         fg_errbuf *eb);
int fg__model_from_gguf(fg_infer_model *m, fg_errbuf *eb);
int fg__tok_from_gguf(fg__tokenizer *t, const fg__gguf *g, const fg__limits *lim,
                      fg_errbuf *eb);
/* Checks t's shape and that its bytes lie in the map. */
int fg__tensor_check(const fg__tensor *t, uint64_t rows, uint64_t cols, const char *what,
                     fg_errbuf *eb);
/* For parsers working on memory (fuzz targets, tests): no file involved. */
int fg__model_load_mem(const uint8_t *data, size_t len, const uint8_t *tok, size_t tok_len,
                       const fg_infer_load_opts *opts, fg_infer_model **out, fg_errbuf *eb);
void fg__model_finish_info(fg_infer_model *m);

/* ---- forward.c ---- */
/* Prompt tokens evaluated together (each weight row read once per batch). */
#define FG__BATCH 16

/* Activation buffers hold FG__BATCH vectors each. */
typedef struct fg__state {
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits;
    float *kcache, *vcache;   /* layers x context x kv_dim */
    fg__block_q8_0 *xq;
    uint32_t context;
} fg__state;
int fg__state_init(fg__state *st, const fg_infer_model *m, uint32_t context);
void fg__state_free(fg__state *st);
/* Runs tokens[0..n) (n <= FG__BATCH) at positions pos..pos+n-1; the logits of
 * the last land in st->logits when want_logits. */
void fg__forward(const fg_infer_model *m, fg__state *st, const int32_t *tokens, uint32_t n,
                 uint32_t pos, bool want_logits);

/* ---- sample.c ---- */
typedef struct fg__sampler {
    float temperature, top_p;
    uint32_t top_k;
    uint64_t rng;
    struct fg__cand { float p; int32_t id; } *cand;
    uint32_t n;
} fg__sampler;
int fg__sampler_init(fg__sampler *s, uint32_t vocab, float temperature, float top_p,
                     uint32_t top_k, uint64_t seed);
void fg__sampler_free(fg__sampler *s);
int32_t fg__sample(fg__sampler *s, float *logits);
uint64_t fg__rng_next(uint64_t *state);
float fg__rng_unit(uint64_t *state);

/* ---- synth.c: random-weight GGUF models for tests, fuzz seeds, benchmarks ---- */
typedef struct fg__synth {
    uint32_t dim, hidden, layers, heads, kv_heads, vocab, context;
    int type;        /* of the matrices; norms are F32 */
    bool tied;       /* no output.weight: the classifier is the embedding */
    uint64_t seed;
} fg__synth;
/* Appends the whole file to b (whose ceiling bounds it). vocab >= 312. */
int fg__synth_gguf(const fg__synth *s, fg_buf *b);

/* ---- utf8 streaming ---- */
/* Length of the longest prefix of s that does not end inside an incomplete
 * (but so far valid) UTF-8 sequence. */
size_t fg__utf8_complete(const char *s, size_t n);
/* Appends s with invalid sequences replaced by U+FFFD. */
int fg__utf8_sanitize(fg_buf *out, const char *s, size_t n);

#endif
