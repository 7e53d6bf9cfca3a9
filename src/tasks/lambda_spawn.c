/* A function run as a local executable: the payload on stdin, the result on
 * stdout, stderr's tail kept for the error message; killed (with its process
 * group) on timeout, on too much output, or when its execution ends. */
#include "tasks/tasks_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_TAIL 2048

typedef struct proc {
    fg__task_op op;
    uv_process_t child;
    uv_pipe_t in, out, err;
    uv_timer_t timer;
    uv_write_t wreq;
    int open_handles;
    bool exited, out_closed, err_closed, in_closed, timed_out, too_big, cancelled, reported;
    int status;
    fg_buf output;
    char err_tail[ERR_TAIL];
    size_t err_len;
    char *payload;
    fg__spawn_done_fn done;
    void *ud;
} proc;

static void on_closed(uv_handle_t *h)
{
    proc *p = h->data;
    if (--p->open_handles == 0) {
        if (p->cancelled)
            free(p->ud); /* done never ran to take it */
        fg_buf_free(&p->output);
        free(p->payload);
        free(p);
    }
}

static void close_handle(proc *p, uv_handle_t *h, bool *closed)
{
    if (closed && *closed)
        return;
    if (closed)
        *closed = true;
    if (!uv_is_closing(h))
        uv_close(h, on_closed);
}

static void kill_group(proc *p)
{
    if (!p->exited && p->child.pid > 0) {
        kill(-p->child.pid, SIGKILL);
        uv_process_kill(&p->child, SIGKILL);
    }
}

/* Reports once the process exited and both output streams closed, then
 * releases the remaining handles. */
static void maybe_finish(proc *p)
{
    if (!p->exited || !p->out_closed || !p->err_closed || p->reported)
        return;
    p->reported = true;
    uv_timer_stop(&p->timer);
    if (!p->cancelled)
        p->done(&p->op, p->status, p->timed_out, p->too_big, p->output.data ? p->output.data : "",
                p->output.len, p->err_tail, p->ud);
    close_handle(p, (uv_handle_t *)&p->in, &p->in_closed);
    uv_close((uv_handle_t *)&p->timer, on_closed);
}

/* Stops reading: the process is being killed and its output no longer counts. */
static void abandon(proc *p)
{
    kill_group(p);
    close_handle(p, (uv_handle_t *)&p->out, &p->out_closed);
    close_handle(p, (uv_handle_t *)&p->err, &p->err_closed);
    maybe_finish(p);
}

static void on_exit_cb(uv_process_t *child, int64_t status, int term_signal)
{
    proc *p = child->data;
    p->exited = true;
    p->status = term_signal ? -term_signal : (int)status;
    uv_close((uv_handle_t *)child, on_closed);
    maybe_finish(p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static _Thread_local char scratch[65536];
    buf->base = scratch;
    buf->len = sizeof scratch;
}

static void on_out(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proc *p = s->data;
    if (n > 0 && fg_buf_append(&p->output, buf->base, (size_t)n)) {
        p->too_big = true;
        abandon(p);
        return;
    }
    if (n < 0) {
        close_handle(p, (uv_handle_t *)s, &p->out_closed);
        maybe_finish(p);
    }
}

static void on_err(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    proc *p = s->data;
    for (ssize_t i = 0; i < n; i++) { /* keep the last ERR_TAIL - 1 bytes */
        if (p->err_len == ERR_TAIL - 1) {
            memmove(p->err_tail, p->err_tail + ERR_TAIL / 2, ERR_TAIL / 2 - 1);
            p->err_len = ERR_TAIL / 2 - 1;
        }
        p->err_tail[p->err_len++] = buf->base[i];
        p->err_tail[p->err_len] = '\0';
    }
    if (n < 0) {
        close_handle(p, (uv_handle_t *)s, &p->err_closed);
        maybe_finish(p);
    }
}

static void on_written(uv_write_t *w, int status)
{
    proc *p = w->data;
    close_handle(p, (uv_handle_t *)&p->in, &p->in_closed);
}

static void on_timeout(uv_timer_t *t)
{
    proc *p = t->data;
    p->timed_out = true;
    abandon(p);
}

static void cancel_proc(fg__task_op *op)
{
    proc *p = (proc *)op;
    p->cancelled = true;
    abandon(p);
}

/* A small environment: PATH, HOME, LANG and TZ from ours, then fn's env map;
 * secrets in flowgate's environment are not handed to functions. */
static char **command_env(const json_t *fn)
{
    static const char *const keep[] = {"PATH", "HOME", "LANG", "TZ"};
    const json_t *env = json_object_get(fn, "env");
    size_t n = 4 + json_object_size(env), k = 0;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < 4; i++) {
        const char *v = getenv(keep[i]);
        if (v && !json_object_get(env, keep[i]) && asprintf(&out[k], "%s=%s", keep[i], v) >= 0)
            k++;
    }
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)env, name, v) {
        if (out && json_is_string(v) && !strchr(name, '=') &&
            asprintf(&out[k], "%s=%s", name, json_string_value(v)) >= 0)
            k++;
    }
    return out;
}

