/* The SQLite backend: one connection in WAL mode and a small cache of prepared
 * statements keyed by their SQL text (a hash of the text first, so a lookup
 * compares one string). */
#include "store/store_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SQLITE_BUSY_TIMEOUT_MS 5000
#define STMT_CACHE 32

typedef struct cached_stmt {
    char *sql;
    uint64_t hash; /* of sql, compared before the text */
    sqlite3_stmt *st;
    uint64_t used; /* for LRU eviction */
} cached_stmt;

typedef struct sqlite_impl {
    sqlite3 *db;
    cached_stmt cache[STMT_CACHE];
    uint64_t clock;
} sqlite_impl;

static sqlite3 *db_of(const fg_store *s)
{
    return ((sqlite_impl *)s->impl)->db;
}

static int mkdir_parents(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int sqlite_open(fg_store *s, const char *path, fg_errbuf *eb)
{
    if (strcmp(path, ":memory:") != 0 && mkdir_parents(path) != 0)
        return fg_failf(eb, FG_EIO, "cannot create the folder for %s: %s", path, strerror(errno));
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fg_failf(eb, FG_EIO, "cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return FG_EIO;
    }
    sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MS);
    sqlite_impl *impl = calloc(1, sizeof *impl);
    if (!impl) {
        sqlite3_close(db);
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    }
    impl->db = db;
    s->impl = impl;
    char *err = NULL;
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                         "PRAGMA foreign_keys=ON;", NULL, NULL, &err) != SQLITE_OK) {
        fg_failf(eb, FG_EIO, "cannot configure database %s: %s", path, err ? err : "?");
        sqlite3_free(err);
        return FG_EIO;
    }
    return FG_OK;
}

static void sqlite_close(fg_store *s)
{
    sqlite_impl *impl = s->impl;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(impl->cache[i].st);
        free(impl->cache[i].sql);
    }
    sqlite3_close_v2(impl->db);
    free(impl);
    s->impl = NULL;
}

/* The index of parameter $n: n itself when the SQL names its parameters in
 * order (the usual case, no lookup), else found by name. */
static int param_index(sqlite3_stmt *st, int n)
{
    const char *name = sqlite3_bind_parameter_name(st, n);
    if (name && name[0] == '$') {
        int v = 0;
        const char *p = name + 1;
        while (*p >= '0' && *p <= '9' && v < 100000)
            v = v * 10 + (*p++ - '0');
        if (!*p && v == n)
            return n;
    }
    char want[16];
    snprintf(want, sizeof want, "$%d", n);
    return sqlite3_bind_parameter_index(st, want);
}

/* Binds $1..$n by name, so parameters may appear in any order in the SQL.
 * Texts and blobs are bound without a copy: the caller's memory outlives the
 * statement's use (exec and query reset it before they return). */
