/* The question-answer cache: folded text, canonical JSON and normalised keys;
 * exact, normalised and semantic entries; TTL; isolation per account; the
 * store round trip; eviction; the import parser. */
#include "cache/cache.h"
#include "cache/cache_int.h"
#include "cache/import.h"
#include "fg_test.h"

#include <pthread.h>
#include <unistd.h>

static fg_cache *open_mem(double threshold, int64_t ttl_ms, size_t max_entries)
{
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_cache_opts o = {.ttl_ms = ttl_ms, .threshold = threshold, .hnsw_min_entries = 1000,
                       .max_entries = max_entries, .max_response_bytes = 1 << 20};
    fg_cache *c = NULL;
    if (fg_cache_open(NULL, &o, &c, &eb))
        fprintf(stderr, "open: %s\n", eb.msg);
    return c;
}

static char *folded(const char *s)
{
    static char out[256];
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_cache_fold_text(s, strlen(s), &b);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    fg_buf_free(&b);
    return out;
}

static char *canonical(const char *json)
{
    static char out[512];
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    fg_buf b;
    fg_buf_init(&b, 0);
    fg_cache_canonical_json(v, &b);
    snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    fg_buf_free(&b);
    json_decref(v);
    return out;
}

FG_TEST(fold_collapses_space_and_case)
{
    FG_CHECK_STR(folded("  What IS\t\tthe\n capital?  "), "what is the capital?");
    FG_CHECK_STR(folded(""), "");
    FG_CHECK_STR(folded(" \n\t "), "");
    FG_CHECK_STR(folded("Élan  VITAL"), "Élan vital"); /* non-ASCII bytes are kept */
}

FG_TEST(canonical_json_sorts_keys_and_unifies_numbers)
{
    FG_CHECK_STR(canonical("{\"b\": 1, \"a\": [true, null, 2.0, 0.5], \"c\": {\"z\": \"x\", \"y\": -0.0}}"),
                 "{\"a\":[true,null,2,0.5],\"b\":1,\"c\":{\"y\":0,\"z\":\"x\"}}");
    FG_CHECK_STR(canonical("0.1"), "0.1");
    FG_CHECK_STR(canonical("1e300"), "1e+300");
    FG_CHECK_STR(canonical("\"a\\u00e9\\n\""), "\"a\xc3\xa9\\n\"");
    /* the same document in two key orders gives the same text */
    char first[512];
    snprintf(first, sizeof first, "%s", canonical("{\"x\":{\"q\":1,\"p\":[1,{\"k\":2,\"j\":3}]},\"w\":4}"));
    FG_CHECK_STR(canonical("{\"w\":4.0,\"x\":{\"p\":[1,{\"j\":3,\"k\":2}],\"q\":1}}"), first);
}

static void nkey(const char *json, char hex[65])
{
    json_t *v = json_loads(json, 0, NULL);
    fg_cache_normalised_key(v, hex);
    json_decref(v);
}

FG_TEST(normalised_key_ignores_space_case_order_and_stream)
{
    char a[65], b[65], c[65], d[65];
    nkey("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello   World\"}],"
         "\"temperature\":0,\"stream\":true}", a);
    nkey("{\"temperature\":0.0,\"messages\":[{\"content\":\" hello world \",\"role\":\"user\"}],"
         "\"model\":\"m\",\"user\":\"u1\"}", b);
    FG_CHECK_STR(a, b);
    FG_CHECK_INT((int)strlen(a), 64);
    nkey("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello World\"}],"
         "\"temperature\":0.7}", c);
    FG_CHECK(strcmp(a, c) != 0); /* parameters count */
    nkey("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
         "\"text\":\"HELLO world\"}]}],\"temperature\":0}", d);
    nkey("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
         "\"text\":\"hello  world\"}]}],\"temperature\":0}", c);
    FG_CHECK_STR(c, d);
}

static fg_cache_entry text_entry(const char *account, fg_cache_mode mode, const char *ns,
                                 const char *key, const char *response)
{
    return (fg_cache_entry){.account_id = account, .mode = mode, .ns = ns, .key = key,
                            .key_len = strlen(key), .response = response,
                            .response_len = strlen(response), .model = "m", .gen_ms = 120};
}

