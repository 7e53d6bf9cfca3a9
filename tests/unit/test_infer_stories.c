/* The local model engine on a real model: stories260K (llama2.c format). */
#include "core/buf.h"
#include "fg_test.h"
#include "infer/infer.h"

#include <pthread.h>
#include <stdlib.h>

static fg_infer_model *load_stories(void)
{
    const char *bin = fg_test_shared("models/stories260K/stories260K.bin");
    if (!bin)
        return NULL;
    char binpath[4096];
    snprintf(binpath, sizeof binpath, "%s", bin);
    const char *tok = fg_test_shared("models/stories260K/tok512.bin");
    fg_infer_model *m = NULL;
    fg_errbuf eb = {0};
    fg_infer_load_opts o = {.threads = 2};
    if (fg_infer_model_load(binpath, tok, &o, &m, &eb) != FG_OK)
        fprintf(stderr, "  load failed: %s\n", eb.msg);
    return m;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 1 << 16);
    *len = fread(s, 1, (1 << 16) - 1, f);
    fclose(f);
    return s;
}

static int collect(void *ud, const char *p, size_t n)
{
    return fg_buf_append(ud, p, n);
}

/* Runs a session to the end and returns its text (malloc'd). */
static char *run(fg_infer_model *m, const fg_infer_params *p, const char *prompt,
                 fg_infer_session **keep)
{
    fg_infer_session *s = NULL;
    fg_errbuf eb = {0};
    if (fg_infer_session_create(m, p, &s, &eb) != FG_OK)
        return NULL;
    if (prompt && fg_infer_session_prompt(s, prompt, strlen(prompt), FG_INFER_TOK_BOS, &eb)) {
        fg_infer_session_free(s);
        return NULL;
    }
    fg_buf out;
    fg_buf_init(&out, 0);
    fg_buf_puts(&out, "");
    fg_infer_session_run(s, collect, &out, &eb);
    if (keep)
        *keep = s;
    else
        fg_infer_session_free(s);
    return fg_buf_detach(&out, NULL);
}

FG_TEST(greedy_200_steps_from_bos_reproduces_reference)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found in the shared data folder");
    size_t len;
    char *want = read_all(fg_test_shared("models/stories260K/expected_greedy_output_200steps.txt"),
                          &len);
    FG_REQUIRE(want != NULL);
    while (len && want[len - 1] == '\n')
        want[--len] = '\0';
    fg_infer_params p = {.max_tokens = 200};
    fg_infer_session *s = NULL;
    char *got = run(m, &p, NULL, &s);
    FG_CHECK_STR(got, want);
    fg_infer_usage u = fg_infer_session_usage(s);
    FG_CHECK_INT(u.prompt_tokens, 1);
    FG_CHECK_INT(u.generated_tokens, 200);
    FG_CHECK_INT(fg_infer_session_finish(s), FG_INFER_FINISH_LENGTH);
    fg_infer_session_free(s);
    free(got);
    free(want);
    fg_infer_model_unref(m);
}

FG_TEST(next_token_pieces_concatenate_to_the_same_text)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    fg_infer_params p = {.max_tokens = 40};
    char *whole = run(m, &p, "Once upon a time", NULL);
    fg_infer_session *s = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(fg_infer_session_create(m, &p, &s, &eb) == FG_OK);
    FG_REQUIRE(fg_infer_session_prompt(s, "Once upon a time", 16, FG_INFER_TOK_BOS, &eb) == FG_OK);
    fg_buf acc;
    fg_buf_init(&acc, 0);
    fg_buf_puts(&acc, "");
    int calls = 0;
    while (fg_infer_session_finish(s) == FG_INFER_RUNNING && calls < 100) {
        const char *piece;
        size_t n;
        FG_REQUIRE(fg_infer_session_next(s, &piece, &n, &eb) == FG_OK);
        fg_buf_append(&acc, piece, n);
        calls++;
    }
    FG_CHECK_STR(acc.data, whole);
    FG_CHECK_INT(calls, 41); /* 40 tokens, then the call that finds the limit */
    FG_CHECK_INT(fg_infer_session_usage(s).prompt_tokens, 5);
    fg_buf_free(&acc);
    free(whole);
    fg_infer_session_free(s);
    fg_infer_model_unref(m);
}

