/* One question of the chat API on its way: checked, given its chat's history,
 * looked up in the cache (on a chat's first turn with a node_id, unless
 * invalidate_cache is "true"), and once answered recorded in history and
 * written to the cache. Exact entries (the seed's key, and imports) are
 * looked up first, then the configured mode's; the memory index answers
 * before the store is read for keys it does not hold. Exact entries keep the
 * seed's layout: no namespace of their own, the node_id leads the key (so
 * the seed's bulk files import as they are); the semantic mode embeds the
 * prompt through the gateway (only when no key hit), so its decision may
 * come later. */
#include "chat/chat_int.h"

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODE_ID 256

struct fg__chat_turn {
    fg_chat *chat;
    fg_http_worker *w;
    char account_id[64];
    char chat_id[128];
    bool has_chat_id;
    char node_id[MAX_NODE_ID + 1];
    char *prompt;
    json_t *request;      /* canonical, with history */
    bool read_cache, write_cache, invalidate;
    bool keys_looked_up, stored_looked_up; /* the keys missed in memory, in the store */
    bool exact_in_memory, norm_in_memory;  /* the memory index holds them (expired) */
    fg_buf exact_key;
    char nkey[65];
    float *vec;           /* the prompt's embedding (semantic mode) */
    size_t dim;
    fg_llm_call *embed_call;
    uint64_t start_ns;
    fg__chat_turn_decided decided;
    void *ud;
};

void fg__chat_turn_free(fg__chat_turn *t)
{
    if (!t)
        return;
    json_decref(t->request);
    fg_buf_free(&t->exact_key);
    free(t->prompt);
    free(t->vec);
    free(t);
}

json_t *fg__chat_turn_request(fg__chat_turn *t)
{
    return json_incref(t->request);
}

const char *fg__chat_turn_model(const fg__chat_turn *t)
{
    return fg_json_str(t->request, "model", "");
}

bool fg__chat_turn_cache_read(const fg__chat_turn *t)
{
    return t->read_cache;
}

/* The seed's rule: the cache counts for a chat's first turn with a node_id. */
static void decide_cache_use(fg__chat_turn *t, const json_t *body, bool first_turn)
{
    const json_t *params = json_object_get(body, "parameters");
    const char *node_id = fg_json_str(params, "node_id", fg_json_str(body, "node_id", NULL));
    const json_t *inv = json_object_get(body, "invalidate_cache");
    t->invalidate = (json_is_string(inv) && strcmp(json_string_value(inv), "true") == 0) || json_is_true(inv);
    if (!t->chat->cache_enabled || !node_id || !*node_id || strlen(node_id) > MAX_NODE_ID || !first_turn)
        return;
    snprintf(t->node_id, sizeof t->node_id, "%s", node_id);
    t->write_cache = true;
    t->read_cache = !t->invalidate;
    fg_buf_init(&t->exact_key, 0);
    fg_cache_exact_key(t->node_id, t->prompt, &t->exact_key);
    if (t->chat->cache_mode == FG_CACHE_NORMALISED)
        fg_cache_normalised_key(t->request, t->nkey);
    if (t->invalidate) {
        fg_errbuf eb;
        fg_cache_delete(t->chat->cache, t->account_id, FG_CACHE_EXACT, "", t->exact_key.data,
                        t->exact_key.len, &eb);
    }
}

static void record_hit(fg__chat_turn *t, const fg_cache_hit *hit)
{
    fg_cache_metric_hit(hit->mode, hit->gen_ms);
    fg__chat_turn_record r = {.account_id = t->account_id, .chat_id = t->has_chat_id ? t->chat_id : NULL,
                              .prompt = t->prompt, .answer = hit->response, .answer_len = hit->len,
                              .model = hit->model[0] ? hit->model : fg__chat_turn_model(t), .cached = true};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__chat_history_append(t->chat, &r, &eb))
        fg_log(FG_LOG_WARN, NULL, "chat: history of %s not saved: %s", t->chat_id, eb.msg);
}

/* The exact key, then the normalised key (normalised mode), in the memory
 * index; once per turn. */
