/* The seed assistants' inference endpoints: POST /bedrock_claude_messages_api
 * (seed 001) and POST /bedrock_converse_api (seed 000). A request runs the
 * caller's account workflow (prompt chaining, RAG) on the request's worker
 * loop, merges its output into the system prompt, and streams the model's
 * answer as raw text. See docs/assistants.md. */
#ifndef FG_ASSIST_ASSIST_H
#define FG_ASSIST_ASSIST_H

#include "auth/auth.h"
#include "config/config.h"
#include "core/error.h"
#include "flow/flow.h"
#include "http/http.h"
#include "llm/llm.h"

typedef struct fg_assist fg_assist;

/* tasks: the registry every workflow uses (filled before this is created);
 * the configuration's workflows (assistants.workflows[]) are compiled here. */
int fg_assist_create(const fg_config *cfg, fg_llm *llm, fg_auth *auth, const fg_flow_registry *tasks,
                     fg_assist **out, fg_errbuf *eb);
void fg_assist_free(fg_assist *a);
void fg_assist_register_routes(fg_assist *a, fg_http_router *r);

/* Test doubles from the configuration (serve.c's slot 1): with
 * assistants.test_retrieve_file set, a handler for
 * arn:aws:states:::aws-sdk:bedrockagentruntime:retrieve that answers from that
 * JSON file. Nothing is registered otherwise. */
int fg_assist_register_test_tasks(fg_flow_registry *reg, const fg_config *cfg, fg_errbuf *eb);

#endif
