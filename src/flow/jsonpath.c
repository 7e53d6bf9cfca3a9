/* JSONPath as AWS Step Functions runs it (Jayway semantics): names, indexes
 * (negative from the end), wildcards, slices, unions, recursive descent and
 * filters. Compiled once per definition; evaluation does not copy values. */
#include "flow/flow_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { SEG_NAME, SEG_INDEX, SEG_WILD, SEG_SLICE, SEG_NAMES, SEG_INDEXES, SEG_FILTER } seg_kind;

typedef struct fnode fnode;

typedef struct seg {
    seg_kind kind;
    bool descent;
    char *name;
    long index;
    long start, end, step;
    bool has_start, has_end;
    char **names; long *indexes; int n;
    fnode *filter;
} seg;

struct fg__jp {
    char *text;
    char *var;       /* "$name..." paths start at the workflow variable name */
    bool context;
    bool definite;
    bool reference;
    seg *segs;
    int nsegs;
};

typedef enum { F_OR, F_AND, F_NOT, F_CMP, F_EXISTS, F_LIT, F_PATH } fkind;
typedef enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_IN, C_NIN } cmpop;

struct fnode {
    fkind kind;
    cmpop op;
    fnode *a, *b;
    json_t *lit;
    fg__jp *path;  /* relative (@) or absolute ($) */
    bool relative;
};

typedef struct parser {
    const char *s;
    size_t i;
    fg_errbuf *eb;
    int depth;
} parser;

static void jp_free_segs(seg *segs, int n);

static void fnode_free(fnode *f)
{
    if (!f)
        return;
    fnode_free(f->a);
    fnode_free(f->b);
    json_decref(f->lit);
    fg__jp_free(f->path);
    free(f);
}

static int perr(parser *p, const char *what)
{
    return fg_failf(p->eb, FG_EPARSE, "invalid JSONPath '%s' at character %zu: %s", p->s, p->i + 1,
                    what);
}

static void skip_ws(parser *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\t')
        p->i++;
}

static int push_seg(fg__jp *jp, const seg *s)
{
    seg *n = realloc(jp->segs, sizeof(seg) * (size_t)(jp->nsegs + 1));
    if (!n)
        return FG_ENOMEM;
    jp->segs = n;
    jp->segs[jp->nsegs++] = *s;
    return 0;
}

static bool parse_long(parser *p, long *out)
{
    const char *start = p->s + p->i;
    char *end;
    if (!(isdigit((unsigned char)*start) || (*start == '-' && isdigit((unsigned char)start[1]))))
        return false;
    long v = strtol(start, &end, 10);
    p->i += (size_t)(end - start);
    *out = v;
    return true;
}

static char *parse_quoted(parser *p)
{
    char q = p->s[p->i++];
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_buf_puts(&b, "");
    while (p->s[p->i] && p->s[p->i] != q) {
        char c = p->s[p->i++];
        if (c == '\\' && p->s[p->i] == q)
            c = p->s[p->i++];
        fg_buf_putc(&b, c);
    }
    if (p->s[p->i] != q) {
        fg_buf_free(&b);
        perr(p, "unterminated quoted name");
        return NULL;
    }
    p->i++;
    return fg_buf_detach(&b, NULL);
}

static int parse_filter_expr(parser *p, fnode **out);

static int parse_bracket_names(parser *p, seg *s)
{
    s->kind = SEG_NAMES;
    for (;;) {
        skip_ws(p);
        if (p->s[p->i] != '\'' && p->s[p->i] != '"')
            return perr(p, "expected a quoted name");
        char *nm = parse_quoted(p);
        if (!nm)
            return FG_EPARSE;
        char **nn = realloc(s->names, sizeof(char *) * (size_t)(s->n + 1));
        if (!nn) {
            free(nm);
            return FG_ENOMEM;
        }
        s->names = nn;
        s->names[s->n++] = nm;
        skip_ws(p);
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        break;
    }
    if (s->n == 1) {
        s->kind = SEG_NAME;
        s->name = s->names[0];
        free(s->names);
        s->names = NULL;
        s->n = 0;
    }
    return 0;
}

