/* The numerical building blocks, against values worked out by hand or by a
 * plainly different formula, and the text plumbing around generation. */
#include "core/buf.h"
#include "fg_test.h"
#include "infer/infer.h"
#include "infer/infer_int.h"

#include <math.h>
#include <stdlib.h>

#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

FG_TEST(rmsnorm_matches_hand_values)
{
    /* mean of squares of 1,2,3,4 is 7.5; 1/sqrt(7.5) = 0.365148372 */
    float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 0.5f}, out[4];
    fg__rmsnorm(out, x, w, 4, 0);
    FG_CHECK(NEAR(out[0], 0.365148372, 1e-6));
    FG_CHECK(NEAR(out[1], 0.730296743, 1e-6));
    FG_CHECK(NEAR(out[2], 2.190890230, 1e-6));
    FG_CHECK(NEAR(out[3], 0.730296743, 1e-6));
    /* epsilon enters under the root: all-zero input stays finite */
    float z[4] = {0}, zo[4];
    fg__rmsnorm(zo, z, w, 4, 1e-5f);
    FG_CHECK(zo[0] == 0 && zo[3] == 0);
}

FG_TEST(softmax_matches_hand_values)
{
    float x[3] = {1, 2, 3};
    fg__softmax(x, 3);
    FG_CHECK(NEAR(x[0], 0.0900305732, 1e-7));
    FG_CHECK(NEAR(x[1], 0.2447284711, 1e-7));
    FG_CHECK(NEAR(x[2], 0.6652409558, 1e-7));
    float big[2] = {1000, 1000}; /* no overflow: the maximum is subtracted */
    fg__softmax(big, 2);
    FG_CHECK(NEAR(big[0], 0.5, 1e-7));
}

FG_TEST(rope_rotates_pairs_by_position_and_frequency)
{
    /* head size 4, base 10000, position 1: pair 0 turns by 1 rad, pair 1 by
     * 10000^(-2/4) = 0.01 rad. Two heads, both rotated the same way. */
    float v[8] = {1, 0, 0, 1, 2, 0, 0, 2};
    fg__rope(v, 2, 4, 4, 1, 10000.0f);
    FG_CHECK(NEAR(v[0], 0.540302306, 1e-6));  /* cos 1 */
    FG_CHECK(NEAR(v[1], 0.841470985, 1e-6));  /* sin 1 */
    FG_CHECK(NEAR(v[2], -0.00999983334, 1e-6)); /* -sin 0.01 */
    FG_CHECK(NEAR(v[3], 0.99995000042, 1e-6));  /* cos 0.01 */
    FG_CHECK(NEAR(v[4], 1.08060461, 1e-6));
    /* position 0 is the identity; a rotation keeps the length */
    float w[4] = {0.3f, -0.4f, 1, 2};
    fg__rope(w, 1, 4, 4, 0, 10000.0f);
    FG_CHECK(w[0] == 0.3f && w[1] == -0.4f);
    fg__rope(w, 1, 4, 4, 123, 10000.0f);
    FG_CHECK(NEAR(hypot(w[0], w[1]), 0.5, 1e-6));
}

FG_TEST(silu_matches_hand_values)
{
    FG_CHECK(fg__silu(0) == 0);
    FG_CHECK(NEAR(fg__silu(1), 0.731058579, 1e-6));  /* 1 / (1 + e^-1) */
    FG_CHECK(NEAR(fg__silu(-2), -0.238405844, 1e-6));
}

