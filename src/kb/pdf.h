/* Text of a PDF document through poppler-glib, page by page. */
#ifndef FG_KB_PDF_H
#define FG_KB_PDF_H

#include "core/error.h"

#include <stddef.h>

/* The text of every page, pages separated by blank lines, at most max_text
 * bytes (more is FG_ELIMIT). An encrypted PDF is FG_EDENIED, a corrupt one
 * FG_EPARSE; *title gets the document's title when it has one (or NULL).
 * Both results are malloc'ed. */
int fg_kb_pdf_text(const void *data, size_t len, size_t max_text, char **text, char **title,
                   fg_errbuf *eb);

#endif
