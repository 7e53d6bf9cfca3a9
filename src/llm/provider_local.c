/* The local provider: a Llama-architecture model run inside flowgate
 * (src/infer). The model is loaded once per provider and shared; generations
 * run on the provider's own threads (`concurrency` at once, `queue_limit`
 * waiting, more get 429), never on an event loop. Each generated piece is handed
 * to the call's loop through a uv_async; a slow client pauses the generation
 * (bounded buffering) and a cancel stops it before the next token. */
#include "llm/llm_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "infer/infer.h"
#include "llm/translate.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PENDING_MAX (64 * 1024)
#define MAX_STOP 8

typedef struct local_job local_job;

typedef struct local_engine {
    fg_infer_model *model;
    fg_infer_chat chat;
    int concurrency, queue_limit;
    uint32_t context;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    local_job *head, *tail;
    int waiting, running;
    bool stopping;
} local_engine;

struct local_job {
    local_engine *eng;
    fg_llm_attempt *a;          /* loop side; NULL once aborted */
    uv_async_t async;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    fg_buf pending;             /* text produced, not yet emitted */
    atomic_int cancel;
    atomic_int refs;            /* the loop side and the engine thread */
    bool done, paused, loop_closed;
    fg_infer_finish finish;
    fg_infer_usage usage;
    int err;
    char errmsg[256];
    char *prompt;
    int tok_flags;
    fg_infer_params params;
    char *stop[MAX_STOP];
    local_job *next;
};

/* --- jobs ----------------------------------------------------------------- */

static void job_unref(local_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    fg_buf_free(&j->pending);
    for (size_t i = 0; i < j->params.n_stop; i++)
        free(j->stop[i]);
    free(j->prompt);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    free(j);
}

static void notify_loop(local_job *j)
{
    if (!j->loop_closed)
        uv_async_send(&j->async);
}

static int on_piece(void *ud, const char *piece, size_t len)
{
    local_job *j = ud;
    pthread_mutex_lock(&j->lock);
    fg_buf_append(&j->pending, piece, len);
    notify_loop(j);
    while ((j->pending.len > PENDING_MAX || j->paused) && !atomic_load(&j->cancel))
        pthread_cond_wait(&j->cond, &j->lock);
    pthread_mutex_unlock(&j->lock);
    return atomic_load(&j->cancel);
}

static void run_job(local_engine *eng, local_job *j)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_infer_session *s = NULL;
    int rc = fg_infer_session_create(eng->model, &j->params, &s, &eb);
    if (!rc)
        rc = fg_infer_session_prompt(s, j->prompt, strlen(j->prompt), j->tok_flags, &eb);
    if (!rc)
        rc = fg_infer_session_run(s, on_piece, j, &eb);
    pthread_mutex_lock(&j->lock);
    j->err = rc;
    snprintf(j->errmsg, sizeof j->errmsg, "%s", eb.msg);
    if (s) {
        j->finish = fg_infer_session_finish(s);
        j->usage = fg_infer_session_usage(s);
    }
    j->done = true;
    notify_loop(j);
    pthread_mutex_unlock(&j->lock);
    fg_infer_session_free(s);
}

static void *engine_main(void *arg)
{
    local_engine *eng = arg;
    pthread_mutex_lock(&eng->lock);
    for (;;) {
        while (!eng->head && !eng->stopping)
            pthread_cond_wait(&eng->wake, &eng->lock);
        if (eng->stopping && !eng->head)
            break;
        local_job *j = eng->head;
        eng->head = j->next;
        if (!eng->head)
            eng->tail = NULL;
        eng->waiting--;
        eng->running++;
        pthread_mutex_unlock(&eng->lock);
        run_job(eng, j);
        job_unref(j);
        pthread_mutex_lock(&eng->lock);
        eng->running--;
    }
    pthread_mutex_unlock(&eng->lock);
    return NULL;
}

/* --- the loop side ---------------------------------------------------------- */

static void on_async_closed(uv_handle_t *h)
{
    job_unref(h->data);
}

static void close_loop_side(local_job *j)
{
    pthread_mutex_lock(&j->lock);
    j->loop_closed = true;
    pthread_mutex_unlock(&j->lock);
    uv_close((uv_handle_t *)&j->async, on_async_closed);
}

static const char *finish_reason(fg_infer_finish f)
{
    return f == FG_INFER_FINISH_LENGTH ? "length" : "stop";
}