FG_TEST(f16_conversion_matches_known_bit_patterns)
{
    FG_CHECK(fg__f16_to_f32(0x3c00) == 1.0f);
    FG_CHECK(fg__f16_to_f32(0xc000) == -2.0f);
    FG_CHECK(fg__f16_to_f32(0x7bff) == 65504.0f);
    FG_CHECK(fg__f16_to_f32(0x0001) == ldexpf(1, -24));
    FG_CHECK(fg__f16_to_f32(0x3555) == 0.333251953125f);
    FG_CHECK(isinf(fg__f16_to_f32(0x7c00)));
    FG_CHECK_INT(fg__f32_to_f16(1.0f), 0x3c00);
    FG_CHECK_INT(fg__f32_to_f16(-2.0f), 0xc000);
    FG_CHECK_INT(fg__f32_to_f16(65504.0f), 0x7bff);
    FG_CHECK_INT(fg__f32_to_f16(1e6f), 0x7c00);
    FG_CHECK_INT(fg__f32_to_f16(1.0f / 3), 0x3555);
    FG_CHECK_INT(fg__f32_to_f16(ldexpf(1, -24)), 0x0001);
    /* bfloat16 is the top half of a float */
    FG_CHECK(fg__bf16_to_f32(0x3f80) == 1.0f);
    FG_CHECK(fg__bf16_to_f32(0xc040) == -3.0f);
    FG_CHECK(fg__bf16_to_f32(0x3e00) == 0.125f);
    uint16_t b9[9] = {0x3f80, 0xc000, 0x3f00, 0x4040, 0x3f80, 0x3f80, 0x3f80, 0x3f80, 0x4100};
    float x9[9] = {1, 1, 2, 1, 0, 0, 0, 0, 0.5f}; /* 1 - 2 + 1 + 3 + 4 = 7 */
    FG_CHECK(fg__dot_bf16(b9, x9, 9) == 7.0f);
    for (uint32_t h = 0; h < 0x7c00; h += 7) /* every finite positive value round-trips */
        if (fg__f32_to_f16(fg__f16_to_f32((uint16_t)h)) != h)
            FG_CHECK(!"f16 round trip");
}

static void both_paths(void (*check)(void))
{
    fg__simd_enable(false);
    check();
    fg__simd_enable(true);
    check();
}

static void q8_hand(void)
{
    /* w = (i - 16) * 0.5, x = 2 * 0.25: sum of (i-16)*2 over i<32 is -32,
     * times the scales 0.5 * 0.25 gives -4. A second block adds 32*127*127*1*1. */
    fg__block_q8_0 w[2], x[2];
    w[0].d = fg__f32_to_f16(0.5f);
    x[0].d = fg__f32_to_f16(0.25f);
    w[1].d = x[1].d = fg__f32_to_f16(1.0f);
    for (int i = 0; i < 32; i++) {
        w[0].qs[i] = (int8_t)(i - 16);
        x[0].qs[i] = 2;
        w[1].qs[i] = 127;
        x[1].qs[i] = (int8_t)(i % 2 ? -127 : 127);
    }
    FG_CHECK(fg__dot_q8_0(w, x, 32) == -4.0f);
    FG_CHECK(fg__dot_q8_0(w, x, 64) == -4.0f); /* second block: 16*16129 - 16*16129 */
    x[1].qs[0] = 1;
    FG_CHECK(fg__dot_q8_0(w, x, 64) == -4.0f + 127.0f - 16129.0f);
}

FG_TEST(q8_0_dot_matches_hand_values)
{
    both_paths(q8_hand);
}

static void q4_hand(void)
{
    /* Nibble j of byte i: low = element i, high = element i + 16; value
     * (q - 8) * d. Elements: low nibbles 0..15 give -8..7, high nibbles all 9
     * give +1. With x all 1 and scales 1: sum(-8..7) + 16 = -8 + 16 = 8. */
    fg__block_q4_0 w;
    fg__block_q8_0 x;
    w.d = fg__f32_to_f16(1.0f);
    x.d = fg__f32_to_f16(1.0f);
    for (int i = 0; i < 16; i++)
        w.qs[i] = (uint8_t)(i | 9 << 4);
    for (int i = 0; i < 32; i++)
        x.qs[i] = 1;
    FG_CHECK(fg__dot_q4_0(&w, &x, 32) == 8.0f);
    /* x = 3 on the high half only: 16 * 1 * 3 = 48, scaled by 0.5 * 2 */
    w.d = fg__f32_to_f16(0.5f);
    x.d = fg__f32_to_f16(2.0f);
    for (int i = 0; i < 32; i++)
        x.qs[i] = (int8_t)(i < 16 ? 0 : 3);
    FG_CHECK(fg__dot_q4_0(&w, &x, 32) == 48.0f);
}

