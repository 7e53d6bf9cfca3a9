/* What the assistants do with a workflow's output: check it, and build the
 * final system prompt from the request's system prompt, the output's
 * context_data and system_chain_data (contracts.md §1.4 and §2):
 *   seed 001 (claude): C = <TAG> + JSON(context_data) + </TAG>
 *     no chain data   system + "\n\n" + C
 *     APPEND          system + "\n\n" + C + "\n\n" + prompt
 *     REPLACE_TAG T   every empty "<T></T>" in system -> "<T>prompt</T>", then "\n\n" + C
 *     REPLACE_ALL     prompt + "\n\n" + C
 *   seed 000 (converse): the same operations on system_prompts[0].text without
 *     the C block; any other operation leaves the system prompt unchanged. */
#ifndef FG_ASSIST_MERGE_H
#define FG_ASSIST_MERGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Checks the workflow output: bedrock_details {task_details[], total_input_tokens,
 * total_output_tokens} required; context_data a list when present;
 * system_chain_data an object with a string system_chain_prompt when present;
 * additional_messages a list of Converse messages when present. Returns 0 or -1
 * with a message. */
int fg_assist_check_output(const json_t *output, char *msg, size_t n);

typedef struct fg_assist_merge_result {
    char *system;         /* malloc'd */
    bool tag_missing;     /* REPLACE_TAG found no empty pair: the prompt was dropped */
} fg_assist_merge_result;

/* Returns 0, or -1 with a message (REPLACE_TAG without configuration.replace_tag). */
int fg_assist_merge_claude(const char *system, const char *content_tag, const json_t *output,
                           fg_assist_merge_result *out, char *msg, size_t n);
int fg_assist_merge_converse(const char *system, const json_t *output, fg_assist_merge_result *out,
                             char *msg, size_t n);

#endif
