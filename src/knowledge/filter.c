/* Bedrock's RetrievalFilter over chunk metadata: equals, notEquals,
 * greaterThan(OrEquals), lessThan(OrEquals), in, notIn, startsWith,
 * listContains, stringContains, andAll, orAll; checked once before a search
 * (bounded depth and width), then tested against each candidate. */
#include "knowledge/kn_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8
#define MAX_WIDTH 16

typedef enum op {
    OP_NONE, OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE, OP_IN, OP_NIN, OP_PREFIX, OP_LIST_HAS,
    OP_STR_HAS, OP_AND, OP_OR
} op;

static const struct {
    const char *name;
    op o;
} ops[] = {{"equals", OP_EQ},        {"notEquals", OP_NE},        {"greaterThan", OP_GT},
           {"greaterThanOrEquals", OP_GE}, {"lessThan", OP_LT}, {"lessThanOrEquals", OP_LE},
           {"in", OP_IN},            {"notIn", OP_NIN},           {"startsWith", OP_PREFIX},
           {"listContains", OP_LIST_HAS}, {"stringContains", OP_STR_HAS}, {"andAll", OP_AND},
           {"orAll", OP_OR}};

static op op_of(const char *name)
{
    for (size_t i = 0; i < FG_ARRAY_LEN(ops); i++)
        if (strcmp(ops[i].name, name) == 0)
            return ops[i].o;
    return OP_NONE;
}

json_t *fg__kn_camelize(const json_t *v)
{
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(a, fg__kn_camelize(x));
        return a;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    json_t *o = json_object();
    const char *k;
    const json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        char *c = strdup(k);
        if (!c)
            continue;
        c[0] = (char)tolower((unsigned char)c[0]);
        json_object_set_new(o, c, fg__kn_camelize(x));
        free(c);
    }
    return o;
}

static int check_at(const json_t *f, int depth, fg_errbuf *eb)
{
    if (depth > MAX_DEPTH)
        return fg_failf(eb, FG_EINVAL, "filter: nested deeper than %d levels", MAX_DEPTH);
    if (!json_is_object(f) || json_object_size(f) != 1)
        return fg_failf(eb, FG_EINVAL, "filter: an object with exactly one operator is required");
    const char *name = json_object_iter_key(json_object_iter((json_t *)f));
    const json_t *arg = json_object_iter_value(json_object_iter((json_t *)f));
    op o = op_of(name);
    if (o == OP_NONE)
        return fg_failf(eb, FG_EINVAL, "filter: unknown operator %s", name);
    if (o == OP_AND || o == OP_OR) {
        if (!json_is_array(arg) || json_array_size(arg) < 1 || json_array_size(arg) > MAX_WIDTH)
            return fg_failf(eb, FG_EINVAL, "filter: %s takes a list of 1 to %d filters", name,
                            MAX_WIDTH);
        size_t i;
        const json_t *x;
        json_array_foreach(arg, i, x) {
            int rc = check_at(x, depth + 1, eb);
            if (rc)
                return rc;
        }
        return 0;
    }
    const json_t *key = json_object_get(arg, "key"), *value = json_object_get(arg, "value");
    if (!json_is_string(key) || !value)
        return fg_failf(eb, FG_EINVAL, "filter: %s needs {key, value}", name);
    if ((o == OP_IN || o == OP_NIN) && !json_is_array(value))
        return fg_failf(eb, FG_EINVAL, "filter: %s needs a list value", name);
    if ((o == OP_GT || o == OP_GE || o == OP_LT || o == OP_LE) && !json_is_number(value))
        return fg_failf(eb, FG_EINVAL, "filter: %s needs a number value", name);
    if ((o == OP_PREFIX || o == OP_STR_HAS) && !json_is_string(value))
        return fg_failf(eb, FG_EINVAL, "filter: %s needs a string value", name);
    return 0;
}

int fg__kn_filter_check(const json_t *filter, fg_errbuf *eb) { return check_at(filter, 1, eb); }

static bool same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

static bool member(const json_t *list, const json_t *v)
{
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x) if (same(x, v)) return true;
    return false;
}

static bool compare(op o, const json_t *have, const json_t *want)
{
    if (!json_is_number(have))
        return false;
    double a = json_number_value(have), b = json_number_value(want);
    switch (o) {
    case OP_GT: return a > b;
    case OP_GE: return a >= b;
    case OP_LT: return a < b;
    default: return a <= b;
    }
}

static bool contains_text(const json_t *have, const char *want)
{
    if (json_is_string(have))
        return strstr(json_string_value(have), want) != NULL;
    size_t i;
    const json_t *x;
    json_array_foreach(have, i, x) if (json_is_string(x) && strstr(json_string_value(x), want)) return true;
    return false;
}

static bool leaf(op o, const json_t *arg, const json_t *meta)
{
    const json_t *have = json_object_get(meta, json_string_value(json_object_get(arg, "key")));
    const json_t *want = json_object_get(arg, "value");
    switch (o) {
    case OP_EQ: return have && same(have, want);
    case OP_NE: return !have || !same(have, want);
    case OP_GT: case OP_GE: case OP_LT: case OP_LE: return compare(o, have, want);
    case OP_IN: return have && member(want, have);
    case OP_NIN: return !have || !member(want, have);
    case OP_PREFIX:
        return json_is_string(have) && strncmp(json_string_value(have), json_string_value(want),
                                               json_string_length(want)) == 0;
    case OP_LIST_HAS: return json_is_array(have) && member(have, want);
    case OP_STR_HAS: return have && contains_text(have, json_string_value(want));
    default: return false;
    }
}

bool fg__kn_filter_match(const json_t *f, const json_t *meta)
{
    void *it = json_object_iter((json_t *)f);
    if (!it)
        return true;
    op o = op_of(json_object_iter_key(it));
    const json_t *arg = json_object_iter_value(it);
    if (o == OP_AND || o == OP_OR) {
        size_t i;
        const json_t *x;
        json_array_foreach(arg, i, x) {
            bool m = fg__kn_filter_match(x, meta);
            if (o == OP_AND && !m)
                return false;
            if (o == OP_OR && m)
                return true;
        }
        return o == OP_AND;
    }
    return leaf(o, arg, meta);
}
