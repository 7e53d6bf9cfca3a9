/* The numerical building blocks of a Llama layer. */
#include "infer/infer_int.h"

#include <math.h>

void fg__rmsnorm(float *out, const float *x, const float *w, size_t n, float eps)
{
    float ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += x[i] * x[i];
    ss = 1.0f / sqrtf(ss / (float)n + eps);
    for (size_t i = 0; i < n; i++)
        out[i] = w[i] * (ss * x[i]);
}

void fg__softmax(float *x, size_t n)
{
    if (n == 0)
        return;
    float max = x[0], sum = 0;
    for (size_t i = 1; i < n; i++)
        max = x[i] > max ? x[i] : max;
    for (size_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    for (size_t i = 0; i < n; i++)
        x[i] /= sum;
}

void fg__rope(float *vec, size_t n_heads, size_t head_size, size_t rope_dim, uint32_t pos,
              float base)
{
    for (size_t i = 0; i + 1 < rope_dim; i += 2) {
        float freq = 1.0f / powf(base, (float)i / (float)rope_dim);
        float val = (float)pos * freq, fcr = cosf(val), fci = sinf(val);
        for (size_t h = 0; h < n_heads; h++) {
            float *v = vec + h * head_size + i;
            float v0 = v[0], v1 = v[1];
            v[0] = v0 * fcr - v1 * fci;
            v[1] = v0 * fci + v1 * fcr;
        }
    }
}

float fg__silu(float x)
{
    return x / (1.0f + expf(-x));
}
