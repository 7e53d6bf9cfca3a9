#include "obs/metrics.h"

#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 64
#define MAX_SERIES 4096

static const double buckets[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                 10, 30, 60};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HIST } kind;

typedef struct series {
    char *labels; /* rendered: a="x",b="y" */
    double value, sum;
    unsigned long long count, bucket_counts[NBUCKETS];
    struct series *next;
} series;

typedef struct family {
    char *name, *help;
    kind k;
    series *head;
    size_t nseries;
} family;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static family families[MAX_FAMILIES];
static size_t nfamilies;

static family *get_family(const char *name, const char *help, kind k)
{
    for (size_t i = 0; i < nfamilies; i++)
        if (strcmp(families[i].name, name) == 0)
            return &families[i];
    if (nfamilies == MAX_FAMILIES)
        return NULL;
    family *f = &families[nfamilies++];
    f->name = strdup(name);
    f->help = strdup(help);
    f->k = k;
    return f;
}

static void render_labels(char *out, size_t n, int nlabels, const char *const *names,
                          const char *const *values)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < nlabels && used < n; i++) {
        used += (size_t)snprintf(out + used, n - used, "%s%s=\"", i ? "," : "", names[i]);
        for (const char *p = values[i]; *p && used + 3 < n; p++) {
            if (*p == '"' || *p == '\\')
                out[used++] = '\\';
            if (*p == '\n') {
                out[used++] = '\\';
                out[used++] = 'n';
                continue;
            }
            out[used++] = *p;
        }
        if (used + 1 < n)
            out[used++] = '"';
        out[used < n ? used : n - 1] = '\0';
    }
}

static series *get_series(family *f, const char *labels)
{
    for (series *s = f->head; s; s = s->next)
        if (strcmp(s->labels, labels) == 0)
            return s;
    if (f->nseries >= MAX_SERIES)
        return NULL;
    series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->labels = strdup(labels);
    s->next = f->head;
    f->head = s;
    f->nseries++;
    return s;
}

static void update(kind k, const char *name, const char *help, int nlabels,
                   const char *const *names, const char *const *values, double v)
{
    char labels[1024];
    render_labels(labels, sizeof labels, nlabels, names, values);
    pthread_mutex_lock(&lock);
    family *f = get_family(name, help, k);
    series *s = f ? get_series(f, labels) : NULL;
    if (s) {
        if (k == KIND_HIST) {
            s->count++;
            s->sum += v;
            for (size_t i = 0; i < NBUCKETS; i++)
                if (v <= buckets[i])
                    s->bucket_counts[i]++;
        } else {
            s->value += v;
        }
    }
    pthread_mutex_unlock(&lock);
}

void fg_metrics_counter_add(const char *name, const char *help, int nlabels,
                            const char *const *names, const char *const *values, double v)
{
    update(KIND_COUNTER, name, help, nlabels, names, values, v);
}

void fg_metrics_gauge_add(const char *name, const char *help, int nlabels,
                          const char *const *names, const char *const *values, double d)
{
    update(KIND_GAUGE, name, help, nlabels, names, values, d);
}

void fg_metrics_hist_observe(const char *name, const char *help, int nlabels,
                             const char *const *names, const char *const *values, double v)
{
    update(KIND_HIST, name, help, nlabels, names, values, v);
}

static void render_hist(fg_buf *out, const family *f, const series *s)
{
    const char *sep = s->labels[0] ? "," : "";
    for (size_t i = 0; i < NBUCKETS; i++)
        fg_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", f->name, s->labels, sep, buckets[i],
                      s->bucket_counts[i]);
    fg_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", f->name, s->labels, sep, s->count);
    fg_buf_printf(out, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", f->name, s->labels, s->sum, f->name,
                  s->labels, s->count);
}

int fg_metrics_render(fg_buf *out)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfamilies; i++) {
        const family *f = &families[i];
        fg_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, types[f->k]);
        for (const series *s = f->head; s; s = s->next) {
            if (f->k == KIND_HIST)
                render_hist(out, f, s);
            else
                fg_buf_printf(out, "%s{%s} %.17g\n", f->name, s->labels, s->value);
        }
    }
    pthread_mutex_unlock(&lock);
    return FG_OK;
}

void fg_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nfamilies; i++) {
        series *s = families[i].head;
        while (s) {
            series *n = s->next;
            free(s->labels);
            free(s);
            s = n;
        }
        free(families[i].name);
        free(families[i].help);
    }
    nfamilies = 0;
    memset(families, 0, sizeof families);
    pthread_mutex_unlock(&lock);
}
