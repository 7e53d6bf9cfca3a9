/* Choosing the next token from the logits: argmax at temperature 0, else
 * softmax at the temperature, optionally cut to the top k and to the smallest
 * set whose probability reaches top p, then a draw from a seeded PRNG
 * (SplitMix64), so a seed gives the same text on every machine. */
#include "infer/infer_int.h"

#include <math.h>
#include <stdlib.h>

uint64_t fg__rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float fg__rng_unit(uint64_t *state)
{
    return (float)(fg__rng_next(state) >> 40) / 16777216.0f;
}

int fg__sampler_init(fg__sampler *s, uint32_t vocab, float temperature, float top_p,
                     uint32_t top_k, uint64_t seed)
{
    s->temperature = temperature;
    s->top_p = top_p;
    s->top_k = top_k;
    s->rng = seed;
    s->n = vocab;
    s->cand = malloc((size_t)vocab * sizeof *s->cand);
    return s->cand ? FG_OK : FG_ENOMEM;
}

void fg__sampler_free(fg__sampler *s)
{
    free(s->cand);
    s->cand = NULL;
}

static int32_t argmax(const float *x, uint32_t n)
{
    int32_t best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = (int32_t)i;
    return best;
}

static int by_p_desc(const void *a, const void *b)
{
    float pa = ((const struct fg__cand *)a)->p, pb = ((const struct fg__cand *)b)->p;
    return pa > pb ? -1 : pa < pb ? 1 : 0;
}

/* Draws from probs[0..n) (unsorted, summing to total). */
static int32_t draw_all(fg__sampler *s, const float *probs, uint32_t n)
{
    float r = fg__rng_unit(&s->rng), cum = 0;
    for (uint32_t i = 0; i < n; i++) {
        cum += probs[i];
        if (r < cum)
            return (int32_t)i;
    }
    return (int32_t)n - 1;
}

/* Restores the min-heap c[0..k) below j. */
static void sift_down(struct fg__cand *c, uint32_t k, uint32_t j)
{
    for (;;) {
        uint32_t l = 2 * j + 1, m = j;
        if (l < k && c[l].p < c[m].p)
            m = l;
        if (l + 1 < k && c[l + 1].p < c[m].p)
            m = l + 1;
        if (m == j)
            return;
        struct fg__cand t = c[j];
        c[j] = c[m];
        c[m] = t;
        j = m;
    }
}

/* Moves the k most likely candidates to the front, in any order (a min-heap
 * over the first k), so only they need sorting. */
static void select_top_k(struct fg__cand *c, uint32_t n, uint32_t k)
{
    for (uint32_t i = k / 2; i-- > 0;)
        sift_down(c, k, i);
    for (uint32_t i = k; i < n; i++) {
        if (c[i].p <= c[0].p)
            continue;
        c[0] = c[i];
        sift_down(c, k, 0);
    }
}

int32_t fg__sample(fg__sampler *s, float *logits)
{
    if (s->temperature <= 0)
        return argmax(logits, s->n);
    for (uint32_t i = 0; i < s->n; i++)
        logits[i] /= s->temperature;
    fg__softmax(logits, s->n);
    bool use_p = s->top_p > 0 && s->top_p < 1;
    if (!use_p && (s->top_k == 0 || s->top_k >= s->n))
        return draw_all(s, logits, s->n);
    /* Tokens below this cannot be in the nucleus: all of them together hold
     * less than 1 - top_p. */
    float cutoff = use_p && s->n > 1 ? (1.0f - s->top_p) / (float)(s->n - 1) : 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (logits[i] >= cutoff)
            s->cand[n++] = (struct fg__cand){logits[i], (int32_t)i};
    if (n == 0)
        return argmax(logits, s->n);
    if (s->top_k && s->top_k < n) {
        select_top_k(s->cand, n, s->top_k);
        n = s->top_k;
    }
    qsort(s->cand, n, sizeof *s->cand, by_p_desc);
    float total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += s->cand[i].p;
    if (use_p) {
        float cum = 0, want = s->top_p * total;
        for (uint32_t i = 0; i < n; i++) {
            cum += s->cand[i].p;
            if (cum >= want) {
                n = i + 1;
                total = cum;
                break;
            }
        }
    }
    float r = fg__rng_unit(&s->rng) * total, cum = 0;
    for (uint32_t i = 0; i < n; i++) {
        cum += s->cand[i].p;
        if (r < cum)
            return s->cand[i].id;
    }
    return s->cand[n - 1].id;
}