FG_TEST(exact_entries_are_case_sensitive_and_per_account)
{
    fg_cache *c = open_mem(0.9, 0, 100);
    FG_REQUIRE(c);
    fg_errbuf eb;
    fg_cache_entry e = text_entry("acct1", FG_CACHE_EXACT, "n1", "n1What is 2+2?", "4");
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(c, "acct1", FG_CACHE_EXACT, "n1", "n1What is 2+2?", 14, &h));
    FG_CHECK_STR(h.response, "4");
    FG_CHECK(h.gen_ms == 120);
    fg_cache_hit_free(&h);
    FG_CHECK(!fg_cache_get(c, "acct1", FG_CACHE_EXACT, "n1", "n1what is 2+2?", 14, &h));
    FG_CHECK(!fg_cache_get(c, "acct2", FG_CACHE_EXACT, "n1", "n1What is 2+2?", 14, &h));
    FG_CHECK(!fg_cache_get(c, "acct1", FG_CACHE_EXACT, "n2", "n1What is 2+2?", 14, &h));
    FG_CHECK(!fg_cache_get(c, "acct1", FG_CACHE_NORMALISED, "n1", "n1What is 2+2?", 14, &h));
    /* replacing keeps one entry */
    e.response = "four";
    e.response_len = 4;
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    fg_cache_stats st;
    fg_cache_stats_get(c, &st);
    FG_CHECK_INT((int)st.entries[FG_CACHE_EXACT], 1);
    FG_REQUIRE(fg_cache_get(c, "acct1", FG_CACHE_EXACT, "n1", "n1What is 2+2?", 14, &h));
    FG_CHECK_STR(h.response, "four");
    fg_cache_hit_free(&h);
    FG_CHECK_INT(fg_cache_delete(c, "acct1", FG_CACHE_EXACT, "n1", "n1What is 2+2?", 14, &eb), FG_OK);
    FG_CHECK(!fg_cache_get(c, "acct1", FG_CACHE_EXACT, "n1", "n1What is 2+2?", 14, &h));
    fg_cache_free(c);
}

FG_TEST(ttl_expires_entries)
{
    fg_cache *c = open_mem(0.9, 50, 100);
    FG_REQUIRE(c);
    fg_errbuf eb;
    fg_cache_entry e = text_entry("a", FG_CACHE_EXACT, "", "k", "v");
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    e.key = "forever";
    e.key_len = 7;
    e.ttl_ms = -1;
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(c, "a", FG_CACHE_EXACT, "", "k", 1, &h));
    fg_cache_hit_free(&h);
    usleep(80 * 1000);
    FG_CHECK(!fg_cache_get(c, "a", FG_CACHE_EXACT, "", "k", 1, &h));
    FG_REQUIRE(fg_cache_get(c, "a", FG_CACHE_EXACT, "", "forever", 7, &h));
    fg_cache_hit_free(&h);
    fg_cache_free(c);
}

FG_TEST(oldest_entries_go_when_full)
{
    fg_cache *c = open_mem(0.9, 0, 3);
    FG_REQUIRE(c);
    fg_errbuf eb;
    const char *keys[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        fg_cache_entry e = text_entry("x", FG_CACHE_EXACT, "", keys[i], "v");
        FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    }
    fg_cache_hit h;
    FG_CHECK(!fg_cache_get(c, "x", FG_CACHE_EXACT, "", "a", 1, &h));
    FG_REQUIRE(fg_cache_get(c, "x", FG_CACHE_EXACT, "", "d", 1, &h));
    fg_cache_hit_free(&h);
    fg_cache_entry big = text_entry("x", FG_CACHE_EXACT, "", "big", "v");
    big.response_len = (1 << 20) + 1;
    FG_CHECK_INT(fg_cache_put(c, &big, &eb), FG_ELIMIT);
    fg_cache_free(c);
}

