/* The storage interface. Callers write portable SQL (the subset SQLite and
 * PostgreSQL share, parameters as $1, $2, ...) and never see the backend; the
 * backend is chosen once when the store is opened (a table of function pointers,
 * store_int.h). Versioned migrations (migrations.c) run at open. */
#ifndef FG_STORE_STORE_H
#define FG_STORE_STORE_H

#include "core/error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fg_store fg_store;

typedef enum fg_sval_type { FG_SV_NULL, FG_SV_INT, FG_SV_REAL, FG_SV_TEXT, FG_SV_BLOB } fg_sval_type;

/* A parameter or column value. TEXT and BLOB point at memory owned elsewhere. */
typedef struct fg_sval {
    fg_sval_type type;
    union {
        int64_t i;
        double d;
        struct {
            const char *p;
            size_t n;
        } s;
    } v;
} fg_sval;

#define FG_SNULL ((fg_sval){.type = FG_SV_NULL})
#define FG_SINT(x) ((fg_sval){.type = FG_SV_INT, .v.i = (x)})
#define FG_SREAL(x) ((fg_sval){.type = FG_SV_REAL, .v.d = (x)})
#define FG_STEXT(x) ((fg_sval){.type = (x) ? FG_SV_TEXT : FG_SV_NULL, .v.s = {(x), (x) ? strlen(x) : 0}})
#define FG_STEXTN(x, n) ((fg_sval){.type = FG_SV_TEXT, .v.s = {(x), (n)}})
#define FG_SBLOB(x, n) ((fg_sval){.type = FG_SV_BLOB, .v.s = {(const char *)(x), (n)}})

/* Called per row; return non-zero to stop. Column values are valid during the call. */
typedef int (*fg_store_row_fn)(void *ctx, int ncols, const char *const *names, const fg_sval *cols);

/* Opens the store described by url: "sqlite:PATH" (the folder is created if
 * missing) or "postgres://..." when built with PostgreSQL support. */
int fg_store_open(const char *url, fg_store **out, fg_errbuf *eb);
void fg_store_close(fg_store *s);
/* Another connection to the same database, for a thread that wants its own
 * (the Step Functions journal): statements on it do not wait for s's lock, and
 * SQLite serialises the two connections' write transactions (busy timeout). */
int fg_store_open_again(fg_store *s, fg_store **out, fg_errbuf *eb);
/* "sqlite" or "postgres". */
const char *fg_store_backend(const fg_store *s);

/* Runs one statement; *changes (may be NULL) gets the number of rows changed. */
int fg_store_exec(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                  int64_t *changes, fg_errbuf *eb);
int fg_store_query(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                   fg_store_row_fn fn, void *ctx, fg_errbuf *eb);
/* Rows as a JSON array of objects (TEXT columns as strings, BLOBs as strings too). */
int fg_store_query_json(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                        json_t **rows, fg_errbuf *eb);

/* Transactions: begin takes the store's write lock until commit or rollback. */
int fg_store_begin(fg_store *s, fg_errbuf *eb);
int fg_store_commit(fg_store *s, fg_errbuf *eb);
int fg_store_rollback(fg_store *s);

/* The schema version after migrations. */
int fg_store_schema_version(fg_store *s);

#endif
