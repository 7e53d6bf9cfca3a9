/* Bedrock InvokeModel native bodies <-> the canonical request. */
#include "llm/native.h"
#include "llm/translate.h"

#include "core/json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *fg_llm_native_model_id(const char *model)
{
    const char *slash = strrchr(model, '/');
    return slash ? slash + 1 : model;
}

fg_llm_native_family fg_llm_native_family_of(const char *model)
{
    const char *m = fg_llm_native_model_id(model);
    /* Skip a cross-region inference profile prefix ("us.", "eu.", "apac."). */
    const char *dot = strchr(m, '.');
    if (dot && dot - m <= 4 && strncmp(m, "meta", 4) != 0)
        m = dot + 1;
    if (strncmp(m, "anthropic.", 10) == 0)
        return FG_NATIVE_ANTHROPIC;
    if (strncmp(m, "meta.", 5) == 0)
        return FG_NATIVE_LLAMA;
    if (strncmp(m, "amazon.titan-text", 17) == 0 || strncmp(m, "amazon.titan-tg", 15) == 0)
        return FG_NATIVE_TITAN;
    if (strncmp(m, "mistral.", 8) == 0)
        return FG_NATIVE_MISTRAL;
    if (strncmp(m, "cohere.command", 14) == 0)
        return FG_NATIVE_COHERE;
    return FG_NATIVE_UNKNOWN;
}

fg_llm_native_family fg_llm_native_family_of_body(const json_t *body)
{
    if (json_object_get(body, "anthropic_version") || json_is_array(json_object_get(body, "messages")))
        return FG_NATIVE_ANTHROPIC;
    if (json_object_get(body, "inputText"))
        return FG_NATIVE_TITAN;
    if (json_object_get(body, "max_gen_len"))
        return FG_NATIVE_LLAMA;
    if (json_object_get(body, "message") || json_object_get(body, "stop_sequences"))
        return FG_NATIVE_COHERE;
    if (json_object_get(body, "prompt"))
        return FG_NATIVE_MISTRAL;
    return FG_NATIVE_UNKNOWN;
}

const char *fg_llm_native_family_name(fg_llm_native_family fam)
{
    static const char *names[] = {"unknown", "anthropic", "llama", "titan", "mistral", "cohere"};
    return names[fam];
}

/* --- requests ------------------------------------------------------------------ */

/* A Llama 3 chat prompt back into messages; any other prompt is one user
 * message. */
static json_t *llama_prompt_messages(const char *prompt)
{
    json_t *msgs = json_array();
    const char *p = strstr(prompt, "<|start_header_id|>");
    if (!p) {
        json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", prompt));
        return msgs;
    }
    while (p) {
        p += strlen("<|start_header_id|>");
        const char *end_role = strstr(p, "<|end_header_id|>");
        if (!end_role)
            break;
        char role[32];
        snprintf(role, sizeof role, "%.*s", (int)(end_role - p), p);
        if (strcmp(role, "system") != 0 && strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)
            snprintf(role, sizeof role, "user");
        const char *text = end_role + strlen("<|end_header_id|>");
        while (*text == '\n')
            text++;
        const char *eot = strstr(text, "<|eot_id|>");
        size_t len = eot ? (size_t)(eot - text) : strlen(text);
        if (len || strcmp(role, "assistant") != 0)
            json_array_append_new(msgs, json_pack("{s:s,s:s%}", "role", role, "content", text, len));
        p = eot ? strstr(eot, "<|start_header_id|>") : NULL;
    }
    if (!json_array_size(msgs))
        json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", prompt));
    return msgs;
}

/* A Mistral instruction prompt ("<s>[INST] text [/INST]"): the instruction is
 * the user message. */
static json_t *mistral_prompt_messages(const char *prompt)
{
    const char *open = strstr(prompt, "[INST]");
    const char *close = open ? strstr(open, "[/INST]") : NULL;
    if (!open || !close)
        return json_pack("[{s:s,s:s}]", "role", "user", "content", prompt);
    open += strlen("[INST]");
    while (open < close && *open == ' ')
        open++;
    size_t len = (size_t)(close - open);
    while (len && open[len - 1] == ' ')
        len--;
    return json_pack("[{s:s,s:s%}]", "role", "user", "content", open, len);
}