FG_TEST(semantic_hits_at_or_above_the_threshold)
{
    fg_cache *c = open_mem(0.9, 0, 100);
    FG_REQUIRE(c);
    fg_errbuf eb;
    float v1[4] = {1, 0, 0, 0};
    fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "ns", "first question", "answer one");
    e.vec = v1;
    e.dim = 4;
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    fg_cache_hit h;
    float close[4] = {1, 0.2f, 0, 0}; /* cosine 0.98 */
    float far[4] = {1, 1, 0, 0};      /* cosine 0.707 */
    FG_REQUIRE(fg_cache_get_similar(c, "a", "ns", close, 4, &h));
    FG_CHECK_STR(h.response, "answer one");
    FG_CHECK(h.score > 0.97f && h.score < 0.99f);
    FG_CHECK(h.mode == FG_CACHE_SEMANTIC);
    fg_cache_hit_free(&h);
    FG_CHECK(!fg_cache_get_similar(c, "a", "ns", far, 4, &h));
    FG_CHECK(!fg_cache_get_similar(c, "b", "ns", close, 4, &h));  /* another account */
    FG_CHECK(!fg_cache_get_similar(c, "a", "ns2", close, 4, &h)); /* another namespace */
    float v3[3] = {1, 0, 0};
    FG_CHECK(!fg_cache_get_similar(c, "a", "ns", v3, 3, &h));   /* another size */
    /* replacing the prompt's entry moves the answer to the new vector */
    float v2[4] = {0, 1, 0, 0};
    e.vec = v2;
    e.response = "answer two";
    e.response_len = 10;
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    FG_CHECK(!fg_cache_get_similar(c, "a", "ns", close, 4, &h));
    FG_REQUIRE(fg_cache_get_similar(c, "a", "ns", v2, 4, &h));
    FG_CHECK_STR(h.response, "answer two");
    fg_cache_hit_free(&h);
    fg_cache_free(c);
}

FG_TEST(semantic_uses_hnsw_on_large_namespaces)
{
    fg_errbuf eb;
    fg_cache_opts o = {.threshold = 0.99, .hnsw_min_entries = 64, .max_entries = 10000};
    fg_cache *c = NULL;
    FG_REQUIRE(fg_cache_open(NULL, &o, &c, &eb) == FG_OK);
    enum { DIM = 16, N = 500 };
    unsigned seed = 7;
    static float vecs[N][DIM];
    for (int i = 0; i < N; i++) {
        for (int d = 0; d < DIM; d++)
            vecs[i][d] = (float)(rand_r(&seed) % 2000 - 1000) / 1000.0f;
        char key[32], resp[32];
        snprintf(key, sizeof key, "q%d", i);
        snprintf(resp, sizeof resp, "a%d", i);
        fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "", key, resp);
        e.vec = vecs[i];
        e.dim = DIM;
        FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    }
    int found = 0;
    for (int i = 0; i < N; i += 10) {
        fg_cache_hit h;
        char resp[32];
        snprintf(resp, sizeof resp, "a%d", i);
        if (fg_cache_get_similar(c, "a", "", vecs[i], DIM, &h)) {
            found += strcmp(h.response, resp) == 0;
            fg_cache_hit_free(&h);
        }
    }
    FG_CHECK(found >= 45); /* HNSW recall on its own points */
    fg_cache_free(c);
}

FG_TEST(entries_survive_a_reopen_of_the_store)
{
    char dir[] = "/tmp/fg-cache-XXXXXX";
    FG_REQUIRE(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 1000, .max_entries = 100};
    fg_cache *c = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    fg_cache_entry e = text_entry("a", FG_CACHE_EXACT, "n", "nQ", "stored answer");
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    float v[3] = {0, 0, 2};
    fg_cache_entry se = text_entry("a", FG_CACHE_SEMANTIC, "n", "a question", "semantic answer");
    se.vec = v;
    se.dim = 3;
    FG_CHECK_INT(fg_cache_put(c, &se, &eb), FG_OK);
    fg_cache_entry gone = text_entry("a", FG_CACHE_EXACT, "n", "short", "x");
    gone.ttl_ms = 1;
    FG_CHECK_INT(fg_cache_put(c, &gone, &eb), FG_OK);
    fg_cache_free(c);
    usleep(5000);
    c = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(c, "a", FG_CACHE_EXACT, "n", "nQ", 2, &h));
    FG_CHECK_STR(h.response, "stored answer");
    FG_CHECK_STR(h.model, "m");
    fg_cache_hit_free(&h);
    FG_REQUIRE(fg_cache_get_similar(c, "a", "n", v, 3, &h));
    FG_CHECK_STR(h.response, "semantic answer");
    fg_cache_hit_free(&h);
    fg_cache_stats st;
    fg_cache_stats_get(c, &st);
    FG_CHECK_INT((int)(st.entries[0] + st.entries[1] + st.entries[2]), 2); /* the expired one is gone */
    size_t removed = 0;
    FG_CHECK_INT(fg_cache_clear(c, "a", &removed, &eb), FG_OK);
    FG_CHECK_INT((int)removed, 2);
    fg_cache_free(c);
    c = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    fg_cache_stats_get(c, &st);
    FG_CHECK_INT((int)(st.entries[0] + st.entries[1] + st.entries[2]), 0);
    fg_cache_free(c);
    fg_store_close(s);
}

