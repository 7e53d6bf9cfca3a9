/* Matrix times a batch of vectors over the pool: each thread takes a
 * contiguous range of rows, and each weight row is read from memory once for
 * the whole batch (it stays in L1 while it meets every vector), which is what
 * makes prompt evaluation faster than generation. Quantised weights meet Q8_0
 * copies of the vectors, made once per call. */
#include "infer/infer_int.h"

/* Below this many weight bytes a call is cheaper on the caller's thread alone. */
#define FG_PARALLEL_MIN_BYTES (64 * 1024)

typedef struct job {
    const fg__tensor *t;
    const float *x;            /* n x cols */
    const fg__block_q8_0 *xq;  /* n x cols/32 */
    uint32_t n;
    float *out;                /* n x rows */
} job;

static float dot_row(const fg__tensor *t, const void *row, const float *x,
                     const fg__block_q8_0 *xq)
{
    size_t n = (size_t)t->cols;
    switch (t->type) {
    case FG__T_F32: return fg__dot_f32(row, x, n);
    case FG__T_F16: return fg__dot_f16(row, x, n);
    case FG__T_Q8_0: return fg__dot_q8_0(row, xq, n);
    case FG__T_Q4_0: return fg__dot_q4_0(row, xq, n);
    default: return 0;
    }
}

static void rows(void *ctx, size_t begin, size_t end)
{
    const job *j = ctx;
    const fg__tensor *t = j->t;
    const uint8_t *base = t->data;
    size_t cols = (size_t)t->cols, blocks = cols / FG__QK, nrows = (size_t)t->rows;
    for (size_t r = begin; r < end; r++) {
        const void *row = base + r * t->row_bytes;
        for (uint32_t b = 0; b < j->n; b++)
            j->out[b * nrows + r] = dot_row(t, row, j->x + b * cols, j->xq + b * blocks);
    }
}

void fg__matmul(fg__pool *pool, const fg__tensor *t, const float *x, uint32_t n,
                fg__block_q8_0 *xq, float *out)
{
    size_t cols = (size_t)t->cols;
    if (t->type == FG__T_Q8_0 || t->type == FG__T_Q4_0)
        for (uint32_t b = 0; b < n; b++)
            fg__quantize_q8_0(x + b * cols, xq + b * (cols / FG__QK), cols);
    job j = {t, x, xq, n, out};
    if ((uint64_t)t->row_bytes * t->rows * n < FG_PARALLEL_MIN_BYTES)
        rows(&j, 0, (size_t)t->rows);
    else
        fg__pool_run(pool, (size_t)t->rows, rows, &j);
}

void fg__matvec(fg__pool *pool, const fg__tensor *t, const float *x, fg__block_q8_0 *xq,
                float *out)
{
    fg__matmul(pool, t, x, 1, xq, out);
}
