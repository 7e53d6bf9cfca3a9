/* The gateway's cache hooks (gateway.h): who may use the cache for a request,
 * its key, the lookup, and the write of a completed answer. */
#include "cache/gateway.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GATEWAY_NS "gateway"

struct fg_cache_gateway {
    fg_cache *cache;
    fg_cache_mode mode; /* exact or normalised */
    char *routes;       /* space-separated path prefixes */
    char *keys;         /* space-separated API key ids */
};

typedef struct pending {
    char account_id[64];
    char key[65];
    char model[128];
} pending;

static char *copy_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

fg_cache_gateway *fg_cache_gateway_create(const fg_config *cfg, fg_cache *cache)
{
    if (!cache || !fg_config_bool(cfg, "cache.enabled"))
        return NULL;
    fg_cache_gateway *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->cache = cache;
    g->mode = fg_cache_mode_parse(fg_config_str(cfg, "cache.mode")) == FG_CACHE_EXACT ? FG_CACHE_EXACT
                                                                                      : FG_CACHE_NORMALISED;
    g->routes = copy_or_null(fg_config_str(cfg, "cache.gateway_routes"));
    g->keys = copy_or_null(fg_config_str(cfg, "cache.gateway_keys"));
    return g;
}

void fg_cache_gateway_free(fg_cache_gateway *g)
{
    if (!g)
        return;
    free(g->routes);
    free(g->keys);
    free(g);
}

/* True when word (of n bytes) is one of list's space-separated words; with
 * prefix, when one of them starts word. */
static bool listed(const char *list, const char *word, bool prefix)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (len && (prefix ? len <= n && memcmp(p, word, len) == 0 : len == n && memcmp(p, word, n) == 0))
            return true;
        p += len;
    }
    return false;
}

/* Gateway routes only: the seed chat API has its own cache rules. */
static bool gateway_path(const char *path)
{
    return strncmp(path, "/v1/", 4) == 0 || strncmp(path, "/model/", 7) == 0;
}

typedef enum { USE_NONE, USE_READ_WRITE, USE_WRITE } cache_use;

static cache_use decide_use(fg_cache_gateway *g, fg_http_req *req, const fg_llm_caller *who)
{
    const char *h = fg_http_req_header(req, "x-flowgate-cache");
    if (h && strcasecmp(h, "bypass") == 0)
        return USE_NONE;
    if (h && strcasecmp(h, "refresh") == 0)
        return USE_WRITE;
    if (h && strcasecmp(h, "use") == 0)
        return USE_READ_WRITE;
    if (listed(g->routes, fg_http_req_path(req), true) ||
        (who->key_id && who->key_id[0] && listed(g->keys, who->key_id, false)))
        return USE_READ_WRITE;
    return USE_NONE;
}

/* The route already authorized the caller: the entry is its account's. */
static fg_llm_cache_result gw_lookup(void *ud, fg_http_req *req, const fg_llm_caller *who,
                                     const json_t *request, fg_buf *answer, void **ctx)
{
    fg_cache_gateway *g = ud;
    *ctx = NULL;
    if (!gateway_path(fg_http_req_path(req)))
        return FG_LLM_CACHE_MISS;
    cache_use use = decide_use(g, req, who);
    if (use == USE_NONE)
        return FG_LLM_CACHE_MISS;
    pending *pd = calloc(1, sizeof *pd);
    if (!pd || fg_cache_request_key(request, g->mode == FG_CACHE_NORMALISED, pd->key)) {
        free(pd);
        return FG_LLM_CACHE_MISS;
    }
    snprintf(pd->account_id, sizeof pd->account_id, "%s", who->account_id ? who->account_id : "");
    const char *model = json_string_value(json_object_get(request, "model"));
    snprintf(pd->model, sizeof pd->model, "%s", model ? model : "");
    fg_cache_hit hit;
    if (use == USE_READ_WRITE &&
        fg_cache_get(g->cache, pd->account_id, g->mode, GATEWAY_NS, pd->key, 64, &hit)) {
        fg_cache_metric_hit(g->mode, hit.gen_ms);
        fg_buf_append(answer, hit.response, hit.len);
        fg_cache_hit_free(&hit);
        free(pd);
        return FG_LLM_CACHE_HIT;
    }
    if (use == USE_READ_WRITE)
        fg_cache_metric_miss(g->mode);
    *ctx = pd;
    return FG_LLM_CACHE_MISS;
}

static void gw_store(void *ud, void *ctx, const char *text, size_t len, double gen_ms)
{
    fg_cache_gateway *g = ud;
    pending *pd = ctx;
    fg_cache_entry e = {.account_id = pd->account_id, .mode = g->mode, .ns = GATEWAY_NS, .key = pd->key,
                        .key_len = 64, .response = text, .response_len = len, .model = pd->model,
                        .gen_ms = gen_ms};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_cache_put(g->cache, &e, &eb) && eb.code != FG_ELIMIT)
        fg_log(FG_LOG_WARN, NULL, "cache: gateway answer not stored: %s", eb.msg);
    free(pd);
}

static void gw_release(void *ud, void *ctx)
{
    free(ctx);
}

static const fg_llm_cache_ops gateway_ops = {gw_lookup, gw_store, gw_release};

void fg_cache_gateway_attach(fg_cache_gateway *g, fg_llm *llm)
{
    if (g)
        fg_llm_set_cache(llm, &gateway_ops, g);
}
