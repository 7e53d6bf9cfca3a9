/* Encodings http:invoke needs: percent-encoding of query strings and
 * application/x-www-form-urlencoded bodies with AWS's array formats. */
#ifndef FG_TASKS_HTTP_ENCODE_H
#define FG_TASKS_HTTP_ENCODE_H

#include "core/buf.h"

#include <jansson.h>

typedef enum fg__array_format {
    FG_ARRAY_INDICES = 0, /* a[0]=x&a[1]=y (AWS's default) */
    FG_ARRAY_REPEAT,      /* a=x&a=y */
    FG_ARRAY_COMMAS,      /* a=x,y */
    FG_ARRAY_BRACKETS     /* a[]=x&a[]=y */
} fg__array_format;

/* "INDICES"... to the enum; -1 when unknown. */
int fg__array_format_parse(const char *name);
/* Appends obj's members as k=v pairs joined by '&' (nested objects as
 * a[b]=c). Returns 0 or FG_ELIMIT / FG_EINVAL (not an object). */
int fg__form_encode(fg_buf *out, const json_t *obj, fg__array_format fmt);
/* Appends s percent-encoded (everything but unreserved characters). */
int fg__percent_encode(fg_buf *out, const char *s, size_t n);

#endif
