#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

int fg_store_open(const char *url, fg_store **out, fg_errbuf *eb)
{
    const fg_store_backend_ops *ops = NULL;
    const char *target = NULL;
    if (strncmp(url, "sqlite:", 7) == 0) {
        ops = &fg_store_sqlite_ops;
        target = url + 7;
    }
    if (!ops)
        return fg_failf(eb, FG_EUNSUPPORTED, "store URL '%s': expected sqlite:PATH", url);
    fg_store *s = calloc(1, sizeof *s);
    if (!s)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    s->ops = ops;
    s->url = strdup(url);
    int rc = s->url ? ops->open(s, target, eb) : fg_failf(eb, FG_ENOMEM, "out of memory");
    if (!rc)
        rc = fg_store_migrate(s, eb);
    if (rc) {
        fg_store_close(s);
        return rc;
    }
    *out = s;
    return FG_OK;
}

void fg_store_close(fg_store *s)
{
    if (!s)
        return;
    if (s->impl)
        s->ops->close(s);
    pthread_mutex_destroy(&s->lock);
    free(s->url);
    free(s);
}

int fg_store_open_again(fg_store *s, fg_store **out, fg_errbuf *eb)
{
    if (strstr(s->url, ":memory:"))
        return fg_failf(eb, FG_EUNSUPPORTED, "an in-memory database has one connection only");
    return fg_store_open(s->url, out, eb);
}

const char *fg_store_backend(const fg_store *s)
{
    return s->ops->name;
}

int fg_store_exec(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                  int64_t *changes, fg_errbuf *eb)
{
    pthread_mutex_lock(&s->lock);
    int rc = s->ops->exec(s, sql, params, nparams, changes, eb);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int fg_store_query(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                   fg_store_row_fn fn, void *ctx, fg_errbuf *eb)
{
    pthread_mutex_lock(&s->lock);
    int rc = s->ops->query(s, sql, params, nparams, fn, ctx, eb);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int row_to_json(void *ctx, int ncols, const char *const *names, const fg_sval *cols)
{
    json_t *row = json_object();
    for (int i = 0; i < ncols; i++) {
        json_t *v;
        switch (cols[i].type) {
        case FG_SV_INT: v = json_integer(cols[i].v.i); break;
        case FG_SV_REAL: v = json_real(cols[i].v.d); break;
        case FG_SV_TEXT:
        case FG_SV_BLOB: v = json_stringn_nocheck(cols[i].v.s.p, cols[i].v.s.n); break;
        default: v = json_null();
        }
        json_object_set_new(row, names[i], v);
    }
    json_array_append_new(ctx, row);
    return 0;
}

int fg_store_query_json(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                        json_t **rows, fg_errbuf *eb)
{
    json_t *arr = json_array();
    int rc = fg_store_query(s, sql, params, nparams, row_to_json, arr, eb);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *rows = arr;
    return FG_OK;
}

int fg_store_begin(fg_store *s, fg_errbuf *eb)
{
    pthread_mutex_lock(&s->lock);
    int rc = s->ops->exec(s, "BEGIN IMMEDIATE", NULL, 0, NULL, eb);
    if (rc) {
        pthread_mutex_unlock(&s->lock);
        return rc;
    }
    s->in_txn++;
    return FG_OK;
}

int fg_store_commit(fg_store *s, fg_errbuf *eb)
{
    int rc = s->ops->exec(s, "COMMIT", NULL, 0, NULL, eb);
    if (rc)
        s->ops->exec(s, "ROLLBACK", NULL, 0, NULL, NULL);
    s->in_txn--;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int fg_store_rollback(fg_store *s)
{
    int rc = s->ops->exec(s, "ROLLBACK", NULL, 0, NULL, NULL);
    s->in_txn--;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int fg_store_schema_version(fg_store *s)
{
    return s->schema_version;
}
