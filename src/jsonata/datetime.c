/* Date and time: $now, $millis, $toMillis and $fromMillis, with ISO 8601 as
 * the default and XPath picture strings ([Y0001]-[M01]-[D01]...). */
#include "jsonata/jsonata_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARG(i) ((i) < n ? a[i] : NULL)

/* Days since 1970-01-01 for a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

typedef struct dt {
    int64_t year;
    unsigned month, day, hour, minute, second, ms;
    int dow; /* 1 = Monday ... 7 = Sunday */
    int tz_minutes;
} dt;

static dt split_ms(double millis, int tz_minutes)
{
    dt t = {0};
    int64_t ms = (int64_t)floor(millis) + (int64_t)tz_minutes * 60000;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    civil_from_days(days, &t.year, &t.month, &t.day);
    t.hour = (unsigned)(rem / 3600000);
    t.minute = (unsigned)(rem / 60000 % 60);
    t.second = (unsigned)(rem / 1000 % 60);
    t.ms = (unsigned)(rem % 1000);
    t.dow = (int)(((days % 7) + 7 + 3) % 7) + 1;
    t.tz_minutes = tz_minutes;
    return t;
}

static int digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

/* Parses ISO 8601: YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|+hh:mm]]]]. */
static bool parse_iso(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int y, mo = 1, d = 1, h = 0, mi = 0, se = 0, tzm = 0;
    double frac = 0;
    if (digits(s, n, &i, 4, &y) < 0)
        return false;
    if (i < n && s[i] == '-') {
        i++;
        if (digits(s, n, &i, 2, &mo) < 0)
            return false;
        if (i < n && s[i] == '-') {
            i++;
            if (digits(s, n, &i, 2, &d) < 0)
                return false;
        }
    }
    if (i < n && s[i] == 'T') {
        i++;
        if (digits(s, n, &i, 2, &h) < 0 || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &mi) < 0)
            return false;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &se) < 0)
                return false;
            if (i < n && s[i] == '.') {
                i++;
                double scale = 0.1;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    frac += (s[i++] - '0') * scale;
                    scale /= 10;
                }
            }
        }
        if (i < n && s[i] == 'Z') {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i++] == '-' ? -1 : 1, th, tm = 0;
            if (digits(s, n, &i, 2, &th) < 0)
                return false;
            if (i < n && s[i] == ':')
                i++;
            if (i < n)
                digits(s, n, &i, 2, &tm);
            tzm = sign * (th * 60 + tm);
        }
    }
    if (i != n || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    double days = (double)days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = days * 86400000.0 + h * 3600000.0 + mi * 60000.0 + se * 1000.0 + round(frac * 1000) - tzm * 60000.0;
    return true;
}

jv *jx_fn_now(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *ms = jx_num(c, (double)jx_now_ms(c));
    jv *args[3] = {ms, ARG(0), ARG(1)};
    return jx_fn_from_millis(c, args, 3, in, env);
}

jv *jx_fn_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return jx_num(c, (double)jx_now_ms(c));
}

static bool parse_tz(const jv *tz, int *minutes)
{
    if (!tz || tz->u.s.len != 5)
        return false;
    const char *s = tz->u.s.s;
    int sign = s[0] == '-' ? -1 : 1;
    int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    *minutes = sign * (h * 60 + m);
    return true;
}

static const char *const month_names[] = {"January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December"};
static const char *const day_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                         "Sunday"};
#define DEFAULT_PICTURE "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

typedef struct obuf {
    jctx *c;
    char *p;
    size_t n, cap;
} obuf;

static void ob_add(obuf *b, const char *s, size_t n)
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
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void ob_str(obuf *b, const char *s)
{
    ob_add(b, s, strlen(s));
}

/* One [component] of a picture string. */
typedef struct marker {
    char spec;
    char pres[32];
    size_t plen;
    char pres2; /* 'o' ordinal, 't' traditional, 'c' cardinal, 0 */
    int minw, maxw;
} marker;

static bool is_width(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '-'))
            return false;
    return true;
}

