/* A document's bytes into blocks: the type comes from the media type, then the
 * file name, then the first bytes. Text, Markdown and HTML must be UTF-8 with
 * no NUL bytes; anything else is refused as binary. */
#include "knowledge/kn_int.h"

#include "core/json.h"
#include "kb/pdf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum kind { K_UNKNOWN, K_TEXT, K_MARKDOWN, K_HTML, K_PDF } kind;

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcasecmp(name + n - s, suffix) == 0;
}

static bool type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static kind by_type(const char *ct)
{
    if (type_is(ct, "application/pdf"))
        return K_PDF;
    if (type_is(ct, "text/html") || type_is(ct, "application/xhtml+xml"))
        return K_HTML;
    if (type_is(ct, "text/markdown") || type_is(ct, "text/x-markdown"))
        return K_MARKDOWN;
    if (type_is(ct, "text/plain"))
        return K_TEXT;
    return K_UNKNOWN;
}

static kind by_name(const char *name)
{
    static const struct {
        const char *suffix;
        kind k;
    } map[] = {{".pdf", K_PDF},      {".html", K_HTML},    {".htm", K_HTML},
               {".xhtml", K_HTML},   {".md", K_MARKDOWN},  {".markdown", K_MARKDOWN},
               {".txt", K_TEXT},     {".text", K_TEXT},    {".rst", K_TEXT},
               {".csv", K_TEXT},     {".json", K_TEXT},    {".log", K_TEXT}};
    for (size_t i = 0; name && i < FG_ARRAY_LEN(map); i++)
        if (has_suffix(name, map[i].suffix))
            return map[i].k;
    return K_UNKNOWN;
}

static kind sniff(const char *data, size_t len)
{
    if (len >= 5 && memcmp(data, "%PDF-", 5) == 0)
        return K_PDF;
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    if (len - i >= 9 && (strncasecmp(data + i, "<!doctype", 9) == 0 ||
                         strncasecmp(data + i, "<html", 5) == 0))
        return K_HTML;
    return K_TEXT;
}

static int check_text(const char *data, size_t len, fg_errbuf *eb)
{
    if (memchr(data, 0, len))
        return fg_failf(eb, FG_EUNSUPPORTED, "binary content (NUL bytes) is not a text document");
    if (!fg_utf8_valid(data, len))
        return fg_failf(eb, FG_EPARSE, "the document is not valid UTF-8");
    return 0;
}

static int from_pdf(const char *data, size_t len, const kn_limits *lim, fg_kb_doc *doc,
                    fg_errbuf *eb)
{
    char *text = NULL, *title = NULL;
    int rc = fg_kb_pdf_text(data, len, lim->max_document_bytes, &text, &title, eb);
    if (rc)
        return rc;
    if (!fg_utf8_valid(text, strlen(text))) {
        free(text);
        free(title);
        return fg_failf(eb, FG_EPARSE, "the PDF's text is not valid UTF-8");
    }
    rc = fg_kb_markdown_doc(text, strlen(text), doc, eb);
    free(text);
    if (!rc && title) {
        free(doc->title);
        doc->title = title;
        title = NULL;
    }
    free(title);
    return rc;
}

int fg__kn_convert(const char *name, const char *content_type, const char *data, size_t len,
                   const kn_limits *lim, fg_kb_doc *doc, fg_errbuf *eb)
{
    memset(doc, 0, sizeof *doc);
    if (len > lim->max_document_bytes)
        return fg_failf(eb, FG_ELIMIT, "the document has %zu bytes, more than the limit of %zu",
                        len, lim->max_document_bytes);
    kind k = by_type(content_type);
    if (k == K_UNKNOWN)
        k = by_name(name);
    if (k == K_UNKNOWN && content_type && *content_type && !type_is(content_type, "application/octet-stream"))
        return fg_failf(eb, FG_EUNSUPPORTED,
                        "content type %s is not supported (text, Markdown, HTML or PDF)",
                        content_type);
    if (k == K_UNKNOWN)
        k = sniff(data, len);
    if (k == K_PDF)
        return from_pdf(data, len, lim, doc, eb);
    int rc = check_text(data, len, eb);
    if (rc)
        return rc;
    if (k == K_HTML) {
        fg_kb_extract_opts o = {.max_bytes = lim->max_document_bytes};
        return fg_kb_extract(data, len, &o, doc, eb);
    }
    return fg_kb_markdown_doc(data, len, doc, eb);
}
