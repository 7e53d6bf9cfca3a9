/* The JSONata tokenizer: operators, names, `quoted names`, $variables,
 * string and number literals, regular expressions and comments. */
#include "jsonata/parser_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *jp_alloc(jparser *p, size_t n)
{
    void *m = fg_arena_alloc(p->a, n);
    if (!m)
        jp_fail(p, "S0201", (int)p->at, NULL, "expression too large to compile");
    memset(m, 0, n);
    return m;
}

void jp_list_push(jparser *p, jnlist *l, jnode *n)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4;
        jnode **v = jp_alloc(p, ncap * sizeof(jnode *));
        if (l->n)
            memcpy(v, l->v, l->n * sizeof(jnode *));
        l->v = v;
        l->cap = ncap;
    }
    l->v[l->n++] = n;
}

void jp_fail(jparser *p, const char *code, int pos, const char *token, const char *fmt, ...)
{
    fg_jsonata_error *e = p->err;
    snprintf(e->code, sizeof e->code, "%s", code);
    e->position = pos;
    snprintf(e->token, sizeof e->token, "%s", token ? token : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    longjmp(p->jb, 1);
}

static bool is_op_char(char ch)
{
    return strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", ch) != NULL && ch != 0;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xC0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xE0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*o)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = s[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void lex_string(jparser *p, char quote)
{
    size_t start = p->at;
    p->at++;
    char *out = jp_alloc(p, p->len - p->at + 1);
    size_t o = 0;
    while (p->at < p->len) {
        char ch = p->src[p->at];
        if (ch == quote) {
            p->at++;
            out[o] = 0;
            p->tok = (jtok){.type = T_STRING, .s = out, .len = o, .pos = (int)p->at};
            return;
        }
        if (ch != '\\') {
            out[o++] = ch;
            p->at++;
            continue;
        }
        p->at++;
        ch = p->at < p->len ? p->src[p->at] : 0;
        switch (ch) {
        case '"': case '\\': case '/': out[o++] = ch; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (p->at + 5 > p->len || hex4(p->src + p->at + 1, &cp) < 0)
                jp_fail(p, "S0104", (int)p->at, NULL, "the escape sequence \\u must be followed by 4 hex digits");
            p->at += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p->at + 7 <= p->len && p->src[p->at + 1] == '\\' &&
                p->src[p->at + 2] == 'u') {
                unsigned lo;
                if (hex4(p->src + p->at + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p->at += 6;
                }
            }
            put_utf8(out, &o, cp);
            break;
        }
        default:
            jp_fail(p, "S0103", (int)p->at, NULL, "unsupported escape sequence \\%c", ch);
        }
        p->at++;
    }
    jp_fail(p, "S0101", (int)start, NULL, "string literal must be terminated by a matching quote");
}

static void lex_regex(jparser *p)
{
    size_t start = ++p->at;
    int depth = 0;
    while (p->at < p->len) {
        char ch = p->src[p->at];
        if (ch == '/' && depth == 0 && (p->at == start || p->src[p->at - 1] != '\\'))
            break;
        if (ch == '\\') {
            p->at += 2;
            continue;
        }
        if (ch == '[')
            depth++;
        else if (ch == ']' && depth > 0)
            depth--;
        p->at++;
    }
    if (p->at >= p->len)
        jp_fail(p, "S0302", (int)p->at, NULL, "no terminating / in regular expression");
    size_t plen = p->at - start;
    if (plen == 0)
        jp_fail(p, "S0301", (int)p->at, NULL, "empty regular expressions are not allowed");
    p->at++;
    size_t fstart = p->at;
    while (p->at < p->len && (p->src[p->at] == 'i' || p->src[p->at] == 'm'))
        p->at++;
    char *pat = jp_alloc(p, plen + 1);
    memcpy(pat, p->src + start, plen);
    char *flags = jp_alloc(p, p->at - fstart + 1);
    memcpy(flags, p->src + fstart, p->at - fstart);
    p->tok = (jtok){.type = T_REGEX, .s = pat, .len = plen, .flags = flags, .pos = (int)p->at};
}

static bool lex_number(jparser *p)
{
    const char *s = p->src + p->at;
    size_t n = p->len - p->at, i = 0;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < n && s[j] >= '0' && s[j] <= '9') {
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
            i = j;
        }
    }
    char buf[64];
    if (i >= sizeof buf)
        jp_fail(p, "S0102", (int)p->at, NULL, "number out of range");
    memcpy(buf, s, i);
    buf[i] = 0;
    double d = strtod(buf, NULL);
    if (!isfinite(d))
        jp_fail(p, "S0102", (int)p->at, buf, "number out of range: %s", buf);
    p->at += i;
    p->tok = (jtok){.type = T_NUMBER, .num = d, .pos = (int)p->at};
    return true;
}

