/* libFuzzer target for URL resolution and normalisation: the input is split at
 * the first newline into a base and a reference. A normalised URL must be
 * stable (normalising it again gives itself) and must split into parts. */
#include "fetch/url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (strlen(text) != size) { /* NUL bytes cannot occur in attribute values */
        free(text);
        return 0;
    }
    char *nl = strchr(text, '\n');
    const char *base = "http://example.com/dir/page.html?x=1";
    const char *ref = text;
    if (nl) {
        *nl = '\0';
        base = text;
        ref = nl + 1;
    }
    char *url = NULL;
    if (fg_fetch_url_normalize(base, ref, 4096, &url) == 0) {
        char *again = NULL;
        fg_fetch_url_parts parts;
        if (fg_fetch_url_normalize(NULL, url, 4096, &again) != 0 || strcmp(again, url) != 0) {
            fprintf(stderr, "not stable: %s -> %s\n", url, again ? again : "(refused)");
            abort();
        }
        if (fg_fetch_url_split(url, &parts) != 0) {
            fprintf(stderr, "does not split: %s\n", url);
            abort();
        }
        (void)fg_fetch_url_query_params(url);
        free(again);
    }
    free(url);
    free(text);
    return 0;
}
