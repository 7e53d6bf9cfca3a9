/* Bedrock Converse <-> canonical: content blocks ({text}, {image}, {toolUse},
 * {toolResult}), system blocks, inferenceConfig and toolConfig. */
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

static char *blocks_text(const json_t *blocks)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    size_t i;
    json_t *blk;
    json_array_foreach(blocks, i, blk) {
        const char *t = fg_json_str(blk, "text", NULL);
        if (t)
            fg_buf_puts(&b, t);
        const json_t *j = json_object_get(blk, "json");
        if (j) {
            char *s = fg_json_dumps(j);
            fg_buf_puts(&b, s ? s : "");
            free(s);
        }
    }
    char *s = fg_buf_detach(&b, NULL);
    return s ? s : strdup("");
}

static json_t *image_part(const json_t *img)
{
    const char *format = fg_json_str(img, "format", "png");
    const char *bytes = fg_json_str(json_object_get(img, "source"), "bytes", "");
    size_t n = strlen(format) + strlen(bytes) + 32;
    char *url = malloc(n);
    snprintf(url, n, "data:image/%s;base64,%s", format, bytes);
    json_t *p = json_pack("{s:s,s:{s:s}}", "type", "image_url", "image_url", "url", url);
    free(url);
    return p;
}

static int convert_message(json_t *out, const json_t *m, size_t idx, fg_xlate_err *e)
{
    const char *role = fg_json_str(m, "role", "");
    if (strcmp(role, "user") && strcmp(role, "assistant")) {
        snprintf(e->param, sizeof e->param, "messages.%zu.role", idx);
        e->msg = "role must be user or assistant";
        return -1;
    }
    const json_t *content = json_object_get(m, "content");
    if (!json_is_array(content)) {
        snprintf(e->param, sizeof e->param, "messages.%zu.content", idx);
        e->msg = "content must be an array of content blocks";
        return -1;
    }
    json_t *parts = json_array(), *calls = json_array();
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b) {
        if (json_is_string(json_object_get(b, "text"))) {
            json_array_append_new(parts, json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(b, "text")));
        } else if (json_object_get(b, "image")) {
            json_array_append_new(parts, image_part(json_object_get(b, "image")));
        } else if (json_object_get(b, "toolUse")) {
            const json_t *tu = json_object_get(b, "toolUse");
            const json_t *input = json_object_get(tu, "input");
            char *args = input ? fg_json_dumps(input) : strdup("{}");
            json_array_append_new(calls, json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", fg_json_str(tu, "toolUseId", ""),
                                  "type", "function", "function", "name", fg_json_str(tu, "name", ""),
                                  "arguments", args ? args : "{}"));
            free(args);
        } else if (json_object_get(b, "toolResult")) {
            const json_t *tr = json_object_get(b, "toolResult");
            char *text = blocks_text(json_object_get(tr, "content"));
            json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "role", "tool", "tool_call_id",
                                                 fg_json_str(tr, "toolUseId", ""), "content", text));
            free(text);
        }
    }
    if (json_array_size(parts) || json_array_size(calls)) {
        json_t *msg = json_pack("{s:s}", "role", role);
        if (json_array_size(parts) == 1 && json_is_string(json_object_get(json_array_get(parts, 0), "text")))
            json_object_set(msg, "content", json_object_get(json_array_get(parts, 0), "text"));
        else
            json_object_set(msg, "content", json_array_size(parts) ? parts : json_null());
        if (json_array_size(calls))
            json_object_set(msg, "tool_calls", calls);
        json_array_append_new(out, msg);
    }
    json_decref(parts);
    json_decref(calls);
    return 0;
}

