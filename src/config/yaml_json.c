#include "config/yaml_json.h"

#include "core/buf.h"
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64

typedef struct reader {
    yaml_parser_t parser;
    json_t *lines;
    fg_errbuf *eb;
    int depth;
} reader;

static int next_event(reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev))
        return fg_failf(r->eb, FG_EPARSE, "line %zu: %s", r->parser.problem_mark.line + 1,
                        r->parser.problem ? r->parser.problem : "YAML syntax error");
    return FG_OK;
}

static json_t *plain_scalar(const char *s, size_t n)
{
    if (n == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0)
        return json_null();
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return json_false();
    char *end;
    errno = 0;
    long long iv = strtoll(s, &end, 10);
    if (*s && !*end && !errno && strspn(s, "+-0123456789") == n)
        return json_integer(iv);
    if (strspn(s, "+-0123456789.eE") == n && strpbrk(s, "0123456789")) {
        double d = strtod(s, &end);
        if (!*end && isfinite(d))
            return json_real(d);
    }
    return json_stringn(s, n);
}

static json_t *read_node(reader *r, yaml_event_t *ev, fg_buf *ptr);

static int record_line(reader *r, const fg_buf *ptr, size_t line)
{
    return json_object_set_new(r->lines, ptr->data ? ptr->data : "", json_integer((json_int_t)line + 1));
}

static json_t *read_mapping(reader *r, fg_buf *ptr)
{
    json_t *obj = json_object();
    size_t base = ptr->len;
    for (;;) {
        yaml_event_t key;
        if (next_event(r, &key))
            goto fail;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            return obj;
        }
        if (key.type != YAML_SCALAR_EVENT) {
            fg_failf(r->eb, FG_EPARSE, "line %zu: mapping keys must be plain strings",
                     key.start_mark.line + 1);
            yaml_event_delete(&key);
            goto fail;
        }
        char *name = strndup((const char *)key.data.scalar.value, key.data.scalar.length);
        size_t line = key.start_mark.line;
        yaml_event_delete(&key);
        if (!name)
            goto fail;
        if (json_object_get(obj, name)) {
            fg_failf(r->eb, FG_EPARSE, "line %zu: duplicate key '%s'", line + 1, name);
            free(name);
            goto fail;
        }
        fg_json_pointer_append(ptr, name);
        record_line(r, ptr, line);
        yaml_event_t val;
        json_t *v = NULL;
        if (!next_event(r, &val))
            v = read_node(r, &val, ptr);
        ptr->len = base;
        if (ptr->data)
            ptr->data[base] = '\0';
        if (!v) {
            free(name);
            goto fail;
        }
        json_object_set_new(obj, name, v);
        free(name);
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *read_sequence(reader *r, fg_buf *ptr)
{
    json_t *arr = json_array();
    size_t base = ptr->len;
    for (size_t i = 0;; i++) {
        yaml_event_t ev;
        if (next_event(r, &ev))
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return arr;
        }
        fg_buf_printf(ptr, "/%zu", i);
        json_t *v = read_node(r, &ev, ptr);
        ptr->len = base;
        if (ptr->data)
            ptr->data[base] = '\0';
        if (!v)
            goto fail;
        json_array_append_new(arr, v);
    }
fail:
    json_decref(arr);
    return NULL;
}

/* Consumes ev (deletes it) and returns the node it starts, or NULL on error. */
static json_t *read_node(reader *r, yaml_event_t *ev, fg_buf *ptr)
{
    json_t *v = NULL;
    record_line(r, ptr, ev->start_mark.line);
    if (++r->depth > YAML_MAX_DEPTH) {
        fg_failf(r->eb, FG_ELIMIT, "line %zu: nested deeper than %d levels",
                 ev->start_mark.line + 1, YAML_MAX_DEPTH);
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *s = (const char *)ev->data.scalar.value;
        size_t n = ev->data.scalar.length;
        v = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(s, n)
                                                             : json_stringn(s, n);
        if (!v)
            fg_failf(r->eb, FG_EPARSE, "line %zu: text is not valid UTF-8",
                     ev->start_mark.line + 1);
        break;
    }
    case YAML_MAPPING_START_EVENT:
        v = read_mapping(r, ptr);
        break;
    case YAML_SEQUENCE_START_EVENT:
        v = read_sequence(r, ptr);
        break;
    case YAML_ALIAS_EVENT:
        fg_failf(r->eb, FG_EPARSE, "line %zu: YAML aliases are not supported",
                 ev->start_mark.line + 1);
        break;
    default:
        fg_failf(r->eb, FG_EPARSE, "line %zu: unexpected YAML event", ev->start_mark.line + 1);
    }
    r->depth--;
    yaml_event_delete(ev);
    return v;
}

static int expect(reader *r, yaml_event_type_t type)
{
    yaml_event_t ev;
    int rc = next_event(r, &ev);
    if (rc)
        return rc;
    int ok = ev.type == type;
    yaml_event_delete(&ev);
    return ok ? FG_OK : fg_failf(r->eb, FG_EPARSE, "unexpected YAML structure");
}

int fg_yaml_to_json(const char *text, size_t n, json_t **out, json_t **lines, fg_errbuf *eb)
{
    reader r = {.lines = json_object(), .eb = eb};
    fg_buf ptr;
    fg_buf_init(&ptr, 4096);
    fg_buf_reserve(&ptr, 0);
    json_t *doc = NULL;
    yaml_parser_initialize(&r.parser);
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, n);
    if (expect(&r, YAML_STREAM_START_EVENT))
        goto out;
    yaml_event_t ev;
    if (next_event(&r, &ev))
        goto out;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        doc = json_object();
        goto out;
    }
    yaml_event_delete(&ev);
    if (next_event(&r, &ev))
        goto out;
    if (ev.type == YAML_DOCUMENT_END_EVENT) {
        yaml_event_delete(&ev);
        doc = json_object();
        goto out;
    }
    doc = read_node(&r, &ev, &ptr);
    if (doc && expect(&r, YAML_DOCUMENT_END_EVENT)) {
        json_decref(doc);
        doc = NULL;
    }
    if (doc && json_is_null(doc)) {
        json_decref(doc);
        doc = json_object();
    }
out:
    yaml_parser_delete(&r.parser);
    fg_buf_free(&ptr);
    if (!doc) {
        json_decref(r.lines);
        return eb && eb->code ? eb->code : FG_EPARSE;
    }
    *out = doc;
    *lines = r.lines;
    return FG_OK;
}

int fg_yaml_line(const json_t *lines, const char *pointer)
{
    return (int)json_integer_value(json_object_get(lines, pointer));
}
