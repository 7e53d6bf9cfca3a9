/* Chat history in the store: turns kept per account and chat_id, the window
 * of past turns, and no sight of another account's chat. */
#include "chat/chat_int.h"
#include "fg_test.h"

static fg_chat *chat_with_store(fg_store **store, fg_config **cfg, long turns)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_buf problems;
    fg_buf_init(&problems, 0);
    if (fg_config_load(NULL, cfg, &problems) || fg_store_open("sqlite::memory:", store, &eb))
        return NULL;
    fg_buf_free(&problems);
    fg_config_set(*cfg, "chat.history_turns", json_integer(turns));
    return fg_chat_create(*cfg, NULL, NULL, *store, NULL);
}

static void add_turn(fg_chat *chat, const char *account, const char *chat_id, const char *prompt,
                     const char *answer)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg__chat_turn_record r = {.account_id = account, .chat_id = chat_id, .prompt = prompt, .answer = answer,
                              .answer_len = strlen(answer), .model = "m", .input_tokens = 3,
                              .output_tokens = 2};
    if (fg__chat_history_append(chat, &r, &eb))
        fprintf(stderr, "append: %s\n", eb.msg);
}

FG_TEST(history_window_keeps_the_last_turns_in_order)
{
    fg_store *store = NULL;
    fg_config *cfg = NULL;
    fg_chat *chat = chat_with_store(&store, &cfg, 2);
    FG_REQUIRE(chat);
    add_turn(chat, "a", "c1", "q1", "r1");
    add_turn(chat, "a", "c1", "q2", "r2");
    add_turn(chat, "a", "c1", "q3", "r3");
    json_t *msgs = NULL;
    bool any = false;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg__chat_history_load(chat, "a", "c1", &msgs, &any, &eb) == FG_OK);
    FG_CHECK(any);
    FG_REQUIRE(json_array_size(msgs) == 4);
    const char *want[][2] = {{"user", "q2"}, {"assistant", "r2"}, {"user", "q3"}, {"assistant", "r3"}};
    for (size_t i = 0; i < 4; i++) {
        FG_CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, i), "role")), want[i][0]);
        FG_CHECK_STR(json_string_value(json_object_get(json_array_get(msgs, i), "content")), want[i][1]);
    }
    json_decref(msgs);
    fg_chat_free(chat);
    fg_store_close(store);
    fg_config_free(cfg);
}

FG_TEST(history_is_per_account_and_window_zero_sends_none)
{
    fg_store *store = NULL;
    fg_config *cfg = NULL;
    fg_chat *chat = chat_with_store(&store, &cfg, 0);
    FG_REQUIRE(chat);
    add_turn(chat, "a", "shared-id", "secret question", "secret answer");
    json_t *msgs = NULL;
    bool any = true;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(fg__chat_history_load(chat, "b", "shared-id", &msgs, &any, &eb) == FG_OK);
    FG_CHECK(!any);
    FG_CHECK_INT((int)json_array_size(msgs), 0);
    json_decref(msgs);
    FG_REQUIRE(fg__chat_history_load(chat, "a", "shared-id", &msgs, &any, &eb) == FG_OK);
    FG_CHECK(any); /* the chat has turns, so the cache is not read for it */
    FG_CHECK_INT((int)json_array_size(msgs), 0);
    json_decref(msgs);
    fg_chat_free(chat);
    fg_store_close(store);
    fg_config_free(cfg);
}
