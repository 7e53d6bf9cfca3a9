/* libFuzzer target for robots.txt: parse any bytes, then ask about a few paths
 * (including ones taken from the input) so matching runs on hostile patterns. */
#include "fetch/robots.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_fetch_robots *r = fg_fetch_robots_parse((const char *)data, size, "flowgate-crawler");
    if (!r)
        return 0;
    static const char *const paths[] = {"/", "/a/b?c=d", "/robots.txt", "/private/x.pdf"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        (void)fg_fetch_robots_allowed(r, paths[i]);
    char path[256] = "/";
    size_t n = size < sizeof path - 2 ? size : sizeof path - 2;
    for (size_t i = 0; i < n; i++)
        path[i + 1] = data[i] ? (char)data[i] : 'x';
    path[n + 1] = '\0';
    (void)fg_fetch_robots_allowed(r, path);
    if (fg_fetch_robots_delay_ms(r) < 0)
        abort();
    fg_fetch_robots_free(r);
    return 0;
}