static int parse_bracket_numbers(parser *p, seg *s)
{
    long v = 0;
    bool have = parse_long(p, &v);
    skip_ws(p);
    if (p->s[p->i] == ':') {
        s->kind = SEG_SLICE;
        s->step = 1;
        s->has_start = have;
        s->start = v;
        p->i++;
        skip_ws(p);
        s->has_end = parse_long(p, &s->end);
        skip_ws(p);
        if (p->s[p->i] == ':') {
            p->i++;
            long st;
            if (parse_long(p, &st))
                s->step = st;
            if (s->step == 0)
                return perr(p, "slice step 0");
        }
        return 0;
    }
    if (!have)
        return perr(p, "expected an index, a slice, a quoted name, '*' or a filter");
    s->kind = SEG_INDEXES;
    for (;;) {
        long *ni = realloc(s->indexes, sizeof(long) * (size_t)(s->n + 1));
        if (!ni)
            return FG_ENOMEM;
        s->indexes = ni;
        s->indexes[s->n++] = v;
        skip_ws(p);
        if (p->s[p->i] != ',')
            break;
        p->i++;
        skip_ws(p);
        if (!parse_long(p, &v))
            return perr(p, "expected an index");
    }
    if (s->n == 1) {
        s->kind = SEG_INDEX;
        s->index = s->indexes[0];
        free(s->indexes);
        s->indexes = NULL;
        s->n = 0;
    }
    return 0;
}

static int parse_bracket(parser *p, seg *s)
{
    p->i++; /* [ */
    skip_ws(p);
    char c = p->s[p->i];
    int rc = 0;
    if (c == '\'' || c == '"') {
        rc = parse_bracket_names(p, s);
    } else if (c == '*') {
        s->kind = SEG_WILD;
        p->i++;
    } else if (!strncmp(p->s + p->i, "(@.length-", 10)) { /* Jayway's [(@.length-N)] */
        p->i += 10;
        long n;
        if (!parse_long(p, &n) || n < 0 || p->s[p->i] != ')')
            return perr(p, "expected (@.length-N)");
        p->i++;
        s->kind = SEG_INDEX;
        s->index = -n;
    } else if (c == '?') {
        p->i++;
        skip_ws(p);
        if (p->s[p->i] != '(')
            return perr(p, "expected '(' after '?'");
        p->i++;
        s->kind = SEG_FILTER;
        rc = parse_filter_expr(p, &s->filter);
        if (rc)
            return rc;
        skip_ws(p);
        if (p->s[p->i] != ')')
            return perr(p, "expected ')' closing the filter");
        p->i++;
    } else {
        rc = parse_bracket_numbers(p, s);
    }
    if (rc)
        return rc;
    skip_ws(p);
    if (p->s[p->i] != ']')
        return perr(p, "expected ']'");
    p->i++;
    return 0;
}

static bool name_stop(char c, bool in_filter)
{
    if (c == 0 || c == '.' || c == '[')
        return true;
    if (!in_filter)
        return false;
    return strchr(" \t)<>=!&|,", c) != NULL;
}

