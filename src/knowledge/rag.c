/* POST /retrieveAndGenerate in Bedrock Agent Runtime's shape: retrieve from a
 * knowledge base, put the results into the prompt template, generate through
 * the gateway, answer with the text, one citation that spans it and the
 * references it was given, and a session id whose turns are kept in the store
 * (kb_rag_sessions, for a day after the last turn) so a follow-up question sees
 * the conversation. */
#include "knowledge/kn_int.h"

#include "auth/auth.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/rand.h"
#include "http/http.h"
#include "llm/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TURNS 20           /* messages kept per session */
#define SESSION_TTL_MS (24 * 3600 * 1000LL) /* as Bedrock's: a day after the last turn */
#define MAX_ANSWER_BYTES (4u << 20)

static const char default_template[] =
    "You answer questions using only the search results below. If they do not contain the "
    "answer, say that you could not find an exact answer.\n\nSearch results, numbered:\n"
    "$search_results$\n\n$output_format_instructions$";

typedef struct rag {
    fg_knowledge *kn;
    fg_http_req *req;
    char session[40], account[64];
    json_t *history;    /* [{role, content}] before this turn */
    char *question;
    json_t *references; /* retrievedReferences */
    fg_buf text;
} rag;

/* r is not in the request's arena: answering frees that arena. */
static void rag_free(rag *r)
{
    json_decref(r->history);
    json_decref(r->references);
    free(r->question);
    fg_buf_free(&r->text);
    free(r);
}

/* ---- sessions --------------------------------------------------------------- */

static int load_session(rag *r, fg_errbuf *eb)
{
    json_t *rows = NULL;
    fg_sval p[3] = {kn_text(r->session), kn_text(r->account),
                    FG_SINT(fg_clock_wall_ms() - SESSION_TTL_MS)};
    int rc = fg_store_query_json(r->kn->store,
                                 "SELECT messages FROM kb_rag_sessions WHERE id = $1 AND "
                                 "account_id = $2 AND updated_ms >= $3",
                                 p, 3, &rows, eb);
    if (rc)
        return rc;
    const char *m = fg_json_str(json_array_get(rows, 0), "messages", NULL);
    r->history = m ? json_loads(m, 0, NULL) : NULL;
    json_decref(rows);
    if (!json_is_array(r->history))
        return fg_failf(eb, FG_ENOTFOUND, "no session %s", r->session);
    return 0;
}

static void save_session(rag *r, const char *answer, size_t len, bool existed)
{
    json_array_append_new(r->history, json_pack("{s:s,s:s}", "role", "user", "content", r->question));
    json_array_append_new(r->history, json_pack("{s:s,s:s%}", "role", "assistant", "content",
                                                answer, len));
    while (json_array_size(r->history) > MAX_TURNS)
        json_array_remove(r->history, 0);
    char *m = json_dumps(r->history, JSON_COMPACT);
    fg_sval p[4] = {kn_text(r->session), kn_text(r->account), kn_text(m ? m : "[]"),
                    FG_SINT(fg_clock_wall_ms())};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_sval old[1] = {FG_SINT(fg_clock_wall_ms() - SESSION_TTL_MS)};
    fg_store_exec(r->kn->store, "DELETE FROM kb_rag_sessions WHERE updated_ms < $1", old, 1, NULL,
                  &eb);
    if (existed)
        fg_store_exec(r->kn->store,
                      "UPDATE kb_rag_sessions SET messages = $3, updated_ms = $4 WHERE id = $1 "
                      "AND account_id = $2",
                      p, 4, NULL, &eb);
    else
        fg_store_exec(r->kn->store,
                      "INSERT INTO kb_rag_sessions (id, account_id, messages, updated_ms) VALUES "
                      "($1, $2, $3, $4)",
                      p, 4, NULL, &eb);
    free(m);
}

/* ---- the generation call ------------------------------------------------------ */

static void g_begin(fg_llm_call *call) { (void)call; }

static void g_event(fg_llm_call *call, const fg_llm_event *ev)
{
    rag *r = fg_llm_call_sink_data(call);
    if (ev->type == FG_LLM_EV_TEXT)
        fg_buf_append(&r->text, ev->text, ev->len);
}

