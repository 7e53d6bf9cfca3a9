/* libFuzzer: intrinsic function calls (argument parsing and evaluation). */
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
    fg__fn *f = fg__fn_compile(text, &eb);
    if (f) {
        json_error_t je;
        json_t *in = json_loads("{\"s\":\"a,b\",\"n\":3,\"arr\":[1,2,[3]],\"o\":{\"k\":\"v\"},"
                                "\"j\":\"{\\\"x\\\":1}\",\"b\":\"aGk=\"}", 0, &je);
        json_t *ctx = json_pack("{s:{s:s}}", "Execution", "Name", "e");
        fg__eval_ctx cx = {.input = in, .context = ctx, .max_results = 1000, .eb = &eb};
        json_t *r = fg__fn_eval(f, &cx);
        json_decref(r);
        json_decref(in);
        json_decref(ctx);
        fg__fn_free(f);
    }
    free(text);
    return 0;
}
