/* The bulk import formats (import.h). An item is checked whole before it is
 * handed on, so a bad item never leaves half an entry behind. */
#include "cache/import.h"

#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 65536

typedef struct importer {
    const char *account_id;
    const fg_cache_import_cbs *cbs;
    void *ud;
    char msg[256];
} importer;

/* --- the seed's format ----------------------------------------------------- */

static int seed_item(importer *im, size_t index, const json_t *item)
{
    const json_t *id = json_object_get(item, "id");
    const json_t *responses = json_object_get(item, "responses");
    if (!json_is_object(item))
        snprintf(im->msg, sizeof im->msg, "not an object {\"id\", \"responses\"}");
    else if (!json_is_string(id) || !json_string_length(id))
        snprintf(im->msg, sizeof im->msg, "id: required, a non-empty string (node_id followed by the prompt)");
    else if (!json_is_string(responses))
        snprintf(im->msg, sizeof im->msg, "responses: required, a string holding JSON with a completion");
    else {
        json_error_t jerr;
        json_t *r = json_loadb(json_string_value(responses), json_string_length(responses), 0, &jerr);
        const json_t *completion = json_object_get(r, "completion");
        if (!json_is_string(completion)) {
            snprintf(im->msg, sizeof im->msg, "responses: %s",
                     r ? "the JSON has no \"completion\" string" : "not valid JSON");
            json_decref(r);
        } else {
            fg_cache_entry e = {.account_id = im->account_id, .mode = FG_CACHE_EXACT, .ns = "",
                                .key = json_string_value(id), .key_len = json_string_length(id),
                                .response = json_string_value(completion),
                                .response_len = json_string_length(completion)};
            int rc = im->cbs->on_entry(im->ud, index, &e);
            json_decref(r);
            return rc;
        }
    }
    im->cbs->on_invalid(im->ud, index, im->msg);
    return 0;
}

/* --- flowgate's format ----------------------------------------------------- */

static const char *flowgate_embedding(const json_t *arr, float **out, size_t *dim)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > MAX_DIM)
        return "embedding: required for a semantic entry, an array of 1 to 65536 numbers";
    float *v = malloc(n * sizeof *v);
    if (!v)
        return "out of memory";
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(arr, i);
        double d = json_number_value(x);
        if (!json_is_number(x) || !isfinite(d) || fabs(d) > 3.0e38) {
            free(v);
            return "embedding: every element must be a finite number";
        }
        v[i] = (float)d;
        nonzero |= v[i] != 0;
    }
    if (!nonzero) {
        free(v);
        return "embedding: a zero vector has no direction";
    }
    *out = v;
    *dim = n;
    return NULL;
}

/* The entry's key: exact: node_id + prompt; normalised: the hash of its
 * request; semantic: the prompt. */
static const char *flowgate_key(const json_t *item, fg_cache_mode mode, fg_buf *key)
{
    const char *node_id = fg_json_str(item, "node_id", "");
    const char *prompt = fg_json_str(item, "prompt", NULL);
    if (mode == FG_CACHE_NORMALISED) {
        const json_t *req = json_object_get(item, "request");
        if (!json_is_object(req) || !json_is_array(json_object_get(req, "messages")))
            return "request: required for a normalised entry, a gateway request with messages";
        char hex[65];
        if (fg_cache_normalised_key(req, hex))
            return "request: too big to normalise";
        return fg_buf_puts(key, hex) ? "out of memory" : NULL;
    }
    if (!prompt)
        return "prompt: required, a string";
    if (mode == FG_CACHE_EXACT)
        return fg_cache_exact_key(node_id, prompt, key) ? "out of memory" : NULL;
    return fg_buf_puts(key, prompt) ? "out of memory" : NULL;
}

static const char *flowgate_check(const json_t *item, int *mode)
{
    if (!json_is_object(item))
        return "not an object";
    const json_t *m = json_object_get(item, "mode");
    *mode = m ? fg_cache_mode_parse(json_string_value(m)) : FG_CACHE_EXACT;
    if (*mode < 0)
        return "mode: one of exact, normalised, semantic";
    const json_t *node_id = json_object_get(item, "node_id");
    if (node_id && (!json_is_string(node_id) || json_string_length(node_id) > 256))
        return "node_id: a string of at most 256 bytes";
    if (!json_is_string(json_object_get(item, "completion")))
        return "completion: required, a string";
    const json_t *model = json_object_get(item, "model");
    if (model && !json_is_string(model))
        return "model: a string";
    const json_t *ttl = json_object_get(item, "ttl_seconds");
    if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
                json_integer_value(ttl) > 315360000))
        return "ttl_seconds: an integer from 0 (never expires) to 315360000";
    return NULL;
}

static int flowgate_item(importer *im, size_t index, const json_t *item)
{
    int mode = 0;
    const char *err = flowgate_check(item, &mode);
    fg_buf key;
    fg_buf_init(&key, 0);
    float *vec = NULL;
    size_t dim = 0;
    if (!err)
        err = flowgate_key(item, (fg_cache_mode)mode, &key);
    if (!err && mode == FG_CACHE_SEMANTIC)
        err = flowgate_embedding(json_object_get(item, "embedding"), &vec, &dim);
    int rc = 0;
    if (err) {
        im->cbs->on_invalid(im->ud, index, err);
    } else {
        const json_t *completion = json_object_get(item, "completion");
        const json_t *ttl = json_object_get(item, "ttl_seconds");
        fg_cache_entry e = {
            .account_id = im->account_id, .mode = (fg_cache_mode)mode,
            .ns = mode == FG_CACHE_EXACT ? "" : fg_json_str(item, "node_id", ""),
            .key = key.data ? key.data : "", .key_len = key.len,
            .response = json_string_value(completion), .response_len = json_string_length(completion),
            .model = fg_json_str(item, "model", NULL), .gen_ms = fg_json_num(item, "gen_ms", 0),
            .ttl_ms = !ttl ? 0 : json_integer_value(ttl) == 0 ? -1 : json_integer_value(ttl) * 1000,
            .vec = vec, .dim = dim};
        rc = im->cbs->on_entry(im->ud, index, &e);
    }
    free(vec);
    fg_buf_free(&key);
    return rc;
}

int fg_cache_import_parse(const char *data, size_t len, const char *account_id,
                          const fg_cache_import_cbs *cbs, void *ud, fg_cache_import_format *format,
                          size_t *total, fg_errbuf *eb)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    if (!doc)
        return fg_failf(eb, FG_EINVAL, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    const json_t *items = doc;
    bool seed = json_is_array(doc);
    if (!seed) {
        const json_t *version = json_object_get(doc, "flowgate_cache");
        items = json_object_get(doc, "entries");
        if (!json_is_integer(version) || json_integer_value(version) != 1 || !json_is_array(items)) {
            json_decref(doc);
            return fg_failf(eb, FG_EINVAL, "not a cache file: expected a JSON list of {\"id\", \"responses\"} "
                            "(the seed's format) or {\"flowgate_cache\": 1, \"entries\": [...]}");
        }
    }
    if (format)
        *format = seed ? FG_IMPORT_SEED : FG_IMPORT_FLOWGATE;
    if (total)
        *total = json_array_size(items);
    importer im = {.account_id = account_id, .cbs = cbs, .ud = ud};
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *item = json_array_get(items, i);
        if (seed ? seed_item(&im, i, item) : flowgate_item(&im, i, item))
            break;
    }
    json_decref(doc);
    return FG_OK;
}
