/* A Pratt (top-down operator precedence) parser for JSONata. It builds the raw
 * syntax tree; ast.c then rewrites it into the form the evaluator runs. */
#include "jsonata/parser_int.h"

#include <string.h>

#define MAX_PARSE_DEPTH 400

static bool tok_is(const jtok *t, const char *op)
{
    return t->type == T_OPERATOR && t->len == strlen(op) && memcmp(t->s, op, t->len) == 0;
}

static bool cur_is(jparser *p, const char *op)
{
    return tok_is(&p->tok, op);
}

static int lbp(const jtok *t)
{
    if (t->type != T_OPERATOR)
        return 0;
    static const struct { const char *op; int bp; } table[] = {
        {".", 75}, {"[", 80}, {"{", 70}, {"(", 80}, {"@", 80}, {"#", 80}, {"?", 20},
        {"+", 50}, {"-", 50}, {"*", 60}, {"/", 60}, {"%", 60}, {"=", 40}, {"<", 40},
        {">", 40}, {"^", 40}, {":=", 10}, {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40},
        {"?:", 40}, {"??", 40}, {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50},
    };
    for (size_t i = 0; i < FG_ARRAY_LEN(table); i++)
        if (tok_is(t, table[i].op))
            return table[i].bp;
    return 0;
}

static const char *tok_text(jparser *p, const jtok *t)
{
    switch (t->type) {
    case T_END: return "(end)";
    case T_NUMBER: return "(number)";
    case T_VALUE: return t->num == 1 ? "true" : t->num == 2 ? "false" : "null";
    default: {
        char *s = jp_alloc(p, t->len + 1);
        memcpy(s, t->s, t->len);
        return s;
    }
    }
}

static void check_known_operator(jparser *p)
{
    static const char *const known[] = {".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";",
                                        ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">",
                                        "^", "**", "..", ":=", "!=", "<=", ">=", "~>", "?:", "??",
                                        "and", "or", "in", "&"};
    if (p->tok.type != T_OPERATOR)
        return;
    for (size_t i = 0; i < FG_ARRAY_LEN(known); i++)
        if (cur_is(p, known[i]))
            return;
    jp_fail(p, "S0204", p->tok.pos, tok_text(p, &p->tok), "unknown operator: %s", tok_text(p, &p->tok));
}

/* Moves past the current token, which must be `id` when id is given. */
static void advance(jparser *p, const char *id, bool infix)
{
    if (id && !cur_is(p, id)) {
        const char *code = p->tok.type == T_END ? "S0203" : "S0202";
        jp_fail(p, code, p->tok.pos, tok_text(p, &p->tok), "expected '%s', got '%s'", id,
                tok_text(p, &p->tok));
    }
    jp_lex(p, infix);
    check_known_operator(p);
}

static jnode *node(jparser *p, int type, int pos)
{
    jnode *n = jp_alloc(p, sizeof *n);
    n->type = (uint8_t)type;
    n->pos = pos;
    return n;
}

static jnode *expression(jparser *p, int rbp);

static jnode *nud_function_args(jparser *p, jnode *call)
{
    if (!cur_is(p, ")")) {
        for (;;) {
            if (cur_is(p, "?")) {
                call->type = N_PARTIAL;
                jp_list_push(p, &call->items, node(p, N_PLACEHOLDER, p->tok.pos));
                advance(p, "?", false);
            } else {
                jp_list_push(p, &call->items, expression(p, 0));
            }
            if (!cur_is(p, ","))
                break;
            advance(p, ",", false);
        }
    }
    advance(p, ")", true);
    return call;
}

static void parse_lambda_signature(jparser *p, jnode *fn)
{
    int sigpos = p->tok.pos;
    size_t start = (size_t)p->tok.pos - 1;
    int depth = 1;
    while (depth > 0 && !cur_is(p, "{") && p->tok.type != T_END) {
        advance(p, NULL, false);
        if (cur_is(p, ">"))
            depth--;
        else if (cur_is(p, "<"))
            depth++;
    }
    size_t end = (size_t)p->tok.pos;
    advance(p, ">", false);
    int off = 0;
    fn->sig = jx_sig_parse(p->src + start, end - start, &off);
    if (!fn->sig && off < 0)
        jp_fail(p, "S0402", sigpos - 1 - off, NULL, "choice groups containing parameterised types are not supported");
    if (!fn->sig)
        jp_fail(p, "S0401", sigpos + off, NULL, "invalid function signature");
    /* the signature is freed with the expression */
    fg_arena_on_cleanup(p->a, (fg_cleanup_fn)jx_sig_free, fn->sig);
}

static jnode *led_call(jparser *p, jnode *left, int pos)
{
    jnode *call = node(p, N_FUNCTION, pos);
    call->procedure = left;
    nud_function_args(p, call);
    if (left->type == N_NAME && ((left->slen == 8 && memcmp(left->str, "function", 8) == 0) ||
                                 (left->slen == 2 && memcmp(left->str, "\xce\xbb", 2) == 0))) {
        for (size_t i = 0; i < call->items.n; i++)
            if (call->items.v[i]->type != N_VARIABLE)
                jp_fail(p, "S0208", call->items.v[i]->pos, NULL,
                        "parameter %zu of function definition must be a variable name (start with $)", i + 1);
        call->type = N_LAMBDA;
        if (cur_is(p, "<"))
            parse_lambda_signature(p, call);
        advance(p, "{", false);
        call->body = expression(p, 0);
        advance(p, "}", false);
    }
    return call;
}