static void parse_marker(jctx *c, const char *m, size_t ml, marker *mk)
{
    char comp[64];
    size_t k = 0;
    for (size_t i = 0; i < ml && k < sizeof comp - 1; i++)
        if (m[i] != ' ' && m[i] != '\t' && m[i] != '\n' && m[i] != '\r')
            comp[k++] = m[i];
    comp[k] = 0;
    memset(mk, 0, sizeof *mk);
    mk->minw = mk->maxw = -1;
    if (k == 0)
        jx_fail(c, "D3135", "empty component in date/time picture string");
    mk->spec = comp[0];
    if (!strchr("YMDdFWwXxHhPmsfZzCE", mk->spec))
        jx_fail(c, "D3132", "unknown component specifier %c in date/time picture string", mk->spec);
    char *rest = comp + 1;
    char *comma = strrchr(rest, ',');
    if (comma && is_width(comma + 1)) {
        *comma = 0;
        char *w = comma + 1, *dash = strchr(w, '-');
        if (dash)
            *dash = 0;
        mk->minw = *w && *w != '*' ? atoi(w) : -1;
        if (dash)
            mk->maxw = dash[1] && dash[1] != '*' ? atoi(dash + 1) : -1;
    }
    size_t rl = strlen(rest);
    if (rl > 1 && strchr("otc", rest[rl - 1]) && !(rl == 2 && rest[0] == 'N' && rest[1] == 'n')) {
        mk->pres2 = rest[rl - 1];
        rest[--rl] = 0;
    }
    if (rl >= sizeof mk->pres)
        rl = sizeof mk->pres - 1;
    memcpy(mk->pres, rest, rl);
    mk->plen = rl;
    bool names = rl > 0 && (rest[0] == 'N' || rest[0] == 'n');
    if (names && !strchr("MFxPCEZz", mk->spec))
        jx_fail(c, "D3133", "the component %c cannot be represented as a name", mk->spec);
}

static bool is_names(const marker *mk)
{
    return mk->plen > 0 && (mk->pres[0] == 'N' || mk->pres[0] == 'n');
}

static bool is_digits_pres(const marker *mk)
{
    for (size_t i = 0; i < mk->plen; i++)
        if ((mk->pres[i] >= '0' && mk->pres[i] <= '9') || mk->pres[i] == '#')
            return true;
    return false;
}

static int digit_count(const marker *mk)
{
    int n = 0;
    for (size_t i = 0; i < mk->plen; i++)
        if ((mk->pres[i] >= '0' && mk->pres[i] <= '9') || mk->pres[i] == '#')
            n++;
    return n;
}

static void add_name(obuf *b, const char *name, const marker *mk)
{
    char buf[32];
    size_t n = strlen(name);
    int maxw = mk->maxw;
    if (maxw > 0 && (size_t)maxw < n)
        n = (size_t)maxw;
    memcpy(buf, name, n);
    buf[n] = 0;
    bool upper = mk->plen >= 1 && mk->pres[0] == 'N' && !(mk->plen >= 2 && mk->pres[1] == 'n');
    bool lower = mk->plen == 0 || mk->pres[0] == 'n';
    for (size_t i = 0; i < n; i++) {
        if (upper && buf[i] >= 'a' && buf[i] <= 'z')
            buf[i] = (char)(buf[i] - 32);
        if (lower && buf[i] >= 'A' && buf[i] <= 'Z')
            buf[i] = (char)(buf[i] + 32);
    }
    ob_add(b, buf, n);
}

static void add_number(jctx *c, obuf *b, int64_t v, const marker *mk, const char *dflt)
{
    char pic[40];
    const char *p = mk->plen ? mk->pres : dflt;
    size_t pl = mk->plen ? mk->plen : strlen(dflt);
    snprintf(pic, sizeof pic, "%.*s%s", (int)pl, p, mk->pres2 == 'o' ? ";o" : "");
    if (mk->spec == 'Y') {
        int n = -1;
        if (mk->maxw > 0)
            n = mk->maxw;
        else if (mk->plen == 0 && mk->minw > 0)
            n = mk->minw;
        else if (digit_count(mk) >= 2)
            n = digit_count(mk);
        if (n > 0 && n < 10) {
            int64_t mod = 1;
            for (int i = 0; i < n; i++)
                mod *= 10;
            v %= mod;
        }
    }
    char *s;
    size_t sl;
    jx_format_integer(c, (double)v, pic, strlen(pic), &s, &sl);
    bool digits = mk->plen == 0 || is_digits_pres(mk);
    for (int i = (int)sl; digits && mk->minw > 0 && i < mk->minw; i++)
        ob_add(b, "0", 1);
    if (mk->spec == 'Y' && digits && mk->maxw > 0 && sl > (size_t)mk->maxw) {
        s += sl - (size_t)mk->maxw;
        sl = (size_t)mk->maxw;
    }
    ob_add(b, s, sl);
}

