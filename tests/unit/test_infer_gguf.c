/* GGUF loading: the shared 32k-vocabulary file, synthetic files of every
 * supported tensor type, and damaged files that must fail cleanly. */
#include "core/buf.h"
#include "core/json.h"
#include "fg_test.h"
#include "infer/infer.h"
#include "infer/infer_int.h"

#include <stdlib.h>

#define TINY "models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf"

static fg_infer_model *load_tiny(void)
{
    const char *path = fg_test_shared(TINY);
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    if (path && fg_infer_model_load(path, NULL, &(fg_infer_load_opts){.threads = 1}, &m, &eb))
        fprintf(stderr, "  load failed: %s\n", eb.msg);
    return m;
}

FG_TEST(tiny_gguf_loads_metadata_tensors_and_vocabulary)
{
    fg_infer_model *m = load_tiny();
    if (!m)
        FG_SKIP("%s not found in the shared data folder", TINY);
    const fg_infer_info *in = fg_infer_model_info(m);
    FG_CHECK_INT(in->format, FG_INFER_GGUF);
    FG_CHECK_STR(in->name, "LLaMA v2");
    FG_CHECK_STR(in->weight_type, "F16");
    FG_CHECK_INT(in->dim, 8);
    FG_CHECK_INT(in->n_layers, 1);
    FG_CHECK_INT(in->n_heads, 2);
    FG_CHECK_INT(in->n_kv_heads, 2);
    FG_CHECK_INT(in->hidden_dim, 32);
    FG_CHECK_INT(in->vocab_size, 32000);
    FG_CHECK_INT(in->context, 4096);
    FG_CHECK_INT(in->bos, 1);
    FG_CHECK_INT(in->eos, 2);
    FG_CHECK(in->rms_eps > 0.9e-5f && in->rms_eps < 1.1e-5f);
    FG_CHECK_STR(fg_infer_token_text(m, 1), "<s>");
    FG_CHECK_STR(fg_infer_token_text(m, 3), "<0x00>");
    FG_CHECK_STR(fg_infer_token_text(m, 31999), "\xe7\xbb\x99"); /* the last token */
    fg_buf out;
    fg_buf_init(&out, 0);
    FG_CHECK_INT(fg_infer_model_describe(m, &out), FG_OK);
    FG_CHECK(strstr(out.data, "llama.attention.head_count = 2\n") != NULL);
    FG_CHECK(strstr(out.data, "tokenizer.ggml.tokens = [string x 32000]") != NULL);
    FG_CHECK(strstr(out.data, "tensors = 12 (F32: 3, F16: 9)\n") != NULL);
    fg_buf_free(&out);
    fg_infer_model_unref(m);
}

FG_TEST(tiny_gguf_tokenizer_round_trips_text)
{
    fg_infer_model *m = load_tiny();
    if (!m)
        FG_SKIP("%s not found", TINY);
    const char *texts[] = {"Hello world", "The quick brown fox jumps over the lazy dog.",
                           "  two  spaces\tand\nlines\n", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
                           "\xf0\x9f\x98\x80 \xe2\x82\xac" "100", "x"};
    fg_errbuf eb = {0};
    for (size_t i = 0; i < FG_ARRAY_LEN(texts); i++) {
        int32_t *ids = NULL;
        size_t n = 0;
        FG_REQUIRE(fg_infer_tokenize(m, texts[i], strlen(texts[i]), FG_INFER_TOK_BOS, &ids, &n,
                                     &eb) == FG_OK);
        FG_CHECK_INT(ids[0], 1);
        fg_buf out;
        fg_buf_init(&out, 0);
        FG_CHECK_INT(fg_infer_detokenize(m, ids, n, &out), FG_OK);
        FG_CHECK_STR(out.data, texts[i]);
        fg_buf_free(&out);
        free(ids);
    }
    fg_infer_model_unref(m);
}