static void g_end(fg_llm_call *call)
{
    rag *r = fg_llm_call_sink_data(call);
    const char *text = r->text.data ? r->text.data : "";
    bool existed = json_array_size(r->history) > 0;
    save_session(r, text, r->text.len, existed);
    json_t *part = json_pack("{s:{s:s%,s:{s:i,s:i}}}", "textResponsePart", "text", text,
                             r->text.len, "span", "start", 0, "end",
                             (int)(r->text.len ? r->text.len - 1 : 0));
    json_t *out = json_pack("{s:s,s:{s:s%},s:[{s:o,s:O}]}", "sessionId", r->session, "output",
                            "text", text, r->text.len, "citations", "generatedResponsePart", part,
                            "retrievedReferences", r->references);
    char *s = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    fg_http_req *req = r->req;
    rag_free(r);
    fg_http_respond(req, 200, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    free(s);
}

static void g_fail(fg_llm_call *call, int status, const char *type, const char *msg)
{
    (void)type;
    rag *r = fg_llm_call_sink_data(call);
    fg_http_req *req = r->req;
    rag_free(r);
    fg__kn_respond_aws_status(req, status, msg);
}

static const fg_llm_sink_ops gen_ops = {g_begin, g_event, g_end, g_fail};

/* ---- the prompt ------------------------------------------------------------------- */

static char *fill_template(const char *tpl, const json_t *refs, const char *question)
{
    fg_buf results, out;
    fg_buf_init(&results, 0);
    fg_buf_init(&out, 0);
    size_t i;
    const json_t *ref;
    json_array_foreach(refs, i, ref) {
        const json_t *c = json_object_get(ref, "content");
        fg_buf_printf(&results, "%s[%zu] %s", i ? "\n\n" : "", i + 1, fg_json_str(c, "text", ""));
    }
    for (const char *p = tpl; *p;) {
        if (strncmp(p, "$search_results$", 16) == 0) {
            fg_buf_append(&out, results.data ? results.data : "", results.len);
            p += 16;
        } else if (strncmp(p, "$output_format_instructions$", 28) == 0) {
            p += 28;
        } else if (strncmp(p, "$query$", 7) == 0) {
            fg_buf_puts(&out, question);
            p += 7;
        } else
            fg_buf_putc(&out, *p++);
    }
    fg_buf_free(&results);
    if (!out.data)
        fg_buf_puts(&out, "");
    return fg_buf_detach(&out, NULL);
}

static const char *model_of(const char *arn)
{
    const char *slash = strrchr(arn, '/');
    return strncmp(arn, "arn:", 4) == 0 && slash ? slash + 1 : arn;
}

static json_t *canonical(rag *r, const json_t *kbc, const char *system)
{
    json_t *msgs = json_array();
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", system));
    size_t i;
    json_t *m;
    json_array_foreach(r->history, i, m) json_array_append(msgs, m);
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", r->question));
    json_t *req = json_pack("{s:s,s:o}", "model", model_of(fg_json_str(kbc, "modelArn", "")),
                            "messages", msgs);
    const json_t *tic = json_object_get(
        json_object_get(json_object_get(kbc, "generationConfiguration"), "inferenceConfig"),
        "textInferenceConfig");
    const json_t *v;
    if ((v = json_object_get(tic, "maxTokens")) && json_is_integer(v))
        json_object_set(req, "max_tokens", (json_t *)v);
    if ((v = json_object_get(tic, "temperature")) && json_is_number(v))
        json_object_set(req, "temperature", (json_t *)v);
    if ((v = json_object_get(tic, "topP")) && json_is_number(v))
        json_object_set(req, "top_p", (json_t *)v);
    if ((v = json_object_get(tic, "stopSequences")) && json_is_array(v))
        json_object_set(req, "stop", (json_t *)v);
    return req;
}

/* Retrieves and fills r->references (camelCase, without scores). */
static int retrieve(rag *r, const char *account, const json_t *kbc, fg_errbuf *eb)
{
    json_t *rq = json_pack("{s:{s:s}}", "retrievalQuery", "text", r->question);
    const json_t *rc = json_object_get(kbc, "retrievalConfiguration");
    if (rc)
        json_object_set(rq, "retrievalConfiguration", (json_t *)rc);
    json_t *out = NULL;
    int err = fg_knowledge_retrieve(r->kn, account, fg_json_str(kbc, "knowledgeBaseId", ""), rq,
                                    false, &out, eb);
    json_decref(rq);
    if (err)
        return err;
    r->references = json_array();
    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(out, "retrievalResults"), i, res) {
        json_object_del(res, "score");
        json_array_append(r->references, res);
    }
    json_decref(out);
    return 0;
}