static void on_async(uv_async_t *h)
{
    local_job *j = h->data;
    fg_buf text;
    pthread_mutex_lock(&j->lock);
    text = j->pending;
    fg_buf_init(&j->pending, 0);
    bool done = j->done;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    fg_llm_attempt *a = j->a;
    if (a && text.len) {
        fg_llm_event ev = {.type = FG_LLM_EV_TEXT, .text = text.data, .len = text.len};
        fg_llm_call *call = a->call;
        fg__llm_emit(a, &ev);
        if (call->phase != CALL_DONE && call->backpressured && j->a) {
            pthread_mutex_lock(&j->lock);
            j->paused = true;
            pthread_mutex_unlock(&j->lock);
        }
    }
    fg_buf_free(&text);
    if (!done || !j->a)
        return;
    a = j->a;
    a->state = NULL;
    j->a = NULL;
    if (j->err) {
        fg_llm_event err = {.type = FG_LLM_EV_ERROR, .status = j->err == FG_ELIMIT ? 400 : 500,
                            .error_type = j->err == FG_ELIMIT ? "invalid_request_error" : "upstream_error",
                            .error_msg = j->errmsg[0] ? j->errmsg : fg_strerror(j->err)};
        close_loop_side(j);
        fg__llm_emit(a, &err);
        return;
    }
    fg_llm_event usage = {.type = FG_LLM_EV_USAGE, .input_tokens = j->usage.prompt_tokens,
                          .output_tokens = j->usage.generated_tokens};
    fg_llm_event fin = {.type = FG_LLM_EV_FINISH, .finish_reason = finish_reason(j->finish)};
    fg_llm_event fin_done = {.type = FG_LLM_EV_DONE};
    close_loop_side(j);
    fg__llm_emit(a, &usage);
    fg__llm_emit(a, &fin);
    fg__llm_emit(a, &fin_done);
}

static int build_prompt(local_engine *eng, local_job *j, const json_t *messages, fg_errbuf *eb)
{
    size_t n = json_array_size(messages);
    fg_infer_msg *msgs = calloc(n ? n : 1, sizeof *msgs);
    char **texts = calloc(n ? n : 1, sizeof *texts);
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_array_get(messages, i);
        texts[i] = fg__canonical_text(json_object_get(m, "content"));
        const char *role = fg_json_str(m, "role", "user");
        msgs[i].role = !strcmp(role, "developer") ? "system" : !strcmp(role, "tool") ? "user" : role;
        msgs[i].content = texts[i];
    }
    fg_buf b;
    fg_buf_init(&b, 16u << 20);
    int rc = FG_OK;
    if (eng->chat == FG_INFER_CHAT_NONE) {
        /* A raw completion model: the messages' text, one after the other. */
        for (size_t i = 0; i < n; i++)
            fg_buf_printf(&b, "%s%s", i ? "\n" : "", texts[i]);
        j->tok_flags = FG_INFER_TOK_BOS;
    } else {
        rc = fg_infer_chat_format(eng->chat, msgs, n, &b, eb);
        j->tok_flags = FG_INFER_TOK_SPECIAL;
    }
    j->prompt = fg_buf_detach(&b, NULL);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(msgs);
    return rc;
}

static void set_params(local_engine *eng, local_job *j, const json_t *req)
{
    fg_infer_params *p = &j->params;
    p->max_tokens = (uint32_t)fg_json_int(req, "max_tokens", 512);
    p->context = eng->context;
    p->temperature = (float)fg_json_num(req, "temperature", 1.0);
    p->top_p = (float)fg_json_num(req, "top_p", 1.0);
    p->top_k = (uint32_t)fg_json_int(req, "top_k", 0);
    p->seed = (uint64_t)fg_json_int(req, "seed", (json_int_t)fg_clock_wall_ms());
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(req, "stop"), i, s) if (p->n_stop < MAX_STOP && json_is_string(s))
        j->stop[p->n_stop++] = strdup(json_string_value(s));
    p->stop = (const char *const *)j->stop;
    p->cancel = &j->cancel;
}

static int local_start(fg_llm_attempt *a)
{
    local_engine *eng = a->dep->provider->local;
    if (!eng)
        return FG_EINVAL;
    pthread_mutex_lock(&eng->lock);
    bool full = eng->waiting >= eng->queue_limit && eng->running >= eng->concurrency;
    pthread_mutex_unlock(&eng->lock);
    if (full) {
        fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = 429, .retryable = true, .error_type = "rate_limited",
                           .error_msg = "the local model is busy: its queue is full (providers[].queue_limit)"};
        fg__llm_emit(a, &ev);
        return 0;
    }
    local_job *j = calloc(1, sizeof *j);
    if (!j)
        return FG_ENOMEM;
    j->eng = eng;
    j->a = a;
    atomic_init(&j->refs, 2);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    fg_buf_init(&j->pending, 0);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (build_prompt(eng, j, json_object_get(a->call->request, "messages"), &eb)) {
        atomic_store(&j->refs, 1);
        job_unref(j);
        fg_llm_event ev = {.type = FG_LLM_EV_ERROR, .status = 400, .error_type = "invalid_request_error",
                           .error_msg = eb.msg};
        fg__llm_emit(a, &ev);
        return 0;
    }
    set_params(eng, j, a->call->request);
    uv_async_init(a->call->loop, &j->async, on_async);
    j->async.data = j;
    a->state = j;
    pthread_mutex_lock(&eng->lock);
    if (eng->tail)
        eng->tail->next = j;
    else
        eng->head = j;
    eng->tail = j;
    eng->waiting++;
    pthread_cond_signal(&eng->wake);
    pthread_mutex_unlock(&eng->lock);
    return 0;
}

