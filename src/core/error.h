/* One error type for the whole project: 0 is success, negative values are
 * failures. A message buffer carries the detail ("what, where, what to do"). */
#ifndef FG_CORE_ERROR_H
#define FG_CORE_ERROR_H

#include <stddef.h>

typedef enum fg_err {
    FG_OK = 0,
    FG_ENOMEM = -1,      /* allocation failed */
    FG_EINVAL = -2,      /* invalid argument or input */
    FG_EIO = -3,         /* I/O error */
    FG_ENOTFOUND = -4,   /* no such object */
    FG_EEXIST = -5,      /* object already exists */
    FG_EAGAIN = -6,      /* would block: call again later */
    FG_EDECLINED = -7,   /* not mine: let the next handler try */
    FG_ELIMIT = -8,      /* a configured limit was exceeded */
    FG_EPARSE = -9,      /* malformed data */
    FG_ECANCELED = -10,  /* cancelled by the caller or the peer */
    FG_ETIMEDOUT = -11,  /* a deadline passed */
    FG_EUPSTREAM = -12,  /* an upstream service failed */
    FG_EDENIED = -13,    /* not allowed */
    FG_EUNSUPPORTED = -14, /* valid but not supported */
    FG_EINTERNAL = -15   /* a bug: an invariant did not hold */
} fg_err;

const char *fg_strerror(int err);

/* A fixed-size message buffer filled by fg_failf: the first failure wins. */
#define FG_ERRMSG_MAX 512
typedef struct fg_errbuf {
    int code;
    char msg[FG_ERRMSG_MAX];
} fg_errbuf;

void fg_errbuf_clear(fg_errbuf *eb);

/* Records code and message (printf-style) unless a failure is already recorded;
 * returns code so callers can `return fg_failf(eb, FG_EINVAL, "...")`. A NULL eb is
 * allowed. */
int fg_failf(fg_errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Cannot-happen branches that must still recover in release builds. */
#define FG_ALWAYS(x) (__builtin_expect(!!(x), 1))
#define FG_NEVER(x) (__builtin_expect(!!(x), 0))

#define FG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
