/* Date and time: $now, $millis, $toMillis and $fromMillis, with ISO 8601 as
 * the default and XPath picture strings ([Y0001]-[M01]-[D01]...). */
#include "jsonata/jsonata_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
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
    jv *ms = jx_num(c, (double)c->now_ms);
    jv *args[3] = {ms, ARG(0), ARG(1)};
    return jx_fn_from_millis(c, args, 3, in, env);
}

jv *jx_fn_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    return jx_num(c, (double)c->now_ms);
}

jv *jx_fn_to_millis(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *s = ARG(0);
    if (!s)
        return NULL;
    if (ARG(1))
        jx_fail(c, "D3136", "date/time picture strings are not supported by $toMillis yet");
    double ms;
    if (!parse_iso(s->u.s.s, s->u.s.len, &ms))
        jx_fail(c, "D3110", "unable to cast value to a timestamp: %.*s", (int)s->u.s.len, s->u.s.s);
    return jx_num(c, ms);
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

static void add_name(obuf *b, const char *name, const char *mod, size_t mlen, int maxw)
{
    char buf[32];
    size_t n = strlen(name);
    if (maxw > 0 && (size_t)maxw < n)
        n = (size_t)maxw;
    memcpy(buf, name, n);
    buf[n] = 0;
    if (mlen >= 1 && mod[0] == 'N' && !(mlen >= 2 && mod[1] == 'n'))
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
    if (mlen >= 1 && mod[0] == 'n')
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(buf[i] >= 'A' && buf[i] <= 'Z' ? buf[i] + 32 : buf[i]);
    ob_add(b, buf, n);
}

static void add_number(jctx *c, obuf *b, int64_t v, const char *mod, size_t mlen, int maxw)
{
    if (mlen == 0) {
        mod = "1";
        mlen = 1;
    }
    char *s;
    size_t sl;
    jx_format_integer(c, (double)v, mod, mlen, &s, &sl);
    if (maxw > 0 && sl > (size_t)maxw && (mod[0] >= '0' && mod[0] <= '9'))
        ob_add(b, s + sl - (size_t)maxw, (size_t)maxw);
    else
        ob_add(b, s, sl);
}

static void add_tz(obuf *b, int tzm, const char *mod, size_t mlen, char spec)
{
    char buf[16];
    if (spec == 'Z' && mlen == 1 && mod[0] == 'Z') {
        ob_add(b, "Z", 1);
        return;
    }
    int h = abs(tzm) / 60, m = abs(tzm) % 60;
    if (spec == 'z')
        ob_add(b, "GMT", 3);
    if (mlen >= 4 && !memchr(mod, ':', mlen))
        snprintf(buf, sizeof buf, "%c%02d%02d", tzm < 0 ? '-' : '+', h, m);
    else if (mlen <= 2 && mlen > 0 && mod[0] != 'Z')
        snprintf(buf, sizeof buf, "%c%0*d", tzm < 0 ? '-' : '+', (int)mlen, h);
    else
        snprintf(buf, sizeof buf, "%c%02d:%02d", tzm < 0 ? '-' : '+', h, m);
    ob_add(b, buf, strlen(buf));
}

static void format_component(jctx *c, obuf *b, const dt *t, const char *m, size_t ml)
{
    /* strip whitespace */
    char comp[64];
    size_t k = 0;
    for (size_t i = 0; i < ml && k < sizeof comp - 1; i++)
        if (m[i] != ' ' && m[i] != '\t' && m[i] != '\n')
            comp[k++] = m[i];
    comp[k] = 0;
    if (k == 0)
        jx_fail(c, "D3135", "no component specifier in date/time picture");
    char spec = comp[0];
    const char *mod = comp + 1;
    char *comma = strchr(comp + 1, ',');
    int maxw = -1;
    size_t mlen = comma ? (size_t)(comma - mod) : strlen(mod);
    if (comma) {
        char *dash = strchr(comma + 1, '-');
        if (dash && dash[1] != '*')
            maxw = atoi(dash + 1);
        else if (!dash && comma[1] && comma[1] != '*' && spec == 'Y')
            maxw = atoi(comma + 1);
    }
    switch (spec) {
    case 'Y':
        if (mlen >= 2 && mod[0] >= '0' && mod[0] <= '9' && maxw < 0 && mlen == 2)
            maxw = 2;
        add_number(c, b, t->year, mod, mlen, maxw);
        break;
    case 'M':
        if (mlen && (mod[0] == 'N' || mod[0] == 'n'))
            add_name(b, month_names[t->month - 1], mod, mlen, maxw);
        else
            add_number(c, b, t->month, mod, mlen, -1);
        break;
    case 'D': add_number(c, b, t->day, mod, mlen, -1); break;
    case 'd': add_number(c, b, days_from_civil(t->year, t->month, t->day) - days_from_civil(t->year, 1, 1) + 1, mod, mlen, -1); break;
    case 'F':
        if (mlen == 0 || mod[0] == 'N' || mod[0] == 'n')
            add_name(b, day_names[t->dow - 1], mlen ? mod : "n", mlen ? mlen : 1, maxw);
        else
            add_number(c, b, t->dow, mod, mlen, -1);
        break;
    case 'H': add_number(c, b, t->hour, mod, mlen, -1); break;
    case 'h': add_number(c, b, t->hour % 12 == 0 ? 12 : t->hour % 12, mod, mlen, -1); break;
    case 'P': add_name(b, t->hour < 12 ? "am" : "pm", mlen ? mod : "n", mlen ? mlen : 1, -1); break;
    case 'm': add_number(c, b, t->minute, mlen ? mod : "01", mlen ? mlen : 2, -1); break;
    case 's': add_number(c, b, t->second, mlen ? mod : "01", mlen ? mlen : 2, -1); break;
    case 'f': add_number(c, b, t->ms, mlen ? mod : "001", mlen ? mlen : 3, -1); break;
    case 'Z': case 'z': add_tz(b, t->tz_minutes, mod, mlen, spec); break;
    case 'E': ob_add(b, "ISO", 3); break;
    case 'C': ob_add(b, "ISO", 3); break;
    default:
        jx_fail(c, "D3132", "unknown component specifier %c in date/time picture string", spec);
    }
}

static void jx_format_datetime(jctx *c, const dt *t, const char *pic, size_t plen, char **out, size_t *olen)
{
    obuf b = {.c = c};
    size_t i = 0;
    while (i < plen) {
        char ch = pic[i];
        if (ch == '[' && i + 1 < plen && pic[i + 1] == '[') {
            ob_add(&b, "[", 1);
            i += 2;
        } else if (ch == ']' && i + 1 < plen && pic[i + 1] == ']') {
            ob_add(&b, "]", 1);
            i += 2;
        } else if (ch == '[') {
            const char *end = memchr(pic + i, ']', plen - i);
            if (!end)
                jx_fail(c, "D3135", "no matching closing bracket ']' in date/time picture string");
            format_component(c, &b, t, pic + i + 1, (size_t)(end - pic) - i - 1);
            i = (size_t)(end - pic) + 1;
        } else {
            ob_add(&b, &pic[i], 1);
            i++;
        }
    }
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
    if (!pic) {
        char buf[64];
        snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)t.year, t.month, t.day,
                 t.hour, t.minute, t.second, t.ms);
        if (tz && tzm != 0) {
            snprintf(buf + 23, sizeof buf - 23, "%c%02d:%02d", tzm < 0 ? '-' : '+', abs(tzm) / 60, abs(tzm) % 60);
        }
        return jx_str(c, buf, strlen(buf));
    }
    char *o;
    size_t olen;
    jx_format_datetime(c, &t, pic->u.s.s, pic->u.s.len, &o, &olen);
    return jx_str_nocopy(c, o, olen);
}
