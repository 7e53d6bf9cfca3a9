/* A bounded min-heap keeping the k best hits (higher score, then lower doc). */
#ifndef FG_KB_TOPK_H
#define FG_KB_TOPK_H

#include "kb/index.h"

typedef struct fg_kb_topk {
    fg_kb_hit *h; /* caller's storage for k hits */
    size_t n, k;
} fg_kb_topk;

void fg_kb_topk_init(fg_kb_topk *t, fg_kb_hit *storage, size_t k);
void fg_kb_topk_push(fg_kb_topk *t, uint32_t doc, float score);
/* Sorts the kept hits best first in place; returns their count. */
size_t fg_kb_topk_finish(fg_kb_topk *t);

#endif
