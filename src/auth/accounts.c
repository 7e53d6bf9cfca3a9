/* What other parts read of an account (accounts.h): its workflows, their
 * prompts and its inference endpoints, from the store. */
#include "auth/accounts.h"
#include "auth/auth_int.h"

#include "core/json.h"

int fg_auth_workflow_details(fg_auth *a, const char *account_id, const char *ref, json_t **out,
                             fg_errbuf *eb)
{
    return fg__workflow_find(a, account_id, ref, out, eb);
}

int fg_auth_workflow_get(fg_auth *a, const char *account_id, const char *name, json_t **definition,
                         fg_errbuf *eb)
{
    *definition = NULL;
    json_t *w = NULL;
    int rc = fg__workflow_find(a, account_id, name, &w, eb);
    if (rc)
        return rc;
    json_t *def = json_object_get(w, "definition");
    if (json_is_object(def))
        *definition = json_incref(def);
    json_decref(w);
    return *definition ? 0 : fg_failf(eb, FG_ENOTFOUND, "workflow %s has no state machine definition", name);
}

int fg_auth_workflow_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb)
{
    const char *parents[] = {account_id};
    json_t *all = NULL;
    *out = NULL;
    int rc = fg__obj_list(a, FG_OBJ_WORKFLOW, parents, &all, eb);
    if (rc)
        return rc;
    *out = json_array();
    size_t i;
    json_t *w;
    json_array_foreach(all, i, w)
        json_array_append_new(*out, json_pack("{s:O,s:O,s:O}", "id", json_object_get(w, "id"), "name",
                                              json_object_get(w, "name"), "description",
                                              json_object_get(w, "description")));
    json_decref(all);
    return 0;
}

int fg_auth_workflow_prompts(fg_auth *a, const char *account_id, const char *ref, json_t **out,
                             fg_errbuf *eb)
{
    *out = NULL;
    json_t *w = NULL;
    int rc = fg__workflow_find(a, account_id, ref, &w, eb);
    if (rc)
        return rc;
    const char *parents[] = {account_id, fg_json_str(w, "id", "")};
    rc = fg__obj_list(a, FG_OBJ_PROMPT, parents, out, eb);
    json_decref(w);
    return rc;
}

int fg_auth_endpoint_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb)
{
    const char *parents[] = {account_id};
    return fg__obj_list(a, FG_OBJ_ENDPOINT, parents, out, eb);
}
