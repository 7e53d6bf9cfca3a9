/* Limits and budgets (limits.h). An account's or key's own "limits" object
 * overrides auth.default_limits key by key; 0 means no limit. Windows are
 * calendar-aligned in UTC: the minute, the day, the week from Monday, the
 * month. */
#include "auth/limits.h"
#include "auth/auth_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "obs/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef fg__limit_window window;

typedef struct limit_def {
    const char *name;   /* in the limits object and in the 429 */
    const char *metric; /* counter name */
    window win;
} limit_def;

static const limit_def defs[] = {
    {"requests_per_minute", "requests", W_MINUTE}, {"tokens_per_minute", "tokens", W_MINUTE},
    {"spend_per_day", "spend_day", W_DAY},         {"spend_per_week", "spend_week", W_WEEK},
    {"spend_per_month", "spend_month", W_MONTH},
};

static double default_limit(const fg_auth *a, size_t i)
{
    const fg_auth_limits *d = &a->default_limits;
    double v[] = {(double)d->requests_per_minute, (double)d->tokens_per_minute, d->spend_per_day,
                  d->spend_per_week, d->spend_per_month};
    return v[i];
}

void fg__limit_window_bounds(fg__limit_window w, int64_t now, int64_t *start, int64_t *end)
{
    if (w == W_MINUTE) {
        *start = now / 60000 * 60000;
        *end = *start + 60000;
        return;
    }
    int64_t day = now / 86400000 * 86400000;
    if (w == W_DAY) {
        *start = day;
        *end = day + 86400000;
        return;
    }
    time_t t = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (w == W_WEEK) {
        int since_monday = (tm.tm_wday + 6) % 7;
        *start = day - (int64_t)since_monday * 86400000;
        *end = *start + 7 * 86400000LL;
        return;
    }
    struct tm first = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = 1};
    *start = (int64_t)timegm(&first) * 1000;
    first.tm_mon++;
    *end = (int64_t)timegm(&first) * 1000;
}

typedef struct scope {
    char name[96]; /* "account:<id>" or "key:<id>" */
    double limit[FG_ARRAY_LEN(defs)];
    bool any;
} scope;

/* Limits read from the store are kept a few seconds, so a caller with no
 * limits costs no store access per request; a change applies within that. */
#define LIMITS_TTL_MS 5000
#define LIMITS_SLOTS 512

typedef struct cached_scope {
    scope s;
    int64_t loaded_ms;
} cached_scope;

static cached_scope limits_cache[LIMITS_SLOTS];
static pthread_mutex_t limits_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(const char *name)
{
    size_t h = 5381;
    for (const char *c = name; *c; c++)
        h = h * 33 + (unsigned char)*c;
    return h % LIMITS_SLOTS;
}

static bool cache_get(scope *s, int64_t now)
{
    pthread_mutex_lock(&limits_lock);
    cached_scope *c = &limits_cache[slot_of(s->name)];
    bool hit = now - c->loaded_ms < LIMITS_TTL_MS && strcmp(c->s.name, s->name) == 0;
    if (hit)
        *s = c->s;
    pthread_mutex_unlock(&limits_lock);
    return hit;
}

static void cache_put(const scope *s, int64_t now)
{
    pthread_mutex_lock(&limits_lock);
    cached_scope *c = &limits_cache[slot_of(s->name)];
    c->s = *s;
    c->loaded_ms = now;
    pthread_mutex_unlock(&limits_lock);
}

static void load_scope(fg_auth *a, scope *s, const char *kind, const char *id, const char *sql)
{
    snprintf(s->name, sizeof s->name, "%s:%s", kind, id);
    int64_t now = fg_clock_wall_ms();
    if (cache_get(s, now))
        return;
    json_t *rows = NULL, *own = NULL;
    fg_sval p[1] = {fg__text(id)};
    if (fg_store_query_json(a->store, sql, p, 1, &rows, NULL) == 0) {
        const char *text = fg_json_str(json_array_get(rows, 0), "limits", "{}");
        own = fg_json_object_or_empty(text, strlen(text));
    }
    s->any = false;
    for (size_t i = 0; i < FG_ARRAY_LEN(defs); i++) {
        json_t *v = json_object_get(own, defs[i].name);
        s->limit[i] = json_is_number(v) ? json_number_value(v) : default_limit(a, i);
        s->any = s->any || s->limit[i] > 0;
    }
    json_decref(own);
    json_decref(rows);
    cache_put(s, now);
}

static size_t load_scopes(fg_auth *a, const char *account_id, const char *key_id, scope out[2])
{
    size_t n = 0;
    if (account_id && *account_id)
        load_scope(a, &out[n++], "account", account_id, "SELECT limits FROM accounts WHERE id = $1");
    if (key_id && *key_id)
        load_scope(a, &out[n++], "key", key_id, "SELECT limits FROM api_keys WHERE id = $1");
    return n;
}

