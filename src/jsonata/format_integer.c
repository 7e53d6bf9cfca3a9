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

static void words(double v, bool ord, char *o, size_t cap)
{
    static const struct { double n; const char *w; } big[] = {
        {1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}, {1e2, "hundred"}};
    if (v < 20) {
        cat(o, cap, ord ? ordones[(int)v] : ones[(int)v]);
        return;
    }
    if (v < 100) {
        int t = (int)(v / 10), u = (int)fmod(v, 10);
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
        if (v < big[i].n && !(i == 0 && v >= 1e12))
            continue;
        double hi = floor(v / big[i].n), lo = v - hi * big[i].n;
        if (lo < 0 || lo < v * 1e-15)
            lo = 0;
        words(hi, false, o, cap);
        cat(o, cap, " ");
        cat(o, cap, big[i].w);
        if (lo == 0) {
            if (ord)
                cat(o, cap, "th");
        } else {
            cat(o, cap, lo < 100 ? " and " : ", ");
            words(lo, ord, o, cap);
        }
        return;
    }
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

static int digit_value(uint32_t cp);
static uint32_t next_cp(const char *s, size_t n, size_t *i);

static void put_cp(char *o, size_t *k, uint32_t cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static void decimal(jctx *c, double value, const char *pic, size_t plen, bool ord, char *o, size_t cap)
{
    /* the picture as code points, read right to left */
    uint32_t cps[64];
    int n = 0;
    for (size_t i = 0; i < plen && n < 64;)
        cps[n++] = next_cp(pic, plen, &i);
    int mandatory = 0, groups[16], ng = 0, digits = 0;
    uint32_t gseps[16], zero = 0;
    for (int i = n - 1; i >= 0; i--) {
        int dv = digit_value(cps[i]);
        if (dv >= 0) {
            uint32_t z = cps[i] - (uint32_t)dv;
            if (zero && z != zero)
                jx_fail(c, "D3131", "a decimal digit pattern must use digits from a single family");
            zero = z;
            mandatory++;
            digits++;
        } else if (cps[i] == '#') {
            digits++;
        } else if (ng < 16) {
            gseps[ng] = cps[i];
            groups[ng++] = digits;
        }
    }
    if (!zero)
        jx_fail(c, "D3130", "the picture string must contain at least one mandatory digit");
    char num[400];
    snprintf(num, sizeof num, "%.0f", fabs(value));
    int len = (int)strlen(num);
    int pad = mandatory > len ? mandatory - len : 0;
    char padded[480];
    memset(padded, '0', (size_t)pad);
    snprintf(padded + pad, sizeof padded - (size_t)pad, "%s", num);
    len = (int)strlen(padded);
    bool regular = ng > 0;
    for (int i = 0; i < ng; i++)
        if (groups[i] != groups[0] * (i + 1) || gseps[i] != gseps[0])
            regular = false;
    char *out = malloc((size_t)len * 8 + 16);
    if (!out)
        jx_fail(c, "U1002", "out of memory");
    size_t k = 0;
    if (value < 0)
        out[k++] = '-';
    for (int i = 0; i < len; i++) {
        put_cp(out, &k, zero + (uint32_t)(padded[i] - '0'));
        int fr = len - i - 1;
        if (fr <= 0)
            continue;
        if (regular && groups[0] > 0) {
            if (fr % groups[0] == 0)
                put_cp(out, &k, gseps[0]);
        } else {
            for (int g = 0; g < ng; g++)
                if (groups[g] == fr)
                    put_cp(out, &k, gseps[g]);
        }
    }
    out[k] = 0;
    cat(o, cap, out);
    free(out);
    if (ord)
        cat(o, cap, ordinal_suffix((unsigned long long)fabs(value)));
}

void jx_format_integer(jctx *c, double value, const char *pic, size_t plen, char **out, size_t *olen)
{
    char o[2048] = "";
    bool ord = false;
    const char *semi = memchr(pic, ';', plen);
    size_t ml = semi ? (size_t)(semi - pic) : plen;
    if (semi && memchr(semi, 'o', plen - ml))
        ord = true;
    unsigned long long v = (unsigned long long)fabs(trunc(value));
    if (ml == 1 && (pic[0] == 'w' || pic[0] == 'W')) {
        if (value < 0)
            cat(o, sizeof o, "minus ");
        words(fabs(trunc(value)), ord, o, sizeof o);
        if (pic[0] == 'W')
            for (char *p = o; *p; p++)
                *p = (char)toupper((unsigned char)*p);
    } else if (ml == 2 && pic[0] == 'W' && pic[1] == 'w') {
        words(fabs(trunc(value)), ord, o, sizeof o);
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
        decimal(c, trunc(value), pic, ml, ord, o, sizeof o);
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

static double word_value(const char *w)
{
    static const char *const ordinal_scales[] = {"hundredth", "thousandth", "millionth", "billionth", "trillionth"};
    static const char *const scales[] = {"hundred", "thousand", "million", "billion", "trillion"};
    static const double scale_values[] = {1e2, 1e3, 1e6, 1e9, 1e12};
    for (int i = 0; i < 20; i++)
        if (strcmp(w, ones[i]) == 0 || strcmp(w, ordones[i]) == 0)
            return i;
    for (int i = 2; i < 10; i++)
        if (strcmp(w, tens[i]) == 0 || strcmp(w, ordtens[i]) == 0)
            return i * 10;
    for (int i = 0; i < 5; i++)
        if (strcmp(w, scales[i]) == 0 || strcmp(w, ordinal_scales[i]) == 0)
            return scale_values[i];
    return -1;
}

/* "one thousand, nine hundred and eighty-four" -> 1984 (ordinals too). */
static double words_to_number(const char *s, size_t n)
{
    double segs[64];
    int ns = 1;
    segs[0] = 0;
    size_t i = 0;
    while (i < n) {
        char w[32];
        size_t k = 0;
        while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == '-'))
            i++;
        while (i < n && s[i] != ' ' && s[i] != ',' && s[i] != '-' && k < sizeof w - 1)
            w[k++] = (char)tolower((unsigned char)s[i++]);
        w[k] = 0;
        if (k == 0 || strcmp(w, "and") == 0)
            continue;
        double v = word_value(w);
        if (v < 0)
            continue;
        if (v < 100) {
            double top = segs[--ns];
            if (top >= 1000) {
                segs[ns++] = top;
                top = 0;
            }
            if (ns < 63)
                segs[ns++] = top + v;
        } else {
            segs[ns - 1] *= v;
        }
    }
    double r = 0;
    for (int k = 0; k < ns; k++)
        r += segs[k];
    return r;
}

/* The value of a decimal digit in any Unicode digit family we know, or -1. */
static int digit_value(uint32_t cp)
{
    static const uint32_t zeros[] = {0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10};
    for (size_t i = 0; i < FG_ARRAY_LEN(zeros); i++)
        if (cp >= zeros[i] && cp < zeros[i] + 10)
            return (int)(cp - zeros[i]);
    return -1;
}

static uint32_t next_cp(const char *s, size_t n, size_t *i)
{
    unsigned char c0 = (unsigned char)s[*i];
    int len = c0 < 0x80 ? 1 : c0 < 0xE0 ? 2 : c0 < 0xF0 ? 3 : 4;
    if (*i + (size_t)len > n)
        len = 1;
    uint32_t cp = len == 1 ? c0 : len == 2 ? c0 & 0x1F : len == 3 ? c0 & 0x0F : c0 & 0x07;
    for (int k = 1; k < len; k++)
        cp = cp << 6 | ((unsigned char)s[*i + (size_t)k] & 0x3F);
    *i += (size_t)len;
    return cp;
}

static bool has_mandatory_digit(const char *pic, size_t n)
{
    for (size_t i = 0; i < n;)
        if (digit_value(next_cp(pic, n, &i)) >= 0)
            return true;
    return false;
}

double jx_parse_integer_text(jctx *c, const char *s, size_t n, const char *pic, size_t plen)
{
    const char *semi = memchr(pic, ';', plen);
    size_t ml = semi ? (size_t)(semi - pic) : plen;
    if (ml >= 1 && (pic[0] == 'i' || pic[0] == 'I')) {
        double v = 0;
        for (size_t i = 0; i < n; i++) {
            int cur = roman_value(s[i]);
            int nxt = i + 1 < n ? roman_value(s[i + 1]) : 0;
            v += cur < nxt ? -cur : cur;
        }
        return v;
    }
    if (ml >= 1 && (pic[0] == 'a' || pic[0] == 'A')) {
        double v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 26 + (tolower((unsigned char)s[i]) - 'a' + 1);
        return v;
    }
    if (ml >= 1 && (pic[0] == 'w' || pic[0] == 'W'))
        return words_to_number(s, n);
    if (!has_mandatory_digit(pic, ml))
        jx_fail(c, "D3130", "the picture string must contain at least one mandatory digit");
    double v = 0;
    for (size_t i = 0; i < n;) {
        int d = digit_value(next_cp(s, n, &i));
        if (d >= 0)
            v = v * 10 + d;
    }
    return v;
}

jv *jx_fn_parse_integer(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0), *pic = ARG(1);
    if (!s)
        return NULL;
    return jx_num(c, jx_parse_integer_text(c, s->u.s.s, s->u.s.len, pic->u.s.s, pic->u.s.len));
}
