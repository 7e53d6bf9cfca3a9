/* Shared by the tokenizer, the Pratt parser and the AST optimizer. */
#ifndef FG_JSONATA_PARSER_INT_H
#define FG_JSONATA_PARSER_INT_H

#include "jsonata/jsonata_int.h"

enum jtok_type { T_END = 1, T_NAME, T_VARIABLE, T_OPERATOR, T_STRING, T_NUMBER, T_VALUE, T_REGEX };

typedef struct jtok {
    int type;
    const char *s; /* operator text, name, string value (unescaped), regex pattern */
    size_t len;
    double num;    /* T_NUMBER; T_VALUE: 0 null, 1 true, 2 false */
    const char *flags; /* T_REGEX */
    int pos;
} jtok;

typedef struct jparser {
    fg_arena *a;
    const char *src;
    size_t len, at;
    jtok tok;       /* the current token */
    jmp_buf jb;
    fg_jsonata_error *err;
    int depth;
    jnode **ancestry;  /* parent nodes by slot index */
    size_t nanc, capanc;
    int next_label;
} jparser;

_Noreturn void jp_fail(jparser *p, const char *code, int pos, const char *token, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void *jp_alloc(jparser *p, size_t n);
void jp_list_push(jparser *p, jnlist *l, jnode *n);
/* Reads the next token into p->tok; infix: a '/' is division, not a regex. */
void jp_lex(jparser *p, bool infix);
jnode *jp_optimize(jparser *p, jnode *e);

#endif