typedef struct import_log {
    fg_cache *cache;
    int entries;
    char invalid[512];
} import_log;

static int log_entry(void *ud, size_t index, const fg_cache_entry *e)
{
    import_log *l = ud;
    fg_errbuf eb;
    l->entries++;
    if (fg_cache_put(l->cache, e, &eb))
        snprintf(l->invalid + strlen(l->invalid), sizeof l->invalid - strlen(l->invalid), "%zu:put ", index);
    return 0;
}

static void log_invalid(void *ud, size_t index, const char *msg)
{
    import_log *l = ud;
    snprintf(l->invalid + strlen(l->invalid), sizeof l->invalid - strlen(l->invalid), "%zu ", index);
}

static const fg_cache_import_cbs log_cbs = {log_entry, log_invalid};

FG_TEST(import_seed_format_reports_invalid_items_by_index)
{
    const char *file =
        "[{\"id\": \"node-42What is an outage?\", \"responses\": \"{\\\"completion\\\": \\\"An outage is ...\\\", "
        "\\\"chat_id\\\": \\\"seed\\\", \\\"cached\\\": \\\"false\\\"}\"},"
        " {\"id\": \"n1Q\", \"responses\": \"not json\"},"
        " {\"pk\": \"n1Q\", \"responses\": \"{}\"},"
        " {\"id\": \"n1Q\", \"responses\": \"{\\\"text\\\": 1}\"},"
        " 7,"
        " {\"id\": \"n2Q\", \"responses\": \"{\\\"completion\\\": \\\"two\\\"}\"}]";
    import_log l = {.cache = open_mem(0.9, 0, 100)};
    FG_REQUIRE(l.cache);
    fg_errbuf eb;
    fg_cache_import_format fmt;
    size_t total = 0;
    FG_CHECK_INT(fg_cache_import_parse(file, strlen(file), "acct", &log_cbs, &l, &fmt, &total, &eb), FG_OK);
    FG_CHECK(fmt == FG_IMPORT_SEED);
    FG_CHECK_INT((int)total, 6);
    FG_CHECK_INT(l.entries, 2);
    FG_CHECK_STR(l.invalid, "1 2 3 4 ");
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(l.cache, "acct", FG_CACHE_EXACT, "", "node-42What is an outage?", 25, &h));
    FG_CHECK_STR(h.response, "An outage is ...");
    fg_cache_hit_free(&h);
    fg_cache_free(l.cache);
}

FG_TEST(import_flowgate_format_each_mode)
{
    const char *file =
        "{\"flowgate_cache\": 1, \"entries\": ["
        " {\"mode\": \"exact\", \"node_id\": \"n\", \"prompt\": \"P\", \"completion\": \"exact answer\", \"ttl_seconds\": 0},"
        " {\"mode\": \"normalised\", \"node_id\": \"n\", \"request\": {\"model\": \"m\", \"messages\": [{\"role\": \"user\", "
        "\"content\": \"Hello  World\"}], \"temperature\": 0}, \"completion\": \"normalised answer\"},"
        " {\"mode\": \"semantic\", \"node_id\": \"n\", \"prompt\": \"q\", \"embedding\": [1, 0], \"completion\": \"semantic answer\"},"
        " {\"mode\": \"semantic\", \"prompt\": \"q\", \"embedding\": [0, 0], \"completion\": \"x\"},"
        " {\"mode\": \"semantic\", \"prompt\": \"q\", \"completion\": \"x\"},"
        " {\"mode\": \"normalised\", \"completion\": \"x\"},"
        " {\"mode\": \"other\", \"prompt\": \"q\", \"completion\": \"x\"},"
        " {\"prompt\": \"q\"},"
        " {\"prompt\": \"q\", \"completion\": \"x\", \"ttl_seconds\": -5}"
        "]}";
    import_log l = {.cache = open_mem(0.9, 0, 100)};
    FG_REQUIRE(l.cache);
    fg_errbuf eb;
    fg_cache_import_format fmt;
    FG_CHECK_INT(fg_cache_import_parse(file, strlen(file), "acct", &log_cbs, &l, &fmt, NULL, &eb), FG_OK);
    FG_CHECK(fmt == FG_IMPORT_FLOWGATE);
    FG_CHECK_INT(l.entries, 3);
    FG_CHECK_STR(l.invalid, "3 4 5 6 7 8 ");
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(l.cache, "acct", FG_CACHE_EXACT, "", "nP", 2, &h));
    FG_CHECK_STR(h.response, "exact answer");
    fg_cache_hit_free(&h);
    char key[65];
    nkey("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}],\"temperature\":0}", key);
    FG_REQUIRE(fg_cache_get(l.cache, "acct", FG_CACHE_NORMALISED, "n", key, 64, &h));
    FG_CHECK_STR(h.response, "normalised answer");
    fg_cache_hit_free(&h);
    float v[2] = {0.99f, 0.1f};
    FG_REQUIRE(fg_cache_get_similar(l.cache, "acct", "n", v, 2, &h));
    FG_CHECK_STR(h.response, "semantic answer");
    fg_cache_hit_free(&h);
    fg_cache_free(l.cache);
}