static void local_abort(fg_llm_attempt *a)
{
    local_job *j = a->state;
    if (!j)
        return;
    a->state = NULL;
    j->a = NULL;
    atomic_store(&j->cancel, 1);
    pthread_mutex_lock(&j->lock);
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    close_loop_side(j);
}

static void local_resume(fg_llm_attempt *a)
{
    local_job *j = a->state;
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->paused = false;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

const fg_llm_provider_ops fg_llm_provider_local = {
    .type = "local",
    .start = local_start,
    .abort = local_abort,
    .resume = local_resume,
};

/* --- loading --------------------------------------------------------------- */

/* tokenizer.bin or tok*.bin beside a llama2.c checkpoint. */
static char *find_tokenizer(const char *model_path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", model_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    DIR *d = opendir(dir);
    char *found = NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) && !found) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".bin") &&
            (!strcmp(e->d_name, "tokenizer.bin") || !strncmp(e->d_name, "tok", 3))) {
            found = malloc(strlen(dir) + n + 2);
            sprintf(found, "%s/%s", dir, e->d_name);
        }
    }
    if (d)
        closedir(d);
    return found;
}

int fg__local_provider_init(fg_llm_provider *p, fg_errbuf *eb)
{
    const char *path = fg_json_str(p->conf, "model_path", NULL);
    if (!path)
        return fg_failf(eb, FG_EINVAL, "provider '%s': a local provider needs model_path", p->name);
    size_t n = strlen(path);
    bool gguf = n > 5 && !strcmp(path + n - 5, ".gguf");
    char *tok = NULL;
    const char *tok_path = fg_json_str(p->conf, "tokenizer_path", NULL);
    if (!gguf && !tok_path)
        tok_path = tok = find_tokenizer(path);
    local_engine *eng = calloc(1, sizeof *eng);
    fg_infer_load_opts lo = {.max_context = (uint32_t)fg_json_int(p->conf, "context", 0)};
    int rc = fg_infer_model_load(path, tok_path, &lo, &eng->model, eb);
    free(tok);
    if (rc) {
        free(eng);
        return rc;
    }
    const char *tmpl = fg_json_str(p->conf, "chat_template", "auto");
    int chat = strcmp(tmpl, "auto") ? fg_infer_chat_from_name(tmpl) : -1;
    eng->chat = chat >= 0 ? (fg_infer_chat)chat : fg_infer_model_info(eng->model)->chat;
    eng->concurrency = (int)fg_json_int(p->conf, "concurrency", 1);
    eng->queue_limit = (int)fg_json_int(p->conf, "queue_limit", 16);
    eng->context = (uint32_t)fg_json_int(p->conf, "context", 0);
    pthread_mutex_init(&eng->lock, NULL);
    pthread_cond_init(&eng->wake, NULL);
    eng->threads = calloc((size_t)eng->concurrency, sizeof *eng->threads);
    for (int i = 0; i < eng->concurrency; i++)
        pthread_create(&eng->threads[i], NULL, engine_main, eng);
    p->local = eng;
    const fg_infer_info *info = fg_infer_model_info(eng->model);
    fg_info("local provider '%s': %s (%s, %u layers, context %u, chat template %s)", p->name, info->name,
            info->weight_type, info->n_layers, info->context, fg_infer_chat_name(eng->chat));
    return FG_OK;
}

void fg__local_provider_free(fg_llm_provider *p)
{
    local_engine *eng = p->local;
    if (!eng)
        return;
    pthread_mutex_lock(&eng->lock);
    eng->stopping = true;
    for (local_job *j = eng->head; j; j = j->next)
        atomic_store(&j->cancel, 1);
    pthread_cond_broadcast(&eng->wake);
    pthread_mutex_unlock(&eng->lock);
    for (int i = 0; i < eng->concurrency; i++)
        pthread_join(eng->threads[i], NULL);
    free(eng->threads);
    fg_infer_model_unref(eng->model);
    free(eng);
    p->local = NULL;
}

/* The first model file in dir (GGUF first, then llama2.c checkpoints with a
 * tokenizer beside them), or NULL. */
char *fg__local_find_model(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *gguf = NULL, *ckpt = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        char *full = malloc(strlen(dir) + n + 2);
        sprintf(full, "%s/%s", dir, e->d_name);
        if (!gguf && n > 5 && !strcmp(e->d_name + n - 5, ".gguf")) {
            gguf = full;
            continue;
        }
        if (!ckpt && n > 4 && !strcmp(e->d_name + n - 4, ".bin") && strncmp(e->d_name, "tok", 3) != 0) {
            ckpt = full;
            continue;
        }
        free(full);
    }
    closedir(d);
    if (gguf) {
        free(ckpt);
        return gguf;
    }
    return ckpt;
}
