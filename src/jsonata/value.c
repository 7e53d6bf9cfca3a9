/* JSONata values: construction in the evaluation arena, conversion from and to
 * jansson, equality, sequences and flattening. */
#include "jsonata/jsonata_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jv jx_null = {.kind = JV_NULL};
jv jx_true = {.kind = JV_BOOL, .u.b = true};
jv jx_false = {.kind = JV_BOOL, .u.b = false};

void *jx_alloc(jctx *c, size_t n)
{
    void *p = fg_arena_alloc(c->arena, n);
    if (!p)
        jx_throw(c, "U1002", 0, NULL, "evaluation ran out of memory (working memory limit reached)");
    return p;
}

jv *jx_num(jctx *c, double d)
{
    jv *v = jx_alloc(c, JV_NUM_SIZE);
    v->kind = JV_NUM;
    v->flags = 0;
    v->thunk = 0;
    v->u.n = d;
    return v;
}

jv *jx_bool(bool b)
{
    return b ? &jx_true : &jx_false;
}

jv *jx_str_nocopy(jctx *c, const char *s, size_t len)
{
    jv *v = jx_alloc(c, sizeof *v);
    memset(v, 0, sizeof *v);
    v->kind = JV_STR;
    v->u.s.s = s;
    v->u.s.len = len;
    return v;
}