FG_TEST(q4_0_dot_matches_hand_values)
{
    both_paths(q4_hand);
}

static float ref_dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return (float)s;
}

static void quantised_rows_agree(void)
{
    enum { N = 256 };
    float w[N], x[N], wd[N];
    uint64_t rng = 5;
    for (int i = 0; i < N; i++) {
        w[i] = fg__rng_unit(&rng) * 2 - 1;
        x[i] = fg__rng_unit(&rng) * 2 - 1;
    }
    fg__block_q8_0 wq[N / 32], xq[N / 32];
    fg__block_q4_0 w4[N / 32];
    fg__quantize_q8_0(w, wq, N);
    fg__quantize_q8_0(x, xq, N);
    fg__quantize_q4_0(w, w4, N);
    float exact = ref_dot(w, x, N);
    FG_CHECK(NEAR(fg__dot_f32(w, x, N), exact, 1e-4));
    FG_CHECK(NEAR(fg__dot_q8_0(wq, xq, N), exact, 0.05));
    FG_CHECK(NEAR(fg__dot_q4_0(w4, xq, N), exact, 0.6));
    /* A dequantised row (by the element formula) dotted in double agrees with
     * the block dot product up to the rounding of x. */
    fg__tensor t = {FG__T_Q4_0, w4, 1, N, sizeof w4};
    fg__tensor_row(&t, 0, wd);
    float xd[N];
    fg__tensor tx = {FG__T_Q8_0, xq, 1, N, sizeof xq};
    fg__tensor_row(&tx, 0, xd);
    FG_CHECK(NEAR(fg__dot_q4_0(w4, xq, N), ref_dot(wd, xd, N), 1e-3));
    uint16_t wh[N], wb[N];
    for (int i = 0; i < N; i++) {
        wh[i] = fg__f32_to_f16(w[i]);
        uint32_t bits;
        memcpy(&bits, &w[i], 4);
        wb[i] = (uint16_t)(bits >> 16); /* truncated to bfloat16 */
    }
    FG_CHECK(NEAR(fg__dot_f16(wh, x, N), exact, 0.01));
    FG_CHECK(NEAR(fg__dot_bf16(wb, x, N), exact, 0.1));
}

FG_TEST(quantised_dot_products_approximate_the_exact_one)
{
    both_paths(quantised_rows_agree);
}

static void sum_squares(void *ctx, size_t b, size_t e)
{
    double *out = ctx;
    for (size_t i = b; i < e; i++)
        out[i] = (double)i * i;
}

FG_TEST(pool_covers_every_index_once)
{
    fg__pool *p = fg__pool_create(3);
    FG_REQUIRE(p != NULL);
    double *v = calloc(1001, sizeof *v);
    for (int round = 0; round < 50; round++) {
        memset(v, 0, 1001 * sizeof *v);
        fg__pool_run(p, 1001, sum_squares, v);
        double s = 0;
        for (int i = 0; i < 1001; i++)
            s += v[i];
        FG_CHECK(s == 1000.0 * 1001 * 2001 / 6);
    }
    free(v);
    fg__pool_free(p);
}

