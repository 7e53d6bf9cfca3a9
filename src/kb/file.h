/* Reading a whole file with a size ceiling. */
#ifndef FG_KB_FILE_H
#define FG_KB_FILE_H

#include "core/error.h"

#include <stddef.h>

/* malloc'd, NUL-terminated contents; NULL with a message when missing,
 * unreadable or larger than max bytes. */
char *fg_kb_read_file(const char *path, size_t max, size_t *len, fg_errbuf *eb);

#endif
