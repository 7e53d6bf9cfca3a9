/* String functions: $string, $substring*, $uppercase, $trim, $pad, $contains,
 * $split, $join, $match, $replace, base64 and URL encoding. */
#include "jsonata/fn_int.h"

#include "core/json.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#define ARG(i) ((i) < n ? a[i] : NULL)

static jv *fn_string(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *v = ARG(0);
    if (!v)
        return NULL;
    return jx_stringify(c, v, ARG(1) && jx_truthy(c, ARG(1)));
}

/* Byte offset for a JavaScript-style slice index (negative from the end). */
static size_t cp_index(const jv *s, double idx, size_t cps)
{
    if (isnan(idx))
        idx = 0;
    if (idx < 0) {
        idx += (double)cps;
        if (idx < 0)
            idx = 0;
    }
    if (idx > (double)cps)
        idx = (double)cps;
    return jx_utf8_offset(s->u.s.s, s->u.s.len, (size_t)idx);
}

static jv *fn_substring(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    if (!s)
        return NULL;
    size_t cps = jx_utf8_len(s->u.s.s, s->u.s.len);
    double start = trunc(ARG(1)->u.n);
    if ((double)cps + start < 0)
        start = 0;
    size_t b0 = cp_index(s, start, cps), b1 = s->u.s.len;
    if (ARG(2)) {
        double len = trunc(ARG(2)->u.n);
        if (len <= 0)
            return jx_str(c, "", 0);
        double end = start >= 0 ? start + len : (double)cps + start + len;
        b1 = cp_index(s, end, cps);
    }
    if (b1 < b0)
        b1 = b0;
    return jx_str_nocopy(c, s->u.s.s + b0, b1 - b0);
}

static const char *find(const jv *s, const jv *t, size_t from)
{
    if (t->u.s.len == 0)
        return s->u.s.s + from;
    if (from > s->u.s.len)
        return NULL;
    return memmem(s->u.s.s + from, s->u.s.len - from, t->u.s.s, t->u.s.len);
}

static jv *fn_substring_before(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *t = ARG(1);
    if (!s)
        return NULL;
    const char *p = find(s, t, 0);
    return p ? jx_str_nocopy(c, s->u.s.s, (size_t)(p - s->u.s.s)) : s;
}

static jv *fn_substring_after(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *t = ARG(1);
    if (!s)
        return NULL;
    const char *p = find(s, t, 0);
    if (!p)
        return s;
    size_t off = (size_t)(p - s->u.s.s) + t->u.s.len;
    return jx_str_nocopy(c, s->u.s.s + off, s->u.s.len - off);
}

/* Case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic,
 * without depending on the process locale. */
static uint32_t to_upper(uint32_t cp)
{
    if (cp < 0x80)
        return (uint32_t)toupper((int)cp);
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
        return cp - 0x20;
    if (cp == 0xFF)
        return 0x178;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp & ~1u;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1) ? cp : cp - 1;
    if (cp == 0x3C2)
        return 0x3A3;
    if (cp >= 0x3B1 && cp <= 0x3C9)
        return cp - 0x20;
    if (cp >= 0x430 && cp <= 0x44F)
        return cp - 0x20;
    if (cp >= 0x450 && cp <= 0x45F)
        return cp - 0x50;
    return cp;
}

static uint32_t to_lower(uint32_t cp)
{
    if (cp < 0x80)
        return (uint32_t)tolower((int)cp);
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 0x20;
    if (cp == 0x178)
        return 0xFF;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
        return cp | 1u;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 0x20;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    return cp;
}

static size_t utf8_decode(const char *s, size_t n, size_t i, uint32_t *cp)
{
    unsigned char c0 = (unsigned char)s[i];
    size_t len = c0 < 0x80 ? 1 : c0 < 0xE0 ? 2 : c0 < 0xF0 ? 3 : 4;
    if (i + len > n)
        len = 1;
    uint32_t v = len == 1 ? c0 : len == 2 ? c0 & 0x1Fu : len == 3 ? c0 & 0x0Fu : c0 & 0x07u;
    for (size_t k = 1; k < len; k++)
        v = v << 6 | ((unsigned char)s[i + k] & 0x3Fu);
    *cp = v;
    return len;
}

