/* Anthropic Messages <-> canonical. System prompts move between the `system`
 * field and system messages; tool_use / tool_result blocks become tool_calls
 * and `tool` messages; images become data-URL image parts. */
#include "llm/translate.h"

#include "core/buf.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *fail(fg_xlate_err *e, json_t *partial, const char *param, const char *msg)
{
    snprintf(e->param, sizeof e->param, "%s", param);
    e->msg = msg;
    json_decref(partial);
    return NULL;
}

char *fg__canonical_text(const json_t *content)
{
    if (json_is_string(content))
        return strdup(json_string_value(content));
    fg_buf b;
    fg_buf_init(&b, 0);
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part) {
        const char *t = fg_json_str(part, "text", NULL);
        if (t)
            fg_buf_puts(&b, t);
    }
    char *s = fg_buf_detach(&b, NULL);
    return s ? s : strdup("");
}

static json_t *system_to_text(const json_t *system)
{
    if (json_is_string(system))
        return json_incref((json_t *)system);
    char *t = fg__canonical_text(system);
    json_t *s = json_string(t ? t : "");
    free(t);
    return s;
}

static json_t *image_part(const json_t *block)
{
    const json_t *src = json_object_get(block, "source");
    const char *type = fg_json_str(src, "type", "");
    char *url;
    if (strcmp(type, "base64") == 0) {
        const char *media = fg_json_str(src, "media_type", "image/png");
        const char *data = fg_json_str(src, "data", "");
        size_t n = strlen(media) + strlen(data) + 16;
        url = malloc(n);
        snprintf(url, n, "data:%s;base64,%s", media, data);
    } else {
        url = strdup(fg_json_str(src, "url", ""));
    }
    json_t *p = json_pack("{s:s,s:{s:s}}", "type", "image_url", "image_url", "url", url);
    free(url);
    return p;
}

static char *tool_result_text(const json_t *content)
{
    return content ? fg__canonical_text(content) : strdup("");
}

/* One Anthropic message may become several canonical ones (tool results). */
static int convert_message(json_t *out, const json_t *m, size_t idx, fg_xlate_err *e)
{
    const char *role = fg_json_str(m, "role", "");
    const json_t *content = json_object_get(m, "content");
    if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0) {
        snprintf(e->param, sizeof e->param, "messages.%zu.role", idx);
        e->msg = "role must be user or assistant";
        return -1;
    }
    if (json_is_string(content)) {
        json_array_append_new(out, json_pack("{s:s,s:O}", "role", role, "content", content));
        return 0;
    }
    if (!json_is_array(content)) {
        snprintf(e->param, sizeof e->param, "messages.%zu.content", idx);
        e->msg = "content must be a string or an array of content blocks";
        return -1;
    }
    json_t *parts = json_array(), *tool_calls = json_array();
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b) {
        const char *type = fg_json_str(b, "type", "");
        if (strcmp(type, "text") == 0) {
            json_array_append_new(parts, json_pack("{s:s,s:s}", "type", "text", "text",
                                                   fg_json_str(b, "text", "")));
        } else if (strcmp(type, "image") == 0) {
            json_array_append_new(parts, image_part(b));
        } else if (strcmp(type, "tool_use") == 0) {
            const json_t *input = json_object_get(b, "input");
            char *args = input ? fg_json_dumps(input) : strdup("{}");
            json_array_append_new(tool_calls, json_pack("{s:s,s:s,s:{s:s,s:s}}", "id",
                                  fg_json_str(b, "id", ""), "type", "function", "function", "name",
                                  fg_json_str(b, "name", ""), "arguments", args ? args : "{}"));
            free(args);
        } else if (strcmp(type, "tool_result") == 0) {
            char *text = tool_result_text(json_object_get(b, "content"));
            json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "role", "tool", "tool_call_id",
                                                 fg_json_str(b, "tool_use_id", ""), "content", text));
            free(text);
        } else if (strcmp(type, "thinking") != 0 && strcmp(type, "redacted_thinking") != 0) {
            json_decref(parts);
            json_decref(tool_calls);
            snprintf(e->param, sizeof e->param, "messages.%zu.content.%zu.type", idx, i);
            e->msg = "unknown content block type";
            return -1;
        }
    }
    if (json_array_size(parts) || json_array_size(tool_calls)) {
        json_t *msg = json_pack("{s:s}", "role", role);
        json_object_set_new(msg, "content", json_array_size(parts) ? parts : json_null());
        if (!json_array_size(parts))
            json_decref(parts);
        if (json_array_size(tool_calls))
            json_object_set_new(msg, "tool_calls", tool_calls);
        else
            json_decref(tool_calls);
        json_array_append_new(out, msg);
    } else {
        json_decref(parts);
        json_decref(tool_calls);
    }
    return 0;
}