static void add_fraction(obuf *b, unsigned ms, const marker *mk)
{
    char digits[4];
    snprintf(digits, sizeof digits, "%03u", ms);
    int want = mk->plen ? digit_count(mk) : 3;
    if (mk->minw > want)
        want = mk->minw;
    for (int i = 0; i < want; i++)
        ob_add(b, i < 3 ? &digits[i] : "0", 1);
}

static void add_tz(jctx *c, obuf *b, int tzm, const marker *mk)
{
    char buf[24];
    if (mk->spec == 'z')
        ob_str(b, "GMT");
    if (mk->pres2 == 't' && tzm == 0) {
        ob_str(b, "Z");
        return;
    }
    int h = abs(tzm) / 60, m = abs(tzm) % 60;
    char sign = tzm < 0 ? '-' : '+';
    const char *pres = mk->plen ? mk->pres : "01:01";
    int nd = 0;
    bool sep = false;
    for (const char *p = pres; *p; p++) {
        if (*p >= '0' && *p <= '9')
            nd++;
        else
            sep = true;
    }
    if (nd > 4)
        jx_fail(c, "D3134", "the timezone integer format specifier cannot have more than four digits");
    if (nd <= 2) {
        if (m)
            snprintf(buf, sizeof buf, "%c%0*d:%02d", sign, nd, h, m);
        else
            snprintf(buf, sizeof buf, "%c%0*d", sign, nd, h);
    } else if (sep) {
        snprintf(buf, sizeof buf, "%c%02d:%02d", sign, h, m);
    } else {
        snprintf(buf, sizeof buf, "%c%02d%02d", sign, h, m);
    }
    ob_str(b, buf);
}

/* ISO week date: week-year X, week W; week of month w and its month x. */
static void iso_week(const dt *t, int64_t *X, int *W, int *w, int *x)
{
    int64_t days = days_from_civil(t->year, t->month, t->day);
    int64_t thursday = days + (4 - t->dow);
    int64_t ty;
    unsigned tm, td;
    civil_from_days(thursday, &ty, &tm, &td);
    *X = ty;
    *W = (int)((thursday - days_from_civil(ty, 1, 1)) / 7) + 1;
    *w = (int)((td - 1) / 7) + 1;
    *x = (int)tm;
}

static void format_component(jctx *c, obuf *b, const dt *t, const marker *mk)
{
    int64_t X;
    int W, w, x;
    iso_week(t, &X, &W, &w, &x);
    switch (mk->spec) {
    case 'Y': add_number(c, b, t->year, mk, "1"); break;
    case 'M':
        if (is_names(mk))
            add_name(b, month_names[t->month - 1], mk);
        else
            add_number(c, b, t->month, mk, "1");
        break;
    case 'x':
        if (is_names(mk))
            add_name(b, month_names[x - 1], mk);
        else
            add_number(c, b, x, mk, "1");
        break;
    case 'D': add_number(c, b, t->day, mk, "1"); break;
    case 'd': add_number(c, b, days_from_civil(t->year, t->month, t->day) - days_from_civil(t->year, 1, 1) + 1, mk, "1"); break;
    case 'F':
        if (mk->plen == 0 || is_names(mk))
            add_name(b, day_names[t->dow - 1], mk);
        else
            add_number(c, b, t->dow, mk, "1");
        break;
    case 'W': add_number(c, b, W, mk, "1"); break;
    case 'w': add_number(c, b, w, mk, "1"); break;
    case 'X': add_number(c, b, X, mk, "1"); break;
    case 'H': add_number(c, b, t->hour, mk, "1"); break;
    case 'h': add_number(c, b, t->hour % 12 == 0 ? 12 : t->hour % 12, mk, "1"); break;
    case 'P': add_name(b, t->hour < 12 ? "am" : "pm", mk); break;
    case 'm': add_number(c, b, t->minute, mk, "01"); break;
    case 's': add_number(c, b, t->second, mk, "01"); break;
    case 'f': add_fraction(b, t->ms, mk); break;
    case 'Z': case 'z': add_tz(c, b, t->tz_minutes, mk); break;
    default: ob_str(b, "ISO"); break;
    }
}

