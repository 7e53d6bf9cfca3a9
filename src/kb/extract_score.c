/* Extraction quality: F1 over word 4-gram shingles, and whole-HTML text. */
#include "kb/extract_int.h"
#include "kb/utf8.h"

#include <stdlib.h>
#include <string.h>

#define SHINGLE 4

/* Hashes of every run of SHINGLE consecutive words (or of all the words when
 * fewer), sorted. Words: lowercased runs of letters and digits (non-ASCII
 * counts as a letter). */
static uint64_t *shingles(const char *s, size_t *n)
{
    size_t len = strlen(s), nw = 0, cap = 64;
    uint64_t *w = malloc(cap * sizeof *w);
    if (!w)
        return NULL;
    for (size_t i = 0; i < len;) {
        uint64_t h = 1469598103934665603ull;
        bool any = false;
        while (i < len) {
            size_t l;
            uint32_t c = fg_kb_utf8_decode(s + i, len - i, &l);
            bool word = (c < 0x80 && ((c | 32) - 'a' < 26 || c - '0' < 10)) ||
                        (c >= 0x80 && !fg_kb_is_space(c) && !(c >= 0x2000 && c <= 0x206F) &&
                         c != 0xA0 && c != 0xFFFD);
            if (!word && any)
                break;
            i += l;
            if (word) {
                h = (h ^ fg_kb_lower(c)) * 1099511628211ull;
                any = true;
            }
        }
        if (!any)
            continue;
        if (nw == cap) {
            uint64_t *b = realloc(w, cap * 2 * sizeof *w);
            if (!b) {
                free(w);
                return NULL;
            }
            w = b;
            cap *= 2;
        }
        w[nw++] = h;
    }
    size_t ns = nw >= SHINGLE ? nw - SHINGLE + 1 : nw > 0;
    for (size_t i = 0; i < ns; i++) {
        uint64_t h = 0;
        for (size_t k = 0; k < SHINGLE && i + k < nw; k++)
            h = (h ^ w[i + k]) * 0x100000001b3ull + k;
        w[i] = h;
    }
    *n = ns;
    return w;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double fg_kb_shingle_f1(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    uint64_t *sa = shingles(a, &na), *sb = shingles(b, &nb);
    double f1 = 0;
    if (sa && sb) {
        if (!na && !nb) {
            f1 = 1;
        } else if (na && nb) {
            qsort(sa, na, sizeof *sa, cmp_u64);
            qsort(sb, nb, sizeof *sb, cmp_u64);
            size_t i = 0, j = 0, common = 0; /* multiset intersection */
            while (i < na && j < nb) {
                if (sa[i] == sb[j])
                    common++, i++, j++;
                else if (sa[i] < sb[j])
                    i++;
                else
                    j++;
            }
            double p = (double)common / (double)na, r = (double)common / (double)nb;
            f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        }
    }
    free(sa);
    free(sb);
    return f1;
}

char *fg_kb_html_text(const char *html, size_t len, fg_errbuf *eb)
{
    GumboOptions gopts = kGumboDefaultOptions;
    gopts.max_errors = 0;
    GumboOutput *out = gumbo_parse_with_options(&gopts, html, len);
    if (!out) {
        fg_failf(eb, FG_ENOMEM, "html: out of memory parsing");
        return NULL;
    }
    fg_kb_dom dom;
    fg_kb_doc doc = {0};
    char *text = NULL;
    if (fg_kb_dom_build(&dom, out, 256) == 0 && fg__kb_render_blocks(dom.body, 64u << 20, &doc) == 0)
        text = fg_kb_doc_text(&doc);
    fg_kb_doc_free(&doc);
    fg_kb_dom_free(&dom);
    gumbo_destroy_output(&gopts, out);
    if (!text)
        fg_failf(eb, FG_ENOMEM, "html: out of memory");
    return text;
}
