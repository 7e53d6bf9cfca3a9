/* Cache entries in the store (table cache_entries, migration 5): written
 * through on every change, read back whole at open. Embeddings are float32
 * little-endian blobs. */
#include "cache/cache_int.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* The row's statements, inside the caller's transaction. */
int fg__cache_store_put(fg_cache *c, const fg_cache_entry *e, int64_t created_ms, int64_t expires_ms,
                        fg_errbuf *eb)
{
    fg_sval p[10] = {
        FG_STEXT(e->account_id), FG_STEXT(fg_cache_mode_name(e->mode)), FG_STEXT(e->ns),
        FG_STEXTN(e->key, e->key_len), FG_STEXTN(e->response, e->response_len),
        e->model ? FG_STEXT(e->model) : FG_SNULL, FG_SREAL(e->gen_ms),
        e->vec ? FG_SBLOB(e->vec, e->dim * sizeof(float)) : FG_SNULL, FG_SINT(created_ms),
        FG_SINT(expires_ms)};
    int rc = fg_store_exec(c->store,
                           "DELETE FROM cache_entries WHERE account_id = $1 AND mode = $2 AND "
                           "namespace = $3 AND cache_key = $4",
                           p, 4, NULL, eb);
    if (!rc)
        rc = fg_store_exec(c->store,
                           "INSERT INTO cache_entries (account_id, mode, namespace, cache_key, "
                           "response, model, gen_ms, embedding, created_ms, expires_ms) VALUES "
                           "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                           p, 10, NULL, eb);
    return rc;
}

int fg__cache_store_delete(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                           const char *key, size_t key_len, fg_errbuf *eb)
{
    fg_sval p[4] = {FG_STEXT(account_id), FG_STEXT(fg_cache_mode_name(mode)), FG_STEXT(ns),
                    FG_STEXTN(key, key_len)};
    return fg_store_exec(c->store,
                         "DELETE FROM cache_entries WHERE account_id = $1 AND mode = $2 AND "
                         "namespace = $3 AND cache_key = $4",
                         p, 4, NULL, eb);
}

/* Off the event loop when the cache has a writer (the server); in the
 * caller's batch (import); else in a transaction of its own. */
int fg__cache_persist_put(fg_cache *c, const fg_cache_entry *e, int64_t created_ms,
                          int64_t expires_ms, fg_errbuf *eb)
{
    if (!c->store)
        return FG_OK;
    if (!c->batch && c->writer && fg__cache_writer_put(c, e, created_ms, expires_ms) == FG_OK)
        return FG_OK;
    int rc = c->batch ? FG_OK : fg_store_begin(c->store, eb);
    if (rc)
        return rc;
    rc = fg__cache_store_put(c, e, created_ms, expires_ms, eb);
    if (c->batch)
        return rc;
    if (rc) {
        fg_store_rollback(c->store);
        return rc;
    }
    return fg_store_commit(c->store, eb);
}

int fg_cache_batch_begin(fg_cache *c, fg_errbuf *eb)
{
    if (!c->store || c->batch)
        return FG_OK;
    int rc = fg_store_begin(c->store, eb);
    c->batch = rc == FG_OK;
    return rc;
}

int fg_cache_batch_end(fg_cache *c, fg_errbuf *eb)
{
    if (!c->batch)
        return FG_OK;
    c->batch = false;
    return fg_store_commit(c->store, eb);
}

int fg__cache_persist_delete(fg_cache *c, const char *account_id, fg_cache_mode mode,
                             const char *ns, const char *key, size_t key_len, fg_errbuf *eb)
{
    if (!c->store)
        return FG_OK;
    if (!c->batch && c->writer &&
        fg__cache_writer_delete(c, account_id, mode, ns, key, key_len) == FG_OK)
        return FG_OK;
    return fg__cache_store_delete(c, account_id, mode, ns, key, key_len, eb);
}

int fg__cache_persist_clear(fg_cache *c, const char *account_id, fg_errbuf *eb)
{
    if (!c->store)
        return FG_OK;
    fg__cache_writer_flush(c);
    if (!account_id)
        return fg_store_exec(c->store, "DELETE FROM cache_entries", NULL, 0, NULL, eb);
    fg_sval p[1] = {FG_STEXT(account_id)};
    return fg_store_exec(c->store, "DELETE FROM cache_entries WHERE account_id = $1", p, 1, NULL, eb);
}

static const char *col_text(const fg_sval *v, size_t *n)
{
    if (v->type != FG_SV_TEXT && v->type != FG_SV_BLOB) {
        *n = 0;
        return "";
    }
    *n = v->v.s.n;
    return v->v.s.p;
}

/* One stored row into memory; a row that does not fit (a bad mode, a
 * vector of another size) is skipped with a warning. */
static int load_row(void *ctx, int ncols, const char *const *names, const fg_sval *cols)
{
    fg_cache *c = ctx;
    size_t n;
    char account[256], ns[1024], model[128], mode_name[32];
    const char *s = col_text(&cols[0], &n);
    snprintf(account, sizeof account, "%.*s", (int)n, s);
    s = col_text(&cols[1], &n);
    snprintf(mode_name, sizeof mode_name, "%.*s", (int)n, s);
    s = col_text(&cols[2], &n);
    snprintf(ns, sizeof ns, "%.*s", (int)n, s);
    s = col_text(&cols[5], &n);
    snprintf(model, sizeof model, "%.*s", (int)n, s);
    fg_cache_entry e = {.account_id = account, .ns = ns, .model = model};
    int mode = fg_cache_mode_parse(mode_name);
    e.key = col_text(&cols[3], &e.key_len);
    e.response = col_text(&cols[4], &e.response_len);
    e.gen_ms = cols[6].type == FG_SV_REAL ? cols[6].v.d : cols[6].type == FG_SV_INT ? (double)cols[6].v.i : 0;
    float *vec = NULL;
    if (cols[7].type == FG_SV_BLOB && cols[7].v.s.n % sizeof(float) == 0 && cols[7].v.s.n) {
        vec = malloc(cols[7].v.s.n);
        if (vec)
            memcpy(vec, cols[7].v.s.p, cols[7].v.s.n);
        e.dim = cols[7].v.s.n / sizeof(float);
        e.vec = vec;
    }
    if (mode < 0 || (mode == FG_CACHE_SEMANTIC && !vec)) {
        fg_log(FG_LOG_WARN, NULL, "cache: skipping a stored entry with mode '%s'", mode_name);
    } else {
        e.mode = (fg_cache_mode)mode;
        if (fg__cache_insert(c, &e, cols[8].v.i, cols[9].v.i))
            fg_log(FG_LOG_WARN, NULL, "cache: skipping a stored entry of namespace '%s'", ns);
    }
    free(vec);
    return 0;
}

int fg__cache_persist_load(fg_cache *c, fg_errbuf *eb)
{
    if (!c->store)
        return FG_OK;
    int64_t now = fg_clock_wall_ms();
    fg_sval p[1] = {FG_SINT(now)};
    int rc = fg_store_exec(c->store, "DELETE FROM cache_entries WHERE expires_ms <> 0 AND expires_ms <= $1",
                           p, 1, NULL, eb);
    if (rc)
        return rc;
    return fg_store_query(c->store,
                          "SELECT account_id, mode, namespace, cache_key, response, model, gen_ms, "
                          "embedding, created_ms, expires_ms FROM cache_entries ORDER BY created_ms",
                          NULL, 0, load_row, c, eb);
}

typedef struct row_copy {
    fg__cache_row *row;
    bool found;
} row_copy;

static char *dup_col(const fg_sval *v, size_t *n)
{
    size_t len;
    const char *s = col_text(v, &len);
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    if (n)
        *n = len;
    return d;
}

static int copy_row(void *ctx, int ncols, const char *const *names, const fg_sval *cols)
{
    row_copy *rc = ctx;
    fg_cache_entry *e = &rc->row->entry;
    e->response = dup_col(&cols[0], &e->response_len);
    e->model = dup_col(&cols[1], NULL);
    e->gen_ms = cols[2].type == FG_SV_REAL ? cols[2].v.d : cols[2].type == FG_SV_INT ? (double)cols[2].v.i : 0;
    rc->row->created_ms = cols[3].type == FG_SV_INT ? cols[3].v.i : 0;
    rc->row->expires_ms = cols[4].type == FG_SV_INT ? cols[4].v.i : 0;
    rc->found = e->response && e->model;
    return 1;
}

int fg__cache_persist_get(fg_cache *c, const char *account_id, fg_cache_mode mode, const char *ns,
                          const char *key, size_t key_len, fg__cache_row *out)
{
    memset(out, 0, sizeof *out);
    if (mode == FG_CACHE_SEMANTIC)
        return FG_ENOTFOUND;
    fg_sval p[4] = {FG_STEXT(account_id), FG_STEXT(fg_cache_mode_name(mode)), FG_STEXT(ns),
                    FG_STEXTN(key, key_len)};
    row_copy rc = {out, false};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store_query(c->store,
                   "SELECT response, model, gen_ms, created_ms, expires_ms FROM cache_entries WHERE "
                   "account_id = $1 AND mode = $2 AND namespace = $3 AND cache_key = $4",
                   p, 4, copy_row, &rc, &eb);
    if (!rc.found) {
        fg__cache_row_free(out);
        return FG_ENOTFOUND;
    }
    out->entry.account_id = account_id;
    out->entry.mode = mode;
    out->entry.ns = ns;
    out->entry.key = key;
    out->entry.key_len = key_len;
    return FG_OK;
}

void fg__cache_row_free(fg__cache_row *r)
{
    free((char *)r->entry.response);
    free((char *)r->entry.model);
    memset(r, 0, sizeof *r);
}