static json_t *convert_tools(const json_t *tools)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) {
        json_t *fn = json_pack("{s:s}", "name", fg_json_str(t, "name", ""));
        if (json_object_get(t, "description"))
            json_object_set(fn, "description", json_object_get(t, "description"));
        const json_t *schema = json_object_get(t, "input_schema");
        json_object_set_new(fn, "parameters", schema ? json_incref((json_t *)schema) : json_object());
        json_array_append_new(out, json_pack("{s:s,s:o}", "type", "function", "function", fn));
    }
    return out;
}

static json_t *convert_tool_choice(const json_t *tc)
{
    const char *type = fg_json_str(tc, "type", "auto");
    if (strcmp(type, "any") == 0)
        return json_string("required");
    if (strcmp(type, "none") == 0)
        return json_string("none");
    if (strcmp(type, "tool") == 0)
        return json_pack("{s:s,s:{s:s}}", "type", "function", "function", "name",
                         fg_json_str(tc, "name", ""));
    return json_string("auto");
}

static int copy_number(json_t *canon, const json_t *body, const char *from, const char *to,
                       double lo, double hi, bool integer, fg_xlate_err *e)
{
    const json_t *v = json_object_get(body, from);
    if (!v || json_is_null(v))
        return 0;
    if ((integer && !json_is_integer(v)) || !json_is_number(v) || json_number_value(v) < lo ||
        json_number_value(v) > hi) {
        snprintf(e->param, sizeof e->param, "%s", from);
        e->msg = integer ? "must be an integer in range" : "must be a number in range";
        return -1;
    }
    json_object_set(canon, to, (json_t *)v);
    return 0;
}

json_t *fg__anthropic_to_canonical(const json_t *body, fg_xlate_err *e)
{
    if (!json_is_object(body))
        return fail(e, NULL, "(body)", "the body must be a JSON object");
    if (!json_is_string(json_object_get(body, "model")))
        return fail(e, NULL, "model", "model is required");
    if (!json_is_integer(json_object_get(body, "max_tokens")))
        return fail(e, NULL, "max_tokens", "max_tokens is required and must be an integer");
    const json_t *msgs = json_object_get(body, "messages");
    if (!json_is_array(msgs) || !json_array_size(msgs))
        return fail(e, NULL, "messages", "messages must be a non-empty array");
    json_t *canon = json_pack("{s:O,s:[]}", "model", json_object_get(body, "model"), "messages");
    json_t *out = json_object_get(canon, "messages");
    const json_t *system = json_object_get(body, "system");
    if (system && !json_is_null(system))
        json_array_append_new(out, json_pack("{s:s,s:o}", "role", "system", "content", system_to_text(system)));
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) if (convert_message(out, m, i, e)) {
        json_decref(canon);
        return NULL;
    }
    if (copy_number(canon, body, "max_tokens", "max_tokens", 1, 1e9, true, e) ||
        copy_number(canon, body, "temperature", "temperature", 0, 1, false, e) ||
        copy_number(canon, body, "top_p", "top_p", 0, 1, false, e) ||
        copy_number(canon, body, "top_k", "top_k", 0, 1e9, true, e)) {
        json_decref(canon);
        return NULL;
    }
    const json_t *stop = json_object_get(body, "stop_sequences");
    if (json_is_array(stop))
        json_object_set(canon, "stop", (json_t *)stop);
    const json_t *tools = json_object_get(body, "tools");
    if (json_is_array(tools))
        json_object_set_new(canon, "tools", convert_tools(tools));
    const json_t *tc = json_object_get(body, "tool_choice");
    if (json_is_object(tc))
        json_object_set_new(canon, "tool_choice", convert_tool_choice(tc));
    return canon;
}

/* --- canonical -> Anthropic ------------------------------------------------ */

static json_t *content_blocks(const json_t *content)
{
    if (json_is_string(content))
        return json_pack("[{s:s,s:O}]", "type", "text", "text", content);
    json_t *blocks = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(content, i, p) {
        const char *type = fg_json_str(p, "type", "");
        if (strcmp(type, "text") == 0) {
            json_array_append_new(blocks, json_pack("{s:s,s:s}", "type", "text", "text",
                                                    fg_json_str(p, "text", "")));
        } else if (strcmp(type, "image_url") == 0) {
            const char *url = fg_json_str(json_object_get(p, "image_url"), "url", "");
            const char *comma = strchr(url, ',');
            if (strncmp(url, "data:", 5) == 0 && comma) {
                char media[64];
                snprintf(media, sizeof media, "%.*s", (int)strcspn(url + 5, ";,"), url + 5);
                json_array_append_new(blocks, json_pack("{s:s,s:{s:s,s:s,s:s}}", "type", "image",
                                      "source", "type", "base64", "media_type", media, "data", comma + 1));
            } else {
                json_array_append_new(blocks, json_pack("{s:s,s:{s:s,s:s}}", "type", "image",
                                                        "source", "type", "url", "url", url));
            }
        }
    }
    return blocks;
}

