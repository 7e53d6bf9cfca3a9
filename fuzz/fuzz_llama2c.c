/* llama2.c checkpoint and tokenizer.bin parsers. The input is a u32 length n,
 * then n bytes of checkpoint, then the tokenizer. */
#include "infer/infer.h"
#include "infer/infer_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t n;
    memcpy(&n, data, 4);
    data += 4;
    size -= 4;
    if (n > size)
        n = (uint32_t)size;
    /* Copies aligned like a mapped file, so weights are read as floats. */
    uint8_t *ck = malloc(n + 1), *tok = malloc(size - n + 1);
    memcpy(ck, data, n);
    memcpy(tok, data + n, size - n);
    fg_infer_load_opts o = {.threads = 1, .max_context = 16, .max_vocab = 1 << 16,
                            .max_dim = 4096, .max_layers = 64};
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    if (fg__model_load_mem(ck, n, tok, size - n, &o, &m, &eb) == FG_OK) {
        fg_infer_session *s = NULL;
        if (fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 3}, &s, &eb) == FG_OK) {
            fg_infer_session_prompt(s, "ab c", 4, FG_INFER_TOK_BOS, &eb);
            const char *p;
            size_t len;
            while (fg_infer_session_finish(s) == FG_INFER_RUNNING &&
                   fg_infer_session_next(s, &p, &len, &eb) == FG_OK) {
            }
            fg_infer_session_free(s);
        }
        fg_infer_model_unref(m);
    } else if (!eb.msg[0]) {
        abort();
    }
    free(ck);
    free(tok);
    return 0;
}
