/* Step Functions' own JSONata functions, an optional set added to an env:
 *   $partition(array, size)     chunks of `size` items (the last may be shorter)
 *   $range(start, end, step)    start, start+step, ... up to and including end (one
 *                               value alone when there is only one)
 *   $hash(string, algorithm)    hex digest; MD5, SHA-1, SHA-256 (default), SHA-384, SHA-512
 *   $random([seed])             uniform in [0, 1); reproducible when seeded
 *   $randomSeeded(seed)         the seeded form under its own name
 *   $uuid()                     a random version-4 UUID
 *   $parse(string)              the JSON value the string holds */
#include "jsonata/jsonata.h"

#include "core/error.h"
#include "core/rand.h"

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SFN_MAX_RANGE 1000

static json_t *fail(fg_jsonata_error *err, const char *code, const char *msg)
{
    snprintf(err->code, sizeof err->code, "%s", code);
    snprintf(err->message, sizeof err->message, "%s", msg);
    return NULL;
}

static bool is_undef(const json_t *v)
{
    return !v || fg_jsonata_is_undefined(v);
}

static json_t *sfn_partition(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    if (n < 2 || !json_is_array(args[0]) || !json_is_number(args[1]))
        return fail(err, "T0410", "$partition(array, size) takes an array and a chunk size");
    double size = json_number_value(args[1]);
    if (size < 1 || size != floor(size))
        return fail(err, "D3030", "$partition: the chunk size must be a positive integer");
    json_t *out = json_array();
    size_t len = json_array_size(args[0]), step = (size_t)size;
    for (size_t i = 0; i < len; i += step) {
        json_t *chunk = json_array();
        for (size_t k = i; k < len && k < i + step; k++)
            json_array_append(chunk, json_array_get(args[0], k));
        json_array_append_new(out, chunk);
    }
    return out;
}

static json_t *number(double d)
{
    if (d == floor(d) && fabs(d) < 9007199254740992.0)
        return json_integer((json_int_t)d);
    return json_real(d);
}

static json_t *sfn_range(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    if (n < 2 || !json_is_number(args[0]) || !json_is_number(args[1]) || (n > 2 && !is_undef(args[2]) && !json_is_number(args[2])))
        return fail(err, "T0410", "$range(start, end[, step]) takes numbers");
    double start = json_number_value(args[0]), end = json_number_value(args[1]);
    double step = n > 2 && !is_undef(args[2]) ? json_number_value(args[2]) : 1;
    if (step == 0)
        return fail(err, "D3030", "$range: the step must not be zero");
    json_t *out = json_array();
    size_t count = 0;
    for (double x = start; step > 0 ? x <= end : x >= end; x += step) {
        if (++count > SFN_MAX_RANGE) {
            json_decref(out);
            return fail(err, "D2014", "$range: the result would exceed 1000 items");
        }
        json_array_append_new(out, number(x));
    }
    if (count == 1) { /* a one-item sequence is its item, as in AWS */
        json_t *only = json_incref(json_array_get(out, 0));
        json_decref(out);
        return only;
    }
    return out;
}

static json_t *sfn_hash(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    if (n < 1 || !json_is_string(args[0]))
        return fail(err, "T0410", "$hash(string[, algorithm]) takes a string");
    const char *alg = n > 1 && json_is_string(args[1]) ? json_string_value(args[1]) : "SHA-256";
    static const struct { const char *name, *ossl; } algs[] = {
        {"MD5", "MD5"}, {"SHA-1", "SHA1"}, {"SHA-256", "SHA256"}, {"SHA-384", "SHA384"}, {"SHA-512", "SHA512"}};
    const EVP_MD *md = NULL;
    for (size_t i = 0; i < FG_ARRAY_LEN(algs); i++)
        if (strcmp(alg, algs[i].name) == 0)
            md = EVP_get_digestbyname(algs[i].ossl);
    if (!md)
        return fail(err, "D3030", "$hash: algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_Digest(json_string_value(args[0]), json_string_length(args[0]), dig, &len, md, NULL))
        return fail(err, "D3030", "$hash: digest failed");
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    fg_hex_encode(dig, len, hex);
    return json_string(hex);
}

/* splitmix64: a small, well-mixed generator for reproducible seeded values. */
static double seeded_unit(uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static uint64_t seed_of(const json_t *v)
{
    if (json_is_number(v))
        return (uint64_t)(int64_t)json_number_value(v);
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    uint64_t h = 1469598103934665603ull;
    for (const char *p = s; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    free(s);
    return h;
}

static json_t *sfn_random(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    if (n > 0 && !is_undef(args[0]))
        return json_real(seeded_unit(seed_of(args[0])));
    return json_real(fg_rand_unit());
}

static json_t *sfn_random_seeded(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    if (n < 1 || is_undef(args[0]))
        return fail(err, "T0410", "$randomSeeded(seed) takes a seed");
    return json_real(seeded_unit(seed_of(args[0])));
}

static json_t *sfn_uuid(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    char u[37];
    fg_rand_uuid(u);
    return json_string(u);
}

static json_t *sfn_parse(void *ud, json_t *const *args, size_t n, fg_jsonata_error *err)
{
    if (n < 1 || !json_is_string(args[0]))
        return fail(err, "T0410", "$parse(string) takes a string");
    json_error_t je;
    json_t *v = json_loadb(json_string_value(args[0]), json_string_length(args[0]), JSON_DECODE_ANY, &je);
    if (!v) {
        char msg[240];
        snprintf(msg, sizeof msg, "$parse: invalid JSON at line %d column %d: %.160s", je.line, je.column, je.text);
        return fail(err, "D3030", msg);
    }
    return v;
}

int fg_jsonata_env_add_sfn_functions(fg_jsonata_env *env)
{
    static const struct {
        const char *name, *sig;
        fg_jsonata_native_fn fn;
    } fns[] = {
        {"partition", "<an:a>", sfn_partition}, {"range", "<nnn?:a>", sfn_range},
        {"hash", "<ss?:s>", sfn_hash},          {"random", "<x?:n>", sfn_random},
        {"randomSeeded", "<x:n>", sfn_random_seeded}, {"uuid", "<:s>", sfn_uuid},
        {"parse", "<s:x>", sfn_parse},
    };
    for (size_t i = 0; i < FG_ARRAY_LEN(fns); i++) {
        int rc = fg_jsonata_env_add_function(env, fns[i].name, fns[i].sig, fns[i].fn, NULL);
        if (rc != FG_OK)
            return rc;
    }
    return FG_OK;
}