FG_TEST(stop_sequence_ends_the_text_before_it)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    const char *stops[] = {"Lily"};
    fg_infer_params p = {.max_tokens = 200, .stop = stops, .n_stop = 1};
    fg_infer_session *s = NULL;
    char *got = run(m, &p, NULL, &s);
    FG_CHECK_STR(got, "Once upon a time, there was a little girl named ");
    FG_CHECK_INT(fg_infer_session_finish(s), FG_INFER_FINISH_STOP);
    FG_CHECK(fg_infer_session_usage(s).generated_tokens < 20);
    free(got);
    fg_infer_session_free(s);
    fg_infer_model_unref(m);
}

static int cancel_after_three(void *ud, const char *p, size_t n)
{
    (void)p;
    (void)n;
    return ++*(int *)ud == 3;
}

FG_TEST(cancel_flag_stops_before_the_next_token)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    atomic_int cancel;
    atomic_init(&cancel, 0);
    fg_infer_params p = {.max_tokens = 100, .cancel = &cancel};
    fg_infer_session *s = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(fg_infer_session_create(m, &p, &s, &eb) == FG_OK);
    const char *piece;
    size_t n;
    FG_REQUIRE(fg_infer_session_next(s, &piece, &n, &eb) == FG_OK);
    atomic_store(&cancel, 1);
    FG_REQUIRE(fg_infer_session_next(s, &piece, &n, &eb) == FG_OK);
    FG_CHECK_INT(fg_infer_session_finish(s), FG_INFER_FINISH_CANCEL);
    FG_CHECK_INT(fg_infer_session_usage(s).generated_tokens, 1);
    fg_infer_session_free(s);
    /* A callback returning non-zero cancels too. */
    int count = 0;
    FG_REQUIRE(fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 100}, &s, &eb) == FG_OK);
    FG_CHECK_INT(fg_infer_session_run(s, cancel_after_three, &count, &eb), FG_OK);
    FG_CHECK_INT(count, 3);
    FG_CHECK_INT(fg_infer_session_finish(s), FG_INFER_FINISH_CANCEL);
    fg_infer_session_free(s);
    fg_infer_model_unref(m);
}

FG_TEST(prompt_longer_than_context_is_refused)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    fg_infer_params p = {.context = 8};
    fg_infer_session *s = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(fg_infer_session_create(m, &p, &s, &eb) == FG_OK);
    const char *prompt = "Once upon a time there was a big dog who liked to run";
    FG_CHECK_INT(fg_infer_session_prompt(s, prompt, strlen(prompt), FG_INFER_TOK_BOS, &eb),
                 FG_ELIMIT);
    FG_CHECK(strstr(eb.msg, "context of 8 tokens") != NULL);
    fg_infer_session_free(s);
    /* A context that fills up ends generation with "length". */
    fg_infer_session *s2 = NULL;
    char *got = run(m, &p, NULL, &s2);
    FG_CHECK(got != NULL);
    FG_CHECK_INT(fg_infer_session_finish(s2), FG_INFER_FINISH_LENGTH);
    FG_CHECK_INT(fg_infer_session_usage(s2).generated_tokens, 8);
    free(got);
    fg_infer_session_free(s2);
    fg_infer_model_unref(m);
}

FG_TEST(sampling_with_a_seed_is_repeatable)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    fg_infer_params p = {.max_tokens = 60, .temperature = 1.0f, .top_p = 0.95f, .seed = 42};
    char *a = run(m, &p, NULL, NULL), *b = run(m, &p, NULL, NULL);
    p.seed = 43;
    char *c = run(m, &p, NULL, NULL);
    p.temperature = 0;
    char *greedy = run(m, &p, NULL, NULL);
    FG_CHECK_STR(a, b);
    FG_CHECK(strcmp(a, c) != 0);
    FG_CHECK(strcmp(a, greedy) != 0);
    /* top_k = 1 is greedy whatever the temperature. */
    fg_infer_params k1 = {.max_tokens = 60, .temperature = 1.5f, .top_k = 1, .seed = 7};
    char *d = run(m, &k1, NULL, NULL);
    FG_CHECK_STR(d, greedy);
    free(a);
    free(b);
    free(c);
    free(d);
    free(greedy);
    fg_infer_model_unref(m);
}

FG_TEST(model_is_shared_by_reference_count)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    fg_infer_session *s = NULL;
    fg_errbuf eb = {0};
    FG_REQUIRE(fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 5}, &s, &eb) == FG_OK);
    fg_infer_model_unref(m); /* the session still holds it */
    fg_buf out;
    fg_buf_init(&out, 0);
    FG_CHECK_INT(fg_infer_session_run(s, collect, &out, &eb), FG_OK);
    FG_CHECK(out.len > 0);
    fg_buf_free(&out);
    fg_infer_session_free(s);
}