FG_TEST(sampler_respects_top_k_top_p_and_seed)
{
    float base[4] = {0, 1, 2, 3};
    fg__sampler s;
    FG_REQUIRE(fg__sampler_init(&s, 4, 1.0f, 0, 1, 9) == FG_OK);
    float l[4];
    memcpy(l, base, sizeof l);
    FG_CHECK_INT(fg__sample(&s, l), 3);
    fg__sampler_free(&s);
    /* top_p 0.5: probabilities are .032 .087 .237 .644, so only token 3 is kept */
    FG_REQUIRE(fg__sampler_init(&s, 4, 1.0f, 0.5f, 0, 9) == FG_OK);
    for (int i = 0; i < 20; i++) {
        memcpy(l, base, sizeof l);
        FG_CHECK_INT(fg__sample(&s, l), 3);
    }
    fg__sampler_free(&s);
    /* Plain sampling follows the softmax: token 3 about 64% of 4000 draws. */
    FG_REQUIRE(fg__sampler_init(&s, 4, 1.0f, 0, 0, 11) == FG_OK);
    int hits[4] = {0};
    for (int i = 0; i < 4000; i++) {
        memcpy(l, base, sizeof l);
        hits[fg__sample(&s, l)]++;
    }
    FG_CHECK(hits[3] > 2400 && hits[3] < 2750);
    FG_CHECK(hits[0] > 60 && hits[0] < 200);
    fg__sampler_free(&s);
    /* top_k 2 keeps tokens 2 and 3, renormalised: .269 and .731 */
    float many[40];
    for (int i = 0; i < 40; i++)
        many[i] = i < 38 ? -1.0f + (float)i * 0.01f : (float)(i - 36);
    FG_REQUIRE(fg__sampler_init(&s, 40, 1.0f, 0, 2, 5) == FG_OK);
    int top[40] = {0};
    for (int i = 0; i < 4000; i++) {
        float l2[40];
        memcpy(l2, many, sizeof l2);
        top[fg__sample(&s, l2)]++;
    }
    FG_CHECK_INT(top[38] + top[39], 4000);
    FG_CHECK(top[38] > 950 && top[38] < 1200);
    fg__sampler_free(&s);
    uint64_t a = 1, b = 1;
    FG_CHECK(fg__rng_next(&a) == fg__rng_next(&b));
}

FG_TEST(utf8_streaming_holds_partial_characters)
{
    FG_CHECK_INT(fg__utf8_complete("ab\xc3", 3), 2);
    FG_CHECK_INT(fg__utf8_complete("ab\xc3\xa9", 4), 4);
    FG_CHECK_INT(fg__utf8_complete("\xf0\x9f\x98", 3), 0);
    FG_CHECK_INT(fg__utf8_complete("a\xff", 2), 2); /* never completes: let it out */
    fg_buf b;
    fg_buf_init(&b, 0);
    fg__utf8_sanitize(&b, "a\xff\xc3\xa9\xed\xa0\x80", 7);
    FG_CHECK_STR(b.data, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    fg_buf_free(&b);
}

FG_TEST(chat_templates_are_detected_and_formatted)
{
    FG_CHECK_INT(fg_infer_chat_detect("{{ '<|im_start|>' + role }}", 26), FG_INFER_CHAT_CHATML);
    const char *l3 = "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}";
    FG_CHECK_INT(fg_infer_chat_detect(l3, strlen(l3)), FG_INFER_CHAT_LLAMA3);
    FG_CHECK_INT(fg_infer_chat_detect("{{ '[INST] ' + content }}", 24), FG_INFER_CHAT_LLAMA2);
    FG_CHECK_INT(fg_infer_chat_detect("{{ content }}", 13), FG_INFER_CHAT_NONE);
    FG_CHECK_INT(fg_infer_chat_from_name("chatml"), FG_INFER_CHAT_CHATML);
    FG_CHECK_INT(fg_infer_chat_from_name("nope"), -1);
    fg_infer_msg msgs[] = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"},
                           {"user", "Bye"}};
    fg_buf b;
    fg_buf_init(&b, 0);
    FG_CHECK_INT(fg_infer_chat_format(FG_INFER_CHAT_LLAMA2, msgs, 4, &b, NULL), FG_OK);
    FG_CHECK_STR(b.data, "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s>"
                         "<s>[INST] Bye [/INST]");
    fg_buf_reset(&b);
    FG_CHECK_INT(fg_infer_chat_format(FG_INFER_CHAT_CHATML, msgs, 2, &b, NULL), FG_OK);
    FG_CHECK_STR(b.data, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                         "<|im_start|>assistant\n");
    fg_buf_reset(&b);
    FG_CHECK_INT(fg_infer_chat_format(FG_INFER_CHAT_LLAMA3, msgs + 1, 1, &b, NULL), FG_OK);
    FG_CHECK_STR(b.data, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                         "<|start_header_id|>assistant<|end_header_id|>\n\n");
    fg_buf_free(&b);
}

