/* Parsing and validation of the assistants' request bodies (request.h). */
#include "assist/request.h"

#include "core/json.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(fg_assist_err *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(fg_assist_err *err, const char *path, const char *fmt, ...)
{
    snprintf(err->path, sizeof err->path, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* A number field within [lo, hi]; absent is fine (*out untouched). */
static int number_field(const json_t *obj, const char *key, const char *path, double lo, double hi,
                        bool integer, json_t *params, const char *to, fg_assist_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (integer ? !json_is_integer(v) : !json_is_number(v))
        return bad(err, p, "must be %s", integer ? "an integer" : "a number");
    double d = json_number_value(v);
    if (d < lo || d > hi)
        return bad(err, p, "must be between %g and %g", lo, hi);
    json_object_set(params, to, (json_t *)v);
    return 0;
}

static int stop_field(const json_t *obj, const char *key, const char *path, json_t *params, fg_assist_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (!json_is_array(v) || json_array_size(v) > 16)
        return bad(err, p, "must be an array of at most 16 strings");
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) if (!json_is_string(s) || json_string_length(s) > 1024)
        return bad(err, p, "item %zu: must be a string of at most 1024 bytes", i);
    if (json_array_size(v))
        json_object_set(params, "stop", (json_t *)v);
    return 0;
}

static int string_field(const json_t *obj, const char *key, const char *path, bool required,
                        const char **out, fg_assist_err *err)
{
    const json_t *v = json_object_get(obj, key);
    char p[160];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (!v || json_is_null(v)) {
        if (required)
            return bad(err, p, "required");
        return 0;
    }
    if (!json_is_string(v))
        return bad(err, p, "must be a string");
    *out = json_string_value(v);
    return 0;
}

static int object_field(const json_t *obj, const char *key, const char *path, bool required,
                        const json_t **out, fg_assist_err *err)
{
    const json_t *v = json_object_get(obj, key);
    char p[160];
    snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
    if (!v || json_is_null(v)) {
        *out = NULL;
        return required ? bad(err, p, "required (an object)") : 0;
    }
    if (!json_is_object(v))
        return bad(err, p, "must be an object");
    *out = v;
    return 0;
}

static int check_role(const char *role, const char *path, fg_assist_err *err)
{
    if (!role)
        return bad(err, path, "role is required");
    if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)
        return bad(err, path, "role must be user or assistant");
    return 0;
}

/* One message's content in the canonical shape (a new reference), or NULL
 * with err set; p is the content's path. */
typedef json_t *(*content_fn)(const json_t *c, const fg_assist_limits *lim, const char *p,
                              fg_assist_err *err);

/* seed 001: content is a string. */
static json_t *claude_content(const json_t *c, const fg_assist_limits *lim, const char *p,
                              fg_assist_err *err)
{
    if (!json_is_string(c)) {
        bad(err, p, "must be a string");
        return NULL;
    }
    if (json_string_length(c) > lim->max_message_bytes) {
        bad(err, p, "longer than %zu bytes", lim->max_message_bytes);
        return NULL;
    }
    return json_incref((json_t *)c);
}

/* seed 000: content is [{text}, …]: the canonical content is the texts
 * joined; the workflow sees the first text. */
static json_t *converse_content(const json_t *c, const fg_assist_limits *lim, const char *p,
                                fg_assist_err *err)
{
    if (!json_is_array(c) || !json_array_size(c)) {
        bad(err, p, "must be a non-empty array of {text}");
        return NULL;
    }
    json_t *parts = json_array();
    size_t total = 0, j;
    json_t *part;
    json_array_foreach(c, j, part) {
        const json_t *t = json_object_get(part, "text");
        if (!json_is_string(t)) {
            json_decref(parts);
            char tp[200];
            snprintf(tp, sizeof tp, "%s[%zu].text", p, j);
            bad(err, tp, "required, a string (only text blocks are supported)");
            return NULL;
        }
        total += json_string_length(t);
        json_array_append_new(parts, json_pack("{s:s,s:O}", "type", "text", "text", t));
    }
    if (total > lim->max_message_bytes) {
        json_decref(parts);
        bad(err, p, "longer than %zu bytes", lim->max_message_bytes);
        return NULL;
    }
    return parts;
}

/* The messages at path ({role, content} each, content as content() reads it)
 * into r->messages. */
static int parse_messages(const json_t *msgs, const char *path, const char *shape,
                          content_fn content, const fg_assist_limits *lim, fg_assist_req *r,
                          fg_assist_err *err)
{
    if (!json_is_array(msgs) || !json_array_size(msgs))
        return bad(err, path, "required, a non-empty array of %s", shape);
    if (json_array_size(msgs) > lim->max_messages)
        return bad(err, path, "more than %zu messages", lim->max_messages);
    r->messages = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        char p[160];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if (!json_is_object(m))
            return bad(err, p, "must be an object {role, content}");
        if (check_role(fg_json_str(m, "role", NULL), p, err))
            return -1;
        snprintf(p, sizeof p, "%s[%zu].content", path, i);
        json_t *body = content(json_object_get(m, "content"), lim, p, err);
        if (!body)
            return -1;
        json_array_append_new(r->messages, json_pack("{s:s,s:o}", "role", fg_json_str(m, "role", ""),
                                                     "content", body));
    }
    return 0;
}