static jnode *parse_object(jparser *p, jnode *left, int pos)
{
    jnode *o = node(p, left ? N_P_GROUP : N_OBJECT, pos);
    o->lhs = left;
    if (!cur_is(p, "}")) {
        for (;;) {
            jnode *k = expression(p, 0);
            advance(p, ":", false);
            jnode *v = expression(p, 0);
            jp_list_push(p, &o->items, k);
            jp_list_push(p, &o->items, v);
            if (!cur_is(p, ","))
                break;
            advance(p, ",", false);
        }
    }
    advance(p, "}", true);
    return o;
}

static jnode *nud_array(jparser *p, int pos)
{
    jnode *a = node(p, N_ARRAY, pos);
    if (!cur_is(p, "]")) {
        for (;;) {
            jnode *item = expression(p, 0);
            if (cur_is(p, "..")) {
                jnode *r = node(p, N_BINARY, p->tok.pos);
                r->op = OP_RANGE;
                r->lhs = item;
                advance(p, "..", false);
                r->rhs = expression(p, 0);
                item = r;
            }
            jp_list_push(p, &a->items, item);
            if (!cur_is(p, ","))
                break;
            advance(p, ",", false);
        }
    }
    advance(p, "]", true);
    return a;
}

static jnode *nud_block(jparser *p, int pos)
{
    jnode *b = node(p, N_BLOCK, pos);
    while (!cur_is(p, ")")) {
        jp_list_push(p, &b->items, expression(p, 0));
        if (!cur_is(p, ";"))
            break;
        advance(p, ";", false);
    }
    advance(p, ")", true);
    return b;
}

static jnode *nud_transform(jparser *p, int pos)
{
    jnode *t = node(p, N_TRANSFORM, pos);
    t->lhs = expression(p, 0);
    advance(p, "|", false);
    t->rhs = expression(p, 0);
    if (cur_is(p, ",")) {
        advance(p, ",", false);
        t->third = expression(p, 0);
    }
    advance(p, "|", false);
    return t;
}

static jnode *nud_operator(jparser *p, const jtok *t)
{
    int pos = t->pos;
    if (tok_is(t, "-")) {
        jnode *n = node(p, N_NEG, pos);
        n->lhs = expression(p, 70);
        return n;
    }
    if (tok_is(t, "*"))
        return node(p, N_WILDCARD, pos);
    if (tok_is(t, "**"))
        return node(p, N_DESCENDANT, pos);
    if (tok_is(t, "%"))
        return node(p, N_PARENT, pos);
    if (tok_is(t, "("))
        return nud_block(p, pos);
    if (tok_is(t, "["))
        return nud_array(p, pos);
    if (tok_is(t, "{"))
        return parse_object(p, NULL, pos);
    if (tok_is(t, "|"))
        return nud_transform(p, pos);
    if (tok_is(t, "and") || tok_is(t, "or") || tok_is(t, "in")) {
        jnode *n = node(p, N_NAME, pos);
        n->str = t->s;
        n->slen = t->len;
        return n;
    }
    jp_fail(p, "S0211", pos, tok_text(p, t), "the symbol %s cannot be used as a unary operator",
            tok_text(p, t));
}

static jnode *nud(jparser *p, const jtok *t)
{
    jnode *n;
    switch (t->type) {
    case T_NAME:
        n = node(p, N_NAME, t->pos);
        n->str = tok_text(p, t);
        n->slen = t->len;
        return n;
    case T_VARIABLE:
        n = node(p, N_VARIABLE, t->pos);
        n->str = tok_text(p, t);
        n->slen = t->len;
        return n;
    case T_STRING:
        n = node(p, N_STRING, t->pos);
        n->str = t->s;
        n->slen = t->len;
        return n;
    case T_NUMBER:
        n = node(p, N_NUMBER, t->pos);
        n->num = t->num;
        return n;
    case T_VALUE:
        n = node(p, N_VALUE, t->pos);
        n->num = t->num;
        return n;
    case T_REGEX: {
        n = node(p, N_REGEX, t->pos);
        char msg[128];
        n->regex = jx_regex_compile(p->a, t->s, t->len, t->flags, msg, sizeof msg);
        if (!n->regex)
            jp_fail(p, "S0303", t->pos, NULL, "invalid regular expression: %s", msg);
        n->str = t->s;
        n->slen = t->len;
        return n;
    }
    case T_END:
        jp_fail(p, "S0207", t->pos, "(end)", "unexpected end of expression");
    default:
        return nud_operator(p, t);
    }
}