/* A GPT-2 style vocabulary: the 256 byte-level characters, three merges. */
static void gpt2_vocab(fg__tokenizer *t)
{
    static const char *extra[] = {"\xc4\xa0t", "he", "\xc4\xa0the", "<|eot|>"};
    static const char *merges[] = {"\xc4\xa0 t", "h e", "\xc4\xa0t he"};
    FG_REQUIRE(fg__tok_alloc(t, 256 + 4) == FG_OK);
    t->gpt2 = true;
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        char s[4];
        size_t n = fg__bytelevel_encode(&byte, 1, s);
        t->text[b] = strndup(s, n);
        t->len[b] = (uint32_t)n;
        t->kind[b] = FG__TOK_NORMAL;
    }
    for (int i = 0; i < 4; i++) {
        t->text[256 + i] = strdup(extra[i]);
        t->len[256 + i] = (uint32_t)strlen(extra[i]);
        t->kind[256 + i] = i == 3 ? FG__TOK_CONTROL : FG__TOK_NORMAL;
    }
    t->n_merges = 3;
    t->merge_text = calloc(3, sizeof *t->merge_text);
    t->merge_len = calloc(3, sizeof *t->merge_len);
    for (int i = 0; i < 3; i++) {
        t->merge_text[i] = merges[i];
        t->merge_len[i] = (uint32_t)strlen(merges[i]);
    }
    FG_REQUIRE(fg__tok_build_merges(t) == FG_OK);
    FG_REQUIRE(fg__tok_finish(t, NULL) == FG_OK);
}

FG_TEST(gpt2_bpe_applies_merges_by_rank_over_byte_level_text)
{
    fg__tokenizer t;
    gpt2_vocab(&t);
    /* Byte-level: space is U+0120, newline U+010A, 0xFF is U+00FF itself. */
    char s[4];
    uint8_t sp = ' ', nl = '\n', ff = 0xff;
    FG_CHECK(fg__bytelevel_encode(&sp, 1, s) == 2 && memcmp(s, "\xc4\xa0", 2) == 0);
    FG_CHECK(fg__bytelevel_encode(&nl, 1, s) == 2 && memcmp(s, "\xc4\x8a", 2) == 0);
    FG_CHECK(fg__bytelevel_encode(&ff, 1, s) == 2 && memcmp(s, "\xc3\xbf", 2) == 0);
    int32_t *ids = NULL;
    size_t n = 0;
    const char *text = "the the<|eot|>\xe2\x82\xac";
    FG_REQUIRE(fg__tok_encode(&t, text, strlen(text), FG_INFER_TOK_SPECIAL, &ids, &n, NULL) == FG_OK);
    /* "t" "he" | "Ġthe" | <|eot|> | three bytes of the euro sign */
    FG_REQUIRE(n == 7);
    FG_CHECK_INT(ids[0], 't');
    FG_CHECK_INT(ids[1], 257);
    FG_CHECK_INT(ids[2], 258);
    FG_CHECK_INT(ids[3], 259);
    FG_CHECK_INT(ids[4], 0xe2);
    fg_buf out;
    fg_buf_init(&out, 0);
    for (size_t i = 0; i < n; i++)
        fg__tok_piece(&t, i ? ids[i - 1] : -1, ids[i], &out);
    FG_CHECK_STR(out.data, "the the\xe2\x82\xac"); /* control tokens print nothing */
    fg_buf_free(&out);
    free(ids);
    fg__tok_free(&t);
}
