/* Fuzzes the JSONata parser and evaluator: the first line of the input is the
 * expression, the rest (if any) is the JSON input document. Evaluation runs
 * under tight limits so that runaway expressions end quickly. */
#include "jsonata/jsonata.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t elen = nl ? (size_t)(nl - s) : size;
    fg_jsonata_error err;
    fg_jsonata_expr *e = fg_jsonata_compile(s, elen, &err);
    if (!e)
        return 0;
    json_t *input = NULL;
    if (nl)
        input = json_loadb(nl + 1, size - elen - 1, JSON_DECODE_ANY, NULL);
    fg_jsonata_limits lim = {.max_depth = 200, .timeout_ms = 200, .max_memory = 16 << 20,
                             .max_range = 100000, .regex_match_limit = 100000};
    json_t *out = fg_jsonata_eval(e, input, NULL, &lim, &err);
    json_decref(out);
    json_decref(input);
    fg_jsonata_free(e);
    return 0;
}