static void counter_add(fg_auth *a, const char *scope_name, const char *metric, int64_t start, double delta)
{
    fg_sval p[4] = {fg__text(scope_name), fg__text(metric), FG_SINT(start), FG_SREAL(delta)};
    fg_store_exec(a->store,
                  "INSERT INTO limit_counters (scope, metric, window_start, value) VALUES ($1, $2, $3, $4) "
                  "ON CONFLICT (scope, metric, window_start) DO UPDATE SET value = limit_counters.value + $4",
                  p, 4, NULL, NULL);
}

static double counter_get(fg_auth *a, const char *scope_name, const char *metric, int64_t start)
{
    fg_sval p[3] = {fg__text(scope_name), fg__text(metric), FG_SINT(start)};
    json_t *rows = NULL;
    double v = 0;
    if (fg_store_query_json(a->store,
                            "SELECT value FROM limit_counters WHERE scope = $1 AND metric = $2 AND window_start = $3",
                            p, 3, &rows, NULL) == 0)
        v = fg_json_num(json_array_get(rows, 0), "value", 0);
    json_decref(rows);
    return v;
}

static void answer_limited(fg_http_req *req, const scope *s, size_t i, int64_t retry_ms)
{
    static const char *const names[] = {"limit"};
    const char *values[] = {defs[i].name};
    fg_metrics_counter_add("flowgate_limit_rejections_total", "Gateway calls refused by a limit (429)", 1, names,
                           values, 1);
    char retry[32], msg[256];
    snprintf(retry, sizeof retry, "%lld", (long long)((retry_ms + 999) / 1000));
    snprintf(msg, sizeof msg, "%s limit reached for %s (%g): retry after %s s", defs[i].name,
             strncmp(s->name, "key:", 4) == 0 ? "this API key" : "this account", s->limit[i], retry);
    fg_http_resp_header(req, "Retry-After", retry);
    json_t *body = json_pack("{s:{s:s,s:s,s:s,s:f,s:s}}", "error", "message", msg, "type", "rate_limit_error",
                             "limit", defs[i].name, "value", s->limit[i], "scope",
                             strncmp(s->name, "key:", 4) == 0 ? "api_key" : "account");
    fg__respond_json(req, 429, body);
}

/* The first limit of s that is reached, or -1. */
static int reached(fg_auth *a, const scope *s, int64_t now, int64_t *retry_ms)
{
    for (size_t i = 0; i < FG_ARRAY_LEN(defs); i++) {
        if (s->limit[i] <= 0)
            continue;
        int64_t start, end;
        fg__limit_window_bounds(defs[i].win, now, &start, &end);
        double used = counter_get(a, s->name, defs[i].metric, start);
        if (used >= s->limit[i]) {
            *retry_ms = end - now;
            return (int)i;
        }
    }
    return -1;
}

int fg_auth_limits_admit(fg_auth *a, fg_http_req *req, const fg_principal *p)
{
    if (!a || a->disabled)
        return 0;
    scope scopes[2];
    size_t n = load_scopes(a, p->account_id, p->key_id, scopes);
    int64_t now = fg_clock_wall_ms(), start, end;
    fg__limit_window_bounds(W_MINUTE, now, &start, &end);
    for (size_t k = 0; k < n; k++) {
        if (!scopes[k].any)
            continue;
        int64_t retry_ms = 0;
        int i = reached(a, &scopes[k], now, &retry_ms);
        if (i >= 0) {
            answer_limited(req, &scopes[k], (size_t)i, retry_ms);
            return -1;
        }
    }
    for (size_t k = 0; k < n; k++)
        if (scopes[k].any)
            counter_add(a, scopes[k].name, "requests", start, 1);
    return 0;
}

static void add_tokens(fg_auth *a, const char *account_id, const char *key_id, double tokens)
{
    if (!a || a->disabled || tokens == 0)
        return;
    scope scopes[2];
    size_t n = load_scopes(a, account_id, key_id, scopes);
    int64_t start, end;
    fg__limit_window_bounds(W_MINUTE, fg_clock_wall_ms(), &start, &end);
    for (size_t k = 0; k < n; k++)
        if (scopes[k].limit[1] > 0)
            counter_add(a, scopes[k].name, "tokens", start, tokens);
}

void fg_auth_limits_reserve(fg_auth *a, const char *account_id, const char *key_id, long tokens)
{
    add_tokens(a, account_id, key_id, (double)tokens);
}

void fg_auth_limits_settle(fg_auth *a, const char *account_id, const char *key_id, long reserved,
                           long tokens, double cost)
{
    add_tokens(a, account_id, key_id, (double)tokens - (double)reserved);
    if (!a || a->disabled || cost <= 0)
        return;
    scope scopes[2];
    size_t n = load_scopes(a, account_id, key_id, scopes);
    int64_t now = fg_clock_wall_ms();
    for (size_t k = 0; k < n; k++)
        for (size_t i = 2; i < FG_ARRAY_LEN(defs); i++) {
            int64_t start, end;
            fg__limit_window_bounds(defs[i].win, now, &start, &end);
            if (scopes[k].limit[i] > 0)
                counter_add(a, scopes[k].name, defs[i].metric, start, cost);
        }
}