/* Parses segments until the text ends (or, in a filter, until a non-path char). */
static int parse_segments(parser *p, fg__jp *jp, bool in_filter)
{
    for (;;) {
        char c = p->s[p->i];
        seg s = {0};
        if (c == '.') {
            p->i++;
            if (p->s[p->i] == '.') {
                s.descent = true;
                p->i++;
            }
            c = p->s[p->i];
            if (c == '*') {
                s.kind = SEG_WILD;
                p->i++;
            } else if (c == '[') { /* "..[0]" and Jayway's lenient ".[0]" */
                int rc = parse_bracket(p, &s);
                if (rc) {
                    jp_free_segs(&s, 1);
                    return rc;
                }
            } else {
                size_t st = p->i;
                while (!name_stop(p->s[p->i], in_filter))
                    p->i++;
                if (p->i == st)
                    return perr(p, "empty name after '.'");
                s.kind = SEG_NAME;
                s.name = strndup(p->s + st, p->i - st);
            }
        } else if (c == '[') {
            int rc = parse_bracket(p, &s);
            if (rc) {
                jp_free_segs(&s, 1);
                return rc;
            }
        } else if (c == 0 || in_filter) {
            return 0;
        } else {
            return perr(p, "expected '.' or '['");
        }
        if (push_seg(jp, &s)) {
            jp_free_segs(&s, 1);
            return FG_ENOMEM;
        }
    }
}

static void jp_classify(fg__jp *jp)
{
    jp->definite = true;
    jp->reference = true;
    for (int i = 0; i < jp->nsegs; i++) {
        seg *s = &jp->segs[i];
        if (s->descent || (s->kind != SEG_NAME && s->kind != SEG_INDEX))
            jp->definite = jp->reference = false;
    }
}

static bool var_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool var_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static fg__jp *jp_parse_at(parser *p, bool in_filter)
{
    fg__jp *jp = calloc(1, sizeof *jp);
    if (!jp)
        return NULL;
    size_t st = p->i;
    char c = p->s[p->i];
    if (c != '$' && c != '@') {
        perr(p, "a path starts with '$'");
        free(jp);
        return NULL;
    }
    p->i++;
    if (c == '$' && p->s[p->i] == '$') {
        jp->context = true;
        p->i++;
    } else if (c == '$' && !in_filter && var_start(p->s[p->i])) {
        size_t vs = p->i;
        while (var_char(p->s[p->i]))
            p->i++;
        jp->var = strndup(p->s + vs, p->i - vs);
    }
    if (parse_segments(p, jp, in_filter)) {
        fg__jp_free(jp);
        return NULL;
    }
    jp->text = strndup(p->s + st, p->i - st);
    jp_classify(jp);
    if (jp->var)
        jp->reference = false;
    return jp;
}

fg__jp *fg__jp_compile(const char *text, fg_errbuf *eb)
{
    parser p = {text, 0, eb, 0};
    if (!text || text[0] != '$') {
        fg_failf(eb, FG_EPARSE, "invalid JSONPath '%s': a path starts with '$'", text ? text : "");
        return NULL;
    }
    return jp_parse_at(&p, false);
}

/* ---- filter expressions -------------------------------------------------- */

static fnode *fnew(fkind k)
{
    return calloc(1, sizeof(fnode));
    (void)k;
}

static int parse_number_lit(parser *p, fnode *f)
{
    const char *s = p->s + p->i;
    char *end;
    double d = strtod(s, &end);
    if (end == s)
        return perr(p, "bad number");
    bool integral = true;
    for (const char *q = s; q < end; q++)
        if (*q == '.' || *q == 'e' || *q == 'E')
            integral = false;
    /* Integers beyond what json_int_t holds stay doubles. */
    if (integral && (d < -9.2e18 || d > 9.2e18))
        integral = false;
    f->lit = integral ? json_integer((json_int_t)d) : json_real(d);
    p->i += (size_t)(end - s);
    return 0;
}

static int parse_operand(parser *p, fnode **out);