static jv *change_case(jctx *c, jv *s, bool upper)
{
    if (!s)
        return NULL;
    /* the mapped code points stay within their UTF-8 length class */
    char *o = jx_alloc(c, s->u.s.len + 1);
    size_t i = 0;
    while (i < s->u.s.len) {
        uint32_t cp;
        size_t len = utf8_decode(s->u.s.s, s->u.s.len, i, &cp);
        uint32_t m = upper ? to_upper(cp) : to_lower(cp);
        if (len == 1 || (len == 2 && m >= 0x80 && m < 0x800)) {
            if (len == 1) {
                o[i] = (char)m;
            } else {
                o[i] = (char)(0xC0 | (m >> 6));
                o[i + 1] = (char)(0x80 | (m & 0x3F));
            }
        } else {
            memcpy(o + i, s->u.s.s + i, len);
        }
        i += len;
    }
    o[s->u.s.len] = 0;
    return jx_str_nocopy(c, o, s->u.s.len);
}

static jv *fn_lowercase(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return change_case(c, ARG(0), false);
}

static jv *fn_uppercase(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return change_case(c, ARG(0), true);
}

static jv *fn_length(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    return s ? jx_num(c, (double)jx_utf8_len(s->u.s.s, s->u.s.len)) : NULL;
}

static jv *fn_trim(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    if (!s)
        return NULL;
    char *o = jx_alloc(c, s->u.s.len + 1);
    size_t k = 0;
    bool space = false;
    for (size_t i = 0; i < s->u.s.len; i++) {
        char ch = s->u.s.s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            space = true;
            continue;
        }
        if (space && k > 0)
            o[k++] = ' ';
        space = false;
        o[k++] = ch;
    }
    o[k] = 0;
    return jx_str_nocopy(c, o, k);
}

static jv *fn_pad(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *ch = ARG(2);
    if (!s)
        return NULL;
    double width = ARG(1)->u.n;
    const char *pc = " ";
    size_t pclen = 1;
    if (ch && ch->u.s.len > 0) {
        pc = ch->u.s.s;
        pclen = ch->u.s.len;
    }
    double padlen = floor(fabs(width)) - (double)jx_utf8_len(s->u.s.s, s->u.s.len);
    if (padlen <= 0)
        return s;
    size_t np = (size_t)padlen;
    size_t pccps = jx_utf8_len(pc, pclen);
    /* padding: the pad string repeated, cut to np code points */
    char *pad = jx_alloc(c, np * pclen + 1);
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        size_t from = jx_utf8_offset(pc, pclen, i % pccps), to = jx_utf8_offset(pc, pclen, i % pccps + 1);
        memcpy(pad + k, pc + from, to - from);
        k += to - from;
    }
    char *o = jx_alloc(c, k + s->u.s.len + 1);
    if (width > 0) {
        memcpy(o, s->u.s.s, s->u.s.len);
        memcpy(o + s->u.s.len, pad, k);
    } else {
        memcpy(o, pad, k);
        memcpy(o + k, s->u.s.s, s->u.s.len);
    }
    o[k + s->u.s.len] = 0;
    return jx_str_nocopy(c, o, k + s->u.s.len);
}

static jv *fn_contains(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *t = ARG(1);
    if (!s || !t)
        return NULL;
    if (jx_is_str(t))
        return jx_bool(find(s, t, 0) != NULL);
    size_t ms, me;
    jv *last = NULL;
    return jx_bool(jx_match_at(c, t, s, 0, &ms, &me, env, &last) != NULL);
}

/* Runs a matcher at byte offset `from`: a regex directly; a function matcher
 * is called once with the whole string, then through the `next` function of
 * its previous result (kept in *last). */
jv *jx_match_at(jctx *c, jv *matcher, jv *s, size_t from, size_t *ms, size_t *me, jenv *env, jv **last)
{
    if (!matcher || !jx_is_func(matcher))
        jx_fail(c, "T0410", "the pattern argument must be a string or a regular expression");
    if (matcher->u.f->kind == FN_REGEX)
        return jx_regex_exec(c, matcher->u.f->u.regex, s, from, ms, me);
    jv *m;
    if (!*last) {
        m = jx_apply(c, matcher, &s, 1, NULL, env);
    } else {
        jv *next = jx_is_obj(*last) ? jx_get(*last, "next", 4) : NULL;
        if (!jx_is_func(next))
            return NULL;
        m = jx_apply(c, next, NULL, 0, NULL, env);
    }
    *last = m;
    if (!m)
        return NULL;
    jv *mm = jx_is_obj(m) ? jx_get(m, "match", 5) : NULL;
    jv *st = jx_is_obj(m) ? jx_get(m, "start", 5) : NULL;
    if (!jx_is_str(mm) || !jx_is_num(st))
        jx_fail(c, "T1010", "the matcher function did not return the correct object structure");
    *ms = jx_utf8_offset(s->u.s.s, s->u.s.len, (size_t)st->u.n);
    *me = *ms + mm->u.s.len;
    if (*me > s->u.s.len)
        *me = s->u.s.len;
    return m;
}