FG_TEST(tiny_gguf_tokenizer_gives_llama2_ids)
{
    fg_infer_model *m = load_tiny();
    if (!m)
        FG_SKIP("%s not found", TINY);
    int32_t *ids = NULL;
    size_t n = 0;
    fg_errbuf eb = {0};
    /* Llama 2's tokenizer: "Hello world" is <s> "▁Hello" "▁world". */
    FG_REQUIRE(fg_infer_tokenize(m, "Hello world", 11, FG_INFER_TOK_BOS, &ids, &n, &eb) == FG_OK);
    FG_REQUIRE(n == 3);
    FG_CHECK_INT(ids[1], 15043);
    FG_CHECK_INT(ids[2], 3186);
    free(ids);
    /* Special tokens are recognised only when asked; a space follows each. */
    FG_REQUIRE(fg_infer_tokenize(m, "<s>[INST]", 9, FG_INFER_TOK_SPECIAL, &ids, &n, &eb) == FG_OK);
    FG_CHECK_INT(ids[0], 1);
    FG_CHECK(n >= 2 && ids[1] != 1);
    free(ids);
    FG_REQUIRE(fg_infer_tokenize(m, "<s>", 3, 0, &ids, &n, &eb) == FG_OK);
    FG_CHECK(n > 1);
    free(ids);
    fg_infer_model_unref(m);
}

static int load_synth(const fg__synth *s, fg_buf *file, fg_infer_model **m, fg_errbuf *eb)
{
    fg_buf_init(file, (size_t)64 << 20);
    int rc = fg__synth_gguf(s, file);
    if (rc)
        return rc;
    return fg__model_load_mem((const uint8_t *)file->data, file->len, NULL, 0,
                              &(fg_infer_load_opts){.threads = 2}, m, eb);
}

static const fg__synth small = {.dim = 64, .hidden = 96, .layers = 2, .heads = 4, .kv_heads = 2,
                                .vocab = 400, .context = 64, .type = FG__T_Q8_0, .seed = 1};

FG_TEST(synthetic_models_of_every_type_load_and_generate)
{
    int types[] = {FG__T_F32, FG__T_F16, FG__T_Q8_0, FG__T_Q4_0, FG__T_BF16};
    for (size_t i = 0; i < FG_ARRAY_LEN(types); i++) {
        fg__synth s = small;
        s.type = types[i];
        s.tied = i % 2;
        fg_buf file;
        fg_infer_model *m = NULL;
        fg_errbuf eb = {0};
        FG_REQUIRE(load_synth(&s, &file, &m, &eb) == FG_OK);
        const fg_infer_info *in = fg_infer_model_info(m);
        FG_CHECK_STR(in->weight_type, fg__type_name(types[i]));
        FG_CHECK_INT(in->n_kv_heads, 2);
        FG_CHECK_INT(in->chat, FG_INFER_CHAT_CHATML);
        fg_infer_session *ses = NULL;
        FG_REQUIRE(fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 20}, &ses, &eb) ==
                   FG_OK);
        FG_CHECK_INT(fg_infer_session_prompt(ses, "ab cd", 5, FG_INFER_TOK_BOS, &eb), FG_OK);
        const char *piece;
        size_t n;
        while (fg_infer_session_finish(ses) == FG_INFER_RUNNING)
            FG_REQUIRE(fg_infer_session_next(ses, &piece, &n, &eb) == FG_OK);
        FG_CHECK(fg_infer_session_usage(ses).generated_tokens >= 1);
        fg_infer_session_free(ses);
        fg_infer_model_unref(m);
        fg_buf_free(&file);
    }
}