static int bind_params(sqlite3_stmt *st, const fg_sval *params, int nparams)
{
    for (int i = 0; i < nparams; i++) {
        int idx = param_index(st, i + 1);
        if (idx == 0)
            continue;
        const fg_sval *p = &params[i];
        int rc;
        switch (p->type) {
        case FG_SV_INT: rc = sqlite3_bind_int64(st, idx, p->v.i); break;
        case FG_SV_REAL: rc = sqlite3_bind_double(st, idx, p->v.d); break;
        case FG_SV_TEXT: rc = sqlite3_bind_text(st, idx, p->v.s.p, (int)p->v.s.n, SQLITE_STATIC); break;
        case FG_SV_BLOB: rc = sqlite3_bind_blob(st, idx, p->v.s.p, (int)p->v.s.n, SQLITE_STATIC); break;
        default: rc = sqlite3_bind_null(st, idx);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* A prepared statement for sql from the cache (reset, bindings cleared), or a
 * newly prepared one put in the least recently used slot. */
static int cached_prepare(sqlite_impl *impl, const char *sql, sqlite3_stmt **st)
{
    cached_stmt *victim = &impl->cache[0];
    uint64_t hash = sql_hash(sql);
    for (int i = 0; i < STMT_CACHE; i++) {
        cached_stmt *c = &impl->cache[i];
        if (c->sql && c->hash == hash && strcmp(c->sql, sql) == 0) {
            c->used = ++impl->clock;
            sqlite3_reset(c->st);
            sqlite3_clear_bindings(c->st);
            *st = c->st;
            return SQLITE_OK;
        }
        if (c->used < victim->used)
            victim = c;
    }
    int rc = sqlite3_prepare_v2(impl->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_finalize(victim->st);
    free(victim->sql);
    victim->sql = strdup(sql);
    victim->hash = hash;
    victim->st = *st;
    victim->used = ++impl->clock;
    return SQLITE_OK;
}

static int prepare(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                   sqlite3_stmt **st, fg_errbuf *eb)
{
    sqlite_impl *impl = s->impl;
    if (cached_prepare(impl, sql, st) != SQLITE_OK)
        return fg_failf(eb, FG_EINVAL, "SQL error: %s", sqlite3_errmsg(impl->db));
    if (bind_params(*st, params, nparams) != SQLITE_OK)
        return fg_failf(eb, FG_EINVAL, "SQL bind error: %s", sqlite3_errmsg(impl->db));
    return FG_OK;
}

static int step_error(sqlite3 *db, int rc, fg_errbuf *eb)
{
    if (rc == SQLITE_CONSTRAINT)
        return fg_failf(eb, FG_EEXIST, "constraint failed: %s", sqlite3_errmsg(db));
    if (rc == SQLITE_BUSY)
        return fg_failf(eb, FG_EAGAIN, "database is busy");
    return fg_failf(eb, FG_EIO, "database error: %s", sqlite3_errmsg(db));
}

static int sqlite_exec(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                       int64_t *changes, fg_errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = prepare(s, sql, params, nparams, &st, eb);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        ;
    rc = step == SQLITE_DONE ? FG_OK : step_error(db_of(s), step, eb);
    if (changes)
        *changes = sqlite3_changes64(db_of(s));
    sqlite3_reset(st); /* back to the cache, releasing its locks */
    return rc;
}

static int sqlite_query(fg_store *s, const char *sql, const fg_sval *params, int nparams,
                        fg_store_row_fn fn, void *ctx, fg_errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = prepare(s, sql, params, nparams, &st, eb);
    if (rc)
        return rc;
    int ncols = sqlite3_column_count(st);
    const char *names[64];
    fg_sval cols[64];
    if (ncols > 64) {
        sqlite3_reset(st);
        return fg_failf(eb, FG_ELIMIT, "query returns more than 64 columns");
    }
    int step;
    bool named = false;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        /* The names are read after the first step: a step may prepare the
         * statement again (the schema changed under it, as another connection
         * may do), which frees the names read before it. */
        for (int i = 0; !named && i < ncols; i++)
            names[i] = sqlite3_column_name(st, i);
        named = true;
        for (int i = 0; i < ncols; i++) {
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER: cols[i] = FG_SINT(sqlite3_column_int64(st, i)); break;
            case SQLITE_FLOAT: cols[i] = FG_SREAL(sqlite3_column_double(st, i)); break;
            case SQLITE_TEXT:
                cols[i] = FG_STEXTN((const char *)sqlite3_column_text(st, i),
                                    (size_t)sqlite3_column_bytes(st, i));
                break;
            case SQLITE_BLOB:
                cols[i] = FG_SBLOB(sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
                break;
            default: cols[i] = FG_SNULL;
            }
        }
        if (fn(ctx, ncols, names, cols))
            break;
    }
    rc = (step == SQLITE_ROW || step == SQLITE_DONE) ? FG_OK : step_error(db_of(s), step, eb);
    sqlite3_reset(st);
    return rc;
}

const fg_store_backend_ops fg_store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .query = sqlite_query,
};