static void convert_tools(json_t *canon, const json_t *tc)
{
    json_t *tools = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(tc, "tools"), i, t) {
        const json_t *spec = json_object_get(t, "toolSpec");
        if (!spec)
            continue;
        json_t *fn = json_pack("{s:s}", "name", fg_json_str(spec, "name", ""));
        if (json_object_get(spec, "description"))
            json_object_set(fn, "description", json_object_get(spec, "description"));
        const json_t *schema = json_object_get(json_object_get(spec, "inputSchema"), "json");
        json_object_set_new(fn, "parameters", schema ? json_incref((json_t *)schema) : json_object());
        json_array_append_new(tools, json_pack("{s:s,s:o}", "type", "function", "function", fn));
    }
    json_object_set_new(canon, "tools", tools);
    const json_t *choice = json_object_get(tc, "toolChoice");
    if (json_object_get(choice, "any"))
        json_object_set_new(canon, "tool_choice", json_string("required"));
    else if (json_object_get(choice, "tool"))
        json_object_set_new(canon, "tool_choice", json_pack("{s:s,s:{s:s}}", "type", "function", "function",
                            "name", fg_json_str(json_object_get(choice, "tool"), "name", "")));
}

json_t *fg__converse_to_canonical(const json_t *body, const char *model, fg_xlate_err *e)
{
    if (!json_is_object(body))
        return fail(e, NULL, "(body)", "the body must be a JSON object");
    const json_t *msgs = json_object_get(body, "messages");
    if (!json_is_array(msgs) || !json_array_size(msgs))
        return fail(e, NULL, "messages", "messages must be a non-empty array");
    json_t *canon = json_pack("{s:s,s:[]}", "model", model, "messages");
    json_t *out = json_object_get(canon, "messages");
    const json_t *system = json_object_get(body, "system");
    if (json_is_array(system) && json_array_size(system)) {
        char *text = blocks_text(system);
        json_array_append_new(out, json_pack("{s:s,s:s}", "role", "system", "content", text));
        free(text);
    }
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) if (convert_message(out, m, i, e)) {
        json_decref(canon);
        return NULL;
    }
    const json_t *ic = json_object_get(body, "inferenceConfig");
    if (ic && !json_is_object(ic))
        return fail(e, canon, "inferenceConfig", "must be an object");
    const json_t *v;
    if ((v = json_object_get(ic, "maxTokens"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return fail(e, canon, "inferenceConfig.maxTokens", "must be a positive integer");
        json_object_set(canon, "max_tokens", (json_t *)v);
    }
    if ((v = json_object_get(ic, "temperature"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
            return fail(e, canon, "inferenceConfig.temperature", "must be a number between 0 and 1");
        json_object_set(canon, "temperature", (json_t *)v);
    }
    if ((v = json_object_get(ic, "topP"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
            return fail(e, canon, "inferenceConfig.topP", "must be a number between 0 and 1");
        json_object_set(canon, "top_p", (json_t *)v);
    }
    if (json_is_array((v = json_object_get(ic, "stopSequences"))))
        json_object_set(canon, "stop", (json_t *)v);
    const json_t *amf = json_object_get(body, "additionalModelRequestFields");
    if (json_is_integer(json_object_get(amf, "top_k")))
        json_object_set(canon, "top_k", json_object_get(amf, "top_k"));
    if (json_is_object(json_object_get(body, "toolConfig")))
        convert_tools(canon, json_object_get(body, "toolConfig"));
    return canon;
}

static json_t *canonical_blocks(const json_t *m)
{
    json_t *blocks = json_array();
    const json_t *content = json_object_get(m, "content");
    if (json_is_string(content)) {
        json_array_append_new(blocks, json_pack("{s:O}", "text", content));
    } else {
        size_t i;
        json_t *p;
        json_array_foreach(content, i, p) if (json_is_string(json_object_get(p, "text")))
            json_array_append_new(blocks, json_pack("{s:O}", "text", json_object_get(p, "text")));
    }
    size_t j;
    json_t *tc;
    json_array_foreach(json_object_get(m, "tool_calls"), j, tc) {
        const json_t *fn = json_object_get(tc, "function");
        const char *args = fg_json_str(fn, "arguments", "");
        json_t *input = fg_json_object_or_empty(args, strlen(args));
        json_array_append_new(blocks, json_pack("{s:{s:s,s:s,s:o}}", "toolUse", "toolUseId",
                              fg_json_str(tc, "id", ""), "name", fg_json_str(fn, "name", ""), "input", input));
    }
    return blocks;
}

static void push(json_t *msgs, const char *role, json_t *blocks)
{
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    if (last && strcmp(fg_json_str(last, "role", ""), role) == 0) {
        json_array_extend(json_object_get(last, "content"), blocks);
        json_decref(blocks);
    } else {
        json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", role, "content", blocks));
    }
}

json_t *fg__canonical_to_converse(const json_t *canon)
{
    json_t *out = json_object(), *msgs = json_array(), *system = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(canon, "messages"), i, m) {
        const char *role = fg_json_str(m, "role", "user");
        if (!strcmp(role, "system") || !strcmp(role, "developer")) {
            char *t = fg__canonical_text(json_object_get(m, "content"));
            json_array_append_new(system, json_pack("{s:s}", "text", t));
            free(t);
        } else if (!strcmp(role, "tool")) {
            char *t = fg__canonical_text(json_object_get(m, "content"));
            push(msgs, "user", json_pack("[{s:{s:s,s:[{s:s}]}}]", "toolResult", "toolUseId",
                                         fg_json_str(m, "tool_call_id", ""), "content", "text", t));
            free(t);
        } else {
            push(msgs, strcmp(role, "assistant") ? "user" : "assistant", canonical_blocks(m));
        }
    }
    json_object_set_new(out, "messages", msgs);
    if (json_array_size(system))
        json_object_set_new(out, "system", system);
    else
        json_decref(system);
    json_t *ic = json_object();
    if (json_is_integer(json_object_get(canon, "max_tokens")))
        json_object_set(ic, "maxTokens", json_object_get(canon, "max_tokens"));
    if (json_is_number(json_object_get(canon, "temperature")))
        json_object_set(ic, "temperature", json_object_get(canon, "temperature"));
    if (json_is_number(json_object_get(canon, "top_p")))
        json_object_set(ic, "topP", json_object_get(canon, "top_p"));
    if (json_is_array(json_object_get(canon, "stop")))
        json_object_set(ic, "stopSequences", json_object_get(canon, "stop"));
    json_object_set_new(out, "inferenceConfig", ic);
    if (json_is_integer(json_object_get(canon, "top_k")))
        json_object_set_new(out, "additionalModelRequestFields",
                            json_pack("{s:O}", "top_k", json_object_get(canon, "top_k")));
    json_t *tools = json_array();
    json_t *t;
    json_array_foreach(json_object_get(canon, "tools"), i, t) {
        const json_t *fn = json_object_get(t, "function");
        const json_t *params = json_object_get(fn, "parameters");
        json_t *schema = params ? json_incref((json_t *)params) : json_object();
        json_t *spec = json_pack("{s:s,s:{s:o}}", "name", fg_json_str(fn, "name", ""), "inputSchema",
                                 "json", schema);
        if (json_object_get(fn, "description"))
            json_object_set(spec, "description", json_object_get(fn, "description"));
        json_array_append_new(tools, json_pack("{s:o}", "toolSpec", spec));
    }
    if (json_array_size(tools))
        json_object_set_new(out, "toolConfig", json_pack("{s:o}", "tools", tools));
    else
        json_decref(tools);
    return out;
}

const char *fg__finish_from_converse(const char *r)
{
    if (!r)
        return "stop";
    if (!strcmp(r, "max_tokens"))
        return "length";
    if (!strcmp(r, "tool_use"))
        return "tool_calls";
    if (!strcmp(r, "content_filtered") || !strcmp(r, "guardrail_intervened"))
        return "content_filter";
    return "stop";
}

const char *fg__finish_to_converse(const char *f)
{
    if (!f)
        return "end_turn";
    if (!strcmp(f, "length"))
        return "max_tokens";
    if (!strcmp(f, "tool_calls"))
        return "tool_use";
    if (!strcmp(f, "content_filter"))
        return "content_filtered";
    return "end_turn";
}