static const char *const two_char_ops[] = {"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"};

static void lex_name(jparser *p)
{
    size_t start = p->at, i = p->at;
    while (i < p->len && !is_space(p->src[i]) && !is_op_char(p->src[i]))
        i++;
    p->at = i;
    const char *s = p->src + start;
    size_t n = i - start;
    if (s[0] == '$') {
        p->tok = (jtok){.type = T_VARIABLE, .s = s + 1, .len = n - 1, .pos = (int)i};
        return;
    }
    static const char *const ops[] = {"and", "or", "in"};
    for (size_t k = 0; k < 3; k++)
        if (n == strlen(ops[k]) && memcmp(s, ops[k], n) == 0) {
            p->tok = (jtok){.type = T_OPERATOR, .s = ops[k], .len = n, .pos = (int)i};
            return;
        }
    if (n == 4 && memcmp(s, "true", 4) == 0)
        p->tok = (jtok){.type = T_VALUE, .num = 1, .pos = (int)i};
    else if (n == 5 && memcmp(s, "false", 5) == 0)
        p->tok = (jtok){.type = T_VALUE, .num = 2, .pos = (int)i};
    else if (n == 4 && memcmp(s, "null", 4) == 0)
        p->tok = (jtok){.type = T_VALUE, .num = 0, .pos = (int)i};
    else
        p->tok = (jtok){.type = T_NAME, .s = s, .len = n, .pos = (int)i};
}

static bool skip_space_and_comments(jparser *p)
{
    for (;;) {
        while (p->at < p->len && is_space(p->src[p->at]))
            p->at++;
        if (p->at + 1 < p->len && p->src[p->at] == '/' && p->src[p->at + 1] == '*') {
            size_t start = p->at;
            p->at += 2;
            while (p->at + 1 < p->len && !(p->src[p->at] == '*' && p->src[p->at + 1] == '/'))
                p->at++;
            if (p->at + 1 >= p->len)
                jp_fail(p, "S0106", (int)start, NULL, "comment has no closing tag");
            p->at += 2;
            continue;
        }
        return p->at < p->len;
    }
}

void jp_lex(jparser *p, bool infix)
{
    if (!skip_space_and_comments(p)) {
        p->tok = (jtok){.type = T_END, .s = "(end)", .len = 5, .pos = (int)p->len};
        return;
    }
    const char *s = p->src + p->at;
    char ch = *s;
    if (!infix && ch == '/') {
        lex_regex(p);
        return;
    }
    if (p->at + 1 < p->len)
        for (size_t k = 0; k < FG_ARRAY_LEN(two_char_ops); k++)
            if (s[0] == two_char_ops[k][0] && s[1] == two_char_ops[k][1]) {
                p->at += 2;
                p->tok = (jtok){.type = T_OPERATOR, .s = two_char_ops[k], .len = 2, .pos = (int)p->at};
                return;
            }
    if (is_op_char(ch)) {
        p->at++;
        p->tok = (jtok){.type = T_OPERATOR, .s = s, .len = 1, .pos = (int)p->at};
        return;
    }
    if (ch == '"' || ch == '\'') {
        lex_string(p, ch);
        return;
    }
    if (lex_number(p))
        return;
    if (ch == '`') {
        size_t start = ++p->at;
        const char *end = memchr(p->src + start, '`', p->len - start);
        if (!end)
            jp_fail(p, "S0105", (int)start, NULL, "quoted property name must be terminated with a backquote (`)");
        p->at = (size_t)(end - p->src) + 1;
        p->tok = (jtok){.type = T_NAME, .s = p->src + start, .len = (size_t)(end - (p->src + start)),
                        .pos = (int)p->at};
        return;
    }
    lex_name(p);
}
