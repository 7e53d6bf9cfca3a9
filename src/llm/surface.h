/* Helpers shared by the API surfaces. */
#ifndef FG_LLM_SURFACE_H
#define FG_LLM_SURFACE_H

#include "http/http.h"

#include <jansson.h>

/* Checks the content type (415) and parses the body as JSON (400). Returns 0
 * with *out set, or the status to answer with a message in msg. */
int fg__llm_parse_json_body(fg_http_req *req, json_t **out, char *msg, size_t n);

#endif
