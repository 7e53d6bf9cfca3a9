/* The local model provider's engine: in-process inference of small
 * Llama-architecture models (llama2.c checkpoints and GGUF v3 files).
 *
 * A model is loaded once (memory-mapped, every header field and tensor size
 * checked) and shared read-only by any number of sessions: it is reference
 * counted, and the last fg_infer_model_unref unmaps it. A session is one request:
 * it owns its KV cache, is fed a prompt, and produces text one token at a time
 * through fg_infer_session_next (or fg_infer_session_run with a callback), so a
 * worker thread can hand each piece to an event loop. Every piece is whole UTF-8.
 * A session is used by one thread at a time; different sessions may run on
 * different threads at once. */
#ifndef FG_INFER_INFER_H
#define FG_INFER_INFER_H

#include "core/buf.h"
#include "core/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fg_infer_model fg_infer_model;
typedef struct fg_infer_session fg_infer_session;

/* Ceilings applied while loading; 0 in a field means the default shown. */
typedef struct fg_infer_load_opts {
    uint64_t max_file_bytes;  /* 64 GiB */
    uint32_t max_vocab;       /* 1,048,576 tokens */
    uint32_t max_dim;         /* 65,536 for embedding, hidden and head sizes */
    uint32_t max_layers;      /* 1,024 */
    uint32_t max_context;     /* caps the context (KV cache length); model's value */
    uint32_t threads;         /* matrix work threads; number of online CPUs */
} fg_infer_load_opts;

typedef enum fg_infer_format { FG_INFER_LLAMA2C = 1, FG_INFER_GGUF = 2 } fg_infer_format;

typedef enum fg_infer_chat {
    FG_INFER_CHAT_NONE = 0, /* raw completion: the prompt is used as it is */
    FG_INFER_CHAT_LLAMA2,
    FG_INFER_CHAT_LLAMA3,
    FG_INFER_CHAT_CHATML
} fg_infer_chat;

/* What a loaded model is; strings live as long as the model. */
typedef struct fg_infer_info {
    fg_infer_format format;
    const char *name;          /* general.name or the file name */
    const char *arch;          /* "llama" */
    const char *weight_type;   /* type of most matrix weights: "F32", "Q8_0"... */
    uint32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, head_size, rope_dim;
    uint32_t vocab_size, context;
    float rope_base, rms_eps;
    uint64_t n_params, weight_bytes;
    int32_t bos, eos;          /* -1 when the model has none */
    fg_infer_chat chat;        /* template recognised from the metadata */
    const char *tokenizer;     /* "llama" (scores) or "gpt2" (BPE merges) */
} fg_infer_info;

int fg_infer_model_load(const char *path, const char *tokenizer_path,
                        const fg_infer_load_opts *opts, fg_infer_model **out, fg_errbuf *eb);
fg_infer_model *fg_infer_model_ref(fg_infer_model *m);
void fg_infer_model_unref(fg_infer_model *m);
const fg_infer_info *fg_infer_model_info(const fg_infer_model *m);
/* Appends the file's metadata, one "key = value" line each (long arrays shortened). */
int fg_infer_model_describe(const fg_infer_model *m, fg_buf *out);

/* Tokenizer. FG_INFER_TOK_BOS prepends the BOS token (unless the GGUF file says
 * tokenizer.ggml.add_bos_token = false); FG_INFER_TOK_SPECIAL lets the text name
 * special tokens ("<|im_start|>", "<s>"). *out is malloc'd. */
enum { FG_INFER_TOK_BOS = 1, FG_INFER_TOK_SPECIAL = 2 };
int fg_infer_tokenize(const fg_infer_model *m, const char *text, size_t len, int flags,
                      int32_t **out, size_t *n_out, fg_errbuf *eb);
/* Appends the text of tokens (control tokens print nothing). */
int fg_infer_detokenize(const fg_infer_model *m, const int32_t *ids, size_t n, fg_buf *out);
/* The token's text as stored in the vocabulary, NULL when out of range. */
const char *fg_infer_token_text(const fg_infer_model *m, int32_t id);

