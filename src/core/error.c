#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *fg_strerror(int err)
{
    switch (err) {
    case FG_OK: return "success";
    case FG_ENOMEM: return "out of memory";
    case FG_EINVAL: return "invalid argument";
    case FG_EIO: return "input/output error";
    case FG_ENOTFOUND: return "not found";
    case FG_EEXIST: return "already exists";
    case FG_EAGAIN: return "try again";
    case FG_EDECLINED: return "declined";
    case FG_ELIMIT: return "limit exceeded";
    case FG_EPARSE: return "malformed data";
    case FG_ECANCELED: return "cancelled";
    case FG_ETIMEDOUT: return "timed out";
    case FG_EUPSTREAM: return "upstream failure";
    case FG_EDENIED: return "permission denied";
    case FG_EUNSUPPORTED: return "not supported";
    case FG_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}

void fg_errbuf_clear(fg_errbuf *eb)
{
    if (eb) {
        eb->code = FG_OK;
        eb->msg[0] = '\0';
    }
}

int fg_failf(fg_errbuf *eb, int code, const char *fmt, ...)
{
    if (!eb || eb->code != FG_OK)
        return code;
    eb->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
    va_end(ap);
    return code;
}