static bool copy_num(json_t *canon, const char *to, const json_t *from, const char *key)
{
    const json_t *v = json_object_get(from, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_number(v))
        return false;
    json_object_set(canon, to, (json_t *)v);
    return true;
}

static json_t *bad(json_t *canon, char *msg, size_t n, const char *field, const char *what)
{
    snprintf(msg, n, "%s: %s", field, what);
    json_decref(canon);
    return NULL;
}

static json_t *from_anthropic(const json_t *body, const char *model, char *msg, size_t n)
{
    json_t *copy = json_deep_copy(body);
    json_object_set_new(copy, "model", json_string(model));
    json_object_del(copy, "anthropic_version");
    json_object_del(copy, "stream");
    fg_xlate_err e = {0};
    json_t *canon = fg__anthropic_to_canonical(copy, &e);
    json_decref(copy);
    if (!canon)
        snprintf(msg, n, "%s: %s", e.param, e.msg ? e.msg : "invalid");
    return canon;
}

static json_t *from_llama(json_t *canon, const json_t *body, char *msg, size_t n)
{
    const char *prompt = fg_json_str(body, "prompt", NULL);
    if (!prompt)
        return bad(canon, msg, n, "prompt", "required (a string)");
    json_object_set_new(canon, "messages", llama_prompt_messages(prompt));
    if (!copy_num(canon, "max_tokens", body, "max_gen_len"))
        return bad(canon, msg, n, "max_gen_len", "must be a number");
    if (!copy_num(canon, "temperature", body, "temperature") || !copy_num(canon, "top_p", body, "top_p"))
        return bad(canon, msg, n, "temperature", "temperature and top_p must be numbers");
    return canon;
}

static json_t *from_titan(json_t *canon, const json_t *body, char *msg, size_t n)
{
    const char *input = fg_json_str(body, "inputText", NULL);
    if (!input)
        return bad(canon, msg, n, "inputText", "required (a string)");
    json_object_set_new(canon, "messages", json_pack("[{s:s,s:s}]", "role", "user", "content", input));
    const json_t *cfg = json_object_get(body, "textGenerationConfig");
    if (!copy_num(canon, "max_tokens", cfg, "maxTokenCount") ||
        !copy_num(canon, "temperature", cfg, "temperature") || !copy_num(canon, "top_p", cfg, "topP"))
        return bad(canon, msg, n, "textGenerationConfig", "maxTokenCount, temperature and topP must be numbers");
    if (json_is_array(json_object_get(cfg, "stopSequences")))
        json_object_set(canon, "stop", json_object_get(cfg, "stopSequences"));
    return canon;
}

static json_t *from_mistral(json_t *canon, const json_t *body, char *msg, size_t n)
{
    const char *prompt = fg_json_str(body, "prompt", NULL);
    if (!prompt)
        return bad(canon, msg, n, "prompt", "required (a string)");
    json_object_set_new(canon, "messages", mistral_prompt_messages(prompt));
    if (!copy_num(canon, "max_tokens", body, "max_tokens") ||
        !copy_num(canon, "temperature", body, "temperature") || !copy_num(canon, "top_p", body, "top_p"))
        return bad(canon, msg, n, "max_tokens", "max_tokens, temperature and top_p must be numbers");
    if (json_is_array(json_object_get(body, "stop")))
        json_object_set(canon, "stop", json_object_get(body, "stop"));
    return canon;
}

/* Cohere Command: {"prompt", "max_tokens", "temperature", "p", "stop_sequences"},
 * or Command R: {"message", "chat_history": [{"role": USER|CHATBOT, "message"}]}. */