/* [lit, lit, ...] as the right side of `in` / `nin`. */
static int parse_array_lit(parser *p, fnode *f)
{
    if (++p->depth > 64)
        return perr(p, "array literals nested too deeply");
    p->i++;
    f->lit = json_array();
    skip_ws(p);
    while (p->s[p->i] && p->s[p->i] != ']') {
        fnode *el = NULL;
        int rc = parse_operand(p, &el);
        if (rc || el->kind != F_LIT) {
            fnode_free(el);
            return rc ? rc : perr(p, "array literal holds only literals");
        }
        json_array_append(f->lit, el->lit);
        fnode_free(el);
        skip_ws(p);
        if (p->s[p->i] == ',')
            p->i++;
        else if (p->s[p->i] != ']')
            return perr(p, "expected ',' or ']' in an array literal");
        skip_ws(p);
    }
    if (p->s[p->i] != ']')
        return perr(p, "unterminated array literal");
    p->i++;
    p->depth--;
    return 0;
}

static int parse_word_lit(parser *p, fnode *f)
{
    const char *s = p->s + p->i;
    if (!strncmp(s, "true", 4) || !strncmp(s, "false", 5) || !strncmp(s, "null", 4)) {
        f->lit = *s == 't' ? json_true() : *s == 'f' ? json_false() : json_null();
        p->i += *s == 'f' ? 5 : 4;
        return 0;
    }
    size_t n = 0; /* a bare word compares as a string */
    while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '-')
        n++;
    f->lit = json_stringn(s, n);
    p->i += n;
    return 0;
}

static int parse_operand(parser *p, fnode **out)
{
    skip_ws(p);
    const char *s = p->s + p->i;
    fnode *f = fnew(F_LIT);
    if (!f)
        return FG_ENOMEM;
    *out = f;
    if (*s == '@' || *s == '$') {
        f->kind = F_PATH;
        f->relative = *s == '@';
        f->path = jp_parse_at(p, true);
        return f->path ? 0 : FG_EPARSE;
    }
    f->kind = F_LIT;
    if (*s == '\'' || *s == '"') {
        char *str = parse_quoted(p);
        if (!str)
            return FG_EPARSE;
        f->lit = json_string(str);
        free(str);
        return f->lit ? 0 : perr(p, "string is not UTF-8");
    }
    if (*s == '-' || isdigit((unsigned char)*s))
        return parse_number_lit(p, f);
    if (*s == '[')
        return parse_array_lit(p, f);
    if (isalpha((unsigned char)*s) || *s == '_')
        return parse_word_lit(p, f);
    return perr(p, "expected a value in the filter");
}

static bool parse_cmpop(parser *p, cmpop *op)
{
    static const struct { const char *t; cmpop op; } ops[] = {
        {"==", C_EQ}, {"!=", C_NE}, {"<=", C_LE}, {">=", C_GE}, {"<", C_LT}, {">", C_GT},
        {"nin ", C_NIN}, {"in ", C_IN},
    };
    skip_ws(p);
    for (size_t k = 0; k < FG_ARRAY_LEN(ops); k++) {
        size_t n = strlen(ops[k].t);
        if (!strncmp(p->s + p->i, ops[k].t, n)) {
            *op = ops[k].op;
            p->i += n;
            return true;
        }
    }
    return false;
}

static int parse_primary(parser *p, fnode **out)
{
    skip_ws(p);
    if (++p->depth > 64)
        return perr(p, "filter nested too deeply");
    int rc;
    if (p->s[p->i] == '!') {
        p->i++;
        fnode *f = fnew(F_NOT);
        if (!f)
            return FG_ENOMEM;
        f->kind = F_NOT;
        *out = f;
        rc = parse_primary(p, &f->a);
    } else if (p->s[p->i] == '(') {
        p->i++;
        rc = parse_filter_expr(p, out);
        skip_ws(p);
        if (!rc && p->s[p->i] != ')')
            rc = perr(p, "expected ')'");
        else if (!rc)
            p->i++;
    } else {
        fnode *left = NULL;
        rc = parse_operand(p, &left);
        cmpop op;
        if (!rc && parse_cmpop(p, &op)) {
            fnode *f = fnew(F_CMP);
            if (!f) {
                fnode_free(left);
                return FG_ENOMEM;
            }
            f->kind = F_CMP;
            f->op = op;
            f->a = left;
            *out = f;
            rc = parse_operand(p, &f->b);
        } else if (!rc) {
            fnode *f = fnew(F_EXISTS);
            if (!f) {
                fnode_free(left);
                return FG_ENOMEM;
            }
            f->kind = F_EXISTS;
            f->a = left;
            *out = f;
        } else {
            *out = left;
        }
    }
    p->depth--;
    return rc;
}

