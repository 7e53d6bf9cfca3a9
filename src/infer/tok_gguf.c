/* The tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*): token
 * texts, scores, kinds, BPE merges and special token ids. */
#include "infer/infer_int.h"

#include <stdlib.h>
#include <string.h>

static const fg__gguf_kv *array_of(const fg__gguf *g, const char *key, uint32_t elem,
                                   uint64_t count, fg_errbuf *eb, int *rc)
{
    const fg__gguf_kv *kv = fg__gguf_find(g, key);
    if (!kv)
        return NULL;
    if (kv->type != FG__GV_ARRAY || kv->elem_type != elem || (count && kv->count != count)) {
        *rc = fg_failf(eb, FG_EPARSE,
                       "GGUF: %s must be an array of %llu elements of type %u (found type %u, "
                       "%llu elements)",
                       key, (unsigned long long)count, elem, kv->elem_type,
                       (unsigned long long)kv->count);
        return NULL;
    }
    return kv;
}

/* Copies token texts; SentencePiece's U+2581 becomes a space. */
static int copy_texts(fg__tokenizer *t, const fg__gguf_kv *kv)
{
    const uint8_t *p = kv->val;
    for (uint32_t i = 0; i < t->n; i++) {
        uint64_t n;
        memcpy(&n, p, 8);
        const char *s = (const char *)p + 8;
        p += 8 + n;
        char *d = malloc((size_t)n + 1);
        if (!d)
            return FG_ENOMEM;
        size_t o = 0;
        for (size_t j = 0; j < n; j++) {
            if (!t->gpt2 && j + 2 < n && memcmp(s + j, "\xe2\x96\x81", 3) == 0) {
                d[o++] = ' ';
                j += 2;
            } else {
                d[o++] = s[j];
            }
        }
        d[o] = '\0';
        t->text[i] = d;
        t->len[i] = (uint32_t)o;
    }
    return FG_OK;
}

static void kinds(fg__tokenizer *t, const fg__gguf_kv *types)
{
    for (uint32_t i = 0; i < t->n; i++) {
        int32_t k = FG__TOK_NORMAL;
        if (types)
            memcpy(&k, types->val + 4 * (size_t)i, 4);
        else if (t->len[i] == 6 && memcmp(t->text[i], "<0x", 3) == 0)
            k = FG__TOK_BYTE;
        else if ((int32_t)i == t->bos || (int32_t)i == t->eos)
            k = FG__TOK_CONTROL;
        t->kind[i] = (uint8_t)(k >= FG__TOK_NORMAL && k <= FG__TOK_BYTE ? k : FG__TOK_NORMAL);
    }
}

static int32_t token_id(const fg__gguf *g, const char *key, int32_t dflt)
{
    uint64_t v;
    return fg__gguf_get_u64(g, key, &v) && v < INT32_MAX ? (int32_t)v : dflt;
}

static int merges(fg__tokenizer *t, const fg__gguf_kv *kv)
{
    if (kv->count > UINT32_MAX / 4)
        return FG_ELIMIT;
    t->n_merges = (uint32_t)kv->count;
    t->merge_text = calloc(t->n_merges + 1, sizeof *t->merge_text);
    t->merge_len = calloc(t->n_merges + 1, sizeof *t->merge_len);
    if (!t->merge_text || !t->merge_len)
        return FG_ENOMEM;
    const uint8_t *p = kv->val;
    for (uint32_t i = 0; i < t->n_merges; i++) {
        uint64_t n;
        memcpy(&n, p, 8);
        t->merge_text[i] = (const char *)p + 8;
        t->merge_len[i] = (uint32_t)n;
        p += 8 + n;
    }
    return fg__tok_build_merges(t);
}

int fg__tok_from_gguf(fg__tokenizer *t, const fg__gguf *g, const fg__limits *lim, fg_errbuf *eb)
{
    const char *model;
    size_t mlen;
    if (!fg__gguf_get_str(g, "tokenizer.ggml.model", &model, &mlen))
        return fg_failf(eb, FG_EPARSE,
                        "GGUF: the file has no tokenizer (tokenizer.ggml.model is missing)");
    bool gpt2 = mlen == 4 && memcmp(model, "gpt2", 4) == 0;
    if (!gpt2 && !(mlen == 5 && memcmp(model, "llama", 5) == 0))
        return fg_failf(eb, FG_EUNSUPPORTED,
                        "GGUF: tokenizer '%.*s' is not supported ('llama' or 'gpt2')", (int)mlen,
                        model);
    int rc = FG_OK;
    const fg__gguf_kv *toks = array_of(g, "tokenizer.ggml.tokens", FG__GV_STRING, 0, eb, &rc);
    if (!toks)
        return rc ? rc : fg_failf(eb, FG_EPARSE, "GGUF: tokenizer.ggml.tokens is missing");
    if (toks->count == 0 || toks->count > lim->max_vocab)
        return fg_failf(eb, FG_ELIMIT, "GGUF: %llu tokens is out of range (1..%u)",
                        (unsigned long long)toks->count, lim->max_vocab);
    uint32_t n = (uint32_t)toks->count;
    const fg__gguf_kv *scores = array_of(g, "tokenizer.ggml.scores", FG__GV_F32, n, eb, &rc);
    const fg__gguf_kv *types = array_of(g, "tokenizer.ggml.token_type", FG__GV_I32, n, eb, &rc);
    const fg__gguf_kv *mer = array_of(g, "tokenizer.ggml.merges", FG__GV_STRING, 0, eb, &rc);
    if (rc)
        return rc;
    if ((rc = fg__tok_alloc(t, n)) != FG_OK)
        return fg_failf(eb, rc, "GGUF: out of memory for %u tokens", n);
    t->gpt2 = gpt2;
    t->bos = token_id(g, "tokenizer.ggml.bos_token_id", gpt2 ? -1 : 1);
    t->eos = token_id(g, "tokenizer.ggml.eos_token_id", gpt2 ? -1 : 2);
    t->unk = token_id(g, "tokenizer.ggml.unknown_token_id", gpt2 ? -1 : 0);
    t->space_prefix = !gpt2;
    fg__gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", &t->space_prefix);
    t->add_bos = !gpt2;
    fg__gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &t->add_bos);
    if ((rc = copy_texts(t, toks)) || (gpt2 && mer && (rc = merges(t, mer))))
        return fg_failf(eb, rc, "GGUF: out of memory or too many merges in the tokenizer");
    if (scores)
        memcpy(t->score, scores->val, (size_t)n * 4);
    kinds(t, types);
    return fg__tok_finish(t, eb);
}
