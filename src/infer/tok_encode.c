/* Text to tokens. Special tokens are cut out first (when asked); each stretch
 * of plain text is then encoded either SentencePiece-style (start from one
 * token per character, bytes for unknown characters, and merge the adjacent
 * pair whose union has the best score until none exists) or GPT-2 style (split
 * into words, map bytes to the byte-level alphabet, apply BPE merges by rank). */
#include "infer/infer_int.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

typedef struct out_ids {
    int32_t *ids;
    size_t n, cap;
} out_ids;

static void push(out_ids *o, int32_t id)
{
    if (id >= 0 && o->n < o->cap)
        o->ids[o->n++] = id;
}

static size_t utf8_len(uint8_t c)
{
    return c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
}

/* ---- SentencePiece-style ---- */

typedef struct spm {
    const fg__tokenizer *t;
    int32_t *sym;       /* current tokens */
    float *score;       /* score of merging sym[i] and sym[i+1] */
    int32_t *merged;    /* the token that merge gives */
    char *tmp;
    size_t n;
} spm;

static void pair_score(spm *s, size_t i)
{
    const fg__tokenizer *t = s->t;
    s->score[i] = -FLT_MAX;
    s->merged[i] = -1;
    if (i + 1 >= s->n)
        return;
    int32_t a = s->sym[i], b = s->sym[i + 1];
    size_t la = t->len[a], lb = t->len[b];
    memcpy(s->tmp, t->text[a], la);
    memcpy(s->tmp + la, t->text[b], lb);
    int32_t id = fg__tok_lookup(t, s->tmp, la + lb);
    if (id >= 0 && t->kind[id] != FG__TOK_CONTROL) {
        s->score[i] = t->score[id];
        s->merged[i] = id;
    }
}

static void spm_initial(spm *s, const char *text, size_t len)
{
    const fg__tokenizer *t = s->t;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_len((uint8_t)text[i]);
        if (k > len - i)
            k = len - i;
        int32_t id = fg__tok_lookup(t, text + i, k);
        if (id >= 0) {
            s->sym[s->n++] = id;
        } else {
            for (size_t j = 0; j < k; j++) {
                int32_t b = t->byte_tok[(uint8_t)text[i + j]];
                if (b >= 0 || t->unk >= 0)
                    s->sym[s->n++] = b >= 0 ? b : t->unk;
            }
        }
        i += k;
    }
}

static void spm_merge(spm *s)
{
    for (size_t i = 0; i < s->n; i++)
        pair_score(s, i);
    for (;;) {
        size_t best = SIZE_MAX;
        float best_score = -FLT_MAX;
        for (size_t i = 0; i + 1 < s->n; i++)
            if (s->merged[i] >= 0 && (best == SIZE_MAX || s->score[i] > best_score)) {
                best = i;
                best_score = s->score[i];
            }
        if (best == SIZE_MAX)
            return;
        s->sym[best] = s->merged[best];
        size_t tail = s->n - best - 2;
        memmove(s->sym + best + 1, s->sym + best + 2, tail * sizeof *s->sym);
        memmove(s->score + best + 1, s->score + best + 2, tail * sizeof *s->score);
        memmove(s->merged + best + 1, s->merged + best + 2, tail * sizeof *s->merged);
        s->n--;
        pair_score(s, best);
        if (best > 0)
            pair_score(s, best - 1);
    }
}

static int encode_spm(const fg__tokenizer *t, const char *text, size_t len, out_ids *o)
{
    spm s = {t, malloc(len * 4 * sizeof(int32_t)), malloc(len * 4 * sizeof(float)),
             malloc(len * 4 * sizeof(int32_t)), malloc((size_t)t->max_len * 2 + 8), 0};
    int rc = FG_ENOMEM;
    if (s.sym && s.score && s.merged && s.tmp) {
        spm_initial(&s, text, len);
        spm_merge(&s);
        for (size_t i = 0; i < s.n; i++)
            push(o, s.sym[i]);
        rc = FG_OK;
    }
    free(s.sym);
    free(s.score);
    free(s.merged);
    free(s.tmp);
    return rc;
}

/* ---- GPT-2 style ---- */

enum { C_LETTER, C_DIGIT, C_SPACE, C_OTHER };

static int char_class(uint8_t c)
{
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return C_LETTER;
    if (c >= 0x80)
        return C_LETTER;
    if (c >= '0' && c <= '9')
        return C_DIGIT;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
        return C_SPACE;
    return C_OTHER;
}

/* Length of the word starting at text: an optional space then a run of one
 * class (digits up to three), or a run of whitespace that leaves its last
 * space to the word after it. */