jv *jx_str(jctx *c, const char *s, size_t len)
{
    char *p = jx_alloc(c, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = 0;
    return jx_str_nocopy(c, p, len);
}

jv *jx_arr(jctx *c, size_t cap)
{
    jv *v = jx_alloc(c, sizeof *v);
    memset(v, 0, sizeof *v);
    v->kind = JV_ARR;
    if (cap) {
        v->u.a.items = jx_alloc(c, cap * sizeof(jv *));
        v->u.a.cap = cap;
    }
    return v;
}

jv *jx_seq(jctx *c)
{
    jv *v = jx_arr(c, 0);
    v->flags = JVF_SEQ;
    return v;
}

bool jx_is_seq(const jv *v)
{
    return v && v->kind == JV_ARR && (v->flags & JVF_SEQ);
}

void jx_push(jctx *c, jv *a, jv *v)
{
    if (a->u.a.n == a->u.a.cap) {
        size_t ncap = a->u.a.cap ? a->u.a.cap * 2 : 4;
        jv **items = jx_alloc(c, ncap * sizeof(jv *));
        if (a->u.a.n)
            memcpy(items, a->u.a.items, a->u.a.n * sizeof(jv *));
        a->u.a.items = items;
        a->u.a.cap = ncap;
    }
    a->u.a.items[a->u.a.n++] = v;
}

jv *jx_obj(jctx *c, size_t cap)
{
    jv *v = jx_alloc(c, sizeof *v);
    memset(v, 0, sizeof *v);
    v->kind = JV_OBJ;
    if (cap) {
        v->u.o.ents = jx_alloc(c, cap * sizeof(jv_ent));
        v->u.o.cap = cap;
    }
    return v;
}

static long obj_index(const jv *o, const char *k, size_t klen)
{
    for (size_t i = 0; i < o->u.o.n; i++) {
        const jv_ent *e = &o->u.o.ents[i];
        if (e->klen == klen && memcmp(e->k, k, klen) == 0)
            return (long)i;
    }
    return -1;
}

jv *jx_get(const jv *o, const char *k, size_t klen)
{
    if (o->flags & JVF_LAZY) {
        /* look the key up in the input itself; the object stays unread */
        json_t *x = json_object_getn(o->u.o.src, k, klen);
        return x ? jx_from_json(jx_tls_ctx, x) : NULL;
    }
    long i = obj_index(o, k, klen);
    return i < 0 ? NULL : o->u.o.ents[i].v;
}

void jx_set(jctx *c, jv *o, const char *k, size_t klen, jv *v)
{
    jx_ready(o);
    long i = obj_index(o, k, klen);
    if (i >= 0) {
        o->u.o.ents[i].v = v;
        return;
    }
    if (o->u.o.n == o->u.o.cap) {
        size_t ncap = o->u.o.cap ? o->u.o.cap * 2 : 4;
        jv_ent *ents = jx_alloc(c, ncap * sizeof(jv_ent));
        if (o->u.o.n)
            memcpy(ents, o->u.o.ents, o->u.o.n * sizeof(jv_ent));
        o->u.o.ents = ents;
        o->u.o.cap = ncap;
    }
    o->u.o.ents[o->u.o.n++] = (jv_ent){k, klen, v};
}

void jx_del(jv *o, const char *k, size_t klen)
{
    jx_ready(o);
    long i = obj_index(o, k, klen);
    if (i < 0)
        return;
    memmove(&o->u.o.ents[i], &o->u.o.ents[i + 1], (o->u.o.n - (size_t)i - 1) * sizeof(jv_ent));
    o->u.o.n--;
}

jv *jx_func(jctx *c, int kind)
{
    jv *v = jx_alloc(c, sizeof *v);
    memset(v, 0, sizeof *v);
    v->kind = JV_FUNC;
    v->u.f = jx_alloc(c, sizeof(jfunc));
    memset(v->u.f, 0, sizeof(jfunc));
    v->u.f->kind = kind;
    return v;
}

jv *jx_from_json(jctx *c, const json_t *j)
{
    if (!j)
        return NULL;
    switch (json_typeof(j)) {
    case JSON_NULL:
        return &jx_null;
    case JSON_TRUE:
        return &jx_true;
    case JSON_FALSE:
        return &jx_false;
    case JSON_INTEGER:
        return jx_num(c, (double)json_integer_value(j));
    case JSON_REAL:
        return jx_num(c, json_real_value(j));
    case JSON_STRING:
        return jx_str_nocopy(c, json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        jv *a = jx_arr(c, 0);
        a->flags = JVF_LAZY;
        a->u.a.src = j;
        return a;
    }
    case JSON_OBJECT: {
        jv *o = jx_obj(c, 0);
        o->flags = JVF_LAZY;
        o->u.o.src = j;
        return o;
    }
    }
    return NULL;
}

static json_t *num_to_json(double d)
{
    if (d == floor(d) && fabs(d) < 9007199254740992.0 && !(d == 0 && signbit(d)))
        return json_integer((json_int_t)d);
    return json_real(d);
}

static json_t *to_json(const jv *v, int depth)
{
    if (!v || depth > JX_MAX_NESTING)
        return NULL;
    if ((v->flags & JVF_LAZY) && v->kind == JV_ARR)
        return json_deep_copy(v->u.a.src);
    if ((v->flags & JVF_LAZY) && v->kind == JV_OBJ)
        return json_deep_copy(v->u.o.src);
    switch (v->kind) {
    case JV_NULL:
        return json_null();
    case JV_BOOL:
        return json_boolean(v->u.b);
    case JV_NUM:
        return num_to_json(v->u.n);
    case JV_STR:
        return json_stringn(v->u.s.s, v->u.s.len);
    case JV_ARR: {
        json_t *a = json_array();
        for (size_t i = 0; i < v->u.a.n; i++) {
            const jv *item = v->u.a.items[i];
            if (!item)
                continue;
            json_t *x = to_json(item, depth + 1);
            if (!x) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, x);
        }
        return a;
    }
    case JV_OBJ: {
        json_t *o = json_object();
        for (size_t i = 0; i < v->u.o.n; i++) {
            const jv *item = v->u.o.ents[i].v;
            if (!item)
                continue;
            json_t *x = to_json(item, depth + 1);
            if (!x) {
                json_decref(o);
                return NULL;
            }
            json_object_setn_new_nocheck(o, v->u.o.ents[i].k, v->u.o.ents[i].klen, x);
        }
        return o;
    }
    case JV_FUNC:
        return json_string("");
    }
    return NULL;
}

_Thread_local jctx *jx_tls_ctx;

