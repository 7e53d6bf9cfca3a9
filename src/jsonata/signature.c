/* Function signatures such as "<s-n?:s>": parsed into one pattern over the
 * type letters of the arguments (s n b l a o f, m for missing), matched with
 * PCRE2, then used to substitute the context for "-" parameters and to wrap
 * single values given for array parameters. */
#include "jsonata/jsonata_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_MAX_PARAMS 16

typedef struct jparam {
    char regex[48];
    char ctxregex[56];
    char type;
    char subtype;
    bool context;
    bool optional;
} jparam;

struct jsig {
    jparam p[SIG_MAX_PARAMS];
    int n;
    pcre2_code *re;
    pcre2_code *ctxre[SIG_MAX_PARAMS];
};

static size_t closing(const char *s, size_t len, size_t start, char open, char close)
{
    int depth = 1;
    size_t pos = start;
    while (pos < len) {
        pos++;
        if (s[pos] == close) {
            if (--depth == 0)
                break;
        } else if (s[pos] == open) {
            depth++;
        }
    }
    return pos;
}

static pcre2_code *compile(const char *pat)
{
    int ec;
    PCRE2_SIZE eo;
    return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
}

void jx_sig_free(jsig *s)
{
    if (!s)
        return;
    pcre2_code_free(s->re);
    for (int i = 0; i < s->n; i++)
        pcre2_code_free(s->ctxre[i]);
    free(s);
}

static jsig *sig_fail(jsig *s, int *err_offset, size_t pos)
{
    *err_offset = (int)pos;
    jx_sig_free(s);
    return NULL;
}

static bool add_param(jsig *s, char type, const char *regex)
{
    if (s->n >= SIG_MAX_PARAMS)
        return false;
    jparam *p = &s->p[s->n++];
    memset(p, 0, sizeof *p);
    p->type = type;
    snprintf(p->regex, sizeof p->regex, "%s", regex);
    return true;
}

static bool parse_params(jsig *s, const char *src, size_t len, int *err_offset)
{
    for (size_t pos = 1; pos < len; pos++) {
        char sym = src[pos];
        if (sym == ':')
            break;
        jparam *prev = s->n ? &s->p[s->n - 1] : NULL;
        char rx[48];
        bool ok = true;
        switch (sym) {
        case 's': case 'n': case 'b': case 'l': case 'o':
            snprintf(rx, sizeof rx, "[%cm]", sym);
            ok = add_param(s, sym, rx);
            break;
        case 'a': ok = add_param(s, 'a', "[asnblfom]"); break;
        case 'f': ok = add_param(s, 'f', "f"); break;
        case 'j': ok = add_param(s, 'j', "[asnblom]"); break;
        case 'x': ok = add_param(s, 'x', "[asnblfom]"); break;
        case '-':
            if (!prev)
                return false;
            prev->context = true;
            snprintf(prev->ctxregex, sizeof prev->ctxregex, "^%s$", prev->regex);
            strncat(prev->regex, "?", sizeof prev->regex - strlen(prev->regex) - 1);
            break;
        case '?': case '+':
            if (!prev)
                return false;
            if (sym == '?')
                prev->optional = true;
            {
                size_t l = strlen(prev->regex);
                if (l + 1 < sizeof prev->regex) {
                    prev->regex[l] = sym;
                    prev->regex[l + 1] = 0;
                }
            }
            break;
        case '(': {
            size_t end = closing(src, len, pos, '(', ')');
            size_t clen = end - pos - 1;
            if (clen > 20 || memchr(src + pos + 1, '<', clen)) {
                *err_offset = -1 - (int)pos; /* S0402: a union may not hold parameterised types */
                return false;
            }
            snprintf(rx, sizeof rx, "[%.*sm]", (int)clen, src + pos + 1);
            ok = add_param(s, '(', rx);
            pos = end;
            break;
        }
        case '<':
            if (!prev || (prev->type != 'a' && prev->type != 'f')) {
                *err_offset = (int)pos;
                return false;
            }
            {
                size_t end = closing(src, len, pos, '<', '>');
                prev->subtype = src[pos + 1];
                pos = end;
            }
            break;
        case '>':
            break;
        default:
            *err_offset = (int)pos;
            return false;
        }
        if (!ok)
            return false;
    }
    return true;
}

