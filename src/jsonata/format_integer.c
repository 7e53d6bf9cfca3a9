/* $formatInteger and $parseInteger: XPath integer pictures (decimal digit
 * patterns with grouping, roman numerals, letters, words, ordinals). */
#include "jsonata/jsonata_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARG(i) ((i) < n ? a[i] : NULL)

static const char *const ones[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                   "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                   "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const tens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                                   "eighty", "ninety"};
static const char *const ordones[] = {"zeroth", "first", "second", "third", "fourth", "fifth", "sixth",
                                      "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth",
                                      "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                                      "eighteenth", "nineteenth"};
static const char *const ordtens[] = {"", "", "twentieth", "thirtieth", "fortieth", "fiftieth",
                                      "sixtieth", "seventieth", "eightieth", "ninetieth"};

static void cat(char *o, size_t cap, const char *s)
{
    strncat(o, s, cap - strlen(o) - 1);
}

static void words(unsigned long long v, bool ord, char *o, size_t cap, bool first)
{
    static const struct { unsigned long long n; const char *w; } big[] = {
        {1000000000000000000ULL, "quintillion"}, {1000000000000000ULL, "quadrillion"},
        {1000000000000ULL, "trillion"}, {1000000000ULL, "billion"}, {1000000ULL, "million"},
        {1000ULL, "thousand"}, {100ULL, "hundred"}};
    if (v < 20) {
        cat(o, cap, ord ? ordones[v] : ones[v]);
        return;
    }
    if (v < 100) {
        unsigned long long t = v / 10, u = v % 10;
        if (u == 0) {
            cat(o, cap, ord ? ordtens[t] : tens[t]);
        } else {
            cat(o, cap, tens[t]);
            cat(o, cap, "-");
            cat(o, cap, ord ? ordones[u] : ones[u]);
        }
        return;
    }
    for (size_t i = 0; i < FG_ARRAY_LEN(big); i++) {
        if (v < big[i].n)
            continue;
        unsigned long long hi = v / big[i].n, lo = v % big[i].n;
        words(hi, false, o, cap, false);
        cat(o, cap, " ");
        cat(o, cap, big[i].w);
        if (lo == 0) {
            if (ord)
                cat(o, cap, "th");
        } else {
            cat(o, cap, lo < 100 ? " and " : (big[i].n == 100 ? " and " : ", "));
            words(lo, ord, o, cap, false);
        }
        return;
    }
    (void)first;
}

static void roman(unsigned long long v, char *o, size_t cap)
{
    static const struct { unsigned v; const char *s; } r[] = {
        {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
        {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}};
    for (size_t i = 0; i < FG_ARRAY_LEN(r); i++)
        while (v >= r[i].v && strlen(o) + 3 < cap) {
            cat(o, cap, r[i].s);
            v -= r[i].v;
        }
}

static void letters(unsigned long long v, char *o, size_t cap)
{
    char buf[32];
    int k = 0;
    while (v > 0 && k < 30) {
        v--;
        buf[k++] = (char)('a' + v % 26);
        v /= 26;
    }
    for (int i = k - 1; i >= 0; i--) {
        char s[2] = {buf[i], 0};
        cat(o, cap, s);
    }
}

static const char *ordinal_suffix(unsigned long long v)
{
    unsigned long long t = v % 100, u = v % 10;
    if (t >= 11 && t <= 13)
        return "th";
    return u == 1 ? "st" : u == 2 ? "nd" : u == 3 ? "rd" : "th";
}

static void decimal(double value, const char *pic, size_t plen, bool ord, char *o, size_t cap)
{
    /* mandatory digits and grouping positions from the right */
    int mandatory = 0, groups[16], ng = 0, digits = 0;
    char gsep[8] = ",";
    for (size_t i = plen; i-- > 0;) {
        char ch = pic[i];
        if (isdigit((unsigned char)ch)) {
            mandatory++;
            digits++;
        } else if (ch == '#') {
            digits++;
        } else if (ng < 16) {
            groups[ng++] = digits;
            gsep[0] = ch;
        }
    }
    char num[64];
    snprintf(num, sizeof num, "%.0f", fabs(value));
    char padded[128];
    int len = (int)strlen(num);
    int pad = mandatory > len ? mandatory - len : 0;
    memset(padded, '0', (size_t)pad);
    snprintf(padded + pad, sizeof padded - (size_t)pad, "%s", num);
    len = (int)strlen(padded);
    /* regular grouping: every position a multiple of the first */
    bool regular = ng > 0;
    for (int i = 0; i < ng; i++)
        if (groups[i] != groups[0] * (i + 1))
            regular = false;
    char out[256];
    int k = 0;
    if (value < 0)
        out[k++] = '-';
    for (int i = 0; i < len && k < 250; i++) {
        int from_right = len - i;
        out[k++] = padded[i];
        int fr = from_right - 1;
        if (fr <= 0)
            continue;
        bool sep = false;
        if (regular && groups[0] > 0)
            sep = fr % groups[0] == 0;
        else
            for (int g = 0; g < ng; g++)
                if (groups[g] == fr)
                    sep = true;
        if (sep)
            out[k++] = gsep[0];
    }
    out[k] = 0;
    cat(o, cap, out);
    if (ord)
        cat(o, cap, ordinal_suffix((unsigned long long)fabs(value)));
}

void jx_format_integer(jctx *c, double value, const char *pic, size_t plen, char **out, size_t *olen)
{
    char o[512] = "";
    bool ord = false;
    const char *semi = memchr(pic, ';', plen);
    size_t ml = semi ? (size_t)(semi - pic) : plen;
    if (semi && memchr(semi, 'o', plen - ml))
        ord = true;
    unsigned long long v = (unsigned long long)fabs(trunc(value));
    if (ml == 1 && (pic[0] == 'w' || pic[0] == 'W')) {
        if (value < 0)
            cat(o, sizeof o, "minus ");
        words(v, ord, o, sizeof o, true);
        if (pic[0] == 'W')
            for (char *p = o; *p; p++)
                *p = (char)toupper((unsigned char)*p);
    } else if (ml == 2 && pic[0] == 'W' && pic[1] == 'w') {
        words(v, ord, o, sizeof o, true);
        bool start = true;
        for (char *p = o; *p; p++) {
            if (start && isalpha((unsigned char)*p) && strncmp(p, "and ", 4) != 0)
                *p = (char)toupper((unsigned char)*p);
            start = *p == ' ' || *p == '-';
        }
    } else if (ml == 1 && (pic[0] == 'i' || pic[0] == 'I')) {
        roman(v, o, sizeof o);
        if (pic[0] == 'I')
            for (char *p = o; *p; p++)
                *p = (char)toupper((unsigned char)*p);
    } else if (ml == 1 && (pic[0] == 'a' || pic[0] == 'A')) {
        letters(v, o, sizeof o);
        if (pic[0] == 'A')
            for (char *p = o; *p; p++)
                *p = (char)toupper((unsigned char)*p);
    } else {
        decimal(trunc(value), pic, ml, ord, o, sizeof o);
    }
    size_t n = strlen(o);
    *out = jx_alloc(c, n + 1);
    memcpy(*out, o, n + 1);
    *olen = n;
}

jv *jx_fn_format_integer(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    if (!ARG(0))
        return NULL;
    char *o;
    size_t len;
    jx_format_integer(c, ARG(0)->u.n, ARG(1)->u.s.s, ARG(1)->u.s.len, &o, &len);
    return jx_str_nocopy(c, o, len);
}

static int roman_value(char ch)
{
    switch (tolower((unsigned char)ch)) {
    case 'i': return 1;
    case 'v': return 5;
    case 'x': return 10;
    case 'l': return 50;
    case 'c': return 100;
    case 'd': return 500;
    case 'm': return 1000;
    default: return 0;
    }
}

jv *jx_fn_parse_integer(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *pic = ARG(1);
    if (!s)
        return NULL;
    const char *p = pic->u.s.s;
    if (pic->u.s.len >= 1 && (p[0] == 'i' || p[0] == 'I')) {
        double v = 0;
        for (size_t i = 0; i < s->u.s.len; i++) {
            int cur = roman_value(s->u.s.s[i]);
            int nxt = i + 1 < s->u.s.len ? roman_value(s->u.s.s[i + 1]) : 0;
            v += cur < nxt ? -cur : cur;
        }
        return jx_num(c, v);
    }
    if (pic->u.s.len >= 1 && (p[0] == 'a' || p[0] == 'A')) {
        double v = 0;
        for (size_t i = 0; i < s->u.s.len; i++)
            v = v * 26 + (tolower((unsigned char)s->u.s.s[i]) - 'a' + 1);
        return jx_num(c, v);
    }
    double v = 0;
    bool neg = false;
    for (size_t i = 0; i < s->u.s.len; i++) {
        char ch = s->u.s.s[i];
        if (ch == '-' && v == 0)
            neg = true;
        if (isdigit((unsigned char)ch))
            v = v * 10 + (ch - '0');
    }
    return jx_num(c, neg ? -v : v);
}
