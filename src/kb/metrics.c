#include "kb/eval.h"

#include <math.h>
#include <stdlib.h>

static int desc_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (y > x) - (y < x);
}

static double dcg(const int *rel, size_t n, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < n && i < k; i++)
        if (rel[i] > 0)
            s += rel[i] / log2((double)i + 2);
    return s;
}

double fg_kb_ndcg(const int *rel, size_t n, const int *ideal, size_t nideal, size_t k)
{
    int *sorted = malloc((nideal ? nideal : 1) * sizeof *sorted);
    if (!sorted)
        return 0;
    for (size_t i = 0; i < nideal; i++)
        sorted[i] = ideal[i];
    qsort(sorted, nideal, sizeof *sorted, desc_int);
    double best = dcg(sorted, nideal, k);
    free(sorted);
    return best > 0 ? dcg(rel, n, k) / best : 0;
}