static int parse(const json_t *body, const json_t **kbc, const char **question, fg_errbuf *eb)
{
    const json_t *in = json_object_get(body, "input");
    *question = fg_json_str(in, "text", NULL);
    if (!*question || !**question)
        return fg_failf(eb, FG_EINVAL, "input.text is required");
    if (strlen(*question) > 20000)
        return fg_failf(eb, FG_EINVAL, "input.text is longer than 20000 bytes");
    const json_t *cfg = json_object_get(body, "retrieveAndGenerateConfiguration");
    const char *type = fg_json_str(cfg, "type", "");
    if (strcmp(type, "KNOWLEDGE_BASE") != 0)
        return fg_failf(eb, FG_EINVAL,
                        "retrieveAndGenerateConfiguration.type must be KNOWLEDGE_BASE");
    *kbc = json_object_get(cfg, "knowledgeBaseConfiguration");
    if (!fg_json_str(*kbc, "knowledgeBaseId", NULL) || !fg_json_str(*kbc, "modelArn", NULL))
        return fg_failf(eb, FG_EINVAL,
                        "knowledgeBaseConfiguration.knowledgeBaseId and modelArn are required");
    const json_t *s = json_object_get(body, "sessionId");
    if (s && (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) > 36))
        return fg_failf(eb, FG_EINVAL, "sessionId must be a string of 1 to 36 characters");
    return 0;
}

static int prepare(rag *r, const json_t *body, const char *account, fg_principal *p,
                   const json_t **kbc, fg_errbuf *eb)
{
    const char *question;
    int rc = parse(body, kbc, &question, eb);
    if (rc)
        return rc;
    r->question = strdup(question);
    snprintf(r->account, sizeof r->account, "%s", p->account_id[0] ? p->account_id : "default");
    const char *sid = fg_json_str(body, "sessionId", NULL);
    if (sid) {
        snprintf(r->session, sizeof r->session, "%s", sid);
        if ((rc = load_session(r, eb)))
            return rc;
    } else {
        fg_rand_uuid(r->session);
        r->history = json_array();
    }
    return retrieve(r, account, *kbc, eb);
}

/* The retrieval (and the session read) runs on the blocking pool, the
 * generation on the worker's loop. */
typedef struct rag_work {
    uv_work_t work;
    rag *r;
    json_t *body;
    const json_t *kbc;
    const char *account;
    char account_buf[64];
    fg_principal p;
    int rc;
    fg_errbuf eb;
} rag_work;

static void rag_prepare(uv_work_t *w)
{
    rag_work *rw = w->data;
    rw->rc = prepare(rw->r, rw->body, rw->account, &rw->p, &rw->kbc, &rw->eb);
}

static void rag_generate(uv_work_t *w, int status)
{
    rag_work *rw = w->data;
    rag *r = rw->r;
    if (status != 0 && !rw->rc)
        rw->rc = fg_failf(&rw->eb, FG_ECANCELED, "the server is stopping");
    if (rw->rc) {
        fg_http_req *req = r->req;
        rag_free(r);
        fg__kn_respond_aws_error(req, rw->rc, rw->eb.msg);
    } else {
        const json_t *tpl = json_object_get(
            json_object_get(json_object_get(rw->kbc, "generationConfiguration"), "promptTemplate"),
            "textPromptTemplate");
        char *system = fill_template(json_is_string(tpl) ? json_string_value(tpl) : default_template,
                                     r->references, r->question);
        json_t *canon = canonical(r, rw->kbc, system ? system : "");
        free(system);
        fg_llm_call_start_http(r->kn->llm, r->req, canon, &gen_ops, r);
    }
    json_decref(rw->body);
    free(rw);
}

static void h_rag(fg_http_req *req, void *ud)
{
    fg_knowledge *kn = ud;
    fg_principal p;
    if (fg_auth_request(kn->auth, req, FG_ACCESS_USER, &p) != 0)
        return;
    size_t len;
    const char *b = fg_http_req_body(req, &len);
    json_t *body = b && len ? fg_json_parse(b, len, NULL) : NULL;
    rag *r = calloc(1, sizeof *r);
    rag_work *rw = calloc(1, sizeof *rw);
    if (!json_is_object(body) || !r || !rw) {
        json_decref(body);
        free(rw);
        free(r);
        fg__kn_respond_aws_error(req, FG_EINVAL, "the body must be a JSON object");
        return;
    }
    r->kn = kn;
    r->req = req;
    fg_buf_init(&r->text, MAX_ANSWER_BYTES);
    rw->work.data = rw;
    rw->r = r;
    rw->body = body;
    rw->p = p;
    if (p.role != FG_ROLE_ADMIN) {
        snprintf(rw->account_buf, sizeof rw->account_buf, "%s", p.account_id);
        rw->account = rw->account_buf;
    }
    fg_errbuf_clear(&rw->eb);
    if (uv_queue_work(fg_http_worker_loop(fg_http_req_worker(req)), &rw->work, rag_prepare,
                      rag_generate) != 0) {
        rag_prepare(&rw->work);
        rag_generate(&rw->work, 0);
    }
}

void fg__kn_register_rag_route(fg_knowledge *kn, fg_http_router *r)
{
    fg_http_router_add(r, "POST", "/retrieveAndGenerate", h_rag, kn);
}