static bool lookup_keys(fg__chat_turn *t, fg_cache_hit *hit)
{
    if (!t->read_cache || t->keys_looked_up)
        return false;
    t->keys_looked_up = true;
    fg_cache *c = t->chat->cache;
    if (fg_cache_get_memory(c, t->account_id, FG_CACHE_EXACT, "", t->exact_key.data, t->exact_key.len, hit,
                            &t->exact_in_memory))
        return true;
    return t->chat->cache_mode == FG_CACHE_NORMALISED &&
           fg_cache_get_memory(c, t->account_id, FG_CACHE_NORMALISED, t->node_id, t->nkey, strlen(t->nkey),
                               hit, &t->norm_in_memory);
}

/* The same keys in the store when memory has no entry for them (written by
 * another node, or imported while the server runs). Read last, after every
 * memory lookup (the semantic one too): the store is one connection shared
 * with the writer threads, and a hit from memory must not wait for it. */
static bool lookup_stored(fg__chat_turn *t, fg_cache_hit *hit)
{
    if (!t->read_cache || t->stored_looked_up)
        return false;
    t->stored_looked_up = true;
    fg_cache *c = t->chat->cache;
    if (!t->exact_in_memory &&
        fg_cache_get_stored(c, t->account_id, FG_CACHE_EXACT, "", t->exact_key.data, t->exact_key.len, hit))
        return true;
    return t->chat->cache_mode == FG_CACHE_NORMALISED && !t->norm_in_memory &&
           fg_cache_get_stored(c, t->account_id, FG_CACHE_NORMALISED, t->node_id, t->nkey, strlen(t->nkey),
                               hit);
}

static void answer_hit(fg__chat_turn *t, fg_cache_hit *hit)
{
    record_hit(t, hit);
    t->decided(t, hit, t->ud);
    fg_cache_hit_free(hit);
}

static void decide(fg__chat_turn *t, bool semantic_ready)
{
    fg_cache_hit hit;
    bool found = lookup_keys(t, &hit) ||
                 (t->read_cache && semantic_ready && t->vec &&
                  fg_cache_get_similar(t->chat->cache, t->account_id, t->node_id, t->vec, t->dim, &hit)) ||
                 lookup_stored(t, &hit);
    if (found) {
        answer_hit(t, &hit);
        return;
    }
    if (t->read_cache)
        fg_cache_metric_miss(t->chat->cache_mode);
    t->start_ns = fg_clock_mono_ns();
    t->decided(t, NULL, t->ud);
}

/* --- the prompt's embedding (semantic mode) -------------------------------- */

static void em_begin(fg_llm_call *call) {}

static void em_event(fg_llm_call *call, const fg_llm_event *ev)
{
    fg__chat_turn *t = fg_llm_call_sink_data(call);
    if (ev->type != FG_LLM_EV_EMBEDDING || ev->index != 0 || t->vec || !ev->dim)
        return;
    t->vec = malloc(ev->dim * sizeof *t->vec);
    if (t->vec) {
        memcpy(t->vec, ev->vector, ev->dim * sizeof *t->vec);
        t->dim = ev->dim;
    }
}

static void em_end(fg_llm_call *call)
{
    fg__chat_turn *t = fg_llm_call_sink_data(call);
    t->embed_call = NULL;
    decide(t, true);
}

static void em_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    fg__chat_turn *t = fg_llm_call_sink_data(call);
    t->embed_call = NULL;
    if (status == 499)
        return; /* fg__chat_turn_cancel */
    fg_log(FG_LOG_WARN, NULL, "cache: embedding with %s failed (%s): answering without the semantic cache",
           t->chat->embedding_model, msg);
    decide(t, false);
}

static const fg_llm_sink_ops embed_sink = {em_begin, em_event, em_end, em_fail};

static void start_embedding(fg__chat_turn *t)
{
    json_t *req = json_pack("{s:s,s:[s]}", "model", t->chat->embedding_model, "input", t->prompt);
    fg_llm_embed_call_start(t->chat->llm, t->w, "cache embedding", req, &embed_sink, t,
                            &t->embed_call);
}