static double opt_limit(jctx *c, jv *l, const char *code)
{
    if (!l)
        return -1;
    if (l->u.n < 0)
        jx_fail(c, code, "the limit argument must not be negative");
    return floor(l->u.n);
}

static jv *fn_split(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *sep = ARG(1);
    if (!s)
        return NULL;
    double limit = opt_limit(c, ARG(2), "D3020");
    jv *r = jx_arr(c, 0);
    if (limit == 0)
        return r;
    size_t pos = 0;
    if (jx_is_str(sep)) {
        if (sep->u.s.len == 0) {
            size_t cps = jx_utf8_len(s->u.s.s, s->u.s.len);
            for (size_t i = 0; i < cps && (limit < 0 || (double)i < limit); i++) {
                size_t b0 = jx_utf8_offset(s->u.s.s, s->u.s.len, i), b1 = jx_utf8_offset(s->u.s.s, s->u.s.len, i + 1);
                jx_push(c, r, jx_str_nocopy(c, s->u.s.s + b0, b1 - b0));
            }
            return r;
        }
        for (;;) {
            if (limit >= 0 && (double)r->u.a.n >= limit)
                return r;
            const char *p = find(s, sep, pos);
            if (!p)
                break;
            jx_push(c, r, jx_str_nocopy(c, s->u.s.s + pos, (size_t)(p - s->u.s.s) - pos));
            pos = (size_t)(p - s->u.s.s) + sep->u.s.len;
        }
        jx_push(c, r, jx_str_nocopy(c, s->u.s.s + pos, s->u.s.len - pos));
        return r;
    }
    size_t ms, me, from = 0;
    jv *last = NULL;
    double count = 0;
    jv *m = jx_match_at(c, sep, s, 0, &ms, &me, env, &last);
    while (m && (limit < 0 || count < limit)) {
        jx_push(c, r, jx_str_nocopy(c, s->u.s.s + pos, ms - pos));
        pos = me;
        count++;
        from = me;
        if (from >= s->u.s.len && sep->u.f->kind == FN_REGEX)
            break;
        m = jx_match_at(c, sep, s, from, &ms, &me, env, &last);
        if (m && ms == me && sep->u.f->kind == FN_REGEX)
            jx_fail(c, "D1004", "regular expression matches zero length string");
    }
    if (limit < 0 || count < limit)
        jx_push(c, r, jx_str_nocopy(c, s->u.s.s + pos, s->u.s.len - pos));
    return r;
}

static jv *fn_join(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *arr = ARG(0), *sep = ARG(1);
    if (!arr)
        return NULL;
    size_t total = 0, seplen = sep ? sep->u.s.len : 0;
    for (size_t i = 0; i < arr->u.a.n; i++)
        total += arr->u.a.items[i]->u.s.len + seplen;
    char *o = jx_alloc(c, total + 1);
    size_t k = 0;
    for (size_t i = 0; i < arr->u.a.n; i++) {
        if (i && seplen) {
            memcpy(o + k, sep->u.s.s, seplen);
            k += seplen;
        }
        memcpy(o + k, arr->u.a.items[i]->u.s.s, arr->u.a.items[i]->u.s.len);
        k += arr->u.a.items[i]->u.s.len;
    }
    o[k] = 0;
    return jx_str_nocopy(c, o, k);
}

static jv *fn_match(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *re = ARG(1);
    if (!s)
        return NULL;
    double limit = opt_limit(c, ARG(2), "D3040");
    jv *r = jx_seq(c);
    if (limit == 0)
        return r;
    size_t ms, me;
    jv *last = NULL;
    jv *m = jx_match_at(c, re, s, 0, &ms, &me, env, &last);
    double count = 0;
    while (m && (limit < 0 || count < limit)) {
        jv *o = jx_obj(c, 3);
        jx_set(c, o, "match", 5, jx_get(m, "match", 5));
        jx_set(c, o, "index", 5, jx_get(m, "start", 5));
        jx_set(c, o, "groups", 6, jx_get(m, "groups", 6));
        jx_push(c, r, o);
        count++;
        if (me >= s->u.s.len && re->u.f->kind == FN_REGEX)
            break;
        m = jx_match_at(c, re, s, me, &ms, &me, env, &last);
        if (m && ms == me && re->u.f->kind == FN_REGEX)
            jx_fail(c, "D1004", "regular expression matches zero length string");
    }
    return r;
}

typedef struct strb {
    jctx *c;
    char *p;
    size_t n, cap;
} strb;

