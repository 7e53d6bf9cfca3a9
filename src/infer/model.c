/* Loading a model (format chosen by the file's first bytes), its reference
 * count, and what it tells about itself. */
#include "infer/infer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fg__limits_from_opts(fg__limits *l, const fg_infer_load_opts *o)
{
    static const fg_infer_load_opts none;
    if (!o)
        o = &none;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    l->max_file_bytes = o->max_file_bytes ? o->max_file_bytes : (uint64_t)64 << 30;
    l->max_vocab = o->max_vocab ? o->max_vocab : 1u << 20;
    l->max_dim = o->max_dim ? o->max_dim : 65536;
    l->max_layers = o->max_layers ? o->max_layers : 1024;
    l->max_context = o->max_context;
    l->threads = o->threads ? o->threads : cpus > 0 ? (unsigned)cpus : 1;
    l->attn_parallel_min = (uint64_t)1 << 20;
    if (l->threads > 64)
        l->threads = 64;
}

static const char *const eog_texts[] = {"</s>", "<|eot_id|>", "<|im_end|>", "<|end_of_text|>",
                                        "<|endoftext|>", "<|end|>", "<end_of_turn>"};

static int find_eog(fg_infer_model *m)
{
    m->eog = calloc(FG_ARRAY_LEN(eog_texts) + 2, sizeof *m->eog);
    if (!m->eog)
        return FG_ENOMEM;
    if (m->tok.eos >= 0)
        m->eog[m->n_eog++] = m->tok.eos;
    /* llama2.c models are trained on stories separated by BOS: a generated
     * BOS ends the text (as llama2.c's own runner does). */
    if (m->info.format == FG_INFER_LLAMA2C && m->tok.bos >= 0)
        m->eog[m->n_eog++] = m->tok.bos;
    for (size_t i = 0; i < FG_ARRAY_LEN(eog_texts); i++) {
        int32_t id = fg__tok_lookup(&m->tok, eog_texts[i], strlen(eog_texts[i]));
        if (id >= 0 && id != m->tok.eos && m->tok.kind[id] == FG__TOK_CONTROL)
            m->eog[m->n_eog++] = id;
    }
    return FG_OK;
}

static uint64_t tensor_params(const fg__tensor *t, uint64_t *bytes)
{
    *bytes += t->row_bytes * t->rows;
    return t->rows * t->cols;
}

void fg__model_finish_info(fg_infer_model *m)
{
    fg_infer_info *in = &m->info;
    uint64_t p = 0, b = 0;
    p += tensor_params(&m->embed, &b);
    if (m->output.data != m->embed.data)
        p += tensor_params(&m->output, &b);
    for (uint32_t l = 0; l < in->n_layers; l++) {
        const fg__layer *ly = &m->layers[l];
        const fg__tensor *ts[] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->w1, &ly->w2, &ly->w3};
        for (size_t i = 0; i < FG_ARRAY_LEN(ts); i++)
            p += tensor_params(ts[i], &b);
    }
    in->n_params = p + (uint64_t)in->dim * (2 * in->n_layers + 1);
    in->weight_bytes = b;
    in->bos = m->tok.bos;
    in->eos = m->tok.eos;
    if (m->lim.max_context && in->context > m->lim.max_context)
        in->context = m->lim.max_context;
    if (!in->name)
        in->name = "unnamed";
}

static int finish(fg_infer_model *m, fg_errbuf *eb)
{
    if (m->tok.n != m->info.vocab_size)
        return fg_failf(eb, FG_EPARSE, "the tokenizer has %u tokens but the model %u", m->tok.n,
                        m->info.vocab_size);
    if (find_eog(m))
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    fg__model_finish_info(m);
    m->pool = fg__pool_create(m->lim.threads);
    if (!m->pool)
        return fg_failf(eb, FG_ENOMEM, "cannot start the inference threads");
    atomic_init(&m->refs, 1);
    return FG_OK;
}

static bool is_gguf(const fg__map *map)
{
    return map->len >= 4 && memcmp(map->data, "GGUF", 4) == 0;
}