FG_TEST(import_refuses_files_of_another_shape)
{
    import_log l = {.cache = open_mem(0.9, 0, 100)};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_cache_import_parse("{\"a\": 1}", 8, "acct", &log_cbs, &l, NULL, NULL, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "flowgate_cache") != NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_cache_import_parse("[1,", 3, "acct", &log_cbs, &l, NULL, NULL, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "line 1") != NULL);
    fg_cache_free(l.cache);
}

FG_TEST(semantic_entries_expire_and_batches_reach_the_store)
{
    char dir[] = "/tmp/fg-cache-XXXXXX";
    FG_REQUIRE(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 1000, .max_entries = 100};
    fg_cache *c = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    float v[2] = {1, 0};
    FG_REQUIRE(fg_cache_batch_begin(c, &eb) == FG_OK);
    fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "n", "soon gone", "x");
    e.vec = v;
    e.dim = 2;
    e.ttl_ms = 30;
    FG_CHECK_INT(fg_cache_put(c, &e, &eb), FG_OK);
    fg_cache_entry k = text_entry("a", FG_CACHE_EXACT, "", "kept", "y");
    FG_CHECK_INT(fg_cache_put(c, &k, &eb), FG_OK);
    FG_REQUIRE(fg_cache_batch_end(c, &eb) == FG_OK);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get_similar(c, "a", "n", v, 2, &h));
    fg_cache_hit_free(&h);
    usleep(60 * 1000);
    FG_CHECK(!fg_cache_get_similar(c, "a", "n", v, 2, &h));
    fg_cache_free(c);
    c = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    FG_REQUIRE(fg_cache_get(c, "a", FG_CACHE_EXACT, "", "kept", 4, &h));
    fg_cache_hit_free(&h);
    fg_cache_free(c);
    fg_store_close(s);
}

FG_TEST(entries_written_by_another_node_are_found_in_the_store)
{
    char dir[] = "/tmp/fg-cache-XXXXXX";
    FG_REQUIRE(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 1000, .max_entries = 100};
    fg_cache *node1 = NULL, *node2 = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &node1, &eb) == FG_OK);
    FG_REQUIRE(fg_cache_open(s, &o, &node2, &eb) == FG_OK);
    fg_cache_entry e = text_entry("a", FG_CACHE_NORMALISED, "n", "k1", "from node 1");
    FG_CHECK_INT(fg_cache_put(node1, &e, &eb), FG_OK);
    fg_cache_entry gone = text_entry("a", FG_CACHE_EXACT, "", "old", "expired");
    gone.ttl_ms = 1;
    FG_CHECK_INT(fg_cache_put(node1, &gone, &eb), FG_OK);
    usleep(5000);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(node2, "a", FG_CACHE_NORMALISED, "n", "k1", 2, &h));
    FG_CHECK_STR(h.response, "from node 1");
    FG_CHECK_STR(h.model, "m");
    fg_cache_hit_free(&h);
    FG_CHECK(!fg_cache_get(node2, "b", FG_CACHE_NORMALISED, "n", "k1", 2, &h)); /* another account */
    FG_CHECK(!fg_cache_get(node2, "a", FG_CACHE_EXACT, "", "old", 3, &h));      /* expired */
    fg_cache_stats st;
    fg_cache_stats_get(node2, &st);
    FG_CHECK_INT((int)st.entries[FG_CACHE_NORMALISED], 1); /* now in node 2's memory */
    fg_cache_free(node1);
    fg_cache_free(node2);
    fg_store_close(s);
}