void jx_force(const jv *cv)
{
    jv *v = (jv *)cv;
    jctx *c = jx_tls_ctx;
    v->flags &= (uint8_t)~JVF_LAZY;
    if (v->kind == JV_ARR) {
        const json_t *j = v->u.a.src;
        size_t n = json_array_size(j);
        v->u.a.items = jx_alloc(c, (n ? n : 1) * sizeof(jv *));
        v->u.a.cap = n;
        for (size_t i = 0; i < n; i++)
            v->u.a.items[i] = jx_from_json(c, json_array_get(j, i));
        v->u.a.n = n;
        return;
    }
    const json_t *j = v->u.o.src;
    size_t n = json_object_size(j);
    v->u.o.ents = jx_alloc(c, (n ? n : 1) * sizeof(jv_ent));
    v->u.o.cap = n;
    const char *k;
    size_t klen;
    json_t *x;
    json_object_keylen_foreach((json_t *)j, k, klen, x)
    {
        v->u.o.ents[v->u.o.n++] = (jv_ent){k, klen, jx_from_json(c, x)};
    }
}

json_t *jx_to_json(const jv *v)
{
    return to_json(v, 0);
}

static bool deep_equal(const jv *a, const jv *b, int depth)
{
    if (depth > JX_MAX_NESTING)
        return false;
    jx_ready(a);
    jx_ready(b);
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case JV_NULL:
        return true;
    case JV_BOOL:
        return a->u.b == b->u.b;
    case JV_NUM:
        return a->u.n == b->u.n;
    case JV_STR:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.s, b->u.s.s, a->u.s.len) == 0;
    case JV_ARR:
        if (a->u.a.n != b->u.a.n)
            return false;
        for (size_t i = 0; i < a->u.a.n; i++)
            if (!deep_equal(a->u.a.items[i], b->u.a.items[i], depth + 1))
                return false;
        return true;
    case JV_OBJ:
        if (a->u.o.n != b->u.o.n)
            return false;
        for (size_t i = 0; i < a->u.o.n; i++) {
            const jv_ent *e = &a->u.o.ents[i];
            jv *o = jx_get(b, e->k, e->klen);
            if (!o || !deep_equal(e->v, o, depth + 1))
                return false;
        }
        return true;
    case JV_FUNC:
        return a->u.f == b->u.f;
    }
    return false;
}

bool jx_deep_equal(const jv *a, const jv *b)
{
    return deep_equal(a, b, 0);
}

bool jx_strict_equal(const jv *a, const jv *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case JV_NULL:
        return true;
    case JV_BOOL:
    case JV_NUM:
    case JV_STR:
        return jx_deep_equal(a, b);
    case JV_FUNC:
        return a->u.f == b->u.f;
    case JV_ARR:
        return a == b || (a->u.a.src && a->u.a.src == b->u.a.src);
    default:
        return a == b || (a->u.o.src && a->u.o.src == b->u.o.src);
    }
}

jv *jx_append(jctx *c, jv *a, jv *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    size_t na = jx_is_arr(a) ? a->u.a.n : 1, nb = jx_is_arr(b) ? b->u.a.n : 1;
    jv *r = jx_arr(c, na + nb);
    if (jx_is_arr(a)) {
        if (na)
            memcpy(r->u.a.items, a->u.a.items, na * sizeof(jv *));
    } else {
        r->u.a.items[0] = a;
        r->flags = JVF_SEQ;
    }
    if (jx_is_arr(b)) {
        if (nb)
            memcpy(r->u.a.items + na, b->u.a.items, nb * sizeof(jv *));
    } else {
        r->u.a.items[na] = b;
    }
    r->u.a.n = na + nb;
    return r;
}

jv *jx_flatten(jctx *c, jv *arg, jv *into)
{
    if (!into)
        into = jx_seq(c);
    if (jx_is_arr(arg)) {
        for (size_t i = 0; i < arg->u.a.n; i++)
            jx_flatten(c, arg->u.a.items[i], into);
    } else if (arg) {
        jx_push(c, into, arg);
    }
    return into;
}

