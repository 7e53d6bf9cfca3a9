/* Base64 (RFC 4648, standard alphabet, with padding). */
#ifndef FG_CORE_BASE64_H
#define FG_CORE_BASE64_H

#include "core/buf.h"

#include <stddef.h>

int fg_base64_encode(fg_buf *out, const void *data, size_t n);
/* Appends the decoded bytes; FG_EPARSE for malformed input. */
int fg_base64_decode(fg_buf *out, const char *text, size_t n);

#endif
