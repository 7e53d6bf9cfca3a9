/* libFuzzer target for link extraction from HTML: any bytes, a bounded number
 * of links, each with text of bounded length. */
#include "fetch/links.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int on_link(const char *href, const char *text, void *ud)
{
    if (strlen(text) > 1024)
        abort();
    ++*(size_t *)ud;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = 0;
    fg_fetch_links_result r;
    if (fg_fetch_links_extract((const char *)data, size, 100, on_link, &n, &r) == 0) {
        if (n > 100 || n != r.links)
            abort();
        free(r.base);
    }
    return 0;
}