static int content_tag(const json_t *ap, fg_assist_req *r, fg_assist_err *err)
{
    const char *tag = "DOCUMENT";
    if (string_field(ap, "content_tag", "assistant_parameters", false, &tag, err))
        return -1;
    size_t n = strlen(tag);
    if (n == 0 || n >= sizeof r->content_tag)
        return bad(err, "assistant_parameters.content_tag", "must be 1 to %zu characters",
                   sizeof r->content_tag - 1);
    for (size_t i = 0; i < n; i++)
        if (!(tag[i] == '-' || tag[i] == '_' || tag[i] == '.' || tag[i] == ':' ||
              (tag[i] >= '0' && tag[i] <= '9') || ((tag[i] | 32) >= 'a' && (tag[i] | 32) <= 'z')))
            return bad(err, "assistant_parameters.content_tag",
                       "may hold only letters, digits, '-', '_', '.' and ':'");
    snprintf(r->content_tag, sizeof r->content_tag, "%s", tag);
    return 0;
}

/* The text a workflow sees of a message: its content string or first text. */
static json_t *workflow_message(const json_t *m)
{
    const json_t *c = json_object_get(m, "content");
    const json_t *text = json_is_string(c) ? c : json_object_get(json_array_get(c, 0), "text");
    return json_pack("{s:O,s:O}", "role", json_object_get(m, "role"), "content", text);
}

/* assistant_parameters: messages_to_sample, state_machine_custom_params,
 * workflow_params.workflow_id (required for converse). */
static int assistant_parameters(const json_t *ap, fg_assist_req *r, fg_assist_err *err)
{
    const json_t *n = json_object_get(ap, "messages_to_sample");
    long sample = 5;
    if (n && !json_is_null(n)) {
        if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > 100000)
            return bad(err, "assistant_parameters.messages_to_sample", "must be an integer from 0 to 100000");
        sample = (long)json_integer_value(n);
    }
    const json_t *custom = NULL, *wp = NULL;
    if (object_field(ap, "state_machine_custom_params", "assistant_parameters", false, &custom, err) ||
        object_field(ap, "workflow_params", "assistant_parameters", r->kind == FG_ASSIST_CONVERSE, &wp, err))
        return -1;
    const char *wid = NULL;
    if (wp && string_field(wp, "workflow_id", "assistant_parameters.workflow_params",
                           r->kind == FG_ASSIST_CONVERSE, &wid, err))
        return -1;
    if (wid && (!*wid || strlen(wid) >= sizeof r->workflow_id))
        return bad(err, "assistant_parameters.workflow_params.workflow_id", "must be 1 to %zu characters",
                   sizeof r->workflow_id - 1);
    snprintf(r->workflow_id, sizeof r->workflow_id, "%s", wid ? wid : "");
    /* The last `sample` messages; all of them for 0 or when there are fewer. */
    size_t total = json_array_size(r->messages);
    size_t from = sample == 0 || (size_t)sample >= total ? 0 : total - (size_t)sample;
    json_t *sampled = json_array();
    for (size_t i = from; i < total; i++)
        json_array_append_new(sampled, workflow_message(json_array_get(r->messages, i)));
    r->workflow_input = json_pack("{s:o,s:o}", "PromptInput", sampled, "state_machine_custom_params",
                                  custom ? json_deep_copy(custom) : json_object());
    return 0;
}

static int parse_claude(const json_t *body, const fg_assist_limits *lim, fg_assist_req *r, fg_assist_err *err)
{
    const json_t *bp, *ap;
    if (object_field(body, "bedrock_parameters", "", true, &bp, err) ||
        object_field(body, "assistant_parameters", "", true, &ap, err))
        return -1;
    const char *path = "bedrock_parameters", *model = "anthropic.claude-3-sonnet-20240229-v1:0";
    const char *system = "", *version = NULL;
    if (string_field(bp, "modelId", path, false, &model, err) ||
        string_field(bp, "system", path, false, &system, err) ||
        string_field(bp, "anthropic_version", path, false, &version, err))
        return -1;
    if (!*model)
        return bad(err, "bedrock_parameters.modelId", "must not be empty");
    r->params = json_pack("{s:f,s:f,s:i,s:i,s:[s]}", "temperature", 1.0, "top_p", 0.999, "top_k", 250,
                          "max_tokens", 1028, "stop", "\n\nHuman:");
    if (number_field(bp, "temperature", path, 0, 1, false, r->params, "temperature", err) ||
        number_field(bp, "top_p", path, 0, 1, false, r->params, "top_p", err) ||
        number_field(bp, "top_k", path, 0, 1e6, true, r->params, "top_k", err) ||
        number_field(bp, "max_tokens", path, 1, 1e6, true, r->params, "max_tokens", err))
        return -1;
    if (json_object_get(bp, "stop_sequences")) {
        json_object_del(r->params, "stop");
        if (stop_field(bp, "stop_sequences", path, r->params, err))
            return -1;
    }
    r->model = strdup(model);
    r->system = strdup(system);
    if (parse_messages(json_object_get(bp, "messages"), "bedrock_parameters.messages",
                       "{role, content}", claude_content, lim, r, err) || content_tag(ap, r, err))
        return -1;
    return assistant_parameters(ap, r, err);
}

