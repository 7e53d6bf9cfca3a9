/* Translations between the canonical request (OpenAI chat-completions shape)
 * and the other wire shapes, in both directions. Each returns a new reference,
 * or NULL with *err (a message) and param (the offending field). */
#ifndef FG_LLM_TRANSLATE_H
#define FG_LLM_TRANSLATE_H

#include <jansson.h>
#include <stddef.h>

typedef struct fg_xlate_err {
    char param[128];
    const char *msg;
} fg_xlate_err;

/* Anthropic Messages request -> canonical. */
json_t *fg__anthropic_to_canonical(const json_t *body, fg_xlate_err *e);
/* canonical -> Anthropic Messages request (model and stream set by the caller). */
json_t *fg__canonical_to_anthropic(const json_t *canon);
/* Stop reasons. */
const char *fg__finish_from_anthropic(const char *stop_reason);
const char *fg__finish_to_anthropic(const char *finish_reason);

/* Bedrock Converse request -> canonical (modelId from the path). */
json_t *fg__converse_to_canonical(const json_t *body, const char *model, fg_xlate_err *e);
/* canonical -> Bedrock Converse request. */
json_t *fg__canonical_to_converse(const json_t *canon);
const char *fg__finish_from_converse(const char *stop_reason);
const char *fg__finish_to_converse(const char *finish_reason);

/* The text of a canonical message's content (string, or text parts joined). */
char *fg__canonical_text(const json_t *content);

#endif
