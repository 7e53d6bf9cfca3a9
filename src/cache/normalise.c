/* Cache keys: the seed's exact key, folded text and canonical JSON, and the
 * normalised key of a gateway request. */
#include "cache/cache.h"

#include "core/json.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fg_cache_exact_key(const char *node_id, const char *prompt, fg_buf *out)
{
    int rc = fg_buf_puts(out, node_id ? node_id : "");
    return rc ? rc : fg_buf_puts(out, prompt ? prompt : "");
}

static bool is_space(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

int fg_cache_fold_text(const char *s, size_t n, fg_buf *out)
{
    bool pending_space = false, any = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_space(ch)) {
            pending_space = any;
            continue;
        }
        if (pending_space && fg_buf_putc(out, ' '))
            return FG_ELIMIT;
        pending_space = false;
        any = true;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if (fg_buf_putc(out, (char)ch))
            return FG_ELIMIT;
    }
    return FG_OK;
}

/* The shortest decimal that reads back as the same double; integral values
 * within 2^53 as integers, so 1.0 and 1 give the same text. */
static int put_real(double d, fg_buf *out)
{
    if (!isfinite(d))
        return fg_buf_puts(out, "null");
    if (d == floor(d) && fabs(d) < 9007199254740992.0)
        return fg_buf_printf(out, "%.0f", d == 0 ? 0.0 : d);
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    return fg_buf_puts(out, tmp);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_object(const json_t *v, fg_buf *out)
{
    size_t n = json_object_size(v);
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return FG_ENOMEM;
    size_t i = 0;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_keys);
    int rc = fg_buf_putc(out, '{');
    for (i = 0; i < n && !rc; i++) {
        if (i)
            rc = fg_buf_putc(out, ',');
        if (!rc)
            rc = fg_json_escape(out, keys[i], strlen(keys[i]));
        if (!rc)
            rc = fg_buf_putc(out, ':');
        if (!rc)
            rc = fg_cache_canonical_json(json_object_get(v, keys[i]), out);
    }
    free(keys);
    return rc ? rc : fg_buf_putc(out, '}');
}

int fg_cache_canonical_json(const json_t *v, fg_buf *out)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return put_object(v, out);
    case JSON_ARRAY: {
        int rc = fg_buf_putc(out, '[');
        for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
            if (i)
                rc = fg_buf_putc(out, ',');
            if (!rc)
                rc = fg_cache_canonical_json(json_array_get(v, i), out);
        }
        return rc ? rc : fg_buf_putc(out, ']');
    }
    case JSON_STRING:
        return fg_json_escape(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return fg_buf_printf(out, "%lld", (long long)json_integer_value(v));
    case JSON_REAL:
        return put_real(json_real_value(v), out);
    case JSON_TRUE:
        return fg_buf_puts(out, "true");
    case JSON_FALSE:
        return fg_buf_puts(out, "false");
    default:
        return fg_buf_puts(out, "null");
    }
}

static json_t *folded_string(const json_t *s)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_cache_fold_text(json_string_value(s), json_string_length(s), &b);
    json_t *r = json_stringn(b.data ? b.data : "", b.len);
    fg_buf_free(&b);
    return r;
}

/* A message's content folded: a string, or the text of each text part. */
static json_t *folded_content(const json_t *content)
{
    if (json_is_string(content))
        return folded_string(content);
    json_t *copy = json_deep_copy(content);
    if (!json_is_array(copy))
        return copy;
    size_t i;
    json_t *part;
    json_array_foreach(copy, i, part)
    {
        json_t *text = json_object_get(part, "text");
        if (json_is_string(text))
            json_object_set_new(part, "text", folded_string(text));
    }
    return copy;
}

static json_t *folded_messages(const json_t *messages)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        json_t *copy = json_deep_copy(m);
        json_t *content = json_object_get(m, "content");
        if (json_is_object(copy) && content)
            json_object_set_new(copy, "content", folded_content(content));
        json_array_append_new(out, copy);
    }
    return out;
}

static bool ignored_member(const char *k)
{
    return strcmp(k, "stream") == 0 || strcmp(k, "stream_options") == 0 || strcmp(k, "user") == 0;
}

int fg_cache_normalised_key(const json_t *request, char hex[65])
{
    return fg_cache_request_key(request, true, hex);
}

int fg_cache_request_key(const json_t *request, bool fold, char hex[65])
{
    json_t *shape = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)request, k, v)
    {
        if (ignored_member(k))
            continue;
        json_object_set_new(shape, k, fold && strcmp(k, "messages") == 0 && json_is_array(v)
                                          ? folded_messages(v)
                                          : json_deep_copy(v));
    }
    fg_buf b;
    fg_buf_init(&b, 0);
    int rc = fg_cache_canonical_json(shape, &b);
    json_decref(shape);
    if (!rc) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_Digest(b.data ? b.data : "", b.len, md, &len, EVP_sha256(), NULL);
        for (unsigned int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    fg_buf_free(&b);
    return rc;
}
