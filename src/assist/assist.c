/* The assistants' part: configuration, workflows and routes. */
#include "assist/assist_int.h"

#include <stdlib.h>

int fg_assist_create(const fg_config *cfg, fg_llm *llm, fg_auth *auth, const fg_flow_registry *tasks,
                     fg_assist **out, fg_errbuf *eb)
{
    fg_assist *a = calloc(1, sizeof *a);
    if (!a)
        return fg_failf(eb, FG_ENOMEM, "out of memory creating the assistants");
    a->llm = llm;
    a->auth = auth;
    a->tasks = tasks;
    a->default_workflow = fg_config_str(cfg, "assistants.default_workflow");
    a->limits.max_messages = (size_t)fg_config_int(cfg, "assistants.max_messages");
    a->limits.max_message_bytes = (size_t)fg_config_int(cfg, "assistants.max_message_bytes");
    a->workflow_timeout_ms = fg_config_int(cfg, "assistants.workflow_timeout_ms");
    if (fg__assist_load_workflows(a, cfg, eb)) {
        fg_assist_free(a);
        return FG_EINVAL;
    }
    *out = a;
    return 0;
}

void fg_assist_free(fg_assist *a)
{
    if (!a)
        return;
    fg__assist_free_workflows(a);
    free(a);
}

void fg_assist_register_routes(fg_assist *a, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/bedrock_claude_messages_api", fg__assist_route_claude, a);
    fg_http_router_add(r, "POST", "/bedrock_converse_api", fg__assist_route_converse, a);
}
