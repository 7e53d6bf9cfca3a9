/* Clocks: monotonic time for durations and deadlines, wall time for records. */
#ifndef FG_CORE_CLOCK_H
#define FG_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t fg_clock_mono_ns(void);
uint64_t fg_clock_mono_ms(void);
int64_t fg_clock_wall_ms(void);
/* Formats ms since the epoch as 2024-01-02T03:04:05.678Z. */
void fg_clock_format_iso8601(int64_t wall_ms, char *out, size_t n);

#endif