/* Loads bytes that must be refused; returns the error code. */
static int load_bad(const void *data, size_t len, char *msg, size_t msg_len)
{
    /* A private copy, so ASan sees any read past the given length. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    int rc = fg__model_load_mem(copy, len, NULL, 0, &(fg_infer_load_opts){.threads = 1}, &m, &eb);
    if (m)
        fg_infer_model_unref(m);
    free(copy);
    snprintf(msg, msg_len, "%s", eb.msg);
    return rc;
}

FG_TEST(every_truncation_of_a_gguf_file_is_refused)
{
    fg__synth s = small;
    s.layers = 1;
    fg_buf file;
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(load_synth(&s, &file, &m, &eb) == FG_OK);
    fg_infer_model_unref(m);
    char msg[FG_ERRMSG_MAX];
    int refused = 0, tried = 0;
    for (size_t len = 0; len < file.len; len += len < 4096 ? 7 : 997) {
        tried++;
        refused += load_bad(file.data, len, msg, sizeof msg) != FG_OK && msg[0];
    }
    FG_CHECK_INT(refused, tried);
    FG_CHECK_INT(load_bad(file.data, file.len - 1, msg, sizeof msg), FG_EPARSE);
    FG_CHECK(strstr(msg, "past the end") != NULL);
    fg_buf_free(&file);
}

/* Finds the tensor description of name in a synthetic file and returns the
 * offset of its type field. */
static size_t type_field(const fg_buf *file, const char *name)
{
    const char *p = memmem(file->data, file->len, name, strlen(name));
    if (!p)
        return 0;
    size_t off = (size_t)(p - file->data) + strlen(name);
    uint32_t nd;
    memcpy(&nd, file->data + off, 4);
    return off + 4 + 8 * nd;
}

FG_TEST(lying_headers_are_refused_with_clear_errors)
{
    fg__synth s = small;
    s.layers = 1;
    fg_buf file;
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(load_synth(&s, &file, &m, &eb) == FG_OK);
    fg_infer_model_unref(m);
    char *bad = malloc(file.len), msg[FG_ERRMSG_MAX];
    size_t tf = type_field(&file, "blk.0.attn_q.weight");
    FG_REQUIRE(tf > 0);
    /* Unknown tensor type. */
    memcpy(bad, file.data, file.len);
    uint32_t t = 99;
    memcpy(bad + tf, &t, 4);
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EUNSUPPORTED);
    FG_CHECK(strstr(msg, "blk.0.attn_q.weight") != NULL);
    /* A known type flowgate does not run (Q4_K). */
    t = 12;
    memcpy(bad + tf, &t, 4);
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EUNSUPPORTED);
    FG_CHECK(strstr(msg, "Q4_K") != NULL);
    /* Tensor offset past the end of the file. */
    memcpy(bad, file.data, file.len);
    uint64_t off = (uint64_t)1 << 40;
    memcpy(bad + tf + 4, &off, 8);
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EPARSE);
    FG_CHECK(strstr(msg, "past the end") != NULL);
    /* Absurd dimension. */
    memcpy(bad, file.data, file.len);
    uint64_t dim = UINT64_MAX / 2;
    memcpy(bad + tf - 8, &dim, 8);
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EPARSE);
    /* Tensor count far beyond what the file holds. */
    memcpy(bad, file.data, file.len);
    uint64_t count = (uint64_t)1 << 50;
    memcpy(bad + 8, &count, 8);
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EPARSE);
    FG_CHECK(strstr(msg, "cannot fit") != NULL);
    /* Metadata that contradicts a tensor's shape. */
    memcpy(bad, file.data, file.len);
    char *key = memmem(bad, file.len, "llama.feed_forward_length", 25);
    FG_REQUIRE(key != NULL);
    uint32_t ff = 128;
    memcpy(key + 25 + 4, &ff, 4);
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EPARSE);
    FG_CHECK(strstr(msg, "shape") != NULL);
    /* No architecture key at all. */
    memcpy(bad, file.data, file.len);
    char *arch = memmem(bad, file.len, "general.architecture", 20);
    FG_REQUIRE(arch != NULL);
    arch[19] = 'X';
    FG_CHECK_INT(load_bad(bad, file.len, msg, sizeof msg), FG_EUNSUPPORTED);
    FG_CHECK(strstr(msg, "only 'llama'") != NULL);
    /* Not GGUF at all and no tokenizer: read as llama2.c, which needs one. */
    FG_CHECK_INT(load_bad("GGUX", 4, msg, sizeof msg), FG_EINVAL);
    free(bad);
    fg_buf_free(&file);
}

FG_TEST(bad_llama2c_checkpoints_are_refused)
{
    char msg[FG_ERRMSG_MAX];
    uint8_t tok[64] = {0};
    int32_t hdr[7] = {64, 172, 5, 8, 4, 512, 512};
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    /* Header only: the weights are missing. */
    FG_CHECK_INT(fg__model_load_mem((uint8_t *)hdr, sizeof hdr, tok, sizeof tok, NULL, &m, &eb),
                 FG_EPARSE);
    FG_CHECK(strstr(eb.msg, "truncated") != NULL);
    /* Absurd and inconsistent dimensions. */
    int32_t cases[][7] = {{-1, 1, 1, 1, 1, 1, 1}, {64, 172, 5, 7, 4, 512, 512},
                          {1 << 30, 1, 1, 1, 1, 1, 1}, {64, 172, 5, 8, 3, 512, 512},
                          {64, 172, 0, 8, 4, 512, 512}};
    for (size_t i = 0; i < FG_ARRAY_LEN(cases); i++) {
        fg_errbuf e = {0};
        FG_CHECK_INT(fg__model_load_mem((uint8_t *)cases[i], sizeof cases[i], tok, sizeof tok,
                                        NULL, &m, &e),
                     FG_EPARSE);
        FG_CHECK(e.msg[0] != '\0');
    }
    FG_CHECK(m == NULL);
    (void)msg;
}