static jnode *led_sort(jparser *p, jnode *left, int pos)
{
    advance(p, "(", false);
    jnode *s = node(p, N_P_SORT, pos);
    s->lhs = left;
    for (;;) {
        jnode *term = node(p, N_SORT, p->tok.pos);
        if (cur_is(p, "<")) {
            advance(p, "<", false);
        } else if (cur_is(p, ">")) {
            term->descending = true;
            advance(p, ">", false);
        }
        term->lhs = expression(p, 0);
        jp_list_push(p, &s->items, term);
        if (!cur_is(p, ","))
            break;
        advance(p, ",", false);
    }
    advance(p, ")", false);
    return s;
}

static jnode *led_predicate(jparser *p, jnode *left, int pos)
{
    if (cur_is(p, "]")) {
        jnode *step = left;
        while (step && step->type == N_P_PREDICATE)
            step = step->lhs;
        step->keep_array = true;
        advance(p, "]", true);
        return left;
    }
    jnode *n = node(p, N_P_PREDICATE, pos);
    n->lhs = left;
    n->rhs = expression(p, 0);
    advance(p, "]", true);
    return n;
}

static jnode *binary(jparser *p, int type, int op, jnode *left, int pos, int bp)
{
    jnode *n = node(p, type, pos);
    n->op = (uint8_t)op;
    n->lhs = left;
    n->rhs = expression(p, bp);
    return n;
}

static int binop(const jtok *t)
{
    static const struct { const char *s; int op; } ops[] = {
        {"+", OP_ADD}, {"-", OP_SUB}, {"*", OP_MUL}, {"/", OP_DIV}, {"%", OP_MOD},
        {"=", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {"<=", OP_LE}, {">", OP_GT},
        {">=", OP_GE}, {"&", OP_CONCAT}, {"and", OP_AND}, {"or", OP_OR}, {"in", OP_IN},
    };
    for (size_t i = 0; i < FG_ARRAY_LEN(ops); i++)
        if (tok_is(t, ops[i].s))
            return ops[i].op;
    return OP_NONE;
}

static jnode *led(jparser *p, const jtok *t, jnode *left)
{
    int pos = t->pos, bp = lbp(t);
    int op = binop(t);
    if (op != OP_NONE)
        return binary(p, N_BINARY, op, left, pos, bp);
    if (tok_is(t, "."))
        return binary(p, N_P_DOT, OP_NONE, left, pos, bp);
    if (tok_is(t, "("))
        return led_call(p, left, pos);
    if (tok_is(t, "["))
        return led_predicate(p, left, pos);
    if (tok_is(t, "{"))
        return parse_object(p, left, pos);
    if (tok_is(t, "^"))
        return led_sort(p, left, pos);
    if (tok_is(t, "~>"))
        return binary(p, N_APPLY, OP_NONE, left, pos, bp);
    if (tok_is(t, ":=")) {
        if (left->type != N_VARIABLE)
            jp_fail(p, "S0212", pos, NULL, "the left side of := must be a variable name (start with $)");
        return binary(p, N_BIND, OP_NONE, left, pos, bp - 1);
    }
    if (tok_is(t, "@") || tok_is(t, "#")) {
        jnode *n = binary(p, tok_is(t, "@") ? N_P_FOCUS : N_P_INDEX, OP_NONE, left, pos, bp);
        if (n->rhs->type != N_VARIABLE)
            jp_fail(p, "S0214", pos, tok_text(p, t), "the right side of %s must be a variable name (start with $)",
                    tok_text(p, t));
        return n;
    }
    if (tok_is(t, "?")) {
        jnode *n = node(p, N_CONDITION, pos);
        n->lhs = left;
        n->rhs = expression(p, 0);
        if (cur_is(p, ":")) {
            advance(p, ":", false);
            n->third = expression(p, 0);
            n->has_else = true;
        }
        return n;
    }
    if (tok_is(t, "?:"))
        return binary(p, N_ELVIS, OP_NONE, left, pos, 0);
    if (tok_is(t, "??"))
        return binary(p, N_COALESCE, OP_NONE, left, pos, 0);
    jp_fail(p, "S0201", pos, tok_text(p, t), "syntax error: %s", tok_text(p, t));
}

static jnode *expression(jparser *p, int rbp)
{
    if (++p->depth > MAX_PARSE_DEPTH)
        jp_fail(p, "S0201", p->tok.pos, NULL, "expression nested more than %d levels deep", MAX_PARSE_DEPTH);
    jtok t = p->tok;
    advance(p, NULL, true);
    jnode *left = nud(p, &t);
    while (rbp < lbp(&p->tok)) {
        t = p->tok;
        advance(p, NULL, false);
        left = led(p, &t, left);
    }
    p->depth--;
    return left;
}

jnode *jx_parse(fg_arena *a, const char *src, size_t len, fg_jsonata_error *err)
{
    jparser *p = fg_arena_alloc(a, sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->a = a;
    p->src = src;
    p->len = len;
    p->err = err;
    if (setjmp(p->jb))
        return NULL;
    jp_lex(p, false);
    check_known_operator(p);
    jnode *e = expression(p, 0);
    if (p->tok.type != T_END)
        jp_fail(p, "S0201", p->tok.pos, tok_text(p, &p->tok), "syntax error: unexpected '%s'",
                tok_text(p, &p->tok));
    return jp_optimize(p, e);
}
