/* Regular expressions: JavaScript syntax compiled with PCRE2 (UTF mode, \u
 * escapes, `$` only at the end unless /m), matched under a backtracking limit. */
#include "jsonata/jsonata_int.h"

#include <stdio.h>
#include <string.h>

static void free_code(void *p)
{
    pcre2_code_free(p);
}

jregex *jx_regex_compile(fg_arena *a, const char *pat, size_t len, const char *flags, char *errmsg,
                         size_t errlen)
{
    uint32_t opts = PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
    for (const char *f = flags; f && *f; f++) {
        if (*f == 'i')
            opts |= PCRE2_CASELESS;
        else if (*f == 'm')
            opts |= PCRE2_MULTILINE;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR buf[120];
        pcre2_get_error_message(ec, buf, sizeof buf);
        snprintf(errmsg, errlen, "%s at offset %zu", (char *)buf, (size_t)eo);
        return NULL;
    }
    jregex *re = fg_arena_alloc(a, sizeof *re);
    if (!re || fg_arena_on_cleanup(a, free_code, code) != 0) {
        pcre2_code_free(code);
        snprintf(errmsg, errlen, "out of memory");
        return NULL;
    }
    re->code = code;
    re->src = fg_arena_strndup(a, pat, len);
    return re;
}

/* Returns the match object {match, start, end, groups} or NULL; byte offsets
 * of the match in *ms and *me. */
jv *jx_regex_exec(jctx *c, const jregex *re, jv *str, size_t from, size_t *ms, size_t *me)
{
    const char *s = str->u.s.s;
    size_t n = str->u.s.len;
    if (from > n)
        return NULL;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (!md)
        jx_fail(c, "U1002", "out of memory");
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (mc)
        pcre2_set_match_limit(mc, c->match_limit);
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, from, 0, md, mc);
    pcre2_match_context_free(mc);
    if (rc < 0) {
        pcre2_match_data_free(md);
        if (rc == PCRE2_ERROR_NOMATCH)
            return NULL;
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
            jx_fail(c, "U1003", "regular expression /%s/ exceeded its backtracking limit", re->src);
        jx_fail(c, "D1004", "regular expression matching failed (%d)", rc);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t a = ov[0], b = ov[1];
    jv *m = jx_obj(c, 4);
    jx_set(c, m, "match", 5, jx_str(c, s + a, b - a));
    jx_set(c, m, "start", 5, jx_num(c, (double)jx_utf8_len(s, a)));
    jx_set(c, m, "end", 3, jx_num(c, (double)jx_utf8_len(s, b)));
    jv *groups = jx_arr(c, (size_t)rc);
    for (int g = 1; g < rc; g++) {
        if (ov[2 * g] == PCRE2_UNSET)
            jx_push(c, groups, jx_str(c, "", 0));
        else
            jx_push(c, groups, jx_str(c, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
    }
    uint32_t total = 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &total);
    for (uint32_t g = (uint32_t)(rc > 0 ? rc : 1); g <= total; g++)
        jx_push(c, groups, jx_str(c, "", 0));
    jx_set(c, m, "groups", 6, groups);
    pcre2_match_data_free(md);
    *ms = a;
    *me = b;
    return m;
}

jv *jx_call_regex(jctx *c, const jregex *re, jv *str)
{
    size_t a, b;
    return jx_regex_exec(c, re, str, 0, &a, &b);
}