static size_t next_word(const char *text, size_t len)
{
    const uint8_t *p = (const uint8_t *)text;
    size_t i = 0;
    if (p[0] == ' ' && len > 1 && char_class(p[1]) != C_SPACE)
        i = 1;
    int cls = char_class(p[i]);
    size_t start = i;
    while (i < len && char_class(p[i]) == cls && (cls != C_DIGIT || i - start < 3))
        i++;
    if (cls == C_SPACE && i < len && i - start > 1 && p[i - 1] == ' ')
        i--;
    return i;
}

typedef struct range {
    uint32_t off, len;
} range;

static void bpe_word(const fg__tokenizer *t, const char *w, size_t n, range *sym, char *tmp,
                     out_ids *o)
{
    size_t m = 0;
    for (size_t i = 0; i < n; m++) {
        size_t k = utf8_len((uint8_t)w[i]);
        k = k > n - i ? n - i : k;
        sym[m] = (range){(uint32_t)i, (uint32_t)k};
        i += k;
    }
    for (;;) {
        int32_t best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            memcpy(tmp, w + sym[i].off, sym[i].len);
            tmp[sym[i].len] = ' ';
            memcpy(tmp + sym[i].len + 1, w + sym[i + 1].off, sym[i + 1].len);
            int32_t r = fg__tok_merge_rank(t, tmp, sym[i].len + 1 + sym[i + 1].len);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                at = i;
            }
        }
        if (best < 0)
            break;
        sym[at].len += sym[at + 1].len;
        memmove(sym + at + 1, sym + at + 2, (m - at - 2) * sizeof *sym);
        m--;
    }
    for (size_t i = 0; i < m; i++) {
        int32_t id = fg__tok_lookup(t, w + sym[i].off, sym[i].len);
        push(o, id >= 0 ? id : t->unk);
    }
}

static int encode_bpe(const fg__tokenizer *t, const char *text, size_t len, out_ids *o)
{
    char *enc = malloc(len * 2 + 1), *tmp = malloc(len * 2 + 2);
    range *sym = malloc((len + 1) * sizeof *sym);
    int rc = FG_ENOMEM;
    if (enc && tmp && sym) {
        for (size_t i = 0; i < len;) {
            size_t w = next_word(text + i, len - i);
            size_t n = fg__bytelevel_encode((const uint8_t *)text + i, w, enc);
            bpe_word(t, enc, n, sym, tmp, o);
            i += w;
        }
        rc = FG_OK;
    }
    free(enc);
    free(tmp);
    free(sym);
    return rc;
}

/* ---- special tokens and the driver ---- */

static int32_t special_at(const fg__tokenizer *t, const char *s, size_t left)
{
    for (uint32_t i = 0; i < t->n_special; i++) {
        int32_t id = t->special[i];
        if (t->len[id] <= left && memcmp(t->text[id], s, t->len[id]) == 0)
            return id;
    }
    return -1;
}

static int encode_plain(const fg__tokenizer *t, const char *text, size_t len, bool prefix,
                        out_ids *o)
{
    if (len == 0)
        return FG_OK;
    if (t->gpt2)
        return encode_bpe(t, text, len, o);
    if (!prefix || !t->space_prefix)
        return encode_spm(t, text, len, o);
    char *p = malloc(len + 1);
    if (!p)
        return FG_ENOMEM;
    p[0] = ' ';
    memcpy(p + 1, text, len);
    int rc = encode_spm(t, p, len + 1, o);
    free(p);
    return rc;
}

int fg__tok_encode(const fg__tokenizer *t, const char *text, size_t len, int flags,
                   int32_t **out, size_t *n_out, fg_errbuf *eb)
{
    out_ids o = {NULL, 0, len * 4 + 4};
    o.ids = malloc(o.cap * sizeof *o.ids);
    if (!o.ids)
        return fg_failf(eb, FG_ENOMEM, "tokenizer: out of memory for %zu bytes of text", len);
    if ((flags & FG_INFER_TOK_BOS) && t->add_bos && t->bos >= 0)
        push(&o, t->bos);
    bool prev_special = true; /* SentencePiece puts a space after each special token */
    size_t start = 0, i = 0;
    int rc = FG_OK;
    while (rc == FG_OK && i < len) {
        int32_t sp = (flags & FG_INFER_TOK_SPECIAL) ? special_at(t, text + i, len - i) : -1;
        if (sp < 0) {
            i++;
            continue;
        }
        if (i > start) {
            rc = encode_plain(t, text + start, i - start, prev_special, &o);
            prev_special = false;
        }
        push(&o, sp);
        prev_special = true;
        i += t->len[sp];
        start = i;
    }
    if (rc == FG_OK && start < len)
        rc = encode_plain(t, text + start, len - start, prev_special, &o);
    if (rc) {
        free(o.ids);
        return fg_failf(eb, rc, "tokenizer: out of memory");
    }
    *out = o.ids;
    *n_out = o.n;
    return FG_OK;
}
