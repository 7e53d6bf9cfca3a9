/* A generation session: one request's KV cache, sampler and output stream.
 * Tokens are evaluated lazily (at the start of the next call), so a cancelled
 * request stops without computing another token, and each piece is handed out
 * as soon as it is sampled. */
#include "infer/infer_int.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>

struct fg_infer_session {
    fg_infer_model *m;
    fg__state st;
    fg__sampler smp;
    char **stop;
    size_t n_stop;
    uint32_t max_tokens;
    atomic_int *cancel;
    uint32_t pos;          /* tokens in the cache */
    int32_t last;          /* the last token fed or sampled */
    int32_t feed;          /* sampled, not yet evaluated; -1 when none */
    bool have_logits;
    fg_buf pending;        /* bytes produced but not yet handed out */
    fg_buf piece;          /* what the last call handed out */
    fg_infer_finish finish;
    fg_infer_usage usage;
};

static int copy_stops(fg_infer_session *s, const fg_infer_params *p)
{
    if (!p->n_stop)
        return FG_OK;
    s->stop = calloc(p->n_stop, sizeof *s->stop);
    if (!s->stop)
        return FG_ENOMEM;
    for (size_t i = 0; i < p->n_stop; i++) {
        if (!p->stop[i] || !p->stop[i][0])
            continue;
        if (!(s->stop[s->n_stop++] = strdup(p->stop[i])))
            return FG_ENOMEM;
    }
    return FG_OK;
}

int fg_infer_session_create(fg_infer_model *m, const fg_infer_params *p,
                            fg_infer_session **out, fg_errbuf *eb)
{
    static const fg_infer_params defaults;
    if (!p)
        p = &defaults;
    *out = NULL;
    if (!(p->temperature >= 0) || !(p->top_p >= 0 && p->top_p <= 1))
        return fg_failf(eb, FG_EINVAL, "temperature must be >= 0 and top_p within 0..1");
    uint32_t ctx = m->info.context;
    if (p->context && p->context < ctx)
        ctx = p->context;
    fg_infer_session *s = calloc(1, sizeof *s);
    if (!s)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    s->m = fg_infer_model_ref(m);
    s->max_tokens = p->max_tokens;
    s->cancel = p->cancel;
    s->last = s->feed = -1;
    fg_buf_init(&s->pending, 0);
    fg_buf_init(&s->piece, 0);
    int rc = fg__state_init(&s->st, m, ctx);
    if (rc == FG_OK)
        rc = fg__sampler_init(&s->smp, m->info.vocab_size, p->temperature, p->top_p, p->top_k,
                              p->seed);
    if (rc == FG_OK)
        rc = copy_stops(s, p);
    if (rc) {
        fg_infer_session_free(s);
        return fg_failf(eb, rc, "out of memory for a session with a %u-token context", ctx);
    }
    *out = s;
    return FG_OK;
}

void fg_infer_session_free(fg_infer_session *s)
{
    if (!s)
        return;
    fg__state_free(&s->st);
    fg__sampler_free(&s->smp);
    for (size_t i = 0; i < s->n_stop; i++)
        free(s->stop[i]);
    free(s->stop);
    fg_buf_free(&s->pending);
    fg_buf_free(&s->piece);
    fg_infer_model_unref(s->m);
    free(s);
}

static bool cancelled(const fg_infer_session *s)
{
    return s->cancel && atomic_load(s->cancel) != 0;
}

int fg_infer_session_prompt_tokens(fg_infer_session *s, const int32_t *ids, size_t n,
                                   fg_errbuf *eb)
{
    if (n == 0)
        return FG_OK;
    if (s->feed >= 0 || s->finish != FG_INFER_RUNNING)
        return fg_failf(eb, FG_EINVAL,
                        "a prompt can only be given before generation starts; use a new session");
    if (n >= s->st.context - s->pos)
        return fg_failf(eb, FG_ELIMIT,
                        "the prompt is %zu tokens; with the %u already in this session it does "
                        "not fit the context of %u tokens (shorten it or raise the context)",
                        n, s->pos, s->st.context);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (uint32_t)ids[i] >= s->m->info.vocab_size)
            return fg_failf(eb, FG_EINVAL, "prompt token %zu (%d) is not in the vocabulary", i,
                            ids[i]);
    uint64_t t0 = fg_clock_mono_ns();
    for (size_t i = 0; i < n; i += FG__BATCH) {
        if (cancelled(s)) {
            s->finish = FG_INFER_FINISH_CANCEL;
            return fg_failf(eb, FG_ECANCELED, "cancelled while reading the prompt");
        }
        uint32_t k = n - i < FG__BATCH ? (uint32_t)(n - i) : FG__BATCH;
        fg__forward(s->m, &s->st, ids + i, k, s->pos, i + k == n);
        s->pos += k;
        s->last = ids[i + k - 1];
    }
    s->have_logits = true;
    s->usage.prompt_tokens += (uint32_t)n;
    s->usage.prompt_ns += fg_clock_mono_ns() - t0;
    return FG_OK;
}

