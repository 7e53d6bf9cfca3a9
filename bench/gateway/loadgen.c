/* loadgen: an open-loop HTTP load generator for the gateway benchmark. It
 * sends requests at a fixed rate whatever the server does (no coordinated
 * omission: latency counts from the moment a request was due), over keep-alive
 * connections, and reports latency and time-to-first-byte percentiles as JSON.
 * Due times are kept with a timerfd (nanoseconds, absolute): a libuv timer
 * has millisecond resolution and woke up to a millisecond late, which counted
 * as latency. The report also says how late requests left (lag: the
 * generator's own share) and the time from sending to the last byte.
 *
 *   loadgen --url http://127.0.0.1:8080/v1/chat/completions --rate 1000
 *           --duration 10 --body body.json [--header 'K: V']... [--max-conns 4096]
 *           [--hold N]   (open N requests at once and keep them open; report RSS use)
 */
#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

typedef struct conn {
    uv_tcp_t tcp;
    llhttp_t parser;
    bool busy, connected, dead;
    uint64_t due_ns, sent_ns, first_ns;
    int status;
    struct conn *next_idle;
} conn;

static struct {
    const char *host;
    int port;
    char *request;
    size_t request_len;
    double rate;
    double duration;
    int max_conns;
    int hold;
    uint64_t start_ns, next_due_ns, end_ns;
    uint64_t *lat, *ttfb, *lag, *svc;
    size_t nlat, cap;
    long sent, done, errors, non2xx, backlog;
    long ndue;          /* requests whose due time has come */
    int nconns;
    conn *idle;
    uv_loop_t *loop;
    uv_timer_t tick;
    int tfd;            /* timerfd armed for the next due time */
    uv_poll_t due;
    llhttp_settings_t settings;
} G;

static uint64_t now_ns(void) { return uv_hrtime(); }

static void record(conn *c)
{
    uint64_t t = now_ns();
    if (G.nlat == G.cap) {
        G.cap = G.cap ? G.cap * 2 : 65536;
        G.lat = realloc(G.lat, G.cap * sizeof *G.lat);
        G.ttfb = realloc(G.ttfb, G.cap * sizeof *G.ttfb);
        G.lag = realloc(G.lag, G.cap * sizeof *G.lag);
        G.svc = realloc(G.svc, G.cap * sizeof *G.svc);
    }
    G.lag[G.nlat] = c->sent_ns - c->due_ns;
    G.svc[G.nlat] = t - c->sent_ns;
    G.lat[G.nlat] = t - c->due_ns;
    G.ttfb[G.nlat] = (c->first_ns ? c->first_ns : t) - c->due_ns;
    G.nlat++;
}

static void make_idle(conn *c)
{
    c->busy = false;
    c->next_idle = G.idle;
    G.idle = c;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (!c->first_ns && len)
        c->first_ns = now_ns();
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    conn *c = p->data;
    c->status = p->status_code;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    conn *c = p->data;
    G.done++;
    if (c->status < 200 || c->status > 299)
        G.non2xx++;
    record(c);
    make_idle(c);
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    static char slab[65536];
    *b = uv_buf_init(slab, sizeof slab);
}

static void on_closed(uv_handle_t *h) { free(h->data); }

static void kill_conn(conn *c)
{
    if (c->dead)
        return;
    c->dead = true;
    if (c->busy)
        G.errors++;
    G.nconns--;
    /* remove from the idle list */
    for (conn **pp = &G.idle; *pp; pp = &(*pp)->next_idle)
        if (*pp == c) {
            *pp = c->next_idle;
            break;
        }
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn *c = s->data;
    if (n < 0) {
        kill_conn(c);
        return;
    }
    if (llhttp_execute(&c->parser, b->base, (size_t)n) != HPE_OK)
        kill_conn(c);
}

static void on_written(uv_write_t *w, int status)
{
    free(w);
}