/* Splits a picture into literals and markers, calling fn for each marker. */
typedef void (*picture_fn)(jctx *c, obuf *b, const marker *mk, void *ud);

static void walk_picture(jctx *c, const char *pic, size_t plen, obuf *b, picture_fn fn, void *ud,
                         void (*literal)(obuf *b, const char *s, size_t n))
{
    for (size_t k = 0; k < plen; k++) {
        if (pic[k] == '[' && k + 1 < plen && pic[k + 1] == '[') {
            k++;
        } else if (pic[k] == '[') {
            const char *end = memchr(pic + k, ']', plen - k);
            if (!end)
                jx_fail(c, "D3135", "no matching closing bracket ']' in date/time picture string");
            k = (size_t)(end - pic);
        }
    }
    size_t i = 0;
    while (i < plen) {
        char ch = pic[i];
        if (ch == '[' && i + 1 < plen && pic[i + 1] == '[') {
            literal(b, "[", 1);
            i += 2;
        } else if (ch == ']' && i + 1 < plen && pic[i + 1] == ']') {
            literal(b, "]", 1);
            i += 2;
        } else if (ch == '[') {
            const char *end = memchr(pic + i, ']', plen - i);
            if (!end)
                jx_fail(c, "D3135", "no matching closing bracket ']' in date/time picture string");
            marker mk;
            parse_marker(c, pic + i + 1, (size_t)(end - pic) - i - 1, &mk);
            fn(c, b, &mk, ud);
            i = (size_t)(end - pic) + 1;
        } else {
            literal(b, &pic[i], 1);
            i++;
        }
    }
}

static void format_marker(jctx *c, obuf *b, const marker *mk, void *ud)
{
    format_component(c, b, ud, mk);
}

static void jx_format_datetime(jctx *c, const dt *t, const char *pic, size_t plen, char **out, size_t *olen)
{
    obuf b = {.c = c};
    walk_picture(c, pic, plen, &b, format_marker, (void *)t, ob_add);
    *out = b.p ? b.p : "";
    *olen = b.n;
}

jv *jx_fn_from_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *ms = ARG(0), *pic = ARG(1), *tz = ARG(2);
    if (!ms)
        return NULL;
    int tzm = 0;
    parse_tz(tz, &tzm);
    dt t = split_ms(ms->u.n, tzm);
    const char *p = pic ? pic->u.s.s : DEFAULT_PICTURE;
    size_t plen = pic ? pic->u.s.len : strlen(DEFAULT_PICTURE);
    char *o;
    size_t olen;
    jx_format_datetime(c, &t, p, plen, &o, &olen);
    return jx_str_nocopy(c, o, olen);
}

/* ---- parsing with a picture ($toMillis) ------------------------------------------- */

#define MAX_MARKERS 24

typedef struct parse_state {
    marker mk[MAX_MARKERS];
    int n;
} parse_state;

static void rx_literal(obuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || (unsigned char)ch >= 0x80))
            ob_add(b, "\\", 1);
        ob_add(b, &s[i], 1);
    }
}