FG_TEST(bad_tokenizer_files_are_refused)
{
    const char *bin = fg_test_shared("models/stories260K/stories260K.bin");
    if (!bin)
        FG_SKIP("models/stories260K not found");
    fg__map map;
    FG_REQUIRE(fg__map_open(&map, bin, 1 << 30, NULL) == FG_OK);
    uint8_t tok[16] = {8, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 'a', 'b'};
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    FG_CHECK_INT(fg__model_load_mem(map.data, map.len, tok, sizeof tok, NULL, &m, &eb), FG_EPARSE);
    FG_CHECK(strstr(eb.msg, "tokenizer.bin") != NULL);
    FG_CHECK(m == NULL);
    fg__map_close(&map);
    fg_errbuf e2 = {0};
    FG_CHECK_INT(fg_infer_model_load("/nonexistent/model.gguf", NULL, NULL, &m, &e2), FG_ENOTFOUND);
    FG_CHECK(strstr(e2.msg, "/nonexistent/model.gguf") != NULL);
}

static char *generate_with_threads(const fg_buf *file, unsigned threads)
{
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    if (fg__model_load_mem((const uint8_t *)file->data, file->len, NULL, 0,
                           &(fg_infer_load_opts){.threads = threads}, &m, &eb))
        return NULL;
    if (threads > 1)
        m->lim.attn_parallel_min = 0; /* attention heads over the pool too */
    fg_infer_session *s = NULL;
    fg_buf out;
    fg_buf_init(&out, 0);
    fg_buf_puts(&out, "");
    if (fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 24}, &s, &eb) == FG_OK &&
        fg_infer_session_prompt(s, "ab", 2, FG_INFER_TOK_BOS, &eb) == FG_OK) {
        const char *piece;
        size_t n;
        while (fg_infer_session_finish(s) == FG_INFER_RUNNING &&
               fg_infer_session_next(s, &piece, &n, &eb) == FG_OK)
            fg_buf_printf(&out, "%d,", fg_infer_session_last_token(s));
    }
    fg_infer_session_free(s);
    fg_infer_model_unref(m);
    return fg_buf_detach(&out, NULL);
}

FG_TEST(threaded_matrix_work_gives_the_same_tokens)
{
    /* Matrices over the size where work is split across the pool. */
    fg__synth s = {.dim = 256, .hidden = 512, .layers = 1, .heads = 4, .kv_heads = 1,
                   .vocab = 400, .context = 64, .type = FG__T_Q4_0, .seed = 3};
    fg_buf file;
    fg_buf_init(&file, (size_t)64 << 20);
    FG_REQUIRE(fg__synth_gguf(&s, &file) == FG_OK);
    char *one = generate_with_threads(&file, 1), *three = generate_with_threads(&file, 3);
    FG_REQUIRE(one && three);
    FG_CHECK(strlen(one) > 24);
    FG_CHECK_STR(three, one);
    free(one);
    free(three);
    fg_buf_free(&file);
}

FG_TEST(streamed_pieces_are_whole_utf8_even_from_random_bytes)
{
    /* Most of the synthetic vocabulary is byte tokens; random weights sampled
     * hot give arbitrary byte sequences. */
    fg_buf file;
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(load_synth(&small, &file, &m, &eb) == FG_OK);
    fg_infer_params p = {.max_tokens = 60, .temperature = 2.0f, .seed = 99};
    fg_infer_session *s = NULL;
    FG_REQUIRE(fg_infer_session_create(m, &p, &s, &eb) == FG_OK);
    int pieces = 0, bytes_seen = 0;
    while (fg_infer_session_finish(s) == FG_INFER_RUNNING) {
        const char *piece;
        size_t n;
        FG_REQUIRE(fg_infer_session_next(s, &piece, &n, &eb) == FG_OK);
        FG_CHECK(fg_utf8_valid(piece, n));
        pieces += n > 0;
        int32_t last = fg_infer_session_last_token(s);
        bytes_seen += last >= 3 && last < 259;
    }
    FG_CHECK(bytes_seen > 10);
    FG_CHECK(pieces > 0);
    fg_infer_session_free(s);
    fg_infer_model_unref(m);
    fg_buf_free(&file);
}