FG_TEST(writer_thread_stores_in_order_and_flushes_at_free)
{
    char dir[] = "/tmp/fg-cache-XXXXXX";
    FG_REQUIRE(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 1000, .max_entries = 100000, .async_store = true};
    fg_cache *c = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    char key[32], resp[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i % 1000);
        snprintf(resp, sizeof resp, "v%d", i);
        fg_cache_entry e = text_entry("a", FG_CACHE_EXACT, "", key, resp);
        FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    }
    FG_CHECK_INT(fg_cache_delete(c, "a", FG_CACHE_EXACT, "", "k5", 2, &eb), FG_OK);
    float v[3] = {1, 2, 3};
    fg_cache_entry se = text_entry("a", FG_CACHE_SEMANTIC, "n", "q", "semantic");
    se.vec = v;
    se.dim = 3;
    FG_CHECK_INT(fg_cache_put(c, &se, &eb), FG_OK);
    fg_cache_free(c);
    c = NULL;
    o.async_store = false;
    FG_REQUIRE(fg_cache_open(s, &o, &c, &eb) == FG_OK);
    fg_cache_stats st;
    fg_cache_stats_get(c, &st);
    FG_CHECK_INT((int)st.entries[FG_CACHE_EXACT], 999);
    FG_CHECK_INT((int)st.entries[FG_CACHE_SEMANTIC], 1);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get(c, "a", FG_CACHE_EXACT, "", "k7", 2, &h));
    FG_CHECK_STR(h.response, "v2007"); /* the last write of the key won */
    fg_cache_hit_free(&h);
    FG_CHECK(!fg_cache_get(c, "a", FG_CACHE_EXACT, "", "k5", 2, &h));
    FG_REQUIRE(fg_cache_get_similar(c, "a", "n", v, 3, &h));
    fg_cache_hit_free(&h);
    fg_cache_free(c);
    fg_store_close(s);
}

/* Over HNSW the graph is walked without the liveness filter first: a removed,
 * replaced or expired vector is never the answer, the best live one is, and
 * when every vector near the query is gone the walk is repeated with the
 * filter and still finds a live one further away. */
FG_TEST(semantic_hnsw_answers_with_the_best_live_entry)
{
    fg_errbuf eb;
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 64, .max_entries = 10000};
    fg_cache *c = NULL;
    FG_REQUIRE(fg_cache_open(NULL, &o, &c, &eb) == FG_OK);
    enum { DIM = 8, N = 300, NEAR = 12 };
    unsigned seed = 11;
    char key[32], resp[32];
    for (int i = 0; i < N; i++) { /* background: far from the query */
        float v[DIM];
        for (int d = 0; d < DIM; d++)
            v[d] = (float)(rand_r(&seed) % 2000 - 1000) / 1000.0f;
        v[0] = -2.0f;
        snprintf(key, sizeof key, "bg%d", i);
        fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "", key, "background");
        e.vec = v;
        e.dim = DIM;
        FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    }
    /* NEAR short-lived entries right at the query, one live entry at cosine ~0.95 */
    float q[DIM] = {1, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < NEAR; i++) {
        float v[DIM] = {1, 0.01f * (float)i, 0, 0, 0, 0, 0, 0};
        snprintf(key, sizeof key, "near%d", i);
        snprintf(resp, sizeof resp, "near answer %d", i);
        fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "", key, resp);
        e.vec = v;
        e.dim = DIM;
        e.ttl_ms = 40;
        FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    }
    float live[DIM] = {1, 0, 0.33f, 0, 0, 0, 0, 0};
    fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "", "live", "the live answer");
    e.vec = live;
    e.dim = DIM;
    FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get_similar(c, "a", "", q, DIM, &h));
    FG_CHECK_STR(h.response, "near answer 0");
    fg_cache_hit_free(&h);
    /* near0 removed: the next best, still live */
    FG_CHECK_INT(fg_cache_delete(c, "a", FG_CACHE_SEMANTIC, "", "near0", 5, &eb), FG_OK);
    FG_REQUIRE(fg_cache_get_similar(c, "a", "", q, DIM, &h));
    FG_CHECK_STR(h.response, "near answer 1");
    fg_cache_hit_free(&h);
    /* every near entry expired (more of them than one walk returns): the live one */
    usleep(80 * 1000);
    FG_REQUIRE(fg_cache_get_similar(c, "a", "", q, DIM, &h));
    FG_CHECK_STR(h.response, "the live answer");
    FG_CHECK(h.score > 0.9f && h.score < 0.96f);
    fg_cache_hit_free(&h);
    /* replaced: the old vector is not the answer any more */
    float moved[DIM] = {0, 0, 0, 0, 0, 0, 0, 1};
    e.vec = moved;
    e.response = "moved";
    e.response_len = 5;
    FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    FG_CHECK(!fg_cache_get_similar(c, "a", "", q, DIM, &h));
    FG_REQUIRE(fg_cache_get_similar(c, "a", "", moved, DIM, &h));
    FG_CHECK_STR(h.response, "moved");
    fg_cache_hit_free(&h);
    fg_cache_free(c);
}

