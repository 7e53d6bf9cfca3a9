#include "chat/chat_int.h"

#include "core/json.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fg_chat *fg_chat_create(const fg_config *cfg, fg_llm *llm, fg_auth *auth, fg_store *store,
                        fg_cache *cache)
{
    fg_chat *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->llm = llm;
    c->auth = auth;
    c->store = store;
    c->cache = cache;
    c->history_turns = (long)fg_config_int(cfg, "chat.history_turns");
    c->max_chats_per_socket = (int)fg_config_int(cfg, "chat.max_chats_per_socket");
    c->cache_enabled = cache && fg_config_bool(cfg, "cache.enabled");
    int mode = fg_cache_mode_parse(fg_config_str(cfg, "cache.mode"));
    c->cache_mode = mode < 0 ? FG_CACHE_EXACT : (fg_cache_mode)mode;
    const char *em = fg_config_str(cfg, "cache.embedding_model");
    snprintf(c->embedding_model, sizeof c->embedding_model, "%s", em ? em : "");
    if (c->cache_enabled && c->cache_mode == FG_CACHE_SEMANTIC && !c->embedding_model[0])
        fg_log(FG_LOG_WARN, NULL, "cache.mode is semantic but cache.embedding_model is not set: the chat "
                                  "API caches by exact key only");
    c->default_max_tokens = (long)fg_config_int(cfg, "chat.default_max_tokens");
    c->default_temperature = fg_config_num(cfg, "chat.default_temperature");
    const char *m = fg_config_str(cfg, "chat.default_model");
    snprintf(c->default_model, sizeof c->default_model, "%s", m ? m : "");
    c->ws_max_message = (size_t)fg_config_int(cfg, "server.ws_max_message_bytes");
    c->ws_ping_ms = (uint64_t)fg_config_int(cfg, "server.ws_ping_interval_ms");
    return c;
}

void fg_chat_free(fg_chat *chat)
{
    free(chat);
}

void fg_chat_register_routes(fg_chat *chat, fg_http_router *r)
{
    fg_http_router_add(r, "GET", "/ws", fg__chat_ws_route, chat);
    fg_http_router_add(r, "POST", "/RestLambda", fg__chat_rest_route, chat);
    fg_http_router_add(r, "GET", "/chats", fg__chat_list_route, chat);
    fg_http_router_add(r, "GET", "/chats/{chat_id}", fg__chat_get_route, chat);
    fg_http_router_add(r, "DELETE", "/chats/{chat_id}", fg__chat_delete_route, chat);
}

json_t *fg__chat_canonical(const fg_chat *chat, const json_t *body, const json_t *history, char *msg,
                           size_t n)
{
    const char *prompt = fg_json_str(body, "prompt", NULL);
    if (!prompt) {
        snprintf(msg, n, "prompt: required, a string");
        return NULL;
    }
    const char *model = fg_json_str(body, "model", chat->default_model);
    if (!model || !*model) {
        snprintf(msg, n, "model: required (no chat.default_model configured)");
        return NULL;
    }
    const json_t *params = json_object_get(body, "parameters");
    if (params && !json_is_object(params)) {
        snprintf(msg, n, "parameters: must be an object");
        return NULL;
    }
    const json_t *t = json_object_get(params, "temperature");
    const json_t *mt = json_object_get(params, "max_tokens_to_sample");
    const json_t *stop = json_object_get(params, "stop_sequences");
    if ((t && !json_is_number(t)) || (mt && (!json_is_integer(mt) || json_integer_value(mt) < 1)) ||
        (stop && !json_is_array(stop))) {
        snprintf(msg, n, "parameters: temperature must be a number, max_tokens_to_sample a positive "
                         "integer, stop_sequences an array of strings");
        return NULL;
    }
    json_t *messages = history ? json_deep_copy(history) : json_array();
    json_array_append_new(messages, json_pack("{s:s,s:s}", "role", "user", "content", prompt));
    json_t *canon = json_pack("{s:s,s:o,s:f,s:I}", "model", model, "messages", messages, "temperature",
                              t ? json_number_value(t) : chat->default_temperature, "max_tokens",
                              (json_int_t)(mt ? json_integer_value(mt) : chat->default_max_tokens));
    if (stop && json_array_size(stop))
        json_object_set(canon, "stop", (json_t *)stop);
    return canon;
}
