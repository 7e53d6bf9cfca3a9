/* Work posted onto a worker's loop from any thread: a locked FIFO of callbacks
 * drained by one uv_async per worker. Services that run long-lived work on a
 * worker (workflow executions) use it to reach that work from other threads. */
#include "http/http_int.h"

#include <stdlib.h>

struct fg__http_post {
    fg_http_worker_fn fn;
    void *ud;
    struct fg__http_post *next;
};

static struct fg__http_post *take_all(fg_http_worker *w, bool close)
{
    pthread_mutex_lock(&w->post_lock);
    struct fg__http_post *head = w->post_head;
    w->post_head = w->post_tail = NULL;
    if (close)
        w->post_closed = true;
    pthread_mutex_unlock(&w->post_lock);
    return head;
}

static void run_all(fg_http_worker *w, struct fg__http_post *p)
{
    while (p) {
        struct fg__http_post *next = p->next;
        p->fn(w, p->ud);
        free(p);
        p = next;
    }
}

static void on_posted(uv_async_t *a)
{
    fg_http_worker *w = a->data;
    run_all(w, take_all(w, false));
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

void fg__http_post_init(fg_http_worker *w)
{
    pthread_mutex_init(&w->post_lock, NULL);
    uv_async_init(&w->loop, &w->posted, on_posted);
    w->posted.data = w;
}

void fg__http_post_close(fg_http_worker *w)
{
    run_all(w, take_all(w, true));
    uv_close((uv_handle_t *)&w->posted, on_closed);
}

void fg__http_post_destroy(fg_http_worker *w)
{
    pthread_mutex_destroy(&w->post_lock);
}

int fg_http_worker_post(fg_http_worker *w, fg_http_worker_fn fn, void *ud)
{
    struct fg__http_post *p = malloc(sizeof *p);
    if (!p)
        return FG_ENOMEM;
    p->fn = fn;
    p->ud = ud;
    p->next = NULL;
    pthread_mutex_lock(&w->post_lock);
    if (w->post_closed) {
        pthread_mutex_unlock(&w->post_lock);
        free(p);
        return FG_ECANCELED;
    }
    if (w->post_tail)
        w->post_tail->next = p;
    else
        w->post_head = p;
    w->post_tail = p;
    pthread_mutex_unlock(&w->post_lock);
    uv_async_send(&w->posted);
    return 0;
}

int fg_http_server_nworkers(const fg_http_server *s)
{
    return s->nworkers;
}

fg_http_worker *fg_http_server_worker(fg_http_server *s, int i)
{
    return i >= 0 && i < s->nworkers ? &s->workers[i] : NULL;
}
