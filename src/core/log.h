/* Logging: one JSON object per line on stderr (or a file), so logs can be read
 * by tools. Secrets must never be passed to these functions. */
#ifndef FG_CORE_LOG_H
#define FG_CORE_LOG_H

#include <stddef.h>

typedef enum fg_log_level {
    FG_LOG_DEBUG = 0,
    FG_LOG_INFO,
    FG_LOG_WARN,
    FG_LOG_ERROR,
    FG_LOG_OFF
} fg_log_level;

void fg_log_set_level(fg_log_level level);
fg_log_level fg_log_get_level(void);
/* Returns -1 for an unknown name. */
int fg_log_level_from_name(const char *name);
/* Logs {"ts":..,"level":..,"msg":..} plus the optional JSON fields in fields_json
 * (a JSON object text without braces, e.g. "\"route\":\"/x\""), which may be NULL. */
void fg_log(fg_log_level level, const char *fields_json, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes one raw pre-formatted JSON line (the access log). */
void fg_log_line(const char *json, size_t len);

#define fg_debug(...) fg_log(FG_LOG_DEBUG, NULL, __VA_ARGS__)
#define fg_info(...) fg_log(FG_LOG_INFO, NULL, __VA_ARGS__)
#define fg_warn(...) fg_log(FG_LOG_WARN, NULL, __VA_ARGS__)
#define fg_error(...) fg_log(FG_LOG_ERROR, NULL, __VA_ARGS__)

#endif
