/* Matrix times vector over the pool: each thread takes a contiguous range of
 * rows. Quantised weights meet a Q8_0 copy of x, made once per call. */
#include "infer/infer_int.h"

/* Below this many weight bytes a call is cheaper on the caller's thread alone. */
#define FG_PARALLEL_MIN_BYTES (64 * 1024)

typedef struct job {
    const fg__tensor *t;
    const float *x;
    const fg__block_q8_0 *xq;
    float *out;
} job;

static void rows(void *ctx, size_t begin, size_t end)
{
    const job *j = ctx;
    const fg__tensor *t = j->t;
    const uint8_t *base = t->data;
    size_t n = (size_t)t->cols;
    for (size_t r = begin; r < end; r++) {
        const void *row = base + r * t->row_bytes;
        switch (t->type) {
        case FG__T_F32: j->out[r] = fg__dot_f32(row, j->x, n); break;
        case FG__T_F16: j->out[r] = fg__dot_f16(row, j->x, n); break;
        case FG__T_Q8_0: j->out[r] = fg__dot_q8_0(row, j->xq, n); break;
        case FG__T_Q4_0: j->out[r] = fg__dot_q4_0(row, j->xq, n); break;
        default: j->out[r] = 0; break;
        }
    }
}

void fg__matvec(fg__pool *pool, const fg__tensor *t, const float *x, fg__block_q8_0 *xq,
                float *out)
{
    if (t->type == FG__T_Q8_0 || t->type == FG__T_Q4_0)
        fg__quantize_q8_0(x, xq, (size_t)t->cols);
    job j = {t, x, xq, out};
    if ((uint64_t)t->row_bytes * t->rows < FG_PARALLEL_MIN_BYTES)
        rows(&j, 0, (size_t)t->rows);
    else
        fg__pool_run(pool, (size_t)t->rows, rows, &j);
}
