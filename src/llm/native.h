/* Bedrock InvokeModel's native bodies: the request and response shapes of each
 * model family (Anthropic Messages, Meta Llama, Amazon Titan Text, Mistral,
 * Cohere Command), translated to and from the gateway's canonical request.
 * Shared by the Bedrock surface (/model/{id}/invoke) and the workflow task
 * arn:aws:states:::bedrock:invokeModel. */
#ifndef FG_LLM_NATIVE_H
#define FG_LLM_NATIVE_H

#include <jansson.h>
#include <stddef.h>

typedef enum fg_llm_native_family {
    FG_NATIVE_UNKNOWN = 0,
    FG_NATIVE_ANTHROPIC,
    FG_NATIVE_LLAMA,
    FG_NATIVE_TITAN,
    FG_NATIVE_MISTRAL,
    FG_NATIVE_COHERE
} fg_llm_native_family;

/* The model id inside a Bedrock model ARN (the part after the last '/'), or
 * model itself. */
const char *fg_llm_native_model_id(const char *model);
/* The family of a Bedrock model id or ARN ("anthropic.claude-3-haiku-…",
 * "us.anthropic.…", "arn:aws:bedrock:…:foundation-model/meta.llama3-…"). */
fg_llm_native_family fg_llm_native_family_of(const char *model);
/* The family a body's fields point to, for model names that do not tell (a
 * flowgate alias): anthropic_version/messages, inputText, max_gen_len, prompt. */
fg_llm_native_family fg_llm_native_family_of_body(const json_t *body);
const char *fg_llm_native_family_name(fg_llm_native_family fam);

/* A native request body -> canonical request with "model" set to model.
 * NULL with a message naming the field in msg. */
json_t *fg_llm_native_to_canonical(fg_llm_native_family fam, const json_t *body, const char *model,
                                   char *msg, size_t n);

/* A whole answer in the family's native (non-streamed) InvokeModel response
 * shape. finish is the canonical finish reason ("stop", "length", …). */
typedef struct fg_llm_native_answer {
    const char *model;   /* the model id reported back (Anthropic's "model") */
    const char *text;
    size_t len;
    const char *finish;
    long input_tokens, output_tokens;
    const char *id;      /* message id (Anthropic, Cohere), may be NULL */
} fg_llm_native_answer;

json_t *fg_llm_native_response(fg_llm_native_family fam, const fg_llm_native_answer *a);

#endif
