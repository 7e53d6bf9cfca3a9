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

int32_t fg__sample(fg__sampler *s, float *logits)
{
    if (s->temperature <= 0)
        return argmax(logits, s->n);
    for (uint32_t i = 0; i < s->n; i++)
        logits[i] /= s->temperature;
    fg__softmax(logits, s->n);
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n; i++)
        s->cand[n++] = (struct fg__cand){logits[i], (int32_t)i};
    qsort(s->cand, n, sizeof *s->cand, by_p_desc);
    if (s->top_k && s->top_k < n)
        n = s->top_k;
    float total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += s->cand[i].p;
    if (s->top_p > 0 && s->top_p < 1) {
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