static void rx_marker(jctx *c, obuf *b, const marker *mk, void *ud)
{
    parse_state *ps = ud;
    if (ps->n >= MAX_MARKERS)
        jx_fail(c, "D3136", "too many components in date/time picture string");
    ps->mk[ps->n++] = *mk;
    if (is_names(mk) && (mk->spec == 'M' || mk->spec == 'x')) {
        ob_str(b, "(");
        for (int i = 0; i < 12; i++) {
            ob_str(b, i ? "|" : "");
            ob_str(b, month_names[i]);
        }
        for (int i = 0; i < 12; i++) {
            ob_str(b, "|");
            ob_add(b, month_names[i], 3);
        }
        ob_str(b, ")");
    } else if (mk->spec == 'F' && (mk->plen == 0 || is_names(mk))) {
        ob_str(b, "(");
        for (int i = 0; i < 7; i++) {
            ob_str(b, i ? "|" : "");
            ob_str(b, day_names[i]);
        }
        for (int i = 0; i < 7; i++) {
            ob_str(b, "|");
            ob_add(b, day_names[i], 3);
        }
        ob_str(b, ")");
    } else if (mk->spec == 'P') {
        ob_str(b, "(am|pm)");
    } else if (mk->spec == 'Z') {
        ob_str(b, "([+-][0-9]{1,2}(?::?[0-9]{2})?|Z)");
    } else if (mk->spec == 'z') {
        ob_str(b, "GMT([+-][0-9]{1,2}(?::?[0-9]{2})?)?");
    } else if (mk->plen && (mk->pres[0] == 'I' || mk->pres[0] == 'i')) {
        ob_str(b, "([MDCLXVImdclxvi]+)");
    } else if (mk->plen && (mk->pres[0] == 'A' || mk->pres[0] == 'a')) {
        ob_str(b, "([a-zA-Z]+)");
    } else if (mk->plen && (mk->pres[0] == 'W' || mk->pres[0] == 'w')) {
        ob_str(b, "([a-zA-Z]+(?:[ ,-]+[a-zA-Z]+)*)");
    } else {
        char rxd[48];
        int m = 0;
        for (size_t i = 0; i < mk->plen; i++)
            m += mk->pres[i] >= '0' && mk->pres[i] <= '9';
        snprintf(rxd, sizeof rxd, "([0-9]{%d,})%s", m > 0 ? m : 1, mk->pres2 == 'o' ? "(?:st|nd|rd|th)" : "");
        ob_str(b, rxd);
    }
}

static int name_index(const char *s, size_t n, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (n >= 3 && strncasecmp(s, names[i], 3) == 0)
            return i;
    return -1;
}

static int64_t component_value(jctx *c, const marker *mk, const char *s, size_t n)
{
    if (is_names(mk) && (mk->spec == 'M' || mk->spec == 'x'))
        return name_index(s, n, month_names, 12) + 1;
    if (mk->spec == 'F' && (mk->plen == 0 || is_names(mk)))
        return name_index(s, n, day_names, 7) + 1;
    if (mk->spec == 'P')
        return strncasecmp(s, "pm", 2) == 0;
    if (mk->spec == 'f') {
        int v = 0;
        for (size_t i = 0; i < 3; i++)
            v = v * 10 + (i < n ? s[i] - '0' : 0);
        return v;
    }
    if (mk->plen && strchr("IiAaWw", mk->pres[0])) {
        char pic[2] = {mk->pres[0], 0};
        return (int64_t)jx_parse_integer_text(c, s, n, pic, 1);
    }
    int64_t v = 0;
    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int tz_value(const char *s, size_t n)
{
    if (n == 0 || s[0] == 'Z')
        return 0;
    int sign = s[0] == '-' ? -1 : 1, h = 0, m = 0;
    size_t i = 1, hd = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && hd < 2) {
        h = h * 10 + (s[i++] - '0');
        hd++;
    }
    if (i < n && s[i] == ':')
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        m = m * 10 + (s[i++] - '0');
    return sign * (h * 60 + m);
}

enum { P_Y, P_M, P_D, P_d, P_H, P_m, P_s, P_f, P_COUNT };

