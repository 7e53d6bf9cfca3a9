/* The two inference bodies of the seed assistants, parsed and validated:
 *   POST /bedrock_claude_messages_api  {bedrock_parameters, assistant_parameters} (seed 001)
 *   POST /bedrock_converse_api         {bedrock_converse_parameters, assistant_parameters} (seed 000)
 * Every field is checked; a problem names the field's path. */
#ifndef FG_ASSIST_REQUEST_H
#define FG_ASSIST_REQUEST_H

#include <jansson.h>
#include <stddef.h>

typedef enum fg_assist_kind { FG_ASSIST_CLAUDE = 0, FG_ASSIST_CONVERSE } fg_assist_kind;

typedef struct fg_assist_limits {
    size_t max_messages;       /* messages in one request */
    size_t max_message_bytes;  /* bytes of one message's text */
} fg_assist_limits;

typedef struct fg_assist_err {
    char path[160];  /* "bedrock_parameters.messages[2].content" */
    char msg[256];
} fg_assist_err;

typedef struct fg_assist_req {
    fg_assist_kind kind;
    char *model;               /* modelId / model_id as given */
    json_t *messages;          /* canonical messages, the full list, without system */
    json_t *params;            /* canonical sampling fields (temperature, top_p, top_k, max_tokens, stop) */
    char *system;              /* the system prompt the merge starts from ("" when none) */
    json_t *extra_system;      /* converse: system_prompts[1..] texts (array of strings) */
    json_t *workflow_input;    /* {"PromptInput": [...sampled], "state_machine_custom_params": {...}} */
    char content_tag[64];      /* claude: the context block's tag */
    char workflow_id[256];     /* converse: workflow_params.workflow_id; claude: "" unless given */
} fg_assist_req;

/* Parses body into out (zeroed first). Returns 0, or -1 with err filled. */
int fg_assist_parse(fg_assist_kind kind, const char *body, size_t len, const fg_assist_limits *limits,
                    fg_assist_req *out, fg_assist_err *err);
void fg_assist_req_free(fg_assist_req *r);

#endif
