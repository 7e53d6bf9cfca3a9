/* The mock's scripted answers and its log of received requests. */
#include "llm/mock_script.h"

#include "core/buf.h"
#include "core/json.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static json_t *rules;         /* array of {match: [strings], model, reply} */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *log_ring;      /* array, oldest first */

static int check_rule(const json_t *r, size_t i, fg_errbuf *eb)
{
    const json_t *m = json_object_get(r, "match");
    if (!json_is_object(r))
        return fg_failf(eb, FG_EINVAL, "rules[%zu]: must be an object", i);
    if (!json_is_string(json_object_get(r, "reply")))
        return fg_failf(eb, FG_EINVAL, "rules[%zu].reply: required, a string", i);
    if (m && !json_is_string(m) && !json_is_array(m))
        return fg_failf(eb, FG_EINVAL, "rules[%zu].match: a string or an array of strings", i);
    size_t j;
    json_t *s;
    json_array_foreach(m, j, s) if (!json_is_string(s))
        return fg_failf(eb, FG_EINVAL, "rules[%zu].match[%zu]: must be a string", i, j);
    if (json_object_get(r, "model") && !json_is_string(json_object_get(r, "model")))
        return fg_failf(eb, FG_EINVAL, "rules[%zu].model: must be a string", i);
    return 0;
}

int fg__mock_script_load(const char *path, fg_errbuf *eb)
{
    json_error_t err;
    json_t *doc = fg_json_load_file(path, &err);
    if (!doc)
        return fg_failf(eb, FG_EPARSE, "%s:%d: %s", path, err.line, err.text);
    json_t *list = json_is_array(doc) ? doc : json_object_get(doc, "rules");
    if (!json_is_array(list)) {
        json_decref(doc);
        return fg_failf(eb, FG_EINVAL, "%s: expected {\"rules\": [...]} or a list of rules", path);
    }
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) if (check_rule(r, i, eb)) {
        json_decref(doc);
        return FG_EINVAL;
    }
    json_decref(rules);
    rules = json_incref(list);
    json_decref(doc);
    return 0;
}

void fg__mock_script_free(void)
{
    json_decref(rules);
    rules = NULL;
    pthread_mutex_lock(&log_lock);
    json_decref(log_ring);
    log_ring = NULL;
    pthread_mutex_unlock(&log_lock);
}

static void add_text(fg_buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        fg_buf_append(b, json_string_value(v), json_string_length(v));
        fg_buf_putc(b, '\n');
        return;
    }
    size_t i;
    json_t *p;
    json_array_foreach(v, i, p) add_text(b, json_is_object(p) ? json_object_get(p, "text") : p);
}

/* The request's text: system prompt, every message's content, TGI inputs. */
static void request_text(fg_buf *b, const json_t *body)
{
    add_text(b, json_object_get(body, "system"));
    add_text(b, json_object_get(body, "inputs"));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(body, "messages"), i, m) add_text(b, json_object_get(m, "content"));
}

static bool rule_matches(const json_t *r, const char *text, const char *model)
{
    const char *want_model = fg_json_str(r, "model", NULL);
    if (want_model && !strstr(model, want_model))
        return false;
    const json_t *m = json_object_get(r, "match");
    if (json_is_string(m))
        return strstr(text, json_string_value(m)) != NULL;
    size_t i;
    json_t *s;
    json_array_foreach(m, i, s) if (!strstr(text, json_string_value(s))) return false;
    return true;
}

const char *fg__mock_script_reply(const json_t *body)
{
    if (!rules)
        return NULL;
    fg_buf text;
    fg_buf_init(&text, 64u << 20);
    request_text(&text, body);
    fg_buf_putc(&text, '\0');
    const char *reply = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) if (rule_matches(r, text.data ? text.data : "", fg_json_str(body, "model", ""))) {
        reply = fg_json_str(r, "reply", NULL);
        break;
    }
    fg_buf_free(&text);
    return reply;
}

void fg__mock_requests_record(const char *path, const json_t *body)
{
    json_t *entry = json_pack("{s:s,s:O}", "path", path, "body", (json_t *)body);
    pthread_mutex_lock(&log_lock);
    if (!log_ring)
        log_ring = json_array();
    if (json_array_size(log_ring) >= FG__MOCK_KEEP_REQUESTS)
        json_array_remove(log_ring, 0);
    json_array_append_new(log_ring, entry);
    pthread_mutex_unlock(&log_lock);
}

void fg__mock_requests_route(fg_http_req *req, void *ud)
{
    (void)ud;
    fg_buf out;
    fg_buf_init(&out, 0);
    pthread_mutex_lock(&log_lock);
    if (strcmp(fg_http_req_method(req), "DELETE") == 0) {
        json_array_clear(log_ring);
        fg_buf_puts(&out, "{\"requests\":[]}");
    } else {
        fg_buf_puts(&out, "{\"requests\":");
        if (log_ring)
            fg_json_dump(&out, log_ring, 0);
        else
            fg_buf_puts(&out, "[]");
        fg_buf_putc(&out, '}');
    }
    pthread_mutex_unlock(&log_lock);
    fg_http_respond(req, 200, "application/json", out.data, out.len);
    fg_buf_free(&out);
}
