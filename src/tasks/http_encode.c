/* Form and query encoding for http:invoke. */
#include "tasks/http_encode.h"

#include "core/error.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fg__array_format_parse(const char *name)
{
    static const char *const names[] = {"INDICES", "REPEAT", "COMMAS", "BRACKETS"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

int fg__percent_encode(fg_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            rc = fg_buf_putc(out, (char)c);
        else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = fg_buf_append(out, enc, 3);
        }
        if (rc)
            return rc;
    }
    return FG_OK;
}

/* A scalar as text: strings as they are, numbers and booleans as JSON writes them. */
static int put_scalar(fg_buf *out, const json_t *v)
{
    if (json_is_string(v))
        return fg__percent_encode(out, json_string_value(v), json_string_length(v));
    if (json_is_null(v))
        return FG_OK;
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    int rc = text ? fg__percent_encode(out, text, strlen(text)) : FG_ENOMEM;
    free(text);
    return rc;
}

typedef struct form {
    fg_buf *out;
    fg__array_format fmt;
    bool first;
} form;

static int put_pair_start(form *f, const char *key)
{
    int rc = f->first ? FG_OK : fg_buf_putc(f->out, '&');
    f->first = false;
    if (!rc)
        rc = fg__percent_encode(f->out, key, strlen(key));
    return rc;
}

static int put_value(form *f, const char *key, const json_t *v, int depth);

static int put_array(form *f, const char *key, const json_t *arr, int depth)
{
    size_t i;
    const json_t *e;
    char sub[512];
    if (f->fmt == FG_ARRAY_COMMAS) {
        int rc = put_pair_start(f, key);
        if (!rc)
            rc = fg_buf_putc(f->out, '=');
        json_array_foreach(arr, i, e) {
            if (!rc && i)
                rc = fg__percent_encode(f->out, ",", 1);
            if (!rc)
                rc = put_scalar(f->out, e);
        }
        return rc;
    }
    json_array_foreach(arr, i, e) {
        if (f->fmt == FG_ARRAY_INDICES)
            snprintf(sub, sizeof sub, "%s[%zu]", key, i);
        else
            snprintf(sub, sizeof sub, f->fmt == FG_ARRAY_BRACKETS ? "%s[]" : "%s", key);
        int rc = put_value(f, sub, e, depth + 1);
        if (rc)
            return rc;
    }
    return FG_OK;
}

static int put_value(form *f, const char *key, const json_t *v, int depth)
{
    if (depth > 32)
        return FG_ELIMIT;
    if (json_is_array(v))
        return put_array(f, key, v, depth);
    if (json_is_object(v)) {
        const char *k;
        const json_t *e;
        char sub[512];
        json_object_foreach((json_t *)v, k, e) {
            snprintf(sub, sizeof sub, "%s[%s]", key, k);
            int rc = put_value(f, sub, e, depth + 1);
            if (rc)
                return rc;
        }
        return FG_OK;
    }
    int rc = put_pair_start(f, key);
    if (!rc)
        rc = fg_buf_putc(f->out, '=');
    if (!rc)
        rc = put_scalar(f->out, v);
    return rc;
}

int fg__form_encode(fg_buf *out, const json_t *obj, fg__array_format fmt)
{
    if (!json_is_object(obj))
        return FG_EINVAL;
    form f = {out, fmt, out->len == 0};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int rc = put_value(&f, k, v, 0);
        if (rc)
            return rc;
    }
    return FG_OK;
}