static int load_parts(fg_infer_model *m, const uint8_t *tok, size_t tok_len, bool have_tok,
                      fg_errbuf *eb)
{
    if (is_gguf(&m->map))
        return fg__model_from_gguf(m, eb);
    if (!have_tok)
        return fg_failf(eb, FG_EINVAL,
                        "the model is not a GGUF file, so it is read as a llama2.c checkpoint, "
                        "which needs its tokenizer: pass --tokenizer FILE (tokenizer.bin)");
    int rc = fg__model_from_llama2c(m, eb);
    if (rc == FG_OK)
        rc = fg__tok_from_llama2c(&m->tok, tok, tok_len, m->info.vocab_size, eb);
    return rc;
}

static void destroy(fg_infer_model *m)
{
    if (!m)
        return;
    fg__pool_free(m->pool);
    fg__tok_free(&m->tok);
    fg__gguf_free(&m->gguf);
    fg__map_close(&m->map);
    fg__map_close(&m->tok_map);
    free(m->layers);
    free(m->norms);
    free(m->name);
    free(m->chat_template);
    free(m->eog);
    free(m);
}

int fg__model_load_mem(const uint8_t *data, size_t len, const uint8_t *tok, size_t tok_len,
                       const fg_infer_load_opts *opts, fg_infer_model **out, fg_errbuf *eb)
{
    *out = NULL;
    fg_infer_model *m = calloc(1, sizeof *m);
    if (!m)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    fg__limits_from_opts(&m->lim, opts);
    m->map = (fg__map){data, len, false};
    int rc = load_parts(m, tok, tok_len, tok != NULL, eb);
    if (rc == FG_OK)
        rc = finish(m, eb);
    if (rc) {
        destroy(m);
        return rc;
    }
    *out = m;
    return FG_OK;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int fg_infer_model_load(const char *path, const char *tokenizer_path,
                        const fg_infer_load_opts *opts, fg_infer_model **out, fg_errbuf *eb)
{
    *out = NULL;
    fg_infer_model *m = calloc(1, sizeof *m);
    if (!m)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    fg__limits_from_opts(&m->lim, opts);
    int rc = fg__map_open(&m->map, path, m->lim.max_file_bytes, eb);
    if (rc == FG_OK && tokenizer_path && !is_gguf(&m->map))
        rc = fg__map_open(&m->tok_map, tokenizer_path, 1u << 30, eb);
    if (rc == FG_OK)
        rc = load_parts(m, m->tok_map.data, m->tok_map.len, m->tok_map.data != NULL, eb);
    if (rc == FG_OK && !m->name && (m->name = strdup(base_name(path))))
        m->info.name = m->name;
    if (rc == FG_OK)
        rc = finish(m, eb);
    if (rc) {
        /* Say which file the message is about. */
        if (eb && !strstr(eb->msg, path)) {
            char msg[FG_ERRMSG_MAX];
            size_t k = strlen(path), rest = strlen(eb->msg);
            if (k + 2 + rest < sizeof msg) {
                memcpy(msg, path, k);
                memcpy(msg + k, ": ", 2);
                memcpy(msg + k + 2, eb->msg, rest + 1);
                memcpy(eb->msg, msg, sizeof msg);
            }
        }
        destroy(m);
        return rc;
    }
    *out = m;
    return FG_OK;
}

fg_infer_model *fg_infer_model_ref(fg_infer_model *m)
{
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void fg_infer_model_unref(fg_infer_model *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        destroy(m);
}

const fg_infer_info *fg_infer_model_info(const fg_infer_model *m)
{
    return &m->info;
}

int fg_infer_tokenize(const fg_infer_model *m, const char *text, size_t len, int flags,
                      int32_t **out, size_t *n_out, fg_errbuf *eb)
{
    return fg__tok_encode(&m->tok, text, len, flags, out, n_out, eb);
}

int fg_infer_detokenize(const fg_infer_model *m, const int32_t *ids, size_t n, fg_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        int rc = fg__tok_piece(&m->tok, i ? ids[i - 1] : -1, ids[i], out);
        if (rc)
            return rc;
    }
    return FG_OK;
}

const char *fg_infer_token_text(const fg_infer_model *m, int32_t id)
{
    return id >= 0 && (uint32_t)id < m->tok.n ? m->tok.text[id] : NULL;
}
