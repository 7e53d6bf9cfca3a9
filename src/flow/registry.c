/* Task integrations: a table of resource-ARN patterns and handler functions,
 * consulted once when a state machine is created. */
#include "flow/flow_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *pattern;
    fg_flow_task_fn fn;
    void *ud;
} entry;

struct fg_flow_registry {
    entry *e;
    int n;
};

fg_flow_registry *fg_flow_registry_create(void)
{
    return calloc(1, sizeof(fg_flow_registry));
}

void fg_flow_registry_free(fg_flow_registry *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        free(r->e[i].pattern);
    free(r->e);
    free(r);
}

int fg_flow_registry_add(fg_flow_registry *r, const char *pattern, fg_flow_task_fn fn, void *ud)
{
    entry *ne = realloc(r->e, sizeof(entry) * (size_t)(r->n + 1));
    if (!ne)
        return FG_ENOMEM;
    r->e = ne;
    r->e[r->n].pattern = strdup(pattern);
    r->e[r->n].fn = fn;
    r->e[r->n].ud = ud;
    if (!r->e[r->n].pattern)
        return FG_ENOMEM;
    r->n++;
    return 0;
}

static bool wild_match(const char *p, const char *s)
{
    for (; *p; p++, s++) {
        if (*p == '*') {
            for (const char *t = s;; t++) {
                if (wild_match(p + 1, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (*p != *s)
            return false;
    }
    return *s == 0;
}

bool fg__registry_lookup(const fg_flow_registry *r, const char *resource_base, fg_flow_task_fn *fn,
                         void **ud)
{
    for (int i = 0; r && i < r->n; i++) {
        if (wild_match(r->e[i].pattern, resource_base)) {
            *fn = r->e[i].fn;
            *ud = r->e[i].ud;
            return true;
        }
    }
    return false;
}

fg_flow_pattern fg__resource_split(const char *resource, char **base)
{
    static const struct { const char *suffix; fg_flow_pattern p; } sfx[] = {
        {".sync:2", FG_FLOW_SYNC}, {".sync", FG_FLOW_SYNC}, {".waitForTaskToken", FG_FLOW_WAIT_FOR_TOKEN},
    };
    size_t n = strlen(resource);
    for (size_t i = 0; i < FG_ARRAY_LEN(sfx); i++) {
        size_t k = strlen(sfx[i].suffix);
        if (n > k && !strcmp(resource + n - k, sfx[i].suffix)) {
            *base = strndup(resource, n - k);
            return sfx[i].p;
        }
    }
    *base = strdup(resource);
    return FG_FLOW_REQUEST_RESPONSE;
}

bool fg__error_matches(const json_t *names, const char *error)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        const char *s = json_string_value(n);
        if (!s)
            continue;
        if (!strcmp(s, error))
            return true;
        if (!strcmp(s, "States.ALL") && strcmp(error, "States.Runtime") != 0)
            return true;
        if (!strcmp(s, "States.TaskFailed") && strcmp(error, "States.Timeout") != 0 &&
            strcmp(error, "States.Runtime") != 0)
            return true;
    }
    return false;
}

json_t *fg__error_output(const char *error, const char *cause)
{
    json_t *o = json_object();
    json_object_set_new(o, "Error", json_string(error ? error : ""));
    if (cause)
        json_object_set_new(o, "Cause", json_string(cause));
    return o;
}
