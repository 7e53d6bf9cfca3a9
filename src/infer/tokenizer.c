/* The vocabulary: token texts with scores and kinds, a hash index for lookups,
 * the byte-fallback table and the list of special tokens. Encoding is in
 * tok_encode.c; this file also turns tokens back into bytes. */
#include "infer/infer_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t fg__hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

int fg__tok_alloc(fg__tokenizer *t, uint32_t n)
{
    memset(t, 0, sizeof *t);
    t->bos = t->eos = t->unk = -1;
    t->n = n;
    t->text = calloc(n, sizeof *t->text);
    t->len = calloc(n, sizeof *t->len);
    t->score = calloc(n, sizeof *t->score);
    t->kind = calloc(n, sizeof *t->kind);
    if (!t->text || !t->len || !t->score || !t->kind)
        return FG_ENOMEM;
    return FG_OK;
}

void fg__tok_free(fg__tokenizer *t)
{
    if (t->text)
        for (uint32_t i = 0; i < t->n; i++)
            free(t->text[i]);
    free(t->text);
    free(t->len);
    free(t->score);
    free(t->kind);
    free(t->sorted); /* the hash index */
    free(t->special);
    free(t->merge_text);
    free(t->merge_len);
    free(t->merge_index);
    memset(t, 0, sizeof *t);
}

/* t->sorted is an open-addressing hash table of ids, size a power of two. */
static uint32_t index_size(uint32_t n)
{
    uint32_t s = 16;
    while (s < n * 2)
        s *= 2;
    return s;
}

int32_t fg__tok_lookup(const fg__tokenizer *t, const char *s, size_t len)
{
    uint32_t mask = index_size(t->n) - 1;
    for (uint64_t h = fg__hash_bytes(s, len) & mask;; h = (h + 1) & mask) {
        int32_t id = t->sorted[h];
        if (id < 0)
            return -1;
        if (t->len[id] == len && memcmp(t->text[id], s, len) == 0)
            return id;
    }
}

static int build_index(fg__tokenizer *t)
{
    uint32_t size = index_size(t->n), mask = size - 1;
    t->sorted = malloc(size * sizeof *t->sorted);
    if (!t->sorted)
        return FG_ENOMEM;
    memset(t->sorted, 0xff, size * sizeof *t->sorted);
    for (uint32_t id = 0; id < t->n; id++) {
        /* The first of duplicate texts wins, like SentencePiece. */
        if (fg__tok_lookup(t, t->text[id], t->len[id]) >= 0)
            continue;
        uint64_t h = fg__hash_bytes(t->text[id], t->len[id]) & mask;
        while (t->sorted[h] >= 0)
            h = (h + 1) & mask;
        t->sorted[h] = (int32_t)id;
    }
    return FG_OK;
}

static int by_length_desc(const void *a, const void *b, void *tok)
{
    const fg__tokenizer *t = tok;
    uint32_t la = t->len[*(const int32_t *)a], lb = t->len[*(const int32_t *)b];
    return la < lb ? 1 : la > lb ? -1 : 0;
}

static int build_special(fg__tokenizer *t)
{
    t->special = calloc(t->n, sizeof *t->special);
    if (!t->special)
        return FG_ENOMEM;
    for (uint32_t id = 0; id < t->n; id++)
        if ((t->kind[id] == FG__TOK_CONTROL || t->kind[id] == FG__TOK_USER) && t->len[id] > 0)
            t->special[t->n_special++] = (int32_t)id;
    qsort_r(t->special, t->n_special, sizeof *t->special, by_length_desc, t);
    return FG_OK;
}

int fg__tok_finish(fg__tokenizer *t, fg_errbuf *eb)
{
    for (int b = 0; b < 256; b++)
        t->byte_tok[b] = -1;
    for (uint32_t id = 0; id < t->n; id++) {
        if (t->len[id] > t->max_len)
            t->max_len = t->len[id];
        unsigned byte;
        if (t->kind[id] == FG__TOK_BYTE && t->len[id] == 6 &&
            sscanf(t->text[id], "<0x%2X>", &byte) == 1 && t->byte_tok[byte & 0xff] < 0)
            t->byte_tok[byte & 0xff] = (int32_t)id;
    }
    if (build_index(t) || build_special(t))
        return fg_failf(eb, FG_ENOMEM, "tokenizer: out of memory");
    for (int32_t *p = &t->bos; p <= &t->unk; p++)
        if (*p >= (int32_t)t->n)
            *p = -1;
    return FG_OK;
}