static int parse_binary(parser *p, fnode **out, int level)
{
    static const char *toks[] = {"||", "&&"};
    int rc = level == 1 ? parse_primary(p, out) : parse_binary(p, out, 1);
    while (!rc) {
        skip_ws(p);
        if (strncmp(p->s + p->i, toks[level], 2) != 0)
            break;
        p->i += 2;
        fnode *f = fnew(F_OR);
        if (!f)
            return FG_ENOMEM;
        f->kind = level == 0 ? F_OR : F_AND;
        f->a = *out;
        *out = f;
        rc = level == 1 ? parse_primary(p, &f->b) : parse_binary(p, &f->b, 1);
    }
    return rc;
}

static int parse_filter_expr(parser *p, fnode **out)
{
    *out = NULL;
    return parse_binary(p, out, 0);
}

/* ---- freeing ------------------------------------------------------------ */

static void jp_free_segs(seg *segs, int n)
{
    for (int i = 0; i < n; i++) {
        seg *s = &segs[i];
        free(s->name);
        for (int k = 0; k < s->n && s->names; k++)
            free(s->names[k]);
        free(s->names);
        free(s->indexes);
        fnode_free(s->filter);
    }
}

void fg__jp_free(fg__jp *p)
{
    if (!p)
        return;
    jp_free_segs(p->segs, p->nsegs);
    free(p->segs);
    free(p->text);
    free(p->var);
    free(p);
}

const char *fg__jp_text(const fg__jp *p) { return p->text; }
bool fg__jp_is_context(const fg__jp *p) { return p->context; }
bool fg__jp_is_definite(const fg__jp *p) { return p->definite; }
bool fg__jp_is_reference(const fg__jp *p) { return p->reference; }
const char *fg__jp_var(const fg__jp *p) { return p->var; }

/* ---- evaluation --------------------------------------------------------- */

typedef struct walker {
    json_t *root;
    json_t *out;
    size_t max;
    int err;
} walker;

static void walk(walker *w, const fg__jp *jp, int i, json_t *v);

static bool fnode_true(walker *w, const fnode *f, json_t *cur);

static void emit(walker *w, json_t *v)
{
    if (w->err)
        return;
    if (json_array_size(w->out) >= w->max) {
        w->err = FG_ELIMIT;
        return;
    }
    json_array_append(w->out, v);
}

static long norm_index(long i, size_t n)
{
    return i < 0 ? (long)n + i : i;
}

static void apply_slice(walker *w, const fg__jp *jp, int i, const seg *s, json_t *v)
{
    long n = (long)json_array_size(v);
    long st = s->step;
    long a, b;
    if (st > 0) {
        a = s->has_start ? norm_index(s->start, (size_t)n) : 0;
        b = s->has_end ? norm_index(s->end, (size_t)n) : n;
        if (a < 0) a = 0;
        if (b > n) b = n;
        for (long k = a; k < b; k += st)
            walk(w, jp, i + 1, json_array_get(v, (size_t)k));
    } else {
        a = s->has_start ? norm_index(s->start, (size_t)n) : n - 1;
        b = s->has_end ? norm_index(s->end, (size_t)n) : -1;
        if (a >= n) a = n - 1;
        for (long k = a; k > b && k >= 0; k += st)
            walk(w, jp, i + 1, json_array_get(v, (size_t)k));
    }
}

