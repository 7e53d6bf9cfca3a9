#include "core/json.h"

#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool fg_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_seq_len(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

int fg_json_escape(fg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int rc = fg_buf_reserve(b, n + 2);
    if (rc)
        return rc;
    fg_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i && (rc = fg_buf_append(b, p + i, run - i)))
            return rc;
        i = run;
        if (i >= n)
            break;
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t l = utf8_seq_len(p + i, n - i);
            if (l) {
                rc = fg_buf_append(b, p + i, l);
                i += l;
            } else {
                rc = fg_buf_append(b, "\xEF\xBF\xBD", 3);
                i++;
            }
        } else {
            char esc[7] = {'\\', 0};
            size_t el = 2;
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            default:
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                el = 6;
            }
            rc = fg_buf_append(b, esc, el);
            i++;
        }
        if (rc)
            return rc;
    }
    return fg_buf_putc(b, '"');
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return fg_buf_append(data, buffer, size) ? -1 : 0;
}

int fg_json_dump(fg_buf *b, const json_t *v, size_t flags)
{
    if (json_dump_callback(v, dump_cb, b, flags | JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        return FG_ELIMIT;
    return FG_OK;
}

char *fg_json_dumps(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

const char *fg_json_str(const json_t *obj, const char *key, const char *dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

json_int_t fg_json_int(const json_t *obj, const char *key, json_int_t dflt)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (json_int_t)json_real_value(v);
    return dflt;
}

double fg_json_num(const json_t *obj, const char *key, double dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

bool fg_json_bool(const json_t *obj, const char *key, bool dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *fg_json_parse(const char *s, size_t n, json_error_t *err)
{
    return json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, err);
}

json_t *fg_json_load_file(const char *path, json_error_t *err)
{
    return json_load_file(path, JSON_DECODE_ANY, err);
}

int fg_json_pointer_append(fg_buf *b, const char *token)
{
    int rc = fg_buf_putc(b, '/');
    for (const char *p = token; !rc && *p; p++) {
        if (*p == '~')
            rc = fg_buf_puts(b, "~0");
        else if (*p == '/')
            rc = fg_buf_puts(b, "~1");
        else
            rc = fg_buf_putc(b, *p);
    }
    return rc;
}

int fg_json_append_member(json_t *obj, const char *key, const char *text, size_t len)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    const json_t *old = json_object_get(obj, key);
    int rc = json_is_string(old) ? fg_buf_append(&b, json_string_value(old), json_string_length(old)) : FG_OK;
    if (!rc)
        rc = fg_buf_append(&b, text, len);
    if (!rc)
        rc = json_object_set_new(obj, key, json_stringn(b.data ? b.data : "", b.len)) ? FG_EINVAL : FG_OK;
    fg_buf_free(&b);
    return rc;
}

json_t *fg_json_object_or_empty(const char *text, size_t len)
{
    json_error_t err;
    json_t *v = len ? json_loadb(text, len, 0, &err) : NULL;
    if (json_is_object(v))
        return v;
    json_decref(v);
    return json_object();
}
