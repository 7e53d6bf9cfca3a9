/* Matrix times a batch of vectors over the pool: each thread takes a
 * contiguous range of rows, and each weight row is read from memory once for
 * the whole batch (it stays in L1 while it meets every vector), which is what
 * makes prompt evaluation faster than generation. Quantised weights meet Q8_0
 * copies of the vectors, made once per call. */
#include "infer/infer_int.h"

/* Below this many weight bytes a call is cheaper on the caller's thread alone. */
#define FG_PARALLEL_MIN_BYTES (64 * 1024)

/* Up to three matrices that read the same input (q, k, v; gate and up) run as
 * one pool call: fewer hand-offs between threads per layer. */
#define MAX_PARTS 3

typedef struct job {
    const fg__tensor *t[MAX_PARTS];
    float *out[MAX_PARTS];     /* n x rows of each */
    size_t first[MAX_PARTS + 1]; /* row index where each part starts */
    unsigned parts;
    const float *x;            /* n x cols */
    const fg__block_q8_0 *xq;  /* n x cols/32 */
    uint32_t n;
} job;

static float dot_row(const fg__tensor *t, const void *row, const float *x,
                     const fg__block_q8_0 *xq)
{
    size_t n = (size_t)t->cols;
    switch (t->type) {
    case FG__T_F32: return fg__dot_f32(row, x, n);
    case FG__T_F16: return fg__dot_f16(row, x, n);
    case FG__T_BF16: return fg__dot_bf16(row, x, n);
    case FG__T_Q8_0: return fg__dot_q8_0(row, xq, n);
    case FG__T_Q4_0: return fg__dot_q4_0(row, xq, n);
    default: return 0;
    }
}

static void part_rows(const job *j, unsigned p, size_t begin, size_t end)
{
    const fg__tensor *t = j->t[p];
    const uint8_t *base = t->data;
    size_t cols = (size_t)t->cols, blocks = cols / FG__QK, nrows = (size_t)t->rows;
    for (size_t r = begin; r < end; r++) {
        const void *row = base + r * t->row_bytes;
        for (uint32_t b = 0; b < j->n; b++)
            j->out[p][b * nrows + r] = dot_row(t, row, j->x + b * cols, j->xq + b * blocks);
    }
}

static void rows(void *ctx, size_t begin, size_t end)
{
    const job *j = ctx;
    for (unsigned p = 0; p < j->parts; p++) {
        size_t lo = begin > j->first[p] ? begin : j->first[p];
        size_t hi = end < j->first[p + 1] ? end : j->first[p + 1];
        if (lo < hi)
            part_rows(j, p, lo - j->first[p], hi - j->first[p]);
    }
}

/* ts share their column count; their types may differ. */
void fg__matmul_multi(fg__pool *pool, const fg__tensor *const *ts, float *const *outs,
                      unsigned parts, const float *x, uint32_t n, fg__block_q8_0 *xq)
{
    if (parts > MAX_PARTS)
        parts = MAX_PARTS;
    job j = {.parts = parts, .x = x, .xq = xq, .n = n};
    uint64_t bytes = 0;
    bool quantised = false;
    for (unsigned p = 0; p < parts; p++) {
        j.t[p] = ts[p];
        j.out[p] = outs[p];
        j.first[p + 1] = j.first[p] + (size_t)ts[p]->rows;
        bytes += (uint64_t)ts[p]->row_bytes * ts[p]->rows * n;
        quantised |= ts[p]->type == FG__T_Q8_0 || ts[p]->type == FG__T_Q4_0;
    }
    size_t cols = (size_t)ts[0]->cols;
    if (quantised)
        for (uint32_t b = 0; b < n; b++)
            fg__quantize_q8_0(x + b * cols, xq + b * (cols / FG__QK), cols);
    if (bytes < FG_PARALLEL_MIN_BYTES)
        rows(&j, 0, j.first[parts]);
    else
        fg__pool_run(pool, j.first[parts], rows, &j);
}

void fg__matmul(fg__pool *pool, const fg__tensor *t, const float *x, uint32_t n,
                fg__block_q8_0 *xq, float *out)
{
    fg__matmul_multi(pool, &t, &out, 1, x, n, xq);
}

void fg__matvec(fg__pool *pool, const fg__tensor *t, const float *x, fg__block_q8_0 *xq,
                float *out)
{
    fg__matmul(pool, t, x, 1, xq, out);
}
