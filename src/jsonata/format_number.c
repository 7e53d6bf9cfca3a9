/* $formatNumber: XPath F&O 4.7 decimal format pictures ("#,##0.00", "0.0e0",
 * "#%", "###;(###)") worked on code points so that any digit family works. */
#include "jsonata/jsonata_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARG(i) ((i) < n ? a[i] : NULL)
#define CPMAX 256

typedef struct cps {
    uint32_t v[CPMAX];
    int n;
} cps;

typedef struct props {
    uint32_t decimal, grouping, exponent, minus, percent, permille, zero, digit, pattern;
} props;

static int decode_cp(const char *s, size_t n, size_t *i, uint32_t *out)
{
    unsigned char c0 = (unsigned char)s[*i];
    int len = c0 < 0x80 ? 1 : c0 < 0xE0 ? 2 : c0 < 0xF0 ? 3 : 4;
    if (*i + (size_t)len > n)
        len = 1;
    uint32_t cp = len == 1 ? c0 : len == 2 ? c0 & 0x1F : len == 3 ? c0 & 0x0F : c0 & 0x07;
    for (int k = 1; k < len; k++)
        cp = cp << 6 | ((unsigned char)s[*i + (size_t)k] & 0x3F);
    *i += (size_t)len;
    *out = cp;
    return 0;
}

static void to_cps(const char *s, size_t n, cps *out)
{
    out->n = 0;
    for (size_t i = 0; i < n && out->n < CPMAX;) {
        uint32_t cp;
        decode_cp(s, n, &i, &cp);
        out->v[out->n++] = cp;
    }
}

