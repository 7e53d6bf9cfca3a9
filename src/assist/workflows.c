/* Which state machine an assistant request runs: the account's workflow (from
 * the auth layer's store), else the one of that name in the configuration
 * (assistants.workflows[], compiled once at start). */
#include "assist/assist_int.h"

#include "auth/accounts.h"
#include "core/buf.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every "${Key}" in the definition's text becomes the substitution's value,
 * as CloudFormation's DefinitionSubstitutions do for the seeds' templates
 * (${KnowledgeBaseId}, ${AWSRegion}). Returns a new definition. */
static json_t *substitute(json_t *def, const json_t *subs, const char *name, fg_errbuf *eb)
{
    if (!json_object_size(subs))
        return def;
    char *text = json_dumps(def, JSON_COMPACT);
    json_decref(def);
    fg_buf out;
    fg_buf_init(&out, 64u << 20);
    fg_buf_puts(&out, text ? text : "");
    free(text);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)subs, key, val) {
        char pattern[300];
        snprintf(pattern, sizeof pattern, "${%s}", key);
        fg_buf esc, next;
        fg_buf_init(&esc, 0);
        fg_buf_init(&next, 64u << 20);
        const char *v = json_string_value(val) ? json_string_value(val) : "";
        fg_json_escape(&esc, v, strlen(v)); /* "value" with its quotes */
        fg_buf_putc(&out, '\0');
        const char *p = out.data;
        for (const char *hit; (hit = strstr(p, pattern)); p = hit + strlen(pattern)) {
            fg_buf_append(&next, p, (size_t)(hit - p));
            fg_buf_append(&next, esc.data + 1, esc.len - 2);
        }
        fg_buf_puts(&next, p);
        fg_buf_free(&out);
        fg_buf_free(&esc);
        out = next;
    }
    json_error_t jerr;
    json_t *result = json_loadb(out.data ? out.data : "", out.len, 0, &jerr);
    fg_buf_free(&out);
    if (!result)
        fg_failf(eb, FG_EPARSE, "assistants.workflows %s: the definition after substitutions: %s", name, jerr.text);
    return result;
}

static int compile_file(fg_assist *a, const char *name, const char *file, const json_t *subs, fg__workflow *w,
                        fg_errbuf *eb)
{
    json_error_t jerr;
    json_t *def = fg_json_load_file(file, &jerr);
    if (!def)
        return fg_failf(eb, FG_EPARSE, "assistants.workflows %s: %s:%d: %s", name, file, jerr.line, jerr.text);
    def = substitute(def, subs, name, eb);
    if (!def)
        return FG_EPARSE;
    fg_errbuf ceb;
    fg_errbuf_clear(&ceb);
    w->machine = fg_flow_machine_create(def, a->tasks, NULL, &ceb);
    json_decref(def);
    if (!w->machine)
        return fg_failf(eb, FG_EINVAL, "assistants.workflows %s (%s): %s", name, file, ceb.msg);
    w->name = strdup(name);
    return 0;
}

int fg__assist_load_workflows(fg_assist *a, const fg_config *cfg, fg_errbuf *eb)
{
    const json_t *list = fg_config_get(cfg, "assistants.workflows");
    size_t n = json_array_size(list);
    if (!n)
        return 0;
    a->workflows = calloc(n, sizeof *a->workflows);
    if (!a->workflows)
        return fg_failf(eb, FG_ENOMEM, "out of memory loading workflows");
    size_t i;
    json_t *w;
    json_array_foreach(list, i, w) {
        const char *name = fg_json_str(w, "name", ""), *file = fg_json_str(w, "file", "");
        if (compile_file(a, name, file, json_object_get(w, "substitutions"), &a->workflows[a->nworkflows], eb))
            return FG_EINVAL;
        a->nworkflows++;
    }
    return 0;
}

void fg__assist_free_workflows(fg_assist *a)
{
    for (size_t i = 0; i < a->nworkflows; i++) {
        free(a->workflows[i].name);
        fg_flow_machine_free(a->workflows[i].machine);
    }
    free(a->workflows);
    a->workflows = NULL;
    a->nworkflows = 0;
}

int fg__assist_find_workflow(fg_assist *a, const char *account_id, const char *name,
                             fg_flow_machine **m, bool *owned, fg_errbuf *eb)
{
    *m = NULL;
    *owned = false;
    json_t *def = NULL;
    fg_errbuf aeb;
    fg_errbuf_clear(&aeb);
    int rc = fg_auth_workflow_get(a->auth, account_id, name, &def, &aeb);
    if (rc == 0 && def) {
        *m = fg_flow_machine_create(def, a->tasks, NULL, eb);
        json_decref(def);
        if (!*m)
            return FG_EINVAL;
        *owned = true;
        return 0;
    }
    if (rc != 0 && rc != FG_ENOTFOUND)
        return fg_failf(eb, rc, "%s", aeb.msg);
    for (size_t i = 0; i < a->nworkflows; i++)
        if (strcmp(a->workflows[i].name, name) == 0) {
            *m = a->workflows[i].machine;
            return 0;
        }
    return fg_failf(eb, FG_ENOTFOUND, "workflow '%s' not found for this account", name);
}
