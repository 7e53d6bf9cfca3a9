/* Helpers shared by the API surfaces. */
#ifndef FG_LLM_SURFACE_H
#define FG_LLM_SURFACE_H

#include "http/http.h"

#include <jansson.h>

/* Checks the content type (415) and parses the body as JSON (400). Returns 0
 * with *out set, or the status to answer with a message in msg. */
int fg__llm_parse_json_body(fg_http_req *req, json_t **out, char *msg, size_t n);
/* The same without the content-type check (Bedrock InvokeModel bodies come
 * with whatever content type the caller named). */
int fg__llm_parse_json_body_any(fg_http_req *req, json_t **out, char *msg, size_t n);

/* How a streaming surface frames its events on the wire. */
typedef enum fg_llm_framing {
    FG_FRAME_SSE,           /* event: NAME / data: JSON */
    FG_FRAME_EVENTSTREAM,   /* AWS event-stream, :event-type NAME, payload JSON */
    FG_FRAME_BEDROCK_CHUNK  /* AWS event-stream "chunk" events, {"bytes": base64(JSON)} */
} fg_llm_framing;

struct fg_llm_call;
/* Writes one event of the answer to the client; pauses the call when the
 * client reads slowly. name is ignored by FG_FRAME_BEDROCK_CHUNK. */
void fg__llm_frame_event(struct fg_llm_call *call, fg_llm_framing framing, const char *name,
                         const char *json, size_t len);
/* The error inside a stream, in the framing's terms. */
void fg__llm_frame_error(struct fg_llm_call *call, fg_llm_framing framing, const char *exception_type,
                         const char *msg);
const char *fg__llm_frame_content_type(fg_llm_framing framing);

/* Bedrock-style error answer: x-amzn-ErrorType header and {"message": ...}. */
void fg__llm_respond_aws_error(fg_http_req *req, int status, const char *msg);

#endif
