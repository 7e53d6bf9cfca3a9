/* OAuth 2.0 client-credentials tokens for http:invoke connections: one token
 * request (POST to oauth_endpoint, client id and secret as Basic
 * authorization, grant_type=client_credentials), then the token is cached per
 * connection until shortly before it expires, for every worker. */
#include "core/base64.h"
#include "core/clock.h"
#include "tasks/http_encode.h"
#include "tasks/tasks_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 64
#define TOKEN_MAX 4096
#define EXPIRY_MARGIN_MS 30000

struct fg__oauth_token {
    char name[128];
    char token[TOKEN_MAX];
    int64_t expires_ms;
};

static const char *conn_name(const json_t *conn)
{
    const char *n = json_string_value(json_object_get(conn, "name"));
    return n ? n : "";
}

bool fg__oauth_cached(fg_tasks_http *t, const json_t *conn, char *out, size_t n)
{
    bool found = false;
    int64_t now = fg_clock_wall_ms();
    pthread_mutex_lock(&t->tokens_mu);
    for (size_t i = 0; i < t->n_tokens && !found; i++) {
        fg__oauth_token *k = &t->tokens[i];
        if (strcmp(k->name, conn_name(conn)) == 0 && k->expires_ms > now) {
            snprintf(out, n, "%s", k->token);
            found = true;
        }
    }
    pthread_mutex_unlock(&t->tokens_mu);
    return found;
}

static void remember(fg_tasks_http *t, const json_t *conn, const char *token, int64_t expires_ms)
{
    pthread_mutex_lock(&t->tokens_mu);
    fg__oauth_token *k = NULL;
    for (size_t i = 0; i < t->n_tokens && !k; i++)
        if (strcmp(t->tokens[i].name, conn_name(conn)) == 0)
            k = &t->tokens[i];
    if (!k && !t->tokens)
        t->tokens = calloc(MAX_TOKENS, sizeof *t->tokens);
    if (!k && t->tokens && t->n_tokens < MAX_TOKENS)
        k = &t->tokens[t->n_tokens++];
    if (k) {
        snprintf(k->name, sizeof k->name, "%s", conn_name(conn));
        snprintf(k->token, sizeof k->token, "%s", token);
        k->expires_ms = expires_ms;
    }
    pthread_mutex_unlock(&t->tokens_mu);
}

void fg__oauth_free_all(fg_tasks_http *t)
{
    free(t->tokens);
    t->tokens = NULL;
    t->n_tokens = 0;
}

/* ---- the token request ------------------------------------------------------ */

typedef struct token_req {
    fg_tasks_http *t;
    const json_t *conn;
    fg__oauth_done_fn done;
    void *ud;
    void (*free_ud)(void *);
    char auth[1024];
    fg_buf form;
} token_req;

static void token_req_free(void *p)
{
    token_req *q = p;
    if (q->free_ud)
        q->free_ud(q->ud);
    fg_buf_free(&q->form);
    free(q);
}

/* The access_token of a 2xx JSON answer (malloc'd) and its lifetime, or NULL. */
static char *parse_token(const fg__exchange *x, int64_t *expires_ms, char *why, size_t wl)
{
    if (x->status < 200 || x->status >= 300) {
        snprintf(why, wl, "the token endpoint answered HTTP %d: %.200s", x->status,
                 x->body.data ? x->body.data : "");
        return NULL;
    }
    json_t *v = json_loadb(x->body.data ? x->body.data : "", x->body.len, 0, NULL);
    const char *tok = json_string_value(json_object_get(v, "access_token"));
    json_int_t secs = json_integer_value(json_object_get(v, "expires_in"));
    char *out = tok && tok[0] && strlen(tok) < TOKEN_MAX && !strpbrk(tok, "\r\n") ? strdup(tok) : NULL;
    if (!out)
        snprintf(why, wl, "the token endpoint's answer has no usable access_token");
    *expires_ms = fg_clock_wall_ms() + (secs > 0 ? secs * 1000 : 3600 * 1000) - EXPIRY_MARGIN_MS;
    json_decref(v);
    return out;
}

static void token_done(fg__exchange *x, int err, const char *msg)
{
    token_req *q = x->ud;
    fg__task_rt *rt = x->op.rt;
    fg_flow_task *task = x->op.task;
    char why[400] = "";
    int64_t expires = 0;
    char *tok = NULL;
    if (err)
        snprintf(why, sizeof why, "the token request failed: %s", msg && msg[0] ? msg : fg_strerror(err));
    else
        tok = parse_token(x, &expires, why, sizeof why);
    if (tok)
        remember(q->t, q->conn, tok, expires);
    fg__task_op_release(&x->op); /* done starts the next operation or fails the task */
    q->done(rt, task, tok, why, q->ud);
    q->free_ud = NULL; /* done took ud */
    free(tok);
    fg__exchange_free(x);
}

int fg__oauth_fetch(fg_tasks_http *t, fg__task_rt *rt, fg_flow_task *task, const json_t *conn,
                    fg__oauth_done_fn done, void *ud, void (*free_ud)(void *))
{
    const char *url = json_string_value(json_object_get(conn, "oauth_endpoint"));
    const char *id = json_string_value(json_object_get(conn, "client_id"));
    const char *secret = json_string_value(json_object_get(conn, "client_secret"));
    const char *scope = json_string_value(json_object_get(conn, "oauth_scope"));
    if (!url)
        return FG_EINVAL;
    token_req *q = calloc(1, sizeof *q);
    fg__exchange *x = q ? fg__exchange_new(64 * 1024) : NULL;
    if (!x) {
        free(q);
        return FG_ENOMEM;
    }
    *q = (token_req){.t = t, .conn = conn, .done = done, .ud = ud};
    fg_buf_init(&q->form, 8192);
    fg_buf raw, enc;
    fg_buf_init(&raw, 2048);
    fg_buf_init(&enc, 4096);
    fg_buf_printf(&raw, "%s:%s", id ? id : "", secret ? secret : "");
    fg_base64_encode(&enc, raw.data ? raw.data : "", raw.len);
    snprintf(q->auth, sizeof q->auth, "Authorization: Basic %s", enc.data ? enc.data : "");
    fg_buf_free(&raw);
    fg_buf_free(&enc);
    fg_buf_puts(&q->form, "grant_type=client_credentials");
    if (scope) {
        fg_buf_puts(&q->form, "&scope=");
        fg__percent_encode(&q->form, scope, strlen(scope));
    }
    x->ud = q;
    x->free_ud = token_req_free;
    x->done = token_done;
    const char *headers[] = {q->auth, "Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", NULL};
    fg_http_call_opts o = {.method = "POST", .url = url, .headers = headers,
                           .body = q->form.data ? q->form.data : "", .body_len = q->form.len,
                           .connect_timeout_ms = (long)fg_config_int(t->cfg, "fetch.connect_timeout_ms"),
                           .timeout_ms = (long)fg_config_int(t->cfg, "fetch.timeout_ms")};
    int rc = fg__exchange_start(rt, x, task, &o);
    if (rc) {
        q->free_ud = NULL; /* the caller keeps ud */
        fg__exchange_free(x);
        return rc;
    }
    q->free_ud = free_ud;
    return FG_OK;
}
