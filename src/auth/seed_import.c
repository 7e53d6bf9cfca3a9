/* Imports seed 000's single-table configuration items (key id
 * "account#<uuid>", sort key item_type) in DynamoDB JSON ({"S": "..."}) or
 * plain. assistant_params and the JSON strings nested in it (the seed's
 * JSON-in-JSON) become real JSON. A placeholder account id ("<uuid4 ...>")
 * becomes a new account; import into a given account with account_id. */
#include "auth/auth_int.h"

#include "core/json.h"
#include "core/rand.h"

#include <stdio.h>
#include <string.h>

#define MAX_ITEMS 10000

/* A DynamoDB attribute value ({"S": "x"}, {"N": "1"}) or a plain value. */
static json_t *plain_value(json_t *v)
{
    json_t *s = json_object_get(v, "S");
    if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(s))
        return s;
    json_t *n = json_object_get(v, "N");
    if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(n))
        return n;
    return v;
}

static json_t *plain_item(const json_t *item)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)item, key, v) json_object_set(out, key, plain_value(v));
    return out;
}

/* Replaces string members that hold a JSON object or list by that JSON. */
static void unnest_strings(json_t *obj)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, v)
    {
        if (json_is_object(v)) {
            unnest_strings(v);
            continue;
        }
        const char *s = json_string_value(v);
        if (!s || (s[0] != '{' && s[0] != '['))
            continue;
        json_error_t jerr;
        json_t *parsed = fg_json_parse(s, strlen(s), &jerr);
        if (parsed && (json_is_object(parsed) || json_is_array(parsed)))
            json_object_set_new(obj, key, parsed);
        else
            json_decref(parsed);
    }
}

typedef struct import_state {
    fg_auth *a;
    const char *forced_account;
    json_t *placeholders; /* placeholder text -> new account id */
    json_t *accounts;     /* account ids touched */
    int endpoints, workflows, prompts;
    fg_errbuf *eb;
} import_state;

static int ensure_account(import_state *st, const char *account)
{
    json_t *acc = NULL;
    if (fg__obj_get(st->a, FG_OBJ_ACCOUNT, NULL, account, &acc, NULL) == 0) {
        json_decref(acc);
    } else {
        json_t *body = json_pack("{s:s,s:s}", "id", account, "name", "Imported account");
        int rc = fg__obj_create(st->a, FG_OBJ_ACCOUNT, NULL, body, NULL, st->eb);
        json_decref(body);
        if (rc)
            return rc;
    }
    size_t i;
    json_t *v;
    json_array_foreach(st->accounts, i, v) if (strcmp(json_string_value(v), account) == 0) return 0;
    json_array_append_new(st->accounts, json_string(account));
    return 0;
}

static const char *item_account(import_state *st, const char *id)
{
    if (st->forced_account)
        return st->forced_account;
    const char *x = strncmp(id, "account#", 8) == 0 ? id + 8 : id;
    if (*x && !strchr(x, '<'))
        return x;
    json_t *known = json_object_get(st->placeholders, x);
    if (!known) {
        char uuid[37];
        fg_rand_uuid(uuid);
        known = json_string(uuid);
        json_object_set_new(st->placeholders, x, known);
    }
    return json_string_value(known);
}

static json_t *body_without_keys(const json_t *item)
{
    json_t *b = json_deep_copy(item);
    json_object_del(b, "id");
    json_object_del(b, "item_type");
    return b;
}

static int import_workflow(import_state *st, const char *account, const char *wf, json_t *body)
{
    json_t *params = json_object_get(body, "assistant_params");
    if (json_is_string(params)) {
        json_error_t jerr;
        json_t *parsed = fg_json_parse(json_string_value(params), json_string_length(params), &jerr);
        if (!parsed || !json_is_object(parsed)) {
            json_decref(parsed);
            return fg_failf(st->eb, FG_EINVAL, "workflow %s: assistant_params is not a JSON object", wf);
        }
        json_object_set_new(body, "assistant_params", parsed);
        params = parsed;
    }
    if (json_is_object(params))
        unnest_strings(params);
    const char *parents[] = {account};
    st->workflows++;
    return fg__obj_put(st->a, FG_OBJ_WORKFLOW, parents, wf, body, st->eb);
}

