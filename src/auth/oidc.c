/* External OIDC issuers (Cognito user pools, Azure AD, any OpenID provider):
 * from the configuration's auth.issuers list, each with its signing keys read
 * at start from a JWKS file or fetched from its JWKS URL. A refresher thread
 * fetches URL key sets again every auth.jwks_refresh_s, and sooner (at most
 * every auth.jwks_min_refresh_s) when a token names a key the set lacks, as
 * after a rotation. */
#include "auth/auth_int.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_JWKS_BYTES (1 << 20)

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    return fg_buf_append(ud, data, size * n) == 0 ? size * n : 0;
}

static int fetch_url(const char *url, fg_buf *out, fg_errbuf *eb)
{
    CURL *c = curl_easy_init();
    if (!c)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        return fg_failf(eb, FG_EUPSTREAM, "fetching %s: %s", url, curl_easy_strerror(cc));
    if (status != 200)
        return fg_failf(eb, FG_EUPSTREAM, "fetching %s: HTTP %ld", url, status);
    return 0;
}

static int read_file(const char *path, fg_buf *out, fg_errbuf *eb)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fg_failf(eb, FG_EIO, "cannot read %s", path);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fg_buf_append(out, chunk, n))
            rc = fg_failf(eb, FG_ELIMIT, "%s is larger than %d bytes", path, MAX_JWKS_BYTES);
    fclose(f);
    return rc;
}

static int load_issuer(fg_oidc_issuer *is, const json_t *conf, size_t index, fg_errbuf *eb)
{
    is->jwks_url = fg_json_str(conf, "jwks_url", NULL);
    is->fetched_ms = fg_clock_wall_ms();
    is->issuer = fg_json_str(conf, "issuer", "");
    is->audience = fg_json_str(conf, "audience", NULL);
    is->required_scope = fg_json_str(conf, "required_scope", NULL);
    is->account_claim = fg_json_str(conf, "account_claim", "custom:account_id");
    is->role = fg__role_parse(fg_json_str(conf, "role", "user"));
    const char *file = fg_json_str(conf, "jwks_file", NULL), *url = fg_json_str(conf, "jwks_url", NULL);
    if (!file && !url)
        return fg_failf(eb, FG_EINVAL, "auth.issuers[%zu] (%s): set jwks_url or jwks_file", index,
                        is->issuer);
    fg_buf b;
    fg_buf_init(&b, MAX_JWKS_BYTES);
    int rc = file ? read_file(file, &b, eb) : fetch_url(url, &b, eb);
    if (!rc)
        rc = fg_jwks_parse(b.data ? b.data : "", b.len, &is->keys, eb);
    fg_buf_free(&b);
    if (rc && url && !file) {
        /* The issuer may be down for a moment: start without its keys and let
         * the refresher try again. */
        fg_warn("auth.issuers[%zu] (%s): keys not loaded yet (%s); retrying in the background", index,
                is->issuer, eb ? eb->msg : "");
        if (eb)
            fg_errbuf_clear(eb);
        is->keys = fg_jwks_create();
        is->want_refresh = true;
        return is->keys ? 0 : FG_ENOMEM;
    }
    if (rc)
        return fg_failf(eb, rc, "auth.issuers[%zu] (%s): cannot load its keys", index, is->issuer);
    fg_info("accepting tokens of %s (%zu keys)", is->issuer, fg_jwks_count(is->keys));
    return 0;
}

/* Fetches one issuer's keys again and swaps them in. */
static void refetch(fg_auth *a, fg_oidc_issuer *is)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_buf b;
    fg_buf_init(&b, MAX_JWKS_BYTES);
    fg_jwks *keys = NULL;
    int rc = fetch_url(is->jwks_url, &b, &eb);
    if (!rc)
        rc = fg_jwks_parse(b.data ? b.data : "", b.len, &keys, &eb);
    fg_buf_free(&b);
    if (rc) {
        fg_warn("keys of %s not refreshed: %s", is->issuer, eb.msg);
        return;
    }
    pthread_rwlock_wrlock(&a->keys_lock);
    fg_jwks *old = is->keys;
    is->keys = keys;
    pthread_rwlock_unlock(&a->keys_lock);
    fg_jwks_free(old);
    fg_info("refreshed the keys of %s (%zu keys)", is->issuer, fg_jwks_count(keys));
}

static bool due(const fg_auth *a, const fg_oidc_issuer *is, int64_t now)
{
    if (!is->jwks_url)
        return false;
    return now - is->fetched_ms >= a->jwks_refresh_ms ||
           (is->want_refresh && now - is->fetched_ms >= a->jwks_min_refresh_ms);
}

static void *refresher_main(void *ud)
{
    fg_auth *a = ud;
    pthread_mutex_lock(&a->refresh_lock);
    while (!a->stopping) {
        int64_t now = fg_clock_wall_ms();
        for (size_t i = 0; i < a->nissuers && !a->stopping; i++) {
            fg_oidc_issuer *is = &a->issuers[i];
            if (!due(a, is, now))
                continue;
            is->want_refresh = false;
            is->fetched_ms = now;
            pthread_mutex_unlock(&a->refresh_lock);
            refetch(a, is);
            pthread_mutex_lock(&a->refresh_lock);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&a->refresh_wake, &a->refresh_lock, &until);
    }
    pthread_mutex_unlock(&a->refresh_lock);
    return NULL;
}

void fg__oidc_want_refresh(fg_auth *a, fg_oidc_issuer *is)
{
    if (!is->jwks_url)
        return;
    pthread_mutex_lock(&a->refresh_lock);
    is->want_refresh = true;
    pthread_cond_signal(&a->refresh_wake);
    pthread_mutex_unlock(&a->refresh_lock);
}

static void start_refresher(fg_auth *a)
{
    bool any_url = false;
    for (size_t i = 0; i < a->nissuers; i++)
        any_url = any_url || a->issuers[i].jwks_url;
    if (any_url && pthread_create(&a->refresher, NULL, refresher_main, a) == 0)
        a->refresher_running = true;
}

int fg__oidc_load(fg_auth *a, fg_errbuf *eb)
{
    const json_t *list = fg_config_get(a->cfg, "auth.issuers");
    size_t n = json_array_size(list);
    if (n == 0)
        return 0;
    a->issuers = calloc(n, sizeof *a->issuers);
    if (!a->issuers)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    a->nissuers = n;
    for (size_t i = 0; i < n; i++) {
        int rc = load_issuer(&a->issuers[i], json_array_get(list, i), i, eb);
        if (rc)
            return rc;
    }
    start_refresher(a);
    return 0;
}

void fg__oidc_free(fg_auth *a)
{
    if (a->refresher_running) {
        pthread_mutex_lock(&a->refresh_lock);
        a->stopping = true;
        pthread_cond_signal(&a->refresh_wake);
        pthread_mutex_unlock(&a->refresh_lock);
        pthread_join(a->refresher, NULL);
        a->refresher_running = false;
    }
    for (size_t i = 0; i < a->nissuers; i++)
        fg_jwks_free(a->issuers[i].keys);
    free(a->issuers);
    a->issuers = NULL;
    a->nissuers = 0;
}