int fg__tok_piece(const fg__tokenizer *t, int32_t prev, int32_t id, fg_buf *out)
{
    if (id < 0 || (uint32_t)id >= t->n)
        return FG_EINVAL;
    const char *s = t->text[id];
    size_t n = t->len[id];
    switch (t->kind[id]) {
    case FG__TOK_CONTROL:
    case FG__TOK_UNUSED:
        return FG_OK;
    case FG__TOK_BYTE: {
        unsigned byte;
        if (sscanf(s, "<0x%2X>", &byte) == 1)
            return fg_buf_putc(out, (char)byte);
        break;
    }
    case FG__TOK_NORMAL:
        if (t->gpt2) {
            uint8_t tmp[256];
            while (n) {
                size_t take = n > 128 ? 128 : n;
                while (take < n && ((uint8_t)s[take] & 0xc0) == 0x80)
                    take--;
                size_t k = fg__bytelevel_decode(s, take, tmp);
                int rc = fg_buf_append(out, tmp, k);
                if (rc)
                    return rc;
                s += take;
                n -= take;
            }
            return FG_OK;
        }
        if ((prev < 0 || prev == t->bos) && t->space_prefix && n > 0 && s[0] == ' ') {
            s++;
            n--;
        }
        break;
    default:
        break;
    }
    return fg_buf_append(out, s, n);
}

/* GPT-2's byte-level alphabet: printable bytes stand for themselves, the others
 * for code points from 256 up, in byte order. */
static uint32_t byte_to_cp(uint8_t b)
{
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174)
        return b;
    uint32_t k = 0;
    for (int x = 0; x < b; x++)
        if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174))
            k++;
    return 256 + k;
}

size_t fg__bytelevel_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = byte_to_cp(in[i]);
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else {
            out[o++] = (char)(0xc0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    return o;
}

static int16_t cp_to_byte[324];
static pthread_once_t bytelevel_once = PTHREAD_ONCE_INIT;

static void bytelevel_init(void)
{
    for (int c = 0; c < 324; c++)
        cp_to_byte[c] = -1;
    for (int b = 0; b < 256; b++)
        cp_to_byte[byte_to_cp((uint8_t)b)] = (int16_t)b;
}

size_t fg__bytelevel_decode(const char *in, size_t n, uint8_t *out)
{
    pthread_once(&bytelevel_once, bytelevel_init);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = (uint8_t)in[i];
        uint32_t cp = c;
        size_t k = 1;
        if ((c & 0xe0) == 0xc0 && i + 1 < n) {
            cp = (uint32_t)(c & 0x1f) << 6 | ((uint8_t)in[i + 1] & 0x3f);
            k = 2;
        }
        if (cp < 324 && cp_to_byte[cp] >= 0)
            out[o++] = (uint8_t)cp_to_byte[cp];
        else
            for (size_t j = 0; j < k; j++)
                out[o++] = (uint8_t)in[i + j];
        i += k;
    }
    return o;
}

int32_t fg__tok_merge_rank(const fg__tokenizer *t, const char *s, size_t len)
{
    if (!t->merge_index)
        return -1;
    uint32_t mask = index_size(t->n_merges) - 1;
    for (uint64_t h = fg__hash_bytes(s, len) & mask;; h = (h + 1) & mask) {
        int32_t r = t->merge_index[h];
        if (r < 0)
            return -1;
        if (t->merge_len[r] == len && memcmp(t->merge_text[r], s, len) == 0)
            return r;
    }
}

int fg__tok_build_merges(fg__tokenizer *t)
{
    uint32_t size = index_size(t->n_merges), mask = size - 1;
    t->merge_index = malloc(size * sizeof *t->merge_index);
    if (!t->merge_index)
        return FG_ENOMEM;
    memset(t->merge_index, 0xff, size * sizeof *t->merge_index);
    for (uint32_t r = 0; r < t->n_merges; r++) {
        if (fg__tok_merge_rank(t, t->merge_text[r], t->merge_len[r]) >= 0)
            continue;
        uint64_t h = fg__hash_bytes(t->merge_text[r], t->merge_len[r]) & mask;
        while (t->merge_index[h] >= 0)
            h = (h + 1) & mask;
        t->merge_index[h] = (int32_t)r;
    }
    return FG_OK;
}
