/* The built-in function tables, one per family, gathered by builtins.c. */
#ifndef FG_JSONATA_FN_INT_H
#define FG_JSONATA_FN_INT_H

#include "jsonata/jsonata_int.h"

extern const jbuiltin jx_string_builtins[];
extern const jbuiltin jx_numeric_builtins[];
extern const jbuiltin jx_array_builtins[];
extern const jbuiltin jx_misc_builtins[];

/* Runs a matcher (regex or function) on s from byte offset `from`. */
jv *jx_match_at(jctx *c, jv *matcher, jv *s, size_t from, size_t *ms, size_t *me, jenv *env, jv **last);

#endif
