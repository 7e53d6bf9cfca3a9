/* Auth micro-benchmark: how many of flowgate's own access tokens it verifies
 * per second (ES256, the full path from the token to a principal), how many
 * RS256 issuer tokens, and how many API keys it looks up in the store (SQLite
 * in a temporary folder). Prints one JSON object. Usage: bench_auth [SECONDS] */
#include "auth/auth_int.h"
#include "core/clock.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double rate(fg_auth *a, const char *token, bool key, double seconds)
{
    uint64_t start = fg_clock_mono_ns(), end = start + (uint64_t)(seconds * 1e9);
    long n = 0;
    fg_principal p;
    while (fg_clock_mono_ns() < end) {
        for (int i = 0; i < 100; i++) {
            int rc = key ? fg__apikey_principal(a, token, strlen(token), &p, NULL)
                         : fg__jwt_principal(a, token, strlen(token), &p, NULL);
            if (rc) {
                fprintf(stderr, "bench_auth: token rejected\n");
                exit(1);
            }
        }
        n += 100;
    }
    return (double)n / ((double)(fg_clock_mono_ns() - start) / 1e9);
}

static double pure_verify_rate(fg_jwks *ks, const char *token, double seconds)
{
    uint64_t start = fg_clock_mono_ns(), end = start + (uint64_t)(seconds * 1e9);
    long n = 0;
    int64_t now = fg_clock_wall_ms() / 1000;
    while (fg_clock_mono_ns() < end) {
        json_t *c = NULL;
        if (fg_jwt_verify(token, strlen(token), ks, now, 60, &c, NULL))
            exit(1);
        json_decref(c);
        n++;
    }
    return (double)n / ((double)(fg_clock_mono_ns() - start) / 1e9);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2;
    char dir[] = "/tmp/fg-bench-auth-XXXXXX", url[128];
    if (!mkdtemp(dir))
        return 1;
    snprintf(url, sizeof url, "sqlite:%s/flowgate.db", dir);
    fg_buf problems;
    fg_buf_init(&problems, 0);
    const char *yaml = "auth:\n  mode: \"on\"\n  password_memory_kib: 256\n";
    fg_config *cfg = NULL;
    fg_store *store = NULL;
    fg_auth *a = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg_config_load_text("bench", yaml, strlen(yaml), &cfg, &problems) || fg_store_open(url, &store, &eb) ||
        fg__auth_open(cfg, store, false, &a, &eb)) {
        fprintf(stderr, "bench_auth: %s\n", eb.msg);
        return 1;
    }
    json_t *body = json_pack("{s:s,s:s}", "id", "acc", "name", "bench"), *key = NULL, *tokens = NULL;
    fg__obj_create(a, FG_OBJ_ACCOUNT, NULL, body, NULL, &eb);
    json_decref(body);
    /* Keys of other accounts, so the lookup is not in a one-row table. */
    for (int i = 0; i < 1000; i++) {
        json_t *k = NULL, *empty = json_object();
        fg__apikey_create(a, "acc", empty, &k, &eb);
        json_decref(empty);
        json_decref(k);
    }
    body = json_object();
    fg__apikey_create(a, "acc", body, &key, &eb);
    json_decref(body);
    json_t *user = json_pack("{s:s,s:s,s:s,s:s}", "id", "u1", "account_id", "acc", "role", "user", "login", "b");
    fg__tokens_issue(a, user, &tokens, &eb);
    const char *jwt = fg_json_str(tokens, "access_token", "");
    double jwt_rate = rate(a, jwt, false, seconds);
    double pure = pure_verify_rate(a->own_keys, jwt, seconds);
    double key_rate = rate(a, fg_json_str(key, "key", ""), true, seconds);
    printf("{\"own_jwt_to_principal_per_s\": %.0f, \"es256_verify_per_s\": %.0f, "
           "\"api_key_lookup_per_s\": %.0f, \"seconds\": %g}\n",
           jwt_rate, pure, key_rate, seconds);
    json_decref(user);
    json_decref(tokens);
    json_decref(key);
    fg_auth_free(a);
    fg_store_close(store);
    fg_config_free(cfg);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
