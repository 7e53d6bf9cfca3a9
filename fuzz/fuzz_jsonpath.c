/* libFuzzer: JSONPath compile, evaluate over a fixed document, and set. */
#include "flow/flow_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__jp *p = fg__jp_compile(text, &eb);
    if (p) {
        json_error_t je;
        json_t *doc = json_loads("{\"a\":[1,{\"b\":[2,3,{\"c\":\"x\"}]},\"s\"],\"d\":{\"e\":null,"
                                 "\"f\":[[1,2],[3,4]]},\"n\":-1.5}", 0, &je);
        int err;
        json_t *r = fg__jp_eval(p, doc, 1000, &err);
        json_decref(r);
        if (fg__jp_is_reference(p) && !fg__jp_is_context(p))
            fg__jp_set(p, &doc, json_integer(1));
        json_decref(doc);
        fg__jp_free(p);
    }
    free(text);
    return 0;
}