FG_TEST(tokenizer_round_trips_and_matches_known_ids)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    int32_t *ids = NULL;
    size_t n = 0;
    fg_errbuf eb = {0};
    const char *text = "Lily saw a cat. \xc3\xa9\xe6\x97\xa5!";
    FG_REQUIRE(fg_infer_tokenize(m, text, strlen(text), 0, &ids, &n, &eb) == FG_OK);
    fg_buf out;
    fg_buf_init(&out, 0);
    FG_CHECK_INT(fg_infer_detokenize(m, ids, n, &out), FG_OK);
    FG_CHECK_STR(out.data, text);
    /* U+65E5 is not in the 512-token vocabulary: three byte tokens. */
    int bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strncmp(fg_infer_token_text(m, ids[i]), "<0x", 3) == 0;
    FG_CHECK(bytes >= 3);
    free(ids);
    fg_buf_free(&out);
    fg_infer_model_unref(m);
}

typedef struct thread_run {
    fg_infer_model *m;
    char *text;
} thread_run;

static void *run_thread(void *arg)
{
    thread_run *r = arg;
    fg_infer_params p = {.max_tokens = 200};
    r->text = run(r->m, &p, NULL, NULL);
    return NULL;
}

FG_TEST(sessions_on_several_threads_share_one_model)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    fg_infer_params p = {.max_tokens = 200};
    char *alone = run(m, &p, NULL, NULL);
    thread_run r[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        r[i] = (thread_run){m, NULL};
        FG_REQUIRE(pthread_create(&t[i], NULL, run_thread, &r[i]) == 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        FG_CHECK_STR(r[i].text, alone);
        free(r[i].text);
    }
    free(alone);
    fg_infer_model_unref(m);
}

FG_TEST(batched_prompt_gives_the_same_text_as_token_by_token)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    const char *prompt = "Once upon a time, there was a big brown dog named Max. Max liked to run "
                         "in the park with his friend, a little bird. One day";
    int32_t *ids = NULL;
    size_t n = 0;
    fg_errbuf eb = {0};
    FG_REQUIRE(fg_infer_tokenize(m, prompt, strlen(prompt), FG_INFER_TOK_BOS, &ids, &n, &eb) == 0);
    FG_REQUIRE(n > 35); /* more than two batches */
    fg_buf texts[2];
    for (int way = 0; way < 2; way++) {
        fg_infer_session *s = NULL;
        FG_REQUIRE(fg_infer_session_create(m, &(fg_infer_params){.max_tokens = 30}, &s, &eb) == 0);
        if (way == 0)
            FG_REQUIRE(fg_infer_session_prompt_tokens(s, ids, n, &eb) == FG_OK);
        else
            for (size_t i = 0; i < n; i++)
                FG_REQUIRE(fg_infer_session_prompt_tokens(s, ids + i, 1, &eb) == FG_OK);
        FG_CHECK_INT(fg_infer_session_usage(s).prompt_tokens, n);
        fg_buf_init(&texts[way], 0);
        fg_buf_puts(&texts[way], "");
        FG_CHECK_INT(fg_infer_session_run(s, collect, &texts[way], &eb), FG_OK);
        fg_infer_session_free(s);
    }
    FG_CHECK(texts[0].len > 20);
    FG_CHECK_STR(texts[0].data, texts[1].data);
    fg_buf_free(&texts[0]);
    fg_buf_free(&texts[1]);
    free(ids);
    fg_infer_model_unref(m);
}

FG_TEST(a_story_ends_when_the_model_starts_the_next_one)
{
    fg_infer_model *m = load_stories();
    if (!m)
        FG_SKIP("models/stories260K not found");
    /* Stories are separated by BOS in training; a sampled BOS ends the text. */
    int ended = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        fg_infer_params p = {.max_tokens = 500, .temperature = 1.0f, .seed = seed};
        fg_infer_session *s = NULL;
        char *text = run(m, &p, NULL, &s);
        FG_REQUIRE(text != NULL);
        if (fg_infer_session_finish(s) == FG_INFER_FINISH_EOS) {
            ended++;
            FG_CHECK(fg_infer_session_usage(s).generated_tokens < 500);
            FG_CHECK(strlen(text) > 100);
        }
        free(text);
        fg_infer_session_free(s);
    }
    FG_CHECK(ended >= 2);
    fg_infer_model_unref(m);
}
