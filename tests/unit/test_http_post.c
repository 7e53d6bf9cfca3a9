/* Work posted onto a worker's loop from other threads (fg_http_worker_post):
 * every callback runs once, on that worker's own thread, in the order posted. */
#include "fg_test.h"
#include "http/http.h"

#include <pthread.h>
#include <stdatomic.h>

#define POSTS 20000

typedef struct probe {
    fg_http_worker *w;
    pthread_t loop_thread;  /* learned from a first post */
    atomic_int ran, wrong_thread, out_of_order;
    int last;
} probe;

typedef struct item {
    probe *p;
    int seq;
} item;

static void learn_thread(fg_http_worker *w, void *ud)
{
    (void)w;
    ((probe *)ud)->loop_thread = pthread_self();
}

static void on_item(fg_http_worker *w, void *ud)
{
    item *it = ud;
    probe *p = it->p;
    if (w != p->w || !pthread_equal(pthread_self(), p->loop_thread))
        atomic_fetch_add(&p->wrong_thread, 1);
    if (it->seq != p->last + 1)
        atomic_fetch_add(&p->out_of_order, 1);
    p->last = it->seq;
    atomic_fetch_add(&p->ran, 1);
    free(it);
}

static void *poster(void *arg)
{
    probe *p = arg;
    for (int i = 1; i <= POSTS; i++) {
        item *it = malloc(sizeof *it);
        it->p = p;
        it->seq = i;
        if (fg_http_worker_post(p->w, on_item, it) != 0)
            free(it);
    }
    return NULL;
}

FG_TEST(posts_from_other_threads_run_on_the_workers_loop_in_order)
{
    fg_http_router *r = fg_http_router_create();
    fg_http_server_opts o = {.host = "127.0.0.1", .port = 0, .workers = 2, .router = r};
    fg_http_limits_default(&o.limits);
    o.limits.shutdown_grace_ms = 100;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_http_server *s = NULL;
    FG_REQUIRE(fg_http_server_start(&o, &s, &eb) == 0);
    FG_CHECK_INT(fg_http_server_nworkers(s), 2);
    FG_CHECK(fg_http_server_worker(s, 2) == NULL);
    probe probes[2] = {0};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        probes[i].w = fg_http_server_worker(s, i);
        FG_REQUIRE(fg_http_worker_post(probes[i].w, learn_thread, &probes[i]) == 0);
    }
    usleep(100 * 1000);
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, poster, &probes[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    for (int k = 0; k < 500 && (atomic_load(&probes[0].ran) < POSTS || atomic_load(&probes[1].ran) < POSTS); k++)
        usleep(10 * 1000);
    for (int i = 0; i < 2; i++) {
        FG_CHECK_INT(atomic_load(&probes[i].ran), POSTS);
        FG_CHECK_INT(atomic_load(&probes[i].wrong_thread), 0);
        FG_CHECK_INT(atomic_load(&probes[i].out_of_order), 0);
    }
    fg_http_server_shutdown(s);
    fg_http_server_join(s);
    fg_http_router_free(r);
}