void fg__chat_turn_cancel(fg__chat_turn *t)
{
    if (t->embed_call)
        fg_llm_call_cancel(t->embed_call);
}

int fg__chat_turn_begin(fg_chat *chat, fg_http_worker *w, const char *account_id, const char *chat_id,
                        const json_t *body, fg__chat_turn_decided decided, void *ud,
                        fg__chat_turn **out, char *msg, size_t n)
{
    *out = NULL;
    fg__chat_turn *t = calloc(1, sizeof *t);
    const char *prompt = fg_json_str(body, "prompt", NULL);
    if (!t || !prompt) {
        snprintf(msg, n, t ? "prompt: required, a string" : "out of memory");
        free(t);
        return -1;
    }
    t->chat = chat;
    t->w = w;
    t->decided = decided;
    t->ud = ud;
    snprintf(t->account_id, sizeof t->account_id, "%s", account_id);
    t->has_chat_id = chat_id != NULL;
    snprintf(t->chat_id, sizeof t->chat_id, "%s", chat_id ? chat_id : "");
    t->prompt = strdup(prompt);
    json_t *history = NULL;
    bool any = false;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__chat_history_load(chat, account_id, chat_id, &history, &any, &eb))
        fg_log(FG_LOG_WARN, NULL, "chat: history of %s not loaded: %s", t->chat_id, eb.msg);
    t->request = fg__chat_canonical(chat, body, history, msg, n);
    json_decref(history);
    if (!t->request || !t->prompt) {
        fg__chat_turn_free(t);
        return -1;
    }
    decide_cache_use(t, body, !any);
    *out = t;
    /* From here on decided may end the turn: t is not touched again. An
     * exact (or normalised) hit needs no embedding: the keys go first. */
    fg_cache_hit hit;
    if (lookup_keys(t, &hit))
        answer_hit(t, &hit);
    else if (t->write_cache && chat->cache_mode == FG_CACHE_SEMANTIC && chat->embedding_model[0])
        start_embedding(t);
    else
        decide(t, false);
    return 0;
}

static void write_cache(fg__chat_turn *t, const char *text, size_t len)
{
    fg_cache_mode mode = t->chat->cache_mode;
    const char *key = mode == FG_CACHE_EXACT ? t->exact_key.data : mode == FG_CACHE_NORMALISED ? t->nkey : t->prompt;
    if (mode == FG_CACHE_SEMANTIC && !t->vec) {
        mode = FG_CACHE_EXACT; /* no embedding (no model, or it failed): keep the seed's key */
        key = t->exact_key.data;
    }
    fg_cache_entry e = {.account_id = t->account_id, .mode = mode,
                        .ns = mode == FG_CACHE_EXACT ? "" : t->node_id, .key = key,
                        .key_len = strlen(key), .response = text, .response_len = len,
                        .model = fg__chat_turn_model(t),
                        .gen_ms = (double)(fg_clock_mono_ns() - t->start_ns) / 1e6,
                        .vec = mode == FG_CACHE_SEMANTIC ? t->vec : NULL, .dim = t->dim};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_cache_put(t->chat->cache, &e, &eb) && eb.code != FG_ELIMIT)
        fg_log(FG_LOG_WARN, NULL, "cache: answer not stored: %s", eb.msg);
}

void fg__chat_turn_complete(fg__chat_turn *t, const char *text, size_t len, long input_tokens,
                            long output_tokens)
{
    if (t->write_cache)
        write_cache(t, text ? text : "", len);
    fg__chat_turn_record r = {.account_id = t->account_id, .chat_id = t->has_chat_id ? t->chat_id : NULL,
                              .prompt = t->prompt, .answer = text ? text : "", .answer_len = len,
                              .model = fg__chat_turn_model(t), .input_tokens = input_tokens,
                              .output_tokens = output_tokens};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__chat_history_append(t->chat, &r, &eb))
        fg_log(FG_LOG_WARN, NULL, "chat: history of %s not saved: %s", t->chat_id, eb.msg);
}
