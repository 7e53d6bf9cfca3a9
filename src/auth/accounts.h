/* Objects an account owns that other parts read: its workflows (state machines
 * the assistants run before the model's streamed answer). The auth layer keeps
 * them in the store; the assistants and the web chat look them up here. */
#ifndef FG_AUTH_ACCOUNTS_H
#define FG_AUTH_ACCOUNTS_H

#include "auth/auth.h"
#include "core/error.h"

#include <jansson.h>

/* Looks up the workflow `name` of account_id. On success *definition is a new
 * reference to the ASL definition. FG_ENOTFOUND when the account has no such
 * workflow (callers then try the configuration's workflows). */
int fg_auth_workflow_get(fg_auth *a, const char *account_id, const char *name, json_t **definition,
                         fg_errbuf *eb);

/* The account's workflows as a new JSON array of {"id", "name", "description"}. */
int fg_auth_workflow_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb);

/* The whole workflow `ref` of account_id (ref: its id, "workflow#details#<id>"
 * as the seed's web app sends it, or its name) as a new object: id, name,
 * description, type, arn, definition (the ASL object or null) and
 * assistant_params (a real JSON object). FG_ENOTFOUND when none. */
int fg_auth_workflow_details(fg_auth *a, const char *account_id, const char *ref, json_t **out,
                             fg_errbuf *eb);

/* The prompts of workflow `ref` as a new array of {id, type, role, content, description}. */
int fg_auth_workflow_prompts(fg_auth *a, const char *account_id, const char *ref, json_t **out,
                             fg_errbuf *eb);

/* The account's inference endpoints as a new array of {id, type, url, description}. */
int fg_auth_endpoint_list(fg_auth *a, const char *account_id, json_t **out, fg_errbuf *eb);

#endif