static jv *deep_copy(jctx *c, const jv *v, int depth)
{
    if (!v)
        return NULL;
    if (depth > JX_MAX_NESTING)
        jx_fail(c, "U1001", "value nested more than %d levels deep (is it cyclic?)", JX_MAX_NESTING);
    jx_ready(v);
    if (v->kind == JV_ARR) {
        jv *a = jx_arr(c, v->u.a.n);
        a->flags = v->flags;
        for (size_t i = 0; i < v->u.a.n; i++)
            a->u.a.items[i] = deep_copy(c, v->u.a.items[i], depth + 1);
        a->u.a.n = v->u.a.n;
        return a;
    }
    if (v->kind == JV_OBJ) {
        jv *o = jx_obj(c, v->u.o.n);
        for (size_t i = 0; i < v->u.o.n; i++) {
            o->u.o.ents[i] = v->u.o.ents[i];
            o->u.o.ents[i].v = deep_copy(c, v->u.o.ents[i].v, depth + 1);
        }
        o->u.o.n = v->u.o.n;
        return o;
    }
    return (jv *)v;
}

jv *jx_deep_copy(jctx *c, const jv *v)
{
    return deep_copy(c, v, 0);
}

bool jx_truthy(jctx *c, const jv *v)
{
    if (!v)
        return false;
    jx_ready(v);
    switch (v->kind) {
    case JV_NULL:
        return false;
    case JV_BOOL:
        return v->u.b;
    case JV_NUM:
        return v->u.n != 0;
    case JV_STR:
        return v->u.s.len > 0;
    case JV_ARR:
        if (v->u.a.n == 1)
            return jx_truthy(c, v->u.a.items[0]);
        for (size_t i = 0; i < v->u.a.n; i++)
            if (jx_truthy(c, v->u.a.items[i]))
                return true;
        return false;
    case JV_OBJ:
        return v->u.o.n > 0;
    case JV_FUNC:
        return false;
    }
    return false;
}

/* Shortest decimal digits that read back as d, JavaScript style layout. */
static void fmt_js(double d, int maxprec, char *out, size_t n)
{
    if (isnan(d)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(out, n, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        snprintf(out, n, "0");
        return;
    }
    char buf[40];
    int prec = 1;
    for (; prec <= maxprec; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (maxprec < 17 || strtod(buf, NULL) == d)
            break;
    }
    if (maxprec < 17)
        snprintf(buf, sizeof buf, "%.*e", maxprec - 1, d);
    /* buf: [-]D.DDDDe[+-]XX */
    char digits[40];
    int nd = 0;
    const char *p = buf;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    char res[64];
    size_t r = 0;
    if (neg)
        res[r++] = '-';
    if (exp >= 21 || exp <= -7) {
        res[r++] = digits[0];
        if (nd > 1) {
            res[r++] = '.';
            for (int i = 1; i < nd; i++)
                res[r++] = digits[i];
        }
        r += (size_t)snprintf(res + r, sizeof res - r, "e%c%d", exp < 0 ? '-' : '+', abs(exp));
    } else if (exp < 0) {
        res[r++] = '0';
        res[r++] = '.';
        for (int i = 0; i < -exp - 1; i++)
            res[r++] = '0';
        for (int i = 0; i < nd; i++)
            res[r++] = digits[i];
    } else {
        for (int i = 0; i <= exp || i < nd; i++) {
            if (i == exp + 1)
                res[r++] = '.';
            res[r++] = i < nd ? digits[i] : '0';
        }
    }
    res[r] = 0;
    snprintf(out, n, "%s", res);
}

void jx_fmt_num(double d, char *out, size_t n)
{
    fmt_js(d, 17, out, n);
}

const char *jx_type_name(const jv *v)
{
    if (!v)
        return "undefined";
    switch (v->kind) {
    case JV_NULL:
        return "null";
    case JV_BOOL:
        return "boolean";
    case JV_NUM:
        return "number";
    case JV_STR:
        return "string";
    case JV_ARR:
        return "array";
    case JV_OBJ:
        return "object";
    default:
        return "function";
    }
}

typedef struct sbuf {
    jctx *c;
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t ncap = (b->cap ? b->cap * 2 : 64);
        while (ncap < b->n + n + 1)
            ncap *= 2;
        char *np = jx_alloc(b->c, ncap);
        if (b->n)
            memcpy(np, b->p, b->n);
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        switch (ch) {
        case '"': sb_put(b, "\\\"", 2); break;
        case '\\': sb_put(b, "\\\\", 2); break;
        case '\n': sb_put(b, "\\n", 2); break;
        case '\r': sb_put(b, "\\r", 2); break;
        case '\t': sb_put(b, "\\t", 2); break;
        case '\b': sb_put(b, "\\b", 2); break;
        case '\f': sb_put(b, "\\f", 2); break;
        default:
            if (ch < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", ch);
                sb_put(b, esc, 6);
            } else {
                sb_put(b, (const char *)&s[i], 1);
            }
        }
    }
    sb_put(b, "\"", 1);
}

