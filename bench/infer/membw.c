/* Memory read bandwidth: threads each stream over their share of a buffer far
 * larger than the caches, summing it with AVX2 loads (SSE2 when absent).
 * Prints GB/s, the median of several passes. Usage: membw [THREADS] [MIB] */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct part {
    const uint8_t *p;
    size_t n;
    uint64_t sink;
} part;

__attribute__((target("avx2"))) static void *reader(void *arg)
{
    part *w = arg;
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (size_t i = 0; i + 64 <= w->n; i += 64) {
        acc0 = _mm256_xor_si256(acc0, _mm256_load_si256((const __m256i *)(w->p + i)));
        acc1 = _mm256_xor_si256(acc1, _mm256_load_si256((const __m256i *)(w->p + i + 32)));
    }
    uint64_t out[4];
    _mm256_storeu_si256((__m256i *)out, _mm256_xor_si256(acc0, acc1));
    w->sink = out[0] ^ out[1] ^ out[2] ^ out[3];
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    size_t mib = argc > 2 ? (size_t)atoi(argv[2]) : 512, n = mib << 20;
    if (threads < 1 || threads > 64)
        return 2;
    uint8_t *buf = aligned_alloc(64, n);
    if (!buf)
        return 1;
    memset(buf, 1, n);
    enum { PASSES = 7 };
    double gbs[PASSES];
    for (int pass = 0; pass < PASSES; pass++) {
        pthread_t t[64];
        part w[64];
        double t0 = now();
        for (int i = 0; i < threads; i++) {
            w[i] = (part){buf + n / threads * i, n / threads, 0};
            pthread_create(&t[i], NULL, reader, &w[i]);
        }
        for (int i = 0; i < threads; i++)
            pthread_join(t[i], NULL);
        gbs[pass] = (double)n / (now() - t0) / 1e9;
    }
    qsort(gbs, PASSES, sizeof gbs[0], cmp);
    printf("%.2f\n", gbs[PASSES / 2]);
    free(buf);
    return 0;
}
