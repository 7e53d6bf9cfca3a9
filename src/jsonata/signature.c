/* Function signatures such as "<s-n?:s>": each parameter becomes a set of
 * accepted type letters (s n b l a o f, m for missing) with a quantifier; the
 * letters of the arguments are matched against them greedily with
 * backtracking, like the regular expression JSONata builds. The match then
 * substitutes the context for "-" parameters and wraps single values given for
 * array parameters. */
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
    char set[SIG_MAX_PARAMS][12]; /* accepted letters per parameter */
    int min[SIG_MAX_PARAMS], max[SIG_MAX_PARAMS];
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

void jx_sig_free(jsig *s)
{
    free(s);
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
    for (int i = 0; i < s->n; i++) {
        const char *rx = s->p[i].regex;
        size_t k = 0;
        if (*rx == '[') {
            for (rx++; *rx && *rx != ']' && k < sizeof s->set[i] - 1; rx++)
                s->set[i][k++] = *rx;
            if (*rx == ']')
                rx++;
        } else if (*rx) {
            s->set[i][k++] = *rx++;
        }
        s->set[i][k] = 0;
        s->min[i] = 1;
        s->max[i] = 1;
        for (; *rx; rx++) {
            if (*rx == '?')
                s->min[i] = 0;
            else if (*rx == '+')
                s->max[i] = 64;
        }
    }
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

/* Greedy match of sym[pos..n) against parameters i..; spans in starts/ends. */
static bool match_from(const jsig *s, int i, const char *sym, size_t pos, size_t n, size_t *starts, size_t *ends)
{
    if (i == s->n)
        return pos == n;
    size_t run = 0;
    while (pos + run < n && (int)run < s->max[i] && strchr(s->set[i], sym[pos + run]))
        run++;
    for (size_t take = run + 1; take-- > 0;) {
        if ((int)take < s->min[i])
            break;
        starts[i] = pos;
        ends[i] = pos + take;
        if (match_from(s, i + 1, sym, pos + take, n, starts, ends))
            return true;
    }
    return false;
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
    size_t starts[SIG_MAX_PARAMS], ends[SIG_MAX_PARAMS];
    if (!match_from(s, 0, sym, 0, n, starts, ends))
        validation_error(c, s, sym, n);
    jv **res = jx_alloc(c, (size_t)(s->n + (int)n + 1) * sizeof(jv *));
    size_t k = 0, argi = 0;
    for (int i = 0; i < s->n; i++) {
        const jparam *p = &s->p[i];
        if (starts[i] == ends[i]) {
            if (p->context) {
                char t = symbol_of(context);
                if (!strchr(s->set[i], t))
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