static int import_item(import_state *st, const json_t *raw, size_t index)
{
    json_t *it = plain_item(raw);
    const char *id = fg_json_str(it, "id", NULL), *type = fg_json_str(it, "item_type", NULL);
    int rc = 0;
    if (!id || !type) {
        json_decref(it);
        return fg_failf(st->eb, FG_EINVAL, "items/%zu: id and item_type are required strings", index);
    }
    const char *account = item_account(st, id);
    json_t *body = body_without_keys(it);
    char wf[65] = "", pr[65] = "";
    rc = ensure_account(st, account);
    const char *parents[] = {account, wf};
    if (rc) {
    } else if (strcmp(type, "account#details") == 0) {
        rc = fg__obj_update(st->a, FG_OBJ_ACCOUNT, NULL, account, body, st->eb);
    } else if (strcmp(type, "account#inference_endpoint") == 0) {
        st->endpoints++;
        rc = fg__obj_put(st->a, FG_OBJ_ENDPOINT, parents, "1", body, st->eb);
    } else if (sscanf(type, "workflow#details#%64[^#]", wf) == 1) {
        rc = import_workflow(st, account, wf, body);
    } else if (sscanf(type, "workflow#prompt#%64[^#]#%64[^#]", wf, pr) == 2) {
        st->prompts++;
        rc = fg__obj_put(st->a, FG_OBJ_PROMPT, parents, pr, body, st->eb);
    } else {
        rc = fg_failf(st->eb, FG_EINVAL, "items/%zu: unknown item_type %s", index, type);
    }
    json_decref(body);
    json_decref(it);
    if (rc)
        fg_failf(st->eb, rc, "items/%zu (%s)", index, type);
    return rc;
}

/* Details first, workflows before their prompts: the order the objects need. */
static int item_rank(const json_t *raw)
{
    const char *type = json_string_value(plain_value(json_object_get(raw, "item_type")));
    if (!type)
        return 0;
    if (strncmp(type, "account#", 8) == 0)
        return 0;
    return strncmp(type, "workflow#details#", 17) == 0 ? 1 : 2;
}

int fg__seed_import(fg_auth *a, const json_t *doc, const char *account_id, json_t **summary,
                    fg_errbuf *eb)
{
    *summary = NULL;
    const json_t *items = json_is_array(doc) ? doc : json_object_get(doc, "items");
    if (!json_is_array(items))
        return fg_failf(eb, FG_EINVAL, "expected {\"items\": [...]} or a list of items");
    if (json_array_size(items) > MAX_ITEMS)
        return fg_failf(eb, FG_ELIMIT, "more than %d items", MAX_ITEMS);
    import_state st = {a, account_id && *account_id ? account_id : NULL, json_object(), json_array(), 0, 0, 0, eb};
    int rc = 0;
    for (int rank = 0; rank < 3 && !rc; rank++)
        for (size_t i = 0; i < json_array_size(items) && !rc; i++)
            if (item_rank(json_array_get(items, i)) == rank) {
                if (!json_is_object(json_array_get(items, i)))
                    rc = fg_failf(eb, FG_EINVAL, "items/%zu: not an object", i);
                else
                    rc = import_item(&st, json_array_get(items, i), i);
            }
    if (!rc)
        *summary = json_pack("{s:O,s:i,s:i,s:i}", "accounts", st.accounts, "inference_endpoints",
                             st.endpoints, "workflows", st.workflows, "prompts", st.prompts);
    json_decref(st.placeholders);
    json_decref(st.accounts);
    return rc;
}