static void send_on(conn *c, uint64_t due)
{
    c->busy = true;
    c->due_ns = due;
    c->first_ns = 0;
    c->sent_ns = now_ns();
    uv_write_t *w = malloc(sizeof *w);
    uv_buf_t buf = uv_buf_init(G.request, (unsigned)G.request_len);
    G.sent++;
    if (uv_write(w, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
        free(w);
        kill_conn(c);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    conn *c = req->data;
    free(req);
    if (status < 0) {
        G.errors++;
        kill_conn(c);
        return;
    }
    c->connected = true;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    send_on(c, c->due_ns);
}

static void open_conn(uint64_t due)
{
    conn *c = calloc(1, sizeof *c);
    uv_tcp_init(G.loop, &c->tcp);
    uv_tcp_nodelay(&c->tcp, 1);
    c->tcp.data = c;
    llhttp_init(&c->parser, HTTP_RESPONSE, &G.settings);
    c->parser.data = c;
    c->busy = true;
    c->due_ns = due;
    G.nconns++;
    struct sockaddr_in addr;
    uv_ip4_addr(G.host, G.port, &addr);
    uv_connect_t *req = malloc(sizeof *req);
    req->data = c;
    uv_tcp_connect(req, &c->tcp, (const struct sockaddr *)&addr, on_connect);
}

static void dispatch(uint64_t due)
{
    if (G.idle) {
        conn *c = G.idle;
        G.idle = c->next_idle;
        send_on(c, due);
    } else if (G.nconns < G.max_conns) {
        open_conn(due);
    } else {
        G.backlog++; /* more in flight than allowed: counted as an error */
        G.errors++;
    }
}

static void arm(uint64_t due_ns)
{
    struct itimerspec its = {.it_value = {.tv_sec = (time_t)(due_ns / 1000000000u),
                                          .tv_nsec = (long)(due_ns % 1000000000u)}};
    timerfd_settime(G.tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void dispatch_due(void)
{
    uint64_t now = now_ns();
    double interval = 1e9 / G.rate;
    while (G.next_due_ns <= now && G.next_due_ns < G.end_ns) {
        dispatch(G.next_due_ns);
        G.ndue++;
        G.next_due_ns = G.start_ns + (uint64_t)((double)G.ndue * interval);
    }
    if (G.next_due_ns < G.end_ns)
        arm(G.next_due_ns);
}

static void on_due(uv_poll_t *p, int status, int events)
{
    uint64_t expirations;
    if (read(G.tfd, &expirations, sizeof expirations) < 0) {
        /* not due yet (EAGAIN): dispatch_due re-arms */
    }
    dispatch_due();
}

/* Every millisecond: a fallback for due requests, and the end of the run. */
static void on_tick(uv_timer_t *t)
{
    dispatch_due();
    uint64_t now = now_ns();
    if (now >= G.end_ns + 5000000000ull || (now >= G.end_ns && G.done + G.errors >= G.sent)) {
        uv_timer_stop(t);
        uv_poll_stop(&G.due);
        uv_stop(G.loop);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0; /* microseconds */
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = 0;
    fclose(f);
    return s;
}

static void build_request(const char *path, const char *body, size_t blen, char **headers, int nh)
{
    size_t cap = blen + 4096;
    G.request = malloc(cap);
    int n = snprintf(G.request, cap, "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                                     "Content-Length: %zu\r\n", path, G.host, G.port, blen);
    for (int i = 0; i < nh; i++)
        n += snprintf(G.request + n, cap - (size_t)n, "%s\r\n", headers[i]);
    n += snprintf(G.request + n, cap - (size_t)n, "\r\n");
    memcpy(G.request + n, body, blen);
    G.request_len = (size_t)n + blen;
}

static long rss_kib(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *body_path = NULL;
    char *headers[16];
    int nh = 0, watch_pid = 0;
    G.rate = 1000;
    G.duration = 10;
    G.max_conns = 4096;
    for (int i = 1; i < argc - 1; i++) {
        if (!strcmp(argv[i], "--url")) url = argv[++i];
        else if (!strcmp(argv[i], "--rate")) G.rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--duration")) G.duration = atof(argv[++i]);
        else if (!strcmp(argv[i], "--body")) body_path = argv[++i];
        else if (!strcmp(argv[i], "--max-conns")) G.max_conns = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--header") && nh < 16) headers[nh++] = argv[++i];
        else if (!strcmp(argv[i], "--hold")) G.hold = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--watch-pid")) watch_pid = atoi(argv[++i]);
    }
    static char host[256], path[1024];
    if (!url || !body_path || sscanf(url, "http://%255[^:]:%d%1023s", host, &G.port, path) != 3) {
        fprintf(stderr, "usage: loadgen --url http://HOST:PORT/PATH --body FILE [--rate R] [--duration S]\n");
        return 2;
    }
    G.host = host;
    size_t blen;
    char *body = read_file(body_path, &blen);
    if (!body) {
        fprintf(stderr, "cannot read %s\n", body_path);
        return 2;
    }
    build_request(path, body, blen, headers, nh);
    llhttp_settings_init(&G.settings);
    G.settings.on_body = on_body;
    G.settings.on_headers_complete = on_headers_complete;
    G.settings.on_message_complete = on_message_complete;
    G.loop = uv_default_loop();
    if (G.hold) { /* open G.hold requests at once, wait, report the server's RSS */
        long before = watch_pid ? rss_kib(watch_pid) : -1;
        G.start_ns = now_ns();
        for (int i = 0; i < G.hold; i++)
            open_conn(G.start_ns);
        uint64_t until = now_ns() + (uint64_t)(G.duration * 1e9);
        while (now_ns() < until)
            uv_run(G.loop, UV_RUN_NOWAIT), uv_sleep(1);
        long after = watch_pid ? rss_kib(watch_pid) : -1;
        printf("{\"held\":%d,\"open_conns\":%d,\"errors\":%ld,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
               "\"kib_per_stream\":%.2f}\n", G.hold, G.nconns, G.errors, before, after,
               G.hold ? (double)(after - before) / G.hold : 0.0);
        return 0;
    }
    G.start_ns = now_ns();
    G.next_due_ns = G.start_ns;
    G.end_ns = G.start_ns + (uint64_t)(G.duration * 1e9);
    G.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); /* uv_hrtime's clock */
    if (G.tfd < 0 || uv_poll_init(G.loop, &G.due, G.tfd) != 0) {
        perror("timerfd");
        return 1;
    }
    uv_poll_start(&G.due, UV_READABLE, on_due);
    arm(G.next_due_ns);
    uv_timer_init(G.loop, &G.tick);
    uv_timer_start(&G.tick, on_tick, 1, 1);
    uv_run(G.loop, UV_RUN_DEFAULT);
    /* Drop the first second as warm-up when the run is long enough. */
    size_t skip = G.duration >= 3 ? (size_t)G.rate : 0;
    if (skip >= G.nlat)
        skip = 0;
    uint64_t *lat = G.lat + skip, *ttfb = G.ttfb + skip, *lag = G.lag + skip, *svc = G.svc + skip;
    size_t n = G.nlat - skip;
    qsort(lat, n, sizeof *lat, cmp_u64);
    qsort(ttfb, n, sizeof *ttfb, cmp_u64);
    qsort(lag, n, sizeof *lag, cmp_u64);
    qsort(svc, n, sizeof *svc, cmp_u64);
    printf("{\"rate\":%.0f,\"sent\":%ld,\"done\":%ld,\"errors\":%ld,\"non2xx\":%ld,\"conns\":%d,"
           "\"lat_p50_us\":%.1f,\"lat_p90_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_max_us\":%.1f,"
           "\"ttfb_p50_us\":%.1f,\"ttfb_p99_us\":%.1f,\"lag_p50_us\":%.1f,\"lag_p99_us\":%.1f,"
           "\"sent_to_done_p50_us\":%.1f,\"sent_to_done_p99_us\":%.1f}\n",
           G.rate, G.sent, G.done, G.errors, G.non2xx, G.nconns, pct(lat, n, 50), pct(lat, n, 90),
           pct(lat, n, 99), pct(lat, n, 100), pct(ttfb, n, 50), pct(ttfb, n, 99), pct(lag, n, 50),
           pct(lag, n, 99), pct(svc, n, 50), pct(svc, n, 99));
    return 0;
}
