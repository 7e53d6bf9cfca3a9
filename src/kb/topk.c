#include "kb/topk.h"

#include <stdlib.h>

/* a ranks below b (is worse than b). */
static int worse(const fg_kb_hit *a, const fg_kb_hit *b)
{
    return a->score < b->score || (a->score == b->score && a->doc > b->doc);
}

void fg_kb_topk_init(fg_kb_topk *t, fg_kb_hit *storage, size_t k)
{
    t->h = storage;
    t->n = 0;
    t->k = k;
}

static void sift_down(fg_kb_hit *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&h[l], &h[m]))
            m = l;
        if (r < n && worse(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        fg_kb_hit tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

void fg_kb_topk_push(fg_kb_topk *t, uint32_t doc, float score)
{
    fg_kb_hit x = {doc, score};
    if (t->n < t->k) {
        size_t i = t->n++;
        t->h[i] = x;
        while (i > 0 && worse(&t->h[i], &t->h[(i - 1) / 2])) {
            fg_kb_hit tmp = t->h[i];
            t->h[i] = t->h[(i - 1) / 2];
            t->h[(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
        return;
    }
    if (t->k == 0 || !worse(&t->h[0], &x))
        return;
    t->h[0] = x;
    sift_down(t->h, t->n, 0);
}

static int best_first(const void *a, const void *b)
{
    return worse(a, b) ? 1 : worse(b, a) ? -1 : 0;
}

size_t fg_kb_topk_finish(fg_kb_topk *t)
{
    qsort(t->h, t->n, sizeof *t->h, best_first);
    return t->n;
}