static json_t *from_cohere(json_t *canon, const json_t *body, char *msg, size_t n)
{
    const char *prompt = fg_json_str(body, "prompt", NULL);
    const char *message = fg_json_str(body, "message", NULL);
    if (!prompt && !message)
        return bad(canon, msg, n, "prompt", "prompt or message is required (a string)");
    json_t *msgs = json_array();
    const char *preamble = fg_json_str(body, "preamble", NULL);
    if (preamble)
        json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", preamble));
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(body, "chat_history"), i, h) {
        const char *role = fg_json_str(h, "role", "USER");
        json_array_append_new(msgs, json_pack("{s:s,s:s}", "role",
                                              strcmp(role, "CHATBOT") == 0 ? "assistant" : "user",
                                              "content", fg_json_str(h, "message", "")));
    }
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", prompt ? prompt : message));
    json_object_set_new(canon, "messages", msgs);
    if (!copy_num(canon, "max_tokens", body, "max_tokens") ||
        !copy_num(canon, "temperature", body, "temperature") || !copy_num(canon, "top_p", body, "p"))
        return bad(canon, msg, n, "max_tokens", "max_tokens, temperature and p must be numbers");
    if (json_is_array(json_object_get(body, "stop_sequences")))
        json_object_set(canon, "stop", json_object_get(body, "stop_sequences"));
    return canon;
}

json_t *fg_llm_native_to_canonical(fg_llm_native_family fam, const json_t *body, const char *model,
                                   char *msg, size_t n)
{
    if (!json_is_object(body)) {
        snprintf(msg, n, "Body: must be a JSON object");
        return NULL;
    }
    if (fam == FG_NATIVE_ANTHROPIC)
        return from_anthropic(body, model, msg, n);
    json_t *canon = json_pack("{s:s}", "model", model);
    switch (fam) {
    case FG_NATIVE_LLAMA: return from_llama(canon, body, msg, n);
    case FG_NATIVE_TITAN: return from_titan(canon, body, msg, n);
    case FG_NATIVE_MISTRAL: return from_mistral(canon, body, msg, n);
    case FG_NATIVE_COHERE: return from_cohere(canon, body, msg, n);
    default: return bad(canon, msg, n, "modelId", "no native request format known for this model");
    }
}

/* --- responses ----------------------------------------------------------------- */

static bool is_length(const char *finish) { return finish && strcmp(finish, "length") == 0; }

static json_t *anthropic_response(const fg_llm_native_answer *a)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s%}],s:s,s:n,s:{s:I,s:I}}",
                     "id", a->id ? a->id : "msg_flowgate", "type", "message", "role", "assistant",
                     "model", a->model ? a->model : "", "content", "type", "text", "text", a->text, a->len,
                     "stop_reason", fg__finish_to_anthropic(a->finish ? a->finish : "stop"),
                     "stop_sequence", "usage", "input_tokens", (json_int_t)a->input_tokens,
                     "output_tokens", (json_int_t)a->output_tokens);
}

json_t *fg_llm_native_response(fg_llm_native_family fam, const fg_llm_native_answer *a)
{
    bool length = is_length(a->finish);
    switch (fam) {
    case FG_NATIVE_ANTHROPIC:
        return anthropic_response(a);
    case FG_NATIVE_LLAMA:
        return json_pack("{s:s%,s:I,s:I,s:s}", "generation", a->text, a->len, "prompt_token_count",
                         (json_int_t)a->input_tokens, "generation_token_count",
                         (json_int_t)a->output_tokens, "stop_reason", length ? "length" : "stop");
    case FG_NATIVE_TITAN:
        return json_pack("{s:I,s:[{s:I,s:s%,s:s}]}", "inputTextTokenCount", (json_int_t)a->input_tokens,
                         "results", "tokenCount", (json_int_t)a->output_tokens, "outputText", a->text,
                         a->len, "completionReason", length ? "LENGTH" : "FINISH");
    case FG_NATIVE_MISTRAL:
        return json_pack("{s:[{s:s%,s:s}]}", "outputs", "text", a->text, a->len, "stop_reason",
                         length ? "length" : "stop");
    case FG_NATIVE_COHERE:
        return json_pack("{s:s,s:[{s:s,s:s%,s:s}],s:s%,s:s}", "id", a->id ? a->id : "flowgate",
                         "generations", "id", a->id ? a->id : "flowgate", "text", a->text, a->len,
                         "finish_reason", length ? "MAX_TOKENS" : "COMPLETE", "text", a->text, a->len,
                         "finish_reason", length ? "MAX_TOKENS" : "COMPLETE");
    default:
        return NULL;
    }
}