static void apply_seg(walker *w, const fg__jp *jp, int i, json_t *v)
{
    const seg *s = &jp->segs[i];
    switch (s->kind) {
    case SEG_NAME: {
        json_t *c = json_is_object(v) ? json_object_get(v, s->name) : NULL;
        if (c)
            walk(w, jp, i + 1, c);
        break;
    }
    case SEG_INDEX:
        if (json_is_array(v)) {
            long k = norm_index(s->index, json_array_size(v));
            if (k >= 0 && (size_t)k < json_array_size(v))
                walk(w, jp, i + 1, json_array_get(v, (size_t)k));
        }
        break;
    case SEG_WILD:
        if (json_is_array(v)) {
            for (size_t k = 0; k < json_array_size(v); k++)
                walk(w, jp, i + 1, json_array_get(v, k));
        } else if (json_is_object(v)) {
            const char *key;
            json_t *c;
            json_object_foreach(v, key, c) walk(w, jp, i + 1, c);
        }
        break;
    case SEG_SLICE:
        if (json_is_array(v))
            apply_slice(w, jp, i, s, v);
        break;
    case SEG_NAMES:
        for (int k = 0; k < s->n && json_is_object(v); k++) {
            json_t *c = json_object_get(v, s->names[k]);
            if (c)
                walk(w, jp, i + 1, c);
        }
        break;
    case SEG_INDEXES:
        for (int k = 0; k < s->n && json_is_array(v); k++) {
            long x = norm_index(s->indexes[k], json_array_size(v));
            if (x >= 0 && (size_t)x < json_array_size(v))
                walk(w, jp, i + 1, json_array_get(v, (size_t)x));
        }
        break;
    case SEG_FILTER:
        if (json_is_array(v)) {
            for (size_t k = 0; k < json_array_size(v); k++)
                if (fnode_true(w, s->filter, json_array_get(v, k)))
                    walk(w, jp, i + 1, json_array_get(v, k));
        } else if (json_is_object(v) && fnode_true(w, s->filter, v)) {
            walk(w, jp, i + 1, v);
        }
        break;
    }
}

static void descend(walker *w, const fg__jp *jp, int i, json_t *v, int depth)
{
    if (w->err || depth > 4096)
        return;
    apply_seg(w, jp, i, v);
    if (json_is_array(v)) {
        for (size_t k = 0; k < json_array_size(v); k++)
            descend(w, jp, i, json_array_get(v, k), depth + 1);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *c;
        json_object_foreach(v, key, c) descend(w, jp, i, c, depth + 1);
    }
}

static void walk(walker *w, const fg__jp *jp, int i, json_t *v)
{
    if (w->err)
        return;
    if (i == jp->nsegs) {
        emit(w, v);
        return;
    }
    if (jp->segs[i].descent)
        descend(w, jp, i, v, 0);
    else
        apply_seg(w, jp, i, v);
}

static json_t *definite_get(const fg__jp *jp, json_t *v)
{
    for (int i = 0; i < jp->nsegs && v; i++) {
        const seg *s = &jp->segs[i];
        if (s->kind == SEG_NAME) {
            v = json_is_object(v) ? json_object_get(v, s->name) : NULL;
        } else {
            if (!json_is_array(v))
                return NULL;
            long k = norm_index(s->index, json_array_size(v));
            v = k >= 0 ? json_array_get(v, (size_t)k) : NULL;
        }
    }
    return v;
}

json_t *fg__jp_eval(const fg__jp *p, json_t *doc, size_t max_results, int *err)
{
    *err = 0;
    if (p->definite) {
        json_t *v = definite_get(p, doc);
        if (!v)
            *err = FG_ENOTFOUND;
        return json_incref(v);
    }
    walker w = {doc, json_array(), max_results ? max_results : 100000, 0};
    walk(&w, p, 0, doc);
    if (w.err) {
        *err = w.err;
        json_decref(w.out);
        return NULL;
    }
    return w.out;
}

/* ---- filter evaluation --------------------------------------------------- */