int fg_infer_session_prompt(fg_infer_session *s, const char *text, size_t len, int tok_flags,
                            fg_errbuf *eb)
{
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = fg_infer_tokenize(s->m, text, len, tok_flags, &ids, &n, eb);
    if (rc == FG_OK)
        rc = fg_infer_session_prompt_tokens(s, ids, n, eb);
    free(ids);
    return rc;
}

static bool is_eog(const fg_infer_model *m, int32_t id)
{
    for (size_t i = 0; i < m->n_eog; i++)
        if (m->eog[i] == id)
            return true;
    return false;
}

/* Hands out pending[0..n) as whole UTF-8. */
static int emit(fg_infer_session *s, size_t n)
{
    int rc = fg__utf8_sanitize(&s->piece, s->pending.data, n);
    fg_buf_consume(&s->pending, n);
    return rc;
}

/* How much of pending can go out now: not a partial character, and not a tail
 * that may grow into a stop sequence. Sets finish when a stop sequence matched. */
static size_t releasable(fg_infer_session *s)
{
    const char *p = s->pending.data;
    size_t n = s->pending.len, cut = n;
    for (size_t i = 0; i < s->n_stop; i++) {
        const char *hit = memmem(p, n, s->stop[i], strlen(s->stop[i]));
        if (hit && (size_t)(hit - p) < cut) {
            cut = (size_t)(hit - p);
            s->finish = FG_INFER_FINISH_STOP;
        }
    }
    if (s->finish == FG_INFER_FINISH_STOP)
        return cut;
    cut = fg__utf8_complete(p, n);
    for (size_t i = 0; i < s->n_stop; i++) {
        size_t sl = strlen(s->stop[i]);
        for (size_t k = sl - 1; k > 0; k--)
            if (k <= n && n - k < cut && memcmp(p + n - k, s->stop[i], k) == 0) {
                cut = n - k;
                break;
            }
    }
    return cut;
}

static int finish_with(fg_infer_session *s, fg_infer_finish why)
{
    s->finish = why;
    return emit(s, s->pending.len);
}

/* Evaluates the token sampled last time; false when the context is full. */
static bool evaluate_pending(fg_infer_session *s)
{
    if (s->feed < 0)
        return true;
    if (s->pos >= s->st.context)
        return false;
    fg__forward(s->m, &s->st, &s->feed, 1, s->pos++, true);
    s->feed = -1;
    return true;
}

static int step(fg_infer_session *s, fg_errbuf *eb)
{
    if (cancelled(s))
        return finish_with(s, FG_INFER_FINISH_CANCEL);
    if (s->max_tokens && s->usage.generated_tokens >= s->max_tokens)
        return finish_with(s, FG_INFER_FINISH_LENGTH);
    if (!s->have_logits) {
        if (s->m->tok.bos < 0)
            return fg_failf(eb, FG_EINVAL, "no prompt given and the model has no BOS token");
        int32_t bos = s->m->tok.bos;
        int rc = fg_infer_session_prompt_tokens(s, &bos, 1, eb);
        if (rc)
            return rc;
    }
    uint64_t t0 = fg_clock_mono_ns();
    if (!evaluate_pending(s))
        return finish_with(s, FG_INFER_FINISH_LENGTH);
    int32_t tok = fg__sample(&s->smp, s->st.logits);
    s->usage.generate_ns += fg_clock_mono_ns() - t0;
    s->usage.generated_tokens++;
    if (is_eog(s->m, tok))
        return finish_with(s, FG_INFER_FINISH_EOS);
    int rc = fg__tok_piece(&s->m->tok, s->last, tok, &s->pending);
    s->last = s->feed = tok;
    if (rc)
        return fg_failf(eb, rc, "the output is over its size limit");
    size_t n = releasable(s);
    rc = emit(s, n);
    if (s->finish == FG_INFER_FINISH_STOP)
        fg_buf_reset(&s->pending);
    return rc;
}

int fg_infer_session_next(fg_infer_session *s, const char **piece, size_t *len, fg_errbuf *eb)
{
    fg_buf_reset(&s->piece);
    int rc = s->finish == FG_INFER_RUNNING ? step(s, eb) : FG_OK;
    *piece = s->piece.data ? s->piece.data : "";
    *len = s->piece.len;
    return rc;
}

int fg_infer_session_run(fg_infer_session *s, fg_infer_piece_fn on_piece, void *ud,
                         fg_errbuf *eb)
{
    while (s->finish == FG_INFER_RUNNING) {
        const char *p;
        size_t n;
        int rc = fg_infer_session_next(s, &p, &n, eb);
        if (rc)
            return rc;
        if (n && on_piece(ud, p, n) != 0)
            s->finish = FG_INFER_FINISH_CANCEL;
    }
    return FG_OK;
}

fg_infer_finish fg_infer_session_finish(const fg_infer_session *s)
{
    return s->finish;
}

fg_infer_usage fg_infer_session_usage(const fg_infer_session *s)
{
    return s->usage;
}

int32_t fg_infer_session_last_token(const fg_infer_session *s)
{
    return s->last;
}
