/* The workflow output check and the system-prompt merge (merge.h). */
#include "assist/merge.h"

#include "core/buf.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_MAX_BYTES (64u << 20)

static int fail(char *msg, size_t n, const char *what)
{
    snprintf(msg, n, "%s", what);
    return -1;
}

static int check_details(const json_t *d, char *msg, size_t n)
{
    if (!json_is_object(d))
        return fail(msg, n, "the workflow output has no bedrock_details object");
    const json_t *tasks = json_object_get(d, "task_details");
    if (!json_is_array(tasks))
        return fail(msg, n, "bedrock_details.task_details must be a list");
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        if (!json_is_object(t) || !json_is_string(json_object_get(t, "task_name")) ||
            !json_is_integer(json_object_get(t, "input_token")) ||
            !json_is_integer(json_object_get(t, "output_token"))) {
            snprintf(msg, n, "bedrock_details.task_details[%zu] must be {task_name, task_model_id, "
                             "input_token, output_token}", i);
            return -1;
        }
    }
    if (!json_is_integer(json_object_get(d, "total_input_tokens")) ||
        !json_is_integer(json_object_get(d, "total_output_tokens")))
        return fail(msg, n, "bedrock_details.total_input_tokens and total_output_tokens must be integers");
    return 0;
}

int fg_assist_check_output(const json_t *output, char *msg, size_t n)
{
    if (!json_is_object(output))
        return fail(msg, n, "the workflow output must be a JSON object");
    if (check_details(json_object_get(output, "bedrock_details"), msg, n))
        return -1;
    const json_t *ctx = json_object_get(output, "context_data");
    if (ctx && !json_is_array(ctx) && !json_is_null(ctx))
        return fail(msg, n, "context_data must be a list");
    const json_t *chain = json_object_get(output, "system_chain_data");
    if (chain && !json_is_null(chain)) {
        if (!json_is_object(chain) || !json_is_string(json_object_get(chain, "system_chain_prompt")) ||
            !json_is_string(json_object_get(chain, "operation")))
            return fail(msg, n, "system_chain_data must be {system_chain_prompt, operation, configuration?} "
                                "with strings");
    }
    const json_t *more = json_object_get(output, "additional_messages");
    if (more && !json_is_null(more)) {
        if (!json_is_array(more))
            return fail(msg, n, "additional_messages must be a list of {role, content: [{text}]}");
        size_t i;
        json_t *m;
        json_array_foreach(more, i, m) {
            const char *role = fg_json_str(m, "role", "");
            if ((strcmp(role, "user") && strcmp(role, "assistant")) ||
                !json_is_array(json_object_get(m, "content"))) {
                snprintf(msg, n, "additional_messages[%zu] must be {role: user|assistant, content: [{text}]}", i);
                return -1;
            }
        }
    }
    return 0;
}

/* Replaces every exact empty pair <tag></tag> in system with <tag>prompt</tag>. */
static void replace_tag(fg_buf *out, const char *system, const char *tag, const char *prompt, bool *found)
{
    char pair[300];
    snprintf(pair, sizeof pair, "<%s></%s>", tag, tag);
    size_t plen = strlen(pair);
    const char *p = system;
    *found = false;
    for (const char *hit; (hit = strstr(p, pair)); p = hit + plen) {
        *found = true;
        fg_buf_append(out, p, (size_t)(hit - p));
        fg_buf_printf(out, "<%s>", tag);
        fg_buf_puts(out, prompt);
        fg_buf_printf(out, "</%s>", tag);
    }
    fg_buf_puts(out, p);
}

static void context_block(fg_buf *out, const char *tag, const json_t *output)
{
    const json_t *ctx = json_object_get(output, "context_data");
    fg_buf_printf(out, "\n\n<%s>", tag);
    if (json_is_array(ctx))
        fg_json_dump(out, ctx, JSON_REAL_PRECISION(15));
    else
        fg_buf_puts(out, "[]");
    fg_buf_printf(out, "</%s>", tag);
}

/* Applies the chain operation to system into out. Returns 0, 1 when the
 * operation is unknown (out holds system unchanged) or -1 on a bad REPLACE_TAG. */
static int apply_chain(fg_buf *out, const char *system, const json_t *chain, fg_assist_merge_result *res,
                       char *msg, size_t n)
{
    const char *op = fg_json_str(chain, "operation", "");
    const char *prompt = fg_json_str(chain, "system_chain_prompt", "");
    if (strcmp(op, "APPEND") == 0) {
        fg_buf_puts(out, system);
        return 0;
    }
    if (strcmp(op, "REPLACE_ALL") == 0) {
        fg_buf_puts(out, prompt);
        return 0;
    }
    if (strcmp(op, "REPLACE_TAG") == 0) {
        const char *tag = fg_json_str(json_object_get(chain, "configuration"), "replace_tag", NULL);
        if (!tag || !*tag || strlen(tag) > 128)
            return fail(msg, n, "system_chain_data: REPLACE_TAG needs configuration.replace_tag (a tag name)");
        bool found;
        replace_tag(out, system, tag, prompt, &found);
        res->tag_missing = !found;
        return 0;
    }
    fg_buf_puts(out, system);
    return 1;
}

static const json_t *chain_of(const json_t *output)
{
    const json_t *chain = json_object_get(output, "system_chain_data");
    return json_is_object(chain) ? chain : NULL;
}

int fg_assist_merge_claude(const char *system, const char *content_tag, const json_t *output,
                           fg_assist_merge_result *res, char *msg, size_t n)
{
    memset(res, 0, sizeof *res);
    fg_buf out;
    fg_buf_init(&out, MERGE_MAX_BYTES);
    const json_t *chain = chain_of(output);
    if (chain && apply_chain(&out, system, chain, res, msg, n) < 0) {
        fg_buf_free(&out);
        return -1;
    }
    if (!chain)
        fg_buf_puts(&out, system);
    context_block(&out, content_tag, output);
    if (chain && strcmp(fg_json_str(chain, "operation", ""), "APPEND") == 0) {
        fg_buf_puts(&out, "\n\n");
        fg_buf_puts(&out, fg_json_str(chain, "system_chain_prompt", ""));
    }
    fg_buf_putc(&out, '\0');
    res->system = fg_buf_detach(&out, NULL);
    return res->system ? 0 : fail(msg, n, "the merged system prompt is too large");
}

int fg_assist_merge_converse(const char *system, const json_t *output, fg_assist_merge_result *res,
                             char *msg, size_t n)
{
    memset(res, 0, sizeof *res);
    fg_buf out;
    fg_buf_init(&out, MERGE_MAX_BYTES);
    const json_t *chain = chain_of(output);
    if (chain && apply_chain(&out, system, chain, res, msg, n) < 0) {
        fg_buf_free(&out);
        return -1;
    }
    if (!chain)
        fg_buf_puts(&out, system);
    if (chain && strcmp(fg_json_str(chain, "operation", ""), "APPEND") == 0) {
        fg_buf_puts(&out, "\n\n");
        fg_buf_puts(&out, fg_json_str(chain, "system_chain_prompt", ""));
    }
    fg_buf_putc(&out, '\0');
    res->system = fg_buf_detach(&out, NULL);
    return res->system ? 0 : fail(msg, n, "the merged system prompt is too large");
}
