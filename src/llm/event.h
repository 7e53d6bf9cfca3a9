/* What a provider reports while it answers, in one canonical form that every
 * surface renders in its own format. */
#ifndef FG_LLM_EVENT_H
#define FG_LLM_EVENT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum fg_llm_event_type {
    FG_LLM_EV_TEXT,      /* a piece of the answer's text */
    FG_LLM_EV_TOOL,      /* a tool call starts (id, name set) or its arguments grow */
    FG_LLM_EV_FINISH,    /* the model stopped: finish_reason */
    FG_LLM_EV_USAGE,     /* token counts (may come more than once; the last wins) */
    FG_LLM_EV_ERROR,     /* the upstream failed; nothing follows */
    FG_LLM_EV_DONE,      /* the upstream answer is complete; nothing follows */
    FG_LLM_EV_EMBEDDING  /* one embedding vector (embedding calls) */
} fg_llm_event_type;

typedef struct fg_llm_event {
    fg_llm_event_type type;
    const char *text;        /* TEXT: the delta; TOOL: arguments delta */
    size_t len;
    int tool_index;
    const char *tool_id, *tool_name;
    const char *finish_reason; /* stop | length | tool_calls | content_filter */
    long input_tokens, output_tokens;
    int status;              /* ERROR: HTTP status from the upstream, 0 for none */
    const char *error_type, *error_msg;
    bool retryable;          /* ERROR: connect failure, 429 or 5xx */
    long retry_after_ms;     /* ERROR: from Retry-After, or 0 */
    const float *vector;     /* EMBEDDING: dim floats, for input number index */
    size_t dim;
    size_t index;
} fg_llm_event;

#endif