static jv *compose(jctx *c, const int64_t *val, const bool *has, int tzm, bool ampm, bool pm)
{
    bool any = false;
    for (int i = 0; i < P_COUNT; i++)
        any = any || has[i];
    if (!any)
        return NULL;
    static const int seq_mdy[] = {P_Y, P_M, P_D, P_H, P_m, P_s, P_f};
    static const int seq_doy[] = {P_Y, P_d, P_H, P_m, P_s, P_f};
    const int *seq = has[P_d] ? seq_doy : seq_mdy;
    int len = has[P_d] ? 6 : 7, first = -1, last = -1;
    for (int i = 0; i < len; i++)
        if (has[seq[i]]) {
            if (first < 0)
                first = i;
            last = i;
        }
    for (int i = first; i <= last; i++)
        if (!has[seq[i]])
            jx_fail(c, "D3136", "the date/time picture string is missing components needed to make a timestamp");
    dt now = split_ms((double)jx_now_ms(c), 0);
    int64_t nowv[P_COUNT] = {now.year, now.month, now.day, 0, now.hour, now.minute, now.second, now.ms};
    nowv[P_d] = days_from_civil(now.year, now.month, now.day) - days_from_civil(now.year, 1, 1) + 1;
    int64_t v[P_COUNT];
    for (int i = 0; i < len; i++) {
        int k = seq[i];
        v[k] = has[k] ? val[k] : i < first ? nowv[k] : (k == P_M || k == P_D || k == P_d) ? 1 : 0;
    }
    if (ampm) {
        v[P_H] %= 12;
        if (pm)
            v[P_H] += 12;
    }
    int64_t days = has[P_d] ? days_from_civil(v[P_Y], 1, 1) + v[P_d] - 1
                            : days_from_civil(v[P_Y], (unsigned)v[P_M], (unsigned)v[P_D]);
    double ms = (double)days * 86400000.0 + (double)v[P_H] * 3600000.0 + (double)v[P_m] * 60000.0 +
                (double)v[P_s] * 1000.0 + (double)v[P_f] - tzm * 60000.0;
    return jx_num(c, ms);
}

static jv *parse_with_picture(jctx *c, jv *s, jv *pic)
{
    parse_state *ps = jx_alloc(c, sizeof *ps);
    ps->n = 0;
    obuf rx = {.c = c};
    ob_str(&rx, "^");
    walk_picture(c, pic->u.s.s, pic->u.s.len, &rx, rx_marker, ps, rx_literal);
    ob_str(&rx, "$");
    for (int i = 0; i < ps->n; i++)
        if (strchr("XWwx", ps->mk[i].spec))
            jx_fail(c, "D3136", "ISO week date components cannot be parsed into a timestamp");
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)rx.p, rx.n, PCRE2_CASELESS | PCRE2_UTF, &ec, &eo, NULL);
    if (!re)
        jx_fail(c, "D3136", "unable to build a parser for the date/time picture string");
    fg_arena_on_cleanup(c->arena, (fg_cleanup_fn)pcre2_code_free, re);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md)
        jx_fail(c, "U1002", "out of memory");
    fg_arena_on_cleanup(c->arena, (fg_cleanup_fn)pcre2_match_data_free, md);
    int rc = pcre2_match(re, (PCRE2_SPTR)s->u.s.s, s->u.s.len, 0, 0, md, NULL);
    if (rc < 0)
        return NULL;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    int64_t val[P_COUNT] = {0};
    bool has[P_COUNT] = {0}, ampm = false, pm = false;
    int tzm = 0;
    for (int i = 0; i < ps->n; i++) {
        const marker *mk = &ps->mk[i];
        const char *t = ov[2 * (i + 1)] == PCRE2_UNSET ? "" : s->u.s.s + ov[2 * (i + 1)];
        size_t tl = ov[2 * (i + 1)] == PCRE2_UNSET ? 0 : ov[2 * (i + 1) + 1] - ov[2 * (i + 1)];
        int slot = -1;
        switch (mk->spec) {
        case 'Y': slot = P_Y; break;
        case 'M': slot = P_M; break;
        case 'D': slot = P_D; break;
        case 'd': slot = P_d; break;
        case 'H': case 'h': slot = P_H; break;
        case 'm': slot = P_m; break;
        case 's': slot = P_s; break;
        case 'f': slot = P_f; break;
        case 'P': ampm = true; pm = component_value(c, mk, t, tl) != 0; break;
        case 'Z': case 'z': tzm = tz_value(t, tl); break;
        default: break;
        }
        if (slot >= 0) {
            val[slot] = component_value(c, mk, t, tl);
            has[slot] = true;
        }
    }
    return compose(c, val, has, tzm, ampm, pm);
}

jv *jx_fn_to_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    if (!s)
        return NULL;
    if (ARG(1))
        return parse_with_picture(c, s, ARG(1));
    double ms;
    if (!parse_iso(s->u.s.s, s->u.s.len, &ms))
        jx_fail(c, "D3110", "unable to cast value to a timestamp: %.*s", (int)s->u.s.len, s->u.s.s);
    return jx_num(c, ms);
}