static void put_cp(char *o, size_t *k, uint32_t cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool is_family(const props *p, uint32_t ch)
{
    return ch >= p->zero && ch < p->zero + 10;
}

static bool is_active(const props *p, uint32_t ch)
{
    return is_family(p, ch) || ch == p->decimal || ch == p->exponent || ch == p->grouping || ch == p->digit ||
           ch == p->pattern;
}

static int find(const uint32_t *v, int n, uint32_t ch, int from)
{
    for (int i = from; i < n; i++)
        if (v[i] == ch)
            return i;
    return -1;
}

static int rfind(const uint32_t *v, int n, uint32_t ch)
{
    for (int i = n - 1; i >= 0; i--)
        if (v[i] == ch)
            return i;
    return -1;
}

typedef struct part {
    const uint32_t *sub;
    int nsub;
    int prefix_len, suffix_start;
    const uint32_t *active;
    int nactive;
    const uint32_t *mant;
    int nmant;
    const uint32_t *expo;
    int nexpo; /* -1: no exponent */
    const uint32_t *ipart, *fpart;
    int nint, nfrac;
    bool no_active;
} part;

static void split_part(const props *p, const uint32_t *sub, int n, part *pt)
{
    memset(pt, 0, sizeof *pt);
    pt->sub = sub;
    pt->nsub = n;
    int pre = n, suf = n;
    for (int i = 0; i < n; i++)
        if (is_active(p, sub[i]) && sub[i] != p->exponent) {
            pre = i;
            break;
        }
    for (int i = n - 1; i >= 0; i--)
        if (is_active(p, sub[i]) && sub[i] != p->exponent) {
            suf = i + 1;
            break;
        }
    if (pre == n)
        suf = n;
    pt->no_active = pre == n;
    pt->prefix_len = pre;
    pt->suffix_start = suf;
    pt->active = sub + pre;
    pt->nactive = suf - pre > 0 ? suf - pre : 0;
    int epos = find(sub, n, p->exponent, pre);
    if (epos == -1 || epos > suf) {
        pt->mant = pt->active;
        pt->nmant = pt->nactive;
        pt->nexpo = -1;
    } else {
        pt->mant = pt->active;
        pt->nmant = epos - pre;
        pt->expo = sub + epos + 1;
        pt->nexpo = suf - epos - 1;
        if (pt->nexpo < 0)
            pt->nexpo = 0;
    }
    int dpos = find(pt->mant, pt->nmant, p->decimal, 0);
    if (dpos == -1) {
        pt->ipart = pt->mant;
        pt->nint = pt->nmant;
        pt->fpart = sub + suf;
        pt->nfrac = n - suf;
    } else {
        pt->ipart = pt->mant;
        pt->nint = dpos;
        pt->fpart = pt->mant + dpos + 1;
        pt->nfrac = pt->nmant - dpos - 1;
    }
}

static const char *validate(const props *p, const part *pt)
{
    const uint32_t *s = pt->sub;
    int n = pt->nsub;
    const char *err = NULL;
    if (pt->no_active)
        return "D3086";
    int dpos = find(s, n, p->decimal, 0);
    if (dpos != rfind(s, n, p->decimal))
        err = "D3081";
    if (find(s, n, p->percent, 0) != rfind(s, n, p->percent))
        err = "D3082";
    if (find(s, n, p->permille, 0) != rfind(s, n, p->permille))
        err = "D3083";
    if (find(s, n, p->percent, 0) != -1 && find(s, n, p->permille, 0) != -1)
        err = "D3084";
    bool valid = false;
    for (int i = 0; i < pt->nmant; i++)
        if (is_family(p, pt->mant[i]) || pt->mant[i] == p->digit)
            valid = true;
    if (!valid)
        err = "D3085";
    for (int i = 0; i < pt->nactive; i++)
        if (!is_active(p, pt->active[i]))
            err = "D3086";
    if (dpos != -1) {
        if ((dpos > 0 && s[dpos - 1] == p->grouping) || (dpos + 1 < n && s[dpos + 1] == p->grouping))
            err = "D3087";
    } else if (pt->nint > 0 && pt->ipart[pt->nint - 1] == p->grouping) {
        err = "D3088";
    }
    for (int i = 0; i + 1 < n; i++)
        if (s[i] == p->grouping && s[i + 1] == p->grouping)
            err = "D3089";
    int od = find(pt->ipart, pt->nint, p->digit, 0);
    if (od != -1)
        for (int i = 0; i < od; i++)
            if (is_family(p, pt->ipart[i]))
                err = "D3090";
    od = rfind(pt->fpart, pt->nfrac, p->digit);
    if (od != -1)
        for (int i = od; i < pt->nfrac; i++)
            if (is_family(p, pt->fpart[i]))
                err = "D3091";
    if (pt->nexpo > 0 && (find(s, n, p->percent, 0) != -1 || find(s, n, p->permille, 0) != -1))
        err = "D3092";
    if (pt->nexpo == 0)
        err = "D3093";
    for (int i = 0; pt->nexpo > 0 && i < pt->nexpo; i++)
        if (!is_family(p, pt->expo[i]))
            err = "D3093";
    return err;
}

typedef struct analysis {
    int igroups[32], nig;
    int regular;
    int fgroups[32], nfg;
    int min_int, scaling, min_frac, max_frac, min_exp;
    bool has_exp;
    uint32_t prefix[CPMAX];
    int nprefix;
    const uint32_t *suffix;
    int nsuffix;
    const uint32_t *pic;
    int npic;
} analysis;

static int gcd(int a, int b)
{
    return b == 0 ? a : gcd(b, a % b);
}

static void analyse(const props *p, const part *pt, analysis *an)
{
    memset(an, 0, sizeof *an);
    /* grouping positions in the integer part: digits to the right of each separator */
    for (int g = find(pt->ipart, pt->nint, p->grouping, 0); g != -1 && an->nig < 32;
         g = find(pt->ipart, pt->nint, p->grouping, g + 1)) {
        int count = 0;
        for (int i = g; i < pt->nint; i++)
            if (is_family(p, pt->ipart[i]) || pt->ipart[i] == p->digit)
                count++;
        an->igroups[an->nig++] = count;
    }
    if (an->nig > 0) {
        int f = an->igroups[0];
        for (int i = 1; i < an->nig; i++)
            f = gcd(f, an->igroups[i]);
        an->regular = f;
        for (int k = 1; k <= an->nig; k++) {
            bool found = false;
            for (int i = 0; i < an->nig; i++)
                if (an->igroups[i] == k * f)
                    found = true;
            if (!found) {
                an->regular = 0;
                break;
            }
        }
    }
    for (int g = find(pt->fpart, pt->nfrac, p->grouping, 0); g != -1 && an->nfg < 32;
         g = find(pt->fpart, pt->nfrac, p->grouping, g + 1)) {
        int count = 0;
        for (int i = 0; i < g; i++)
            if (is_family(p, pt->fpart[i]) || pt->fpart[i] == p->digit)
                count++;
        an->fgroups[an->nfg++] = count;
    }
    for (int i = 0; i < pt->nint; i++)
        if (is_family(p, pt->ipart[i]))
            an->min_int++;
    an->scaling = an->min_int;
    for (int i = 0; i < pt->nfrac; i++) {
        if (is_family(p, pt->fpart[i]))
            an->min_frac++;
        if (is_family(p, pt->fpart[i]) || pt->fpart[i] == p->digit)
            an->max_frac++;
    }
    an->has_exp = pt->nexpo >= 0;
    if (an->min_int == 0 && an->max_frac == 0) {
        if (an->has_exp) {
            an->min_frac = 1;
            an->max_frac = 1;
        } else {
            an->min_int = 1;
        }
    }
    if (an->has_exp && an->min_int == 0 && find(pt->ipart, pt->nint, p->digit, 0) != -1)
        an->min_int = 1;
    if (an->min_int == 0 && an->min_frac == 0)
        an->min_frac = 1;
    for (int i = 0; an->has_exp && i < pt->nexpo; i++)
        if (is_family(p, pt->expo[i]))
            an->min_exp++;
    memcpy(an->prefix, pt->sub, (size_t)pt->prefix_len * sizeof(uint32_t));
    an->nprefix = pt->prefix_len;
    an->suffix = pt->sub + pt->suffix_start;
    an->nsuffix = pt->nsub - pt->suffix_start;
    an->pic = pt->sub;
    an->npic = pt->nsub;
}

static double round_half_even(double x, int prec)
{
    char buf[64], out[80];
    jx_fmt_num(x, buf, sizeof buf);
    char *e = strchr(buf, 'e');
    int exp = 0;
    if (e) {
        exp = atoi(e + 1);
        *e = 0;
    }
    snprintf(out, sizeof out, "%se%d", buf, exp + prec);
    double y = strtod(out, NULL);
    double r = floor(y + 0.5);
    if (fabs(r - y) == 0.5 && fabs(fmod(r, 2)) == 1)
        r -= 1;
    jx_fmt_num(r, buf, sizeof buf);
    e = strchr(buf, 'e');
    exp = 0;
    if (e) {
        exp = atoi(e + 1);
        *e = 0;
    }
    snprintf(out, sizeof out, "%se%d", buf, exp - prec);
    return strtod(out, NULL);
}

static uint32_t prop(jctx *c, jv *opts, const char *key, uint32_t dflt)
{
    if (!opts)
        return dflt;
    jv *v = jx_get(opts, key, strlen(key));
    if (!jx_is_str(v) || v->u.s.len == 0)
        return dflt;
    size_t i = 0;
    uint32_t cp;
    decode_cp(v->u.s.s, v->u.s.len, &i, &cp);
    return cp;
}

/* Digits of |x| with dp decimals, as code points in the zero family. */
static int fixed_digits(const props *p, double x, int dp, uint32_t *out)
{
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", dp > 100 ? 100 : dp, fabs(x));
    int n = 0;
    for (char *s = buf; *s && n < 380; s++)
        out[n++] = *s >= '0' && *s <= '9' ? p->zero + (uint32_t)(*s - '0') : (*s == '.' ? p->decimal : (uint32_t)*s);
    return n;
}

static void insert_at(uint32_t *v, int *n, int pos, uint32_t ch)
{
    if (pos < 0 || pos > *n || *n >= 1000)
        return;
    memmove(v + pos + 1, v + pos, (size_t)(*n - pos) * sizeof(uint32_t));
    v[pos] = ch;
    (*n)++;
}

jv *jx_fn_format_number(jctx *c, jv **a, size_t n, jv *in, jenv *env)
{
    jv *val = ARG(0), *picv = ARG(1), *opts = ARG(2);
    if (!val)
        return NULL;
    if (!picv)
        jx_fail(c, "T0410", "argument 2 of function formatNumber does not match function signature");
    props p = {
        prop(c, opts, "decimal-separator", '.'), prop(c, opts, "grouping-separator", ','),
        prop(c, opts, "exponent-separator", 'e'), prop(c, opts, "minus-sign", '-'),
        prop(c, opts, "percent", '%'), prop(c, opts, "per-mille", 0x2030),
        prop(c, opts, "zero-digit", '0'), prop(c, opts, "digit", '#'),
        prop(c, opts, "pattern-separator", ';'),
    };
    cps *pic = jx_alloc(c, sizeof *pic);
    to_cps(picv->u.s.s, picv->u.s.len, pic);
    int sep = find(pic->v, pic->n, p.pattern, 0);
    if (sep != -1 && find(pic->v, pic->n, p.pattern, sep + 1) != -1)
        jx_fail(c, "D3080", "the picture string must only contain a maximum of two sub-pictures");
    part parts[2];
    int nparts = sep == -1 ? 1 : 2;
    split_part(&p, pic->v, sep == -1 ? pic->n : sep, &parts[0]);
    if (nparts == 2)
        split_part(&p, pic->v + sep + 1, pic->n - sep - 1, &parts[1]);
    for (int i = 0; i < nparts; i++) {
        const char *err = validate(&p, &parts[i]);
        if (err)
            jx_fail(c, err, "invalid picture string for $formatNumber");
    }
    analysis *an = jx_alloc(c, 2 * sizeof(analysis));
    analyse(&p, &parts[0], &an[0]);
    if (nparts == 2) {
        analyse(&p, &parts[1], &an[1]);
    } else {
        an[1] = an[0];
        memmove(an[1].prefix + 1, an[1].prefix, (size_t)an[1].nprefix * sizeof(uint32_t));
        an[1].prefix[0] = p.minus;
        an[1].nprefix++;
    }
    double value = val->u.n;
    analysis *pc = value >= 0 ? &an[0] : &an[1];
    double adj = value;
    if (find(pc->pic, pc->npic, p.percent, 0) != -1)
        adj = value * 100;
    else if (find(pc->pic, pc->npic, p.permille, 0) != -1)
        adj = value * 1000;
    double mant = adj;
    int exponent = 0;
    if (pc->min_exp != 0) {
        double maxm = pow(10, pc->scaling), minm = pow(10, pc->scaling - 1);
        while (mant != 0 && fabs(mant) < minm) {
            mant *= 10;
            exponent--;
        }
        while (fabs(mant) > maxm) {
            mant /= 10;
            exponent++;
        }
    }
    double rounded = round_half_even(mant, pc->max_frac);
    uint32_t *s = jx_alloc(c, 1200 * sizeof(uint32_t));
    int sn = fixed_digits(&p, rounded, pc->max_frac, s);
    int dpos = find(s, sn, p.decimal, 0);
    if (dpos == -1)
        s[sn++] = p.decimal;
    int start = 0;
    while (start < sn && s[start] == p.zero)
        start++;
    memmove(s, s + start, (size_t)(sn - start) * sizeof(uint32_t));
    sn -= start;
    while (sn > 0 && s[sn - 1] == p.zero)
        sn--;
    dpos = find(s, sn, p.decimal, 0);
    int padl = pc->min_int - dpos, padr = pc->min_frac - (sn - dpos - 1);
    for (int i = 0; i < padl; i++)
        insert_at(s, &sn, 0, p.zero);
    for (int i = 0; i < padr; i++)
        s[sn++] = p.zero;
    dpos = find(s, sn, p.decimal, 0);
    if (pc->regular > 0) {
        int groups = (dpos - 1) / pc->regular;
        for (int g = 1; g <= groups; g++)
            insert_at(s, &sn, dpos - g * pc->regular, p.grouping);
    } else {
        for (int i = 0; i < pc->nig; i++) {
            insert_at(s, &sn, dpos - pc->igroups[i], p.grouping);
            dpos++;
        }
    }
    dpos = find(s, sn, p.decimal, 0);
    for (int i = 0; i < pc->nfg; i++)
        insert_at(s, &sn, pc->fgroups[i] + dpos + 1, p.grouping);
    dpos = find(s, sn, p.decimal, 0);
    if (pc->min_frac == 0 && dpos == sn - 1)
        sn--;
    if (pc->min_exp != 0) {
        uint32_t ed[64];
        int en = fixed_digits(&p, exponent, 0, ed);
        s[sn++] = p.exponent;
        if (exponent < 0)
            s[sn++] = p.minus;
        for (int i = en; i < pc->min_exp; i++)
            s[sn++] = p.zero;
        for (int i = 0; i < en; i++)
            s[sn++] = ed[i];
    }
    char *o = jx_alloc(c, (size_t)(pc->nprefix + sn + pc->nsuffix) * 4 + 1);
    size_t k = 0;
    for (int i = 0; i < pc->nprefix; i++)
        put_cp(o, &k, pc->prefix[i]);
    for (int i = 0; i < sn; i++)
        put_cp(o, &k, s[i]);
    for (int i = 0; i < pc->nsuffix; i++)
        put_cp(o, &k, pc->suffix[i]);
    o[k] = 0;
    return jx_str_nocopy(c, o, k);
}
