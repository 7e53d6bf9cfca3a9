/* Private to src/store: the backend table. */
#ifndef FG_STORE_STORE_INT_H
#define FG_STORE_STORE_INT_H

#include "store/store.h"

#include <pthread.h>

typedef struct fg_store_backend_ops {
    const char *name;
    int (*open)(fg_store *s, const char *target, fg_errbuf *eb);
    void (*close)(fg_store *s);
    int (*exec)(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                int64_t *changes, fg_errbuf *eb);
    int (*query)(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                 fg_store_row_fn fn, void *ctx, fg_errbuf *eb);
} fg_store_backend_ops;

struct fg_store {
    const fg_store_backend_ops *ops;
    void *impl;
    pthread_mutex_t lock;   /* one connection, used by one thread at a time */
    pthread_t txn_owner;    /* thread holding an open transaction */
    int in_txn;
    int schema_version;
    char *url;              /* as opened, for fg_store_open_again */
};

extern const fg_store_backend_ops fg_store_sqlite_ops;

typedef struct fg_migration {
    int version;
    const char *name;
    const char *sql; /* statements separated by ";\n" */
} fg_migration;

extern const fg_migration fg_store_migrations[];
int fg_store_migrate(fg_store *s, fg_errbuf *eb);

#endif
