/* Writes a llama-architecture GGUF file with random weights, for benchmarks
 * and fuzz seeds. Usage:
 *   gen_model OUT.gguf DIM HIDDEN LAYERS HEADS KV_HEADS VOCAB CONTEXT TYPE [SEED [tied]]
 * TYPE is F32, F16, BF16, Q8_0 or Q4_0; "tied" shares the classifier with the embedding. */
#include "infer/infer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int type_of(const char *name)
{
    int types[] = {FG__T_F32, FG__T_F16, FG__T_Q8_0, FG__T_Q4_0, FG__T_BF16};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(name, fg__type_name(types[i])) == 0)
            return types[i];
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 10) {
        fprintf(stderr, "usage: gen_model OUT DIM HIDDEN LAYERS HEADS KV_HEADS VOCAB CONTEXT TYPE [SEED]\n");
        return 2;
    }
    fg__synth s = {.dim = (uint32_t)atoi(argv[2]), .hidden = (uint32_t)atoi(argv[3]),
                   .layers = (uint32_t)atoi(argv[4]), .heads = (uint32_t)atoi(argv[5]),
                   .kv_heads = (uint32_t)atoi(argv[6]), .vocab = (uint32_t)atoi(argv[7]),
                   .context = (uint32_t)atoi(argv[8]), .type = type_of(argv[9]),
                   .seed = argc > 10 ? strtoull(argv[10], NULL, 10) : 1,
                   .tied = argc > 11 && strcmp(argv[11], "tied") == 0};
    if (s.type < 0) {
        fprintf(stderr, "gen_model: unknown type %s\n", argv[9]);
        return 2;
    }
    fg_buf b;
    fg_buf_init(&b, (size_t)4 << 30);
    if (fg__synth_gguf(&s, &b) != FG_OK) {
        fprintf(stderr, "gen_model: bad dimensions or out of memory\n");
        return 1;
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    fg_buf_free(&b);
    return 0;
}
