/* PDF text with poppler-glib: the document is opened from memory (no file is
 * written), each page's text is taken in reading order. */
#include "kb/pdf.h"

#include "core/buf.h"

#include <poppler.h>
#include <stdlib.h>
#include <string.h>

static int open_error(GError *err, fg_errbuf *eb)
{
    int code = FG_EPARSE;
    const char *what = "the PDF is corrupt or not a PDF";
    if (err && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_ENCRYPTED) {
        code = FG_EDENIED;
        what = "the PDF is encrypted (password protected)";
    }
    int rc = fg_failf(eb, code, "%s%s%s", what, err ? ": " : "", err ? err->message : "");
    if (err)
        g_error_free(err);
    return rc;
}

static int append_pages(PopplerDocument *doc, fg_buf *out, fg_errbuf *eb)
{
    int pages = poppler_document_get_n_pages(doc);
    for (int i = 0; i < pages; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page)
            continue;
        char *t = poppler_page_get_text(page);
        g_object_unref(page);
        int rc = 0;
        if (t && *t) {
            if (out->len)
                rc = fg_buf_puts(out, "\n\n");
            if (!rc)
                rc = fg_buf_puts(out, t);
        }
        g_free(t);
        if (rc)
            return fg_failf(eb, rc, rc == FG_ELIMIT ? "the PDF's text is larger than the limit"
                                                    : "out of memory reading the PDF");
    }
    return 0;
}

int fg_kb_pdf_text(const void *data, size_t len, size_t max_text, char **text, char **title,
                   fg_errbuf *eb)
{
    *text = NULL;
    *title = NULL;
    if (len < 5 || memcmp(data, "%PDF-", 5) != 0)
        return fg_failf(eb, FG_EPARSE, "not a PDF (no %%PDF- header)");
    GBytes *bytes = g_bytes_new(data, len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    g_bytes_unref(bytes);
    if (!doc)
        return open_error(err, eb);
    fg_buf out;
    fg_buf_init(&out, max_text);
    int rc = append_pages(doc, &out, eb);
    char *t = poppler_document_get_title(doc);
    if (!rc && t && *t)
        *title = strdup(t);
    g_free(t);
    g_object_unref(doc);
    if (rc) {
        fg_buf_free(&out);
        return rc;
    }
    if (!out.data)
        fg_buf_puts(&out, "");
    *text = fg_buf_detach(&out, NULL);
    return *text ? 0 : fg_failf(eb, FG_ENOMEM, "out of memory reading the PDF");
}