static void append_message(json_t *msgs, const char *role, json_t *blocks)
{
    /* Anthropic wants alternating roles: merge into the previous one when equal. */
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    if (last && strcmp(fg_json_str(last, "role", ""), role) == 0) {
        json_array_extend(json_object_get(last, "content"), blocks);
        json_decref(blocks);
        return;
    }
    json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", role, "content", blocks));
}

json_t *fg__canonical_to_anthropic(const json_t *canon)
{
    json_t *out = json_object();
    json_t *msgs = json_array();
    fg_buf system;
    fg_buf_init(&system, 0);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(canon, "messages"), i, m) {
        const char *role = fg_json_str(m, "role", "user");
        const json_t *content = json_object_get(m, "content");
        if (!strcmp(role, "system") || !strcmp(role, "developer")) {
            char *t = fg__canonical_text(content);
            if (system.len)
                fg_buf_puts(&system, "\n\n");
            fg_buf_puts(&system, t);
            free(t);
        } else if (!strcmp(role, "tool")) {
            char *t = fg__canonical_text(content);
            append_message(msgs, "user", json_pack("[{s:s,s:s,s:s}]", "type", "tool_result", "tool_use_id",
                                                   fg_json_str(m, "tool_call_id", ""), "content", t));
            free(t);
        } else {
            json_t *blocks = content && !json_is_null(content) ? content_blocks(content) : json_array();
            size_t j;
            json_t *tc;
            json_array_foreach(json_object_get(m, "tool_calls"), j, tc) {
                const json_t *fn = json_object_get(tc, "function");
                const char *args = fg_json_str(fn, "arguments", "");
                json_t *input = fg_json_object_or_empty(args, strlen(args));
                json_array_append_new(blocks, json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id",
                                      fg_json_str(tc, "id", ""), "name", fg_json_str(fn, "name", ""),
                                      "input", input));
            }
            append_message(msgs, strcmp(role, "assistant") == 0 ? "assistant" : "user", blocks);
        }
    }
    json_object_set_new(out, "messages", msgs);
    if (system.len)
        json_object_set_new(out, "system", json_stringn(system.data, system.len));
    fg_buf_free(&system);
    json_object_set_new(out, "max_tokens", json_integer(fg_json_int(canon, "max_tokens", 4096)));
    static const char *const copy[] = {"temperature", "top_p", "top_k"};
    for (size_t k = 0; k < sizeof copy / sizeof copy[0]; k++)
        if (json_is_number(json_object_get(canon, copy[k])))
            json_object_set(out, copy[k], json_object_get(canon, copy[k]));
    if (json_is_array(json_object_get(canon, "stop")))
        json_object_set(out, "stop_sequences", json_object_get(canon, "stop"));
    json_t *tools = json_array();
    json_t *t;
    json_array_foreach(json_object_get(canon, "tools"), i, t) {
        const json_t *fn = json_object_get(t, "function");
        json_t *tool = json_pack("{s:s}", "name", fg_json_str(fn, "name", ""));
        if (json_object_get(fn, "description"))
            json_object_set(tool, "description", json_object_get(fn, "description"));
        const json_t *params = json_object_get(fn, "parameters");
        json_object_set_new(tool, "input_schema", params ? json_incref((json_t *)params)
                                                         : json_pack("{s:s}", "type", "object"));
        json_array_append_new(tools, tool);
    }
    if (json_array_size(tools))
        json_object_set_new(out, "tools", tools);
    else
        json_decref(tools);
    const json_t *tc = json_object_get(canon, "tool_choice");
    if (json_is_string(tc) && strcmp(json_string_value(tc), "required") == 0)
        json_object_set_new(out, "tool_choice", json_pack("{s:s}", "type", "any"));
    else if (json_is_string(tc) && strcmp(json_string_value(tc), "none") == 0)
        json_object_set_new(out, "tool_choice", json_pack("{s:s}", "type", "none"));
    else if (json_is_object(tc))
        json_object_set_new(out, "tool_choice", json_pack("{s:s,s:s}", "type", "tool", "name",
                            fg_json_str(json_object_get(tc, "function"), "name", "")));
    return out;
}

const char *fg__finish_from_anthropic(const char *r)
{
    if (!r)
        return "stop";
    if (!strcmp(r, "max_tokens"))
        return "length";
    if (!strcmp(r, "tool_use"))
        return "tool_calls";
    if (!strcmp(r, "refusal"))
        return "content_filter";
    return "stop";
}

const char *fg__finish_to_anthropic(const char *f)
{
    if (!f)
        return "end_turn";
    if (!strcmp(f, "length"))
        return "max_tokens";
    if (!strcmp(f, "tool_calls"))
        return "tool_use";
    if (!strcmp(f, "content_filter"))
        return "refusal";
    return "end_turn";
}