static void sb_add(strb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        while (ncap < b->n + n + 1)
            ncap *= 2;
        char *np = jx_alloc(b->c, ncap);
        if (b->n)
            memcpy(np, b->p, b->n);
        b->p = np;
        b->cap = ncap;
    }
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void substitute(strb *b, const jv *rep, jv *m)
{
    jv *groups = jx_get(m, "groups", 6);
    jv *whole = jx_get(m, "match", 5);
    size_t ng = groups ? groups->u.a.n : 0;
    const char *r = rep->u.s.s;
    size_t len = rep->u.s.len, pos = 0;
    while (pos < len) {
        const char *d = memchr(r + pos, '$', len - pos);
        if (!d)
            break;
        size_t idx = (size_t)(d - r);
        sb_add(b, r + pos, idx - pos);
        pos = idx + 1;
        char nx = pos < len ? r[pos] : 0;
        if (nx == '$') {
            sb_add(b, "$", 1);
            pos++;
        } else if (nx == '0') {
            sb_add(b, whole->u.s.s, whole->u.s.len);
            pos++;
        } else if (nx >= '1' && nx <= '9') {
            int maxdigits = ng == 0 ? 1 : (int)floor(log10((double)ng)) + 1;
            size_t g = 0, used = 0;
            for (int k = 0; k < maxdigits && pos + (size_t)k < len && r[pos + k] >= '0' && r[pos + k] <= '9'; k++) {
                g = g * 10 + (size_t)(r[pos + k] - '0');
                used++;
            }
            if (used > 1 && g > ng) {
                g /= 10;
                used--;
            }
            if (ng > 0 && g >= 1 && g <= ng) {
                jv *sm = groups->u.a.items[g - 1];
                sb_add(b, sm->u.s.s, sm->u.s.len);
            }
            pos += used;
        } else {
            sb_add(b, "$", 1);
        }
    }
    sb_add(b, r + pos, len - pos);
}

