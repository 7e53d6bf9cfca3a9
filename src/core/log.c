#include "core/log.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic int log_level = FG_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void fg_log_set_level(fg_log_level level)
{
    atomic_store(&log_level, (int)level);
}

fg_log_level fg_log_get_level(void)
{
    return (fg_log_level)atomic_load(&log_level);
}

int fg_log_level_from_name(const char *name)
{
    for (int i = 0; i <= FG_LOG_OFF; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void fg_log_line(const char *json, size_t len)
{
    /* One write per line keeps lines whole when several threads log. */
    char stackbuf[4096];
    if (len + 1 <= sizeof stackbuf) {
        memcpy(stackbuf, json, len);
        stackbuf[len] = '\n';
        ssize_t w = write(STDERR_FILENO, stackbuf, len + 1);
        (void)w;
        return;
    }
    ssize_t w = write(STDERR_FILENO, json, len);
    w = write(STDERR_FILENO, "\n", 1);
    (void)w;
}

void fg_log(fg_log_level level, const char *fields_json, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char ts[40];
    fg_clock_format_iso8601(fg_clock_wall_ms(), ts, sizeof ts);
    fg_buf b;
    fg_buf_init(&b, 1 << 16);
    fg_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
    fg_json_escape(&b, msg, strlen(msg));
    if (fields_json && *fields_json)
        fg_buf_printf(&b, ",%s", fields_json);
    fg_buf_putc(&b, '}');
    if (b.data)
        fg_log_line(b.data, b.len);
    fg_buf_free(&b);
}
