/* flowgate mock-llm's scripting and request log, for tests that drive prompt
 * chains: `--script FILE` holds rules that pick an answer by the prompt's text,
 *   {"rules": [{"match": "json object generator", "reply": "false"},
 *              {"match": ["<keywords>", "AWS"], "model": "claude", "reply": "AWS cloud"},
 *              {"reply": "the default answer"}]}
 * (every "match" string must occur in the request's text — system prompt,
 * every message, TGI inputs; "model" must occur in the model name; the first
 * rule that matches wins), and GET /mock/requests lists the last requests
 * received (DELETE clears them), so a test can assert the final system prompt. */
#ifndef FG_LLM_MOCK_SCRIPT_H
#define FG_LLM_MOCK_SCRIPT_H

#include "core/error.h"
#include "http/http.h"

#include <jansson.h>

/* Loads the rules (once, before the server starts). */
int fg__mock_script_load(const char *path, fg_errbuf *eb);
/* The reply of the first rule matching the request body, or NULL. */
const char *fg__mock_script_reply(const json_t *body);
/* Keeps a copy of the request (the last FG__MOCK_KEEP_REQUESTS). */
#define FG__MOCK_KEEP_REQUESTS 256
void fg__mock_requests_record(const char *path, const json_t *body);
/* GET: {"requests": [{"path", "body"}, …]} oldest first; DELETE: clears. */
void fg__mock_requests_route(fg_http_req *req, void *ud);
void fg__mock_script_free(void);

#endif