static jv *fn_replace(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *pat = ARG(1), *rep = ARG(2);
    if (!s)
        return NULL;
    if (jx_is_str(pat) && pat->u.s.len == 0)
        jx_fail(c, "D3010", "second argument of replace function cannot be an empty string");
    double limit = opt_limit(c, ARG(3), "D3011");
    if (limit == 0)
        return s;
    strb b = {.c = c};
    size_t pos = 0;
    double count = 0;
    if (jx_is_str(pat)) {
        const char *p;
        while ((limit < 0 || count < limit) && (p = find(s, pat, pos)) != NULL) {
            sb_add(&b, s->u.s.s + pos, (size_t)(p - s->u.s.s) - pos);
            if (jx_is_str(rep))
                sb_add(&b, rep->u.s.s, rep->u.s.len);
            pos = (size_t)(p - s->u.s.s) + pat->u.s.len;
            count++;
        }
        sb_add(&b, s->u.s.s + pos, s->u.s.len - pos);
        return jx_str_nocopy(c, b.p, b.n);
    }
    size_t ms, me;
    jv *last = NULL;
    jv *m = jx_match_at(c, pat, s, 0, &ms, &me, env, &last);
    if (!m)
        return s;
    while (m && (limit < 0 || count < limit)) {
        sb_add(&b, s->u.s.s + pos, ms - pos);
        if (jx_is_str(rep)) {
            substitute(&b, rep, m);
        } else {
            jv *w = jx_apply(c, rep, &m, 1, NULL, env);
            if (!jx_is_str(w))
                jx_fail(c, "D3012", "attempted to replace a matched string with a non-string value");
            sb_add(&b, w->u.s.s, w->u.s.len);
        }
        pos = me;
        count++;
        if (me >= s->u.s.len && pat->u.f->kind == FN_REGEX)
            break;
        m = jx_match_at(c, pat, s, me, &ms, &me, env, &last);
        if (m && ms == me && pat->u.f->kind == FN_REGEX)
            jx_fail(c, "D1004", "regular expression matches zero length string");
    }
    sb_add(&b, s->u.s.s + pos, s->u.s.len - pos);
    return jx_str_nocopy(c, b.p ? b.p : "", b.n);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static jv *fn_base64encode(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    if (!s)
        return NULL;
    const unsigned char *p = (const unsigned char *)s->u.s.s;
    size_t len = s->u.s.len;
    char *o = jx_alloc(c, (len + 2) / 3 * 4 + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
        o[k++] = b64[(v >> 18) & 63];
        o[k++] = b64[(v >> 12) & 63];
        o[k++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        o[k++] = i + 2 < len ? b64[v & 63] : '=';
    }
    o[k] = 0;
    return jx_str_nocopy(c, o, k);
}

static jv *fn_base64decode(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    if (!s)
        return NULL;
    char *o = jx_alloc(c, s->u.s.len + 1);
    size_t k = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < s->u.s.len; i++) {
        const char *q = strchr(b64, s->u.s.s[i]);
        if (!q || !s->u.s.s[i])
            continue;
        acc = acc << 6 | (unsigned)(q - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (char)((acc >> bits) & 0xFF);
        }
    }
    o[k] = 0;
    return jx_str_nocopy(c, o, k);
}

static jv *url_encode(jctx *c, jv *s, const char *keep)
{
    if (!s)
        return NULL;
    if (!fg_utf8_valid(s->u.s.s, s->u.s.len))
        jx_fail(c, "D3140", "malformed URL passed to encoding function");
    char *o = jx_alloc(c, s->u.s.len * 3 + 1);
    size_t k = 0;
    for (size_t i = 0; i < s->u.s.len; i++) {
        unsigned char ch = (unsigned char)s->u.s.s[i];
        if (isalnum(ch) || (ch < 0x80 && strchr(keep, ch) && ch)) {
            o[k++] = (char)ch;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            o[k++] = '%';
            o[k++] = hex[ch >> 4];
            o[k++] = hex[ch & 15];
        }
    }
    o[k] = 0;
    return jx_str_nocopy(c, o, k);
}

static jv *fn_encode_url_component(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return url_encode(c, ARG(0), "-_.!~*'()");
}

static jv *fn_encode_url(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return url_encode(c, ARG(0), "-_.!~*'();/?:@&=+$,#");
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static jv *url_decode(jctx *c, jv *s, const char *reserved)
{
    if (!s)
        return NULL;
    char *o = jx_alloc(c, s->u.s.len + 1);
    size_t k = 0;
    for (size_t i = 0; i < s->u.s.len; i++) {
        char ch = s->u.s.s[i];
        if (ch != '%') {
            o[k++] = ch;
            continue;
        }
        int h = i + 2 < s->u.s.len ? hexval(s->u.s.s[i + 1]) : -1;
        int l = i + 2 < s->u.s.len ? hexval(s->u.s.s[i + 2]) : -1;
        if (h < 0 || l < 0)
            jx_fail(c, "D3140", "malformed URL passed to decoding function");
        char dec = (char)(h * 16 + l);
        if (reserved && (unsigned char)dec < 0x80 && strchr(reserved, dec) && dec) {
            memcpy(o + k, s->u.s.s + i, 3);
            k += 3;
        } else {
            o[k++] = dec;
        }
        i += 2;
    }
    o[k] = 0;
    if (!fg_utf8_valid(o, k))
        jx_fail(c, "D3140", "malformed URL passed to decoding function");
    return jx_str_nocopy(c, o, k);
}

static jv *fn_decode_url_component(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return url_decode(c, ARG(0), NULL);
}

static jv *fn_decode_url(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return url_decode(c, ARG(0), ";/?:@&=+$,#");
}

const jbuiltin jx_string_builtins[] = {
    {"string", "<x-b?:s>", fn_string, 1},
    {"substring", "<s-nn?:s>", fn_substring, -1},
    {"substringBefore", "<s-s:s>", fn_substring_before, -1},
    {"substringAfter", "<s-s:s>", fn_substring_after, -1},
    {"lowercase", "<s-:s>", fn_lowercase, -1},
    {"uppercase", "<s-:s>", fn_uppercase, -1},
    {"length", "<s-:n>", fn_length, -1},
    {"trim", "<s-:s>", fn_trim, -1},
    {"pad", "<s-ns?:s>", fn_pad, -1},
    {"contains", "<s-(sf):b>", fn_contains, -1},
    {"split", "<s-(sf)n?:a<s>>", fn_split, -1},
    {"join", "<a<s>s?:s>", fn_join, -1},
    {"match", "<s-f<s:o>n?:a<o>>", fn_match, -1},
    {"replace", "<s-(sf)(sf)n?:s>", fn_replace, -1},
    {"base64encode", "<s-:s>", fn_base64encode, -1},
    {"base64decode", "<s-:s>", fn_base64decode, -1},
    {"encodeUrlComponent", "<s-:s>", fn_encode_url_component, -1},
    {"encodeUrl", "<s-:s>", fn_encode_url, -1},
    {"decodeUrlComponent", "<s-:s>", fn_decode_url_component, -1},
    {"decodeUrl", "<s-:s>", fn_decode_url, -1},
    {NULL, NULL, NULL, 0},
};