static void sb_indent(sbuf *b, bool pretty, int level)
{
    if (!pretty)
        return;
    sb_put(b, "\n", 1);
    for (int i = 0; i < level; i++)
        sb_put(b, "  ", 2);
}

static void stringify_rec(sbuf *b, const jv *v, bool pretty, int level)
{
    char num[40];
    if (level > JX_MAX_NESTING)
        jx_fail(b->c, "U1001", "value nested more than %d levels deep (is it cyclic?)", JX_MAX_NESTING);
    jx_ready(v);
    switch (v->kind) {
    case JV_NULL:
        sb_put(b, "null", 4);
        break;
    case JV_BOOL:
        if (v->u.b)
            sb_put(b, "true", 4);
        else
            sb_put(b, "false", 5);
        break;
    case JV_NUM:
        if (!isfinite(v->u.n))
            jx_fail(b->c, "D1001", "number out of range: cannot represent Infinity or NaN in JSON");
        if (v->u.n == floor(v->u.n))
            fmt_js(v->u.n, 17, num, sizeof num);
        else
            fmt_js(strtod((snprintf(num, sizeof num, "%.14e", v->u.n), num), NULL), 17, num, sizeof num);
        sb_put(b, num, strlen(num));
        break;
    case JV_STR:
        sb_str(b, v->u.s.s, v->u.s.len);
        break;
    case JV_FUNC:
        sb_put(b, "\"\"", 2);
        break;
    case JV_ARR: {
        sb_put(b, "[", 1);
        bool any = false;
        for (size_t i = 0; i < v->u.a.n; i++) {
            const jv *x = v->u.a.items[i];
            if (any)
                sb_put(b, ",", 1);
            sb_indent(b, pretty, level + 1);
            if (!x)
                sb_put(b, "null", 4);
            else
                stringify_rec(b, x, pretty, level + 1);
            any = true;
        }
        if (any)
            sb_indent(b, pretty, level);
        sb_put(b, "]", 1);
        break;
    }
    case JV_OBJ: {
        sb_put(b, "{", 1);
        bool any = false;
        for (size_t i = 0; i < v->u.o.n; i++) {
            const jv_ent *e = &v->u.o.ents[i];
            if (!e->v)
                continue;
            if (any)
                sb_put(b, ",", 1);
            sb_indent(b, pretty, level + 1);
            sb_str(b, e->k, e->klen);
            sb_put(b, pretty ? ": " : ":", pretty ? 2 : 1);
            stringify_rec(b, e->v, pretty, level + 1);
            any = true;
        }
        if (any)
            sb_indent(b, pretty, level);
        sb_put(b, "}", 1);
        break;
    }
    }
}

jv *jx_stringify(jctx *c, jv *v, bool pretty)
{
    if (!v)
        return NULL;
    if (v->kind == JV_STR)
        return v;
    if (v->kind == JV_FUNC)
        return jx_str(c, "", 0);
    if (v->kind == JV_NUM && !isfinite(v->u.n))
        jx_fail(c, "D3001", "attempting to invoke string function on Infinity or NaN");
    sbuf b = {.c = c};
    stringify_rec(&b, v, pretty, 0);
    return jx_str_nocopy(c, b.p ? b.p : "", b.n);
}

size_t jx_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

size_t jx_utf8_offset(const char *s, size_t n, size_t idx)
{
    size_t i = 0, count = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (count == idx)
                return i;
            count++;
        }
        i++;
    }
    return n;
}