static int system_prompts(const json_t *cp, fg_assist_req *r, fg_assist_err *err)
{
    const json_t *sp = json_object_get(cp, "system_prompts");
    r->extra_system = json_array();
    if (!sp || json_is_null(sp)) {
        r->system = strdup("");
        return 0;
    }
    if (!json_is_array(sp) || json_array_size(sp) > 64)
        return bad(err, "bedrock_converse_parameters.system_prompts", "must be an array of at most 64 {text}");
    size_t i;
    json_t *s;
    json_array_foreach(sp, i, s) {
        const json_t *t = json_object_get(s, "text");
        if (!json_is_string(t)) {
            char p[160];
            snprintf(p, sizeof p, "bedrock_converse_parameters.system_prompts[%zu].text", i);
            return bad(err, p, "required, a string");
        }
        if (i == 0)
            r->system = strdup(json_string_value(t));
        else
            json_array_append(r->extra_system, (json_t *)t);
    }
    if (!r->system)
        r->system = strdup("");
    return 0;
}

static int parse_converse(const json_t *body, const fg_assist_limits *lim, fg_assist_req *r, fg_assist_err *err)
{
    const json_t *cp, *ap, *ic, *amf;
    if (object_field(body, "bedrock_converse_parameters", "", true, &cp, err) ||
        object_field(body, "assistant_parameters", "", true, &ap, err))
        return -1;
    const char *path = "bedrock_converse_parameters", *model = NULL;
    if (string_field(cp, "model_id", path, true, &model, err))
        return -1;
    if (!*model)
        return bad(err, "bedrock_converse_parameters.model_id", "must not be empty");
    if (object_field(cp, "inference_config", path, false, &ic, err) ||
        object_field(cp, "additional_model_fields", path, false, &amf, err))
        return -1;
    r->params = json_object();
    const char *icp = "bedrock_converse_parameters.inference_config";
    if (number_field(ic, "temperature", icp, 0, 2, false, r->params, "temperature", err) ||
        number_field(ic, "topP", icp, 0, 1, false, r->params, "top_p", err) ||
        number_field(ic, "maxTokens", icp, 1, 1e6, true, r->params, "max_tokens", err) ||
        stop_field(ic, "stopSequences", icp, r->params, err) ||
        number_field(amf, "top_k", "bedrock_converse_parameters.additional_model_fields", 0, 1e6, true,
                     r->params, "top_k", err))
        return -1;
    r->model = strdup(model);
    snprintf(r->content_tag, sizeof r->content_tag, "DOCUMENT");
    if (system_prompts(cp, r, err) || parse_messages(json_object_get(cp, "messages"),
                                                    "bedrock_converse_parameters.messages",
                                                    "{role, content: [{text}]}", converse_content,
                                                    lim, r, err))
        return -1;
    return assistant_parameters(ap, r, err);
}

int fg_assist_parse(fg_assist_kind kind, const char *body, size_t len, const fg_assist_limits *limits,
                    fg_assist_req *out, fg_assist_err *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    out->kind = kind;
    json_error_t jerr;
    json_t *doc = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!doc) {
        if (!len)
            return bad(err, "(body)", "the body is empty: send a JSON object");
        return bad(err, "(body)", "not valid JSON: %s at line %d column %d", jerr.text, jerr.line, jerr.column);
    }
    int rc;
    if (!json_is_object(doc))
        rc = bad(err, "(body)", "must be a JSON object");
    else
        rc = kind == FG_ASSIST_CLAUDE ? parse_claude(doc, limits, out, err) : parse_converse(doc, limits, out, err);
    json_decref(doc);
    if (rc)
        fg_assist_req_free(out);
    return rc;
}

void fg_assist_req_free(fg_assist_req *r)
{
    free(r->model);
    free(r->system);
    json_decref(r->messages);
    json_decref(r->params);
    json_decref(r->extra_system);
    json_decref(r->workflow_input);
    memset(r, 0, sizeof *r);
}