static json_t *operand_value(walker *w, const fnode *f, json_t *cur, bool *owned)
{
    *owned = false;
    if (f->kind == F_LIT)
        return f->lit;
    json_t *base = f->relative ? cur : w->root;
    if (f->path->definite)
        return definite_get(f->path, base);
    int err;
    *owned = true;
    return fg__jp_eval(f->path, base, w->max, &err);
}

static int cmp_values(json_t *a, json_t *b, bool *comparable)
{
    *comparable = true;
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    *comparable = false;
    return 0;
}

static bool in_array(json_t *a, json_t *arr)
{
    for (size_t k = 0; k < json_array_size(arr); k++)
        if (json_equal(a, json_array_get(arr, k)))
            return true;
    return false;
}

static bool cmp_true(cmpop op, json_t *a, json_t *b)
{
    if (!a || !b)
        return op == C_NE && (a || b);
    bool ok;
    int c;
    switch (op) {
    case C_EQ:
        c = cmp_values(a, b, &ok);
        return ok ? c == 0 : json_equal(a, b);
    case C_NE:
        c = cmp_values(a, b, &ok);
        return ok ? c != 0 : !json_equal(a, b);
    case C_IN:
        return json_is_array(b) && in_array(a, b);
    case C_NIN:
        return json_is_array(b) && !in_array(a, b);
    default:
        c = cmp_values(a, b, &ok);
        if (!ok)
            return false;
        return op == C_LT ? c < 0 : op == C_LE ? c <= 0 : op == C_GT ? c > 0 : c >= 0;
    }
}

static bool fnode_true(walker *w, const fnode *f, json_t *cur)
{
    switch (f->kind) {
    case F_OR:
        return fnode_true(w, f->a, cur) || fnode_true(w, f->b, cur);
    case F_AND:
        return fnode_true(w, f->a, cur) && fnode_true(w, f->b, cur);
    case F_NOT:
        return !fnode_true(w, f->a, cur);
    case F_EXISTS: {
        bool owned;
        json_t *v = operand_value(w, f->a, cur, &owned);
        bool r = v != NULL && (!owned || json_array_size(v) > 0);
        if (owned)
            json_decref(v);
        return r;
    }
    case F_CMP: {
        bool oa, ob;
        json_t *a = operand_value(w, f->a, cur, &oa);
        json_t *b = operand_value(w, f->b, cur, &ob);
        bool r = cmp_true(f->op, a, b);
        if (oa)
            json_decref(a);
        if (ob)
            json_decref(b);
        return r;
    }
    default:
        return false;
    }
}

/* ---- set ----------------------------------------------------------------- */

int fg__jp_set(const fg__jp *p, json_t **doc, json_t *val)
{
    if (p->nsegs == 0) {
        json_decref(*doc);
        *doc = val;
        return 0;
    }
    json_t *cur = *doc;
    for (int i = 0; i < p->nsegs; i++) {
        const seg *s = &p->segs[i];
        bool last = i == p->nsegs - 1;
        if (s->kind == SEG_NAME && json_is_object(cur)) {
            if (last)
                return json_object_set_new(cur, s->name, val) ? FG_ENOMEM : 0;
            json_t *nx = json_object_get(cur, s->name);
            if (!nx) {
                nx = json_object();
                if (json_object_set_new(cur, s->name, nx) != 0)
                    break; /* a key that is not UTF-8 */
            }
            cur = nx;
        } else if (s->kind == SEG_INDEX && json_is_array(cur)) {
            long k = norm_index(s->index, json_array_size(cur));
            if (k < 0 || (size_t)k >= json_array_size(cur))
                break;
            if (last)
                return json_array_set_new(cur, (size_t)k, val) ? FG_ENOMEM : 0;
            cur = json_array_get(cur, (size_t)k);
        } else {
            break;
        }
    }
    json_decref(val);
    return FG_EINVAL;
}