static void free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

static char **command_argv(const json_t *cmd)
{
    size_t n = json_array_size(cmd);
    char **argv = calloc(n + 1, sizeof *argv);
    for (size_t i = 0; argv && i < n; i++)
        argv[i] = (char *)json_string_value(json_array_get(cmd, i));
    return argv;
}

static void init_handles(uv_loop_t *loop, proc *p)
{
    uv_pipe_init(loop, &p->in, 0);
    uv_pipe_init(loop, &p->out, 0);
    uv_pipe_init(loop, &p->err, 0);
    uv_timer_init(loop, &p->timer);
    p->in.data = p->out.data = p->err.data = p->timer.data = p->child.data = p->wreq.data = p;
}

/* Spawn failed: the handles (the process one too, as libuv asks) are closed
 * and p freed once they are. */
static void undo_handles(proc *p)
{
    p->open_handles = 5;
    uv_close((uv_handle_t *)&p->child, on_closed);
    uv_close((uv_handle_t *)&p->in, on_closed);
    uv_close((uv_handle_t *)&p->out, on_closed);
    uv_close((uv_handle_t *)&p->err, on_closed);
    uv_close((uv_handle_t *)&p->timer, on_closed);
}

int fg__tasks_spawn(fg__task_rt *rt, fg_flow_task *task, const json_t *fn, const char *payload,
                    fg__spawn_done_fn done, void *ud, char *why, size_t why_len)
{
    static bool sigpipe_ignored;
    if (!sigpipe_ignored) { /* a child that exits before reading stdin must not kill us */
        signal(SIGPIPE, SIG_IGN);
        sigpipe_ignored = true;
    }
    proc *p = calloc(1, sizeof *p);
    char **argv = command_argv(json_object_get(fn, "command"));
    char **env = command_env(fn);
    if (!p || !argv || !env || !(p->payload = strdup(payload))) {
        free(p ? p->payload : NULL);
        free(p);
        free(argv);
        free_env(env);
        snprintf(why, why_len, "out of memory");
        return FG_ENOMEM;
    }
    fg_buf_init(&p->output, (size_t)json_integer_value(json_object_get(fn, "max_output_bytes")));
    p->done = done, p->ud = ud;
    init_handles(rt->loop, p);
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&p->in},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->err},
    };
    uv_process_options_t o = {.exit_cb = on_exit_cb, .file = argv[0], .args = argv, .env = env,
                              .stdio_count = 3, .stdio = stdio, .flags = UV_PROCESS_DETACHED};
    int rc = uv_spawn(rt->loop, &p->child, &o);
    free(argv);
    free_env(env);
    if (rc) {
        snprintf(why, why_len, "cannot run %s: %s",
                 json_string_value(json_array_get(json_object_get(fn, "command"), 0)), uv_strerror(rc));
        undo_handles(p);
        return FG_EIO;
    }
    p->open_handles = 5;
    fg__task_op_begin(rt, &p->op, task, cancel_proc);
    uv_buf_t b = uv_buf_init(p->payload, (unsigned)strlen(p->payload));
    if (uv_write(&p->wreq, (uv_stream_t *)&p->in, &b, 1, on_written))
        close_handle(p, (uv_handle_t *)&p->in, &p->in_closed);
    uv_read_start((uv_stream_t *)&p->out, on_alloc, on_out);
    uv_read_start((uv_stream_t *)&p->err, on_alloc, on_err);
    uv_timer_start(&p->timer, on_timeout,
                   (uint64_t)json_integer_value(json_object_get(fn, "timeout_ms")), 0);
    return FG_OK;
}
