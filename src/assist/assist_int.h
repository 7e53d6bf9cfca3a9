/* Private to src/assist. */
#ifndef FG_ASSIST_ASSIST_INT_H
#define FG_ASSIST_ASSIST_INT_H

#include "assist/assist.h"
#include "assist/request.h"

typedef struct fg__workflow {
    char *name;
    fg_flow_machine *machine;
} fg__workflow;

struct fg_assist {
    fg_llm *llm;
    fg_auth *auth;
    const fg_flow_registry *tasks;
    fg__workflow *workflows;    /* from the configuration */
    size_t nworkflows;
    const char *default_workflow;
    fg_assist_limits limits;
    long long workflow_timeout_ms; /* 0: none */
};

/* workflows.c: the compiled machine for name in account_id's workflows, else
 * the configuration's. *owned is set when the caller must free the machine.
 * FG_ENOTFOUND when neither has it. */
int fg__assist_find_workflow(fg_assist *a, const char *account_id, const char *name,
                             fg_flow_machine **m, bool *owned, fg_errbuf *eb);
int fg__assist_load_workflows(fg_assist *a, const fg_config *cfg, fg_errbuf *eb);
void fg__assist_free_workflows(fg_assist *a);

/* endpoint.c */
void fg__assist_route_claude(fg_http_req *req, void *ud);
void fg__assist_route_converse(fg_http_req *req, void *ud);

#endif