/* The two halves of fg_cache_get: the memory index alone says whether it holds
 * the key; the store alone finds another node's entry, which then joins memory. */
FG_TEST(memory_and_store_lookups_apart)
{
    char dir[] = "/tmp/fg-cache-XXXXXX";
    FG_REQUIRE(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_store *s = NULL;
    FG_REQUIRE(fg_store_open(url, &s, &eb) == FG_OK);
    fg_cache_opts o = {.threshold = 0.9, .hnsw_min_entries = 1000, .max_entries = 100};
    fg_cache *node1 = NULL, *node2 = NULL;
    FG_REQUIRE(fg_cache_open(s, &o, &node1, &eb) == FG_OK);
    FG_REQUIRE(fg_cache_open(s, &o, &node2, &eb) == FG_OK);
    fg_cache_entry e = text_entry("a", FG_CACHE_EXACT, "", "n1question", "from node 1");
    FG_CHECK_INT(fg_cache_put(node1, &e, &eb), FG_OK);
    fg_cache_hit h;
    bool in_memory = true;
    FG_CHECK(!fg_cache_get_memory(node2, "a", FG_CACHE_EXACT, "", "n1question", 10, &h, &in_memory));
    FG_CHECK(!in_memory);
    FG_REQUIRE(fg_cache_get_stored(node2, "a", FG_CACHE_EXACT, "", "n1question", 10, &h));
    FG_CHECK_STR(h.response, "from node 1");
    fg_cache_hit_free(&h);
    FG_REQUIRE(fg_cache_get_memory(node2, "a", FG_CACHE_EXACT, "", "n1question", 10, &h, &in_memory));
    FG_CHECK(in_memory);
    fg_cache_hit_free(&h);
    FG_CHECK(!fg_cache_get_stored(node2, "b", FG_CACHE_EXACT, "", "n1question", 10, &h));
    fg_cache_free(node1);
    fg_cache_free(node2);
    fg_store_close(s);
}

/* A writer adds semantic entries past hnsw_min_entries (the graph is built
 * and then grown outside the cache's lock) while readers look up exact
 * entries and the semantic entries already written: every one is found, and
 * nothing deadlocks. */
typedef struct race {
    fg_cache *c;
    int written; /* semantic entries written so far (read without a lock: a lower bound) */
    int errors;
    bool done;
} race;

enum { RACE_DIM = 16, RACE_N = 600 };

static void race_vec(int i, float *v)
{
    unsigned seed = (unsigned)i * 2654435761u + 1;
    for (int d = 0; d < RACE_DIM; d++)
        v[d] = (float)(rand_r(&seed) % 2000 - 1000) / 1000.0f;
}

static void *race_writer(void *arg)
{
    race *r = arg;
    fg_errbuf eb;
    for (int i = 0; i < RACE_N; i++) {
        float v[RACE_DIM];
        race_vec(i, v);
        char key[32];
        snprintf(key, sizeof key, "s%d", i);
        fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "ns", key, key);
        e.vec = v;
        e.dim = RACE_DIM;
        if (fg_cache_put(r->c, &e, &eb))
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_SEQ_CST);
        __atomic_store_n(&r->written, i + 1, __ATOMIC_SEQ_CST);
    }
    __atomic_store_n(&r->done, true, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *race_reader(void *arg)
{
    race *r = arg;
    unsigned seed = 5;
    while (!__atomic_load_n(&r->done, __ATOMIC_SEQ_CST)) {
        fg_cache_hit h;
        if (!fg_cache_get(r->c, "a", FG_CACHE_EXACT, "", "fixed", 5, &h))
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_SEQ_CST);
        else
            fg_cache_hit_free(&h);
        int n = __atomic_load_n(&r->written, __ATOMIC_SEQ_CST);
        if (n == 0)
            continue;
        int i = (int)(rand_r(&seed) % (unsigned)n);
        float v[RACE_DIM];
        race_vec(i, v);
        char key[32];
        snprintf(key, sizeof key, "s%d", i);
        if (!fg_cache_get_similar(r->c, "a", "ns", v, RACE_DIM, &h) || strcmp(h.response, key) != 0)
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_SEQ_CST);
        else
            fg_cache_hit_free(&h);
        usleep(200); /* leave the writer gaps: the cache's lock prefers readers */
    }
    return NULL;
}

