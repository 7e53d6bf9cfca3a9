/* GGUF parser and model loader: any bytes must load cleanly or fail with a
 * message; a file that loads must tokenize, describe itself and run a token. */
#include "infer/infer.h"
#include "infer/infer_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fg_infer_load_opts o = {.threads = 1, .max_context = 16, .max_vocab = 1 << 16,
                            .max_dim = 4096, .max_layers = 64};
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    if (fg__model_load_mem(data, size, NULL, 0, &o, &m, &eb) != FG_OK) {
        if (!eb.msg[0])
            abort(); /* every failure says why */
        return 0;
    }
    fg_buf b;
    fg_buf_init(&b, 1 << 20);
    fg_infer_model_describe(m, &b);
    int32_t *ids = NULL;
    size_t n = 0;
    if (fg_infer_tokenize(m, "Hi <s> there\xe2\x82\xac", 15, FG_INFER_TOK_SPECIAL, &ids, &n,
                          &eb) == FG_OK) {
        fg_infer_detokenize(m, ids, n, &b);
        free(ids);
    }
    fg_buf_free(&b);
    /* Running is bounded by the file's own weights; keep it to small files. */
    if (size < 200000) {
        fg_infer_session *s = NULL;
        if (fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 2}, &s, &eb) == FG_OK) {
            fg_infer_session_prompt(s, "a", 1, FG_INFER_TOK_BOS, &eb);
            const char *p;
            size_t len;
            while (fg_infer_session_finish(s) == FG_INFER_RUNNING &&
                   fg_infer_session_next(s, &p, &len, &eb) == FG_OK) {
            }
            fg_infer_session_free(s);
        }
    }
    fg_infer_model_unref(m);
    return 0;
}
