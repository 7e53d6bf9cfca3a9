/* Formatting server-sent events for flowgate's own streams. */
#include "wire/sse.h"

#include <string.h>

static bool one_line(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

static int write_data_lines(fg_buf *out, const char *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && data[i] != '\r' && data[i] != '\n')
            continue;
        int rc = fg_buf_append(out, "data: ", 6);
        if (!rc)
            rc = fg_buf_append(out, data + start, i - start);
        if (!rc)
            rc = fg_buf_putc(out, '\n');
        if (rc)
            return rc;
        if (i + 1 < len && data[i] == '\r' && data[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    return 0;
}

int fg_sse_write_event(fg_buf *out, const char *event, const char *id, const char *data,
                       size_t len)
{
    if ((event && !one_line(event)) || (id && !one_line(id)))
        return FG_EINVAL;
    int rc = 0;
    if (event)
        rc = fg_buf_printf(out, "event: %s\n", event);
    if (!rc && id)
        rc = fg_buf_printf(out, "id: %s\n", id);
    if (!rc)
        rc = write_data_lines(out, data ? data : "", data ? len : 0);
    if (!rc)
        rc = fg_buf_putc(out, '\n');
    return rc;
}

int fg_sse_write_comment(fg_buf *out, const char *text)
{
    if (!one_line(text))
        return FG_EINVAL;
    return fg_buf_printf(out, ": %s\n", text);
}