/* Chat templates. */
typedef struct fg_infer_msg {
    const char *role;    /* "system", "user", "assistant" */
    const char *content;
} fg_infer_msg;
/* By name ("llama2", "llama3", "chatml", "none"); -1 when unknown. */
int fg_infer_chat_from_name(const char *name);
const char *fg_infer_chat_name(fg_infer_chat kind);
/* Recognises a Jinja chat template (tokenizer.chat_template) by its markers. */
fg_infer_chat fg_infer_chat_detect(const char *jinja, size_t len);
/* Appends the prompt for msgs, ending with the assistant's turn opened. The text
 * contains special tokens: tokenize with FG_INFER_TOK_SPECIAL and without BOS. */
int fg_infer_chat_format(fg_infer_chat kind, const fg_infer_msg *msgs, size_t n, fg_buf *out,
                         fg_errbuf *eb);

/* Generation. */
typedef struct fg_infer_params {
    uint32_t max_tokens;      /* generated tokens; 0: until the context is full */
    uint32_t context;         /* KV cache length; 0: the model's */
    float temperature;        /* 0: greedy (argmax) */
    float top_p;              /* 0 or 1: off */
    uint32_t top_k;           /* 0: off */
    uint64_t seed;            /* same seed, same model, same prompt: same text */
    const char *const *stop;  /* stop sequences (not included in the output) */
    size_t n_stop;
    atomic_int *cancel;       /* non-zero: stop before the next token (may be NULL) */
} fg_infer_params;

typedef enum fg_infer_finish {
    FG_INFER_RUNNING = 0,
    FG_INFER_FINISH_EOS,      /* the model ended its turn */
    FG_INFER_FINISH_STOP,     /* a stop sequence matched */
    FG_INFER_FINISH_LENGTH,   /* max_tokens or the context reached */
    FG_INFER_FINISH_CANCEL    /* the cancel flag was set */
} fg_infer_finish;

typedef struct fg_infer_usage {
    uint32_t prompt_tokens, generated_tokens;
    uint64_t prompt_ns, generate_ns;  /* time spent evaluating each */
} fg_infer_usage;

/* The session holds a reference on the model. */
int fg_infer_session_create(fg_infer_model *m, const fg_infer_params *p,
                            fg_infer_session **out, fg_errbuf *eb);
void fg_infer_session_free(fg_infer_session *s);
/* Evaluates a prompt: FG_ELIMIT when it does not fit the context with room for
 * one generated token; FG_ECANCELED when cancelled meanwhile. */
int fg_infer_session_prompt(fg_infer_session *s, const char *text, size_t len, int tok_flags,
                            fg_errbuf *eb);
int fg_infer_session_prompt_tokens(fg_infer_session *s, const int32_t *ids, size_t n,
                                   fg_errbuf *eb);
/* Produces the next piece of text (possibly empty while a multi-byte character
 * or a possible stop sequence is held back). Returns FG_OK with *piece and *len
 * set (valid until the next call). Once fg_infer_session_finish() is no longer
 * FG_INFER_RUNNING, the piece is the last held-back text and the session is done. */
int fg_infer_session_next(fg_infer_session *s, const char **piece, size_t *len, fg_errbuf *eb);
/* Calls on_piece for each non-empty piece until finished; a non-zero return
 * from on_piece cancels. */
typedef int (*fg_infer_piece_fn)(void *ud, const char *piece, size_t len);
int fg_infer_session_run(fg_infer_session *s, fg_infer_piece_fn on_piece, void *ud,
                         fg_errbuf *eb);
fg_infer_finish fg_infer_session_finish(const fg_infer_session *s);
fg_infer_usage fg_infer_session_usage(const fg_infer_session *s);
/* The last sampled token id, -1 before the first. */
int32_t fg_infer_session_last_token(const fg_infer_session *s);

#endif