FG_TEST(semantic_graph_grows_while_others_look_up)
{
    fg_errbuf eb;
    fg_cache_opts o = {.threshold = 0.99, .hnsw_min_entries = 200, .max_entries = 10000};
    race r = {0};
    FG_REQUIRE(fg_cache_open(NULL, &o, &r.c, &eb) == FG_OK);
    fg_cache_entry fixed = text_entry("a", FG_CACHE_EXACT, "", "fixed", "always here");
    FG_REQUIRE(fg_cache_put(r.c, &fixed, &eb) == FG_OK);
    pthread_t w, rd[3];
    FG_REQUIRE(pthread_create(&w, NULL, race_writer, &r) == 0);
    for (int i = 0; i < 3; i++)
        FG_REQUIRE(pthread_create(&rd[i], NULL, race_reader, &r) == 0);
    pthread_join(w, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(rd[i], NULL);
    FG_CHECK_INT(r.errors, 0);
    int found = 0; /* and afterwards, through the graph */
    for (int i = 0; i < RACE_N; i += 6) {
        float v[RACE_DIM];
        race_vec(i, v);
        fg_cache_hit h;
        char key[32];
        snprintf(key, sizeof key, "s%d", i);
        if (fg_cache_get_similar(r.c, "a", "ns", v, RACE_DIM, &h)) {
            found += strcmp(h.response, key) == 0;
            fg_cache_hit_free(&h);
        }
    }
    FG_CHECK(found >= 98); /* of 100 */
    fg_cache_free(r.c);
}

/* A vector added but not linked into the graph yet (a put between its two
 * steps) is found by the exact scan of the graph's tail. */
FG_TEST(semantic_vectors_not_linked_yet_are_scanned)
{
    fg_errbuf eb;
    fg_cache_opts o = {.threshold = 0.99, .hnsw_min_entries = 64, .max_entries = 10000};
    fg_cache *c = NULL;
    FG_REQUIRE(fg_cache_open(NULL, &o, &c, &eb) == FG_OK);
    for (int i = 0; i < 100; i++) {
        float v[RACE_DIM];
        race_vec(i, v);
        char key[32];
        snprintf(key, sizeof key, "s%d", i);
        fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "ns", key, key);
        e.vec = v;
        e.dim = RACE_DIM;
        FG_REQUIRE(fg_cache_put(c, &e, &eb) == FG_OK);
    }
    float v[RACE_DIM];
    race_vec(1000, v);
    fg_cache_entry e = text_entry("a", FG_CACHE_SEMANTIC, "ns", "late", "not linked yet");
    e.vec = v;
    e.dim = RACE_DIM;
    FG_REQUIRE(fg__cache_insert(c, &e, 1, 0) == FG_OK); /* the put's first step only */
    fg_cache_hit h;
    FG_REQUIRE(fg_cache_get_similar(c, "a", "ns", v, RACE_DIM, &h));
    FG_CHECK_STR(h.response, "not linked yet");
    fg_cache_hit_free(&h);
    FG_CHECK_INT(fg__cache_sem_link(c, "a", "ns"), FG_OK);
    FG_REQUIRE(fg_cache_get_similar(c, "a", "ns", v, RACE_DIM, &h));
    FG_CHECK_STR(h.response, "not linked yet");
    fg_cache_hit_free(&h);
    fg_cache_free(c);
}