jsig *jx_sig_parse(const char *src, size_t len, int *err_offset)
{
    jsig *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    *err_offset = 0;
    if (len < 2 || src[0] != '<' || !parse_params(s, src, len, err_offset)) {
        int off = *err_offset;
        jx_sig_free(s);
        *err_offset = off;
        return NULL;
    }
    char pat[SIG_MAX_PARAMS * 52 + 4];
    size_t o = 0;
    pat[o++] = '^';
    for (int i = 0; i < s->n; i++)
        o += (size_t)snprintf(pat + o, sizeof pat - o, "(%s)", s->p[i].regex);
    snprintf(pat + o, sizeof pat - o, "$");
    s->re = compile(pat);
    if (!s->re)
        return sig_fail(s, err_offset, 0);
    for (int i = 0; i < s->n; i++)
        if (s->p[i].context)
            s->ctxre[i] = compile(s->p[i].ctxregex);
    return s;
}

int jx_sig_arity(const jsig *s)
{
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if (!s->p[i].optional)
            n++;
    return n;
}

static char symbol_of(const jv *v)
{
    if (!v)
        return 'm';
    jx_ready(v);
    switch (v->kind) {
    case JV_NULL: return 'l';
    case JV_BOOL: return 'b';
    case JV_NUM: return 'n';
    case JV_STR: return 's';
    case JV_ARR: return 'a';
    case JV_OBJ: return 'o';
    default: return 'f';
    }
}

static bool re_test(jctx *c, const pcre2_code *re, const char *s, size_t n)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, c->md, NULL);
    return rc >= 0;
}

static void check_array_subtype(jctx *c, const jparam *p, char single, jv *arg, size_t index)
{
    bool ok = true;
    if (single != 'a') {
        ok = symbol_of(arg) == p->subtype;
    } else if (arg->u.a.n > 0) {
        char t = symbol_of(arg->u.a.items[0]);
        if (t != p->subtype)
            ok = false;
        for (size_t i = 1; ok && i < arg->u.a.n; i++)
            if (symbol_of(arg->u.a.items[i]) != t)
                ok = false;
    }
    if (!ok)
        jx_fail(c, "T0412", "argument %zu of function must be an array of the expected type", index + 1);
}

static _Noreturn void validation_error(jctx *c, const jsig *s, const char *sig, size_t n)
{
    (void)s;
    (void)n;
    jx_fail(c, "T0410", "argument types do not match the function signature (got \"%s\")", sig);
}

size_t jx_sig_validate(jctx *c, const jsig *s, jv **args, size_t n, jv *context, jv ***out)
{
    char sym[64];
    if (n >= sizeof sym)
        jx_fail(c, "T0410", "too many arguments");
    for (size_t i = 0; i < n; i++)
        sym[i] = symbol_of(args[i]);
    sym[n] = 0;
    if (!c->md) {
        c->md = pcre2_match_data_create(SIG_MAX_PARAMS + 1, NULL);
        if (!c->md)
            jx_fail(c, "U1002", "out of memory");
    }
    int rc = pcre2_match(s->re, (PCRE2_SPTR)sym, n, 0, 0, c->md, NULL);
    if (rc < 0)
        validation_error(c, s, sym, n);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
    size_t starts[SIG_MAX_PARAMS], ends[SIG_MAX_PARAMS];
    for (int i = 0; i < s->n; i++) {
        starts[i] = ov[2 * (i + 1)];
        ends[i] = ov[2 * (i + 1) + 1];
    }
    jv **res = jx_alloc(c, (size_t)(s->n + (int)n + 1) * sizeof(jv *));
    size_t k = 0, argi = 0;
    for (int i = 0; i < s->n; i++) {
        const jparam *p = &s->p[i];
        if (starts[i] == ends[i]) {
            if (p->context && s->ctxre[i]) {
                char t = symbol_of(context);
                if (!re_test(c, s->ctxre[i], &t, 1))
                    jx_fail(c, "T0411", "context value is not a compatible type with argument %zu of function",
                            argi + 1);
                if (jx_is_arr(context) && (context->flags & JVF_OUTER) && context->u.a.n == 1)
                    context = context->u.a.items[0];
                res[k++] = context;
            } else {
                res[k++] = argi < n ? args[argi] : NULL;
                argi++;
            }
            continue;
        }
        for (size_t m = starts[i]; m < ends[i]; m++) {
            char single = sym[m];
            jv *arg = args[argi];
            if (p->type == 'a' && single != 'm') {
                if (p->subtype)
                    check_array_subtype(c, p, single, arg, argi);
                if (single != 'a') {
                    jv *w = jx_arr(c, 1);
                    jx_push(c, w, arg);
                    arg = w;
                }
            }
            res[k++] = single == 'm' ? NULL : arg;
            argi++;
        }
    }
    *out = res;
    return k;
}
