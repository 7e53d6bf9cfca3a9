/* Chat templates: the prompt layouts of common instruct models, recognised in
 * a GGUF file's Jinja template by their markers or chosen by name. */
#include "infer/infer_int.h"

#include <string.h>

static const char *const names[] = {"none", "llama2", "llama3", "chatml"};

int fg_infer_chat_from_name(const char *name)
{
    for (size_t i = 0; i < FG_ARRAY_LEN(names); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

const char *fg_infer_chat_name(fg_infer_chat kind)
{
    return (size_t)kind < FG_ARRAY_LEN(names) ? names[kind] : "none";
}

static bool contains(const char *s, size_t n, const char *needle)
{
    return memmem(s, n, needle, strlen(needle)) != NULL;
}

fg_infer_chat fg_infer_chat_detect(const char *jinja, size_t len)
{
    if (contains(jinja, len, "<|im_start|>"))
        return FG_INFER_CHAT_CHATML;
    if (contains(jinja, len, "<|start_header_id|>"))
        return FG_INFER_CHAT_LLAMA3;
    if (contains(jinja, len, "[INST]"))
        return FG_INFER_CHAT_LLAMA2;
    return FG_INFER_CHAT_NONE;
}

/* Llama 2: the system prompt goes inside the first [INST] block. */
static int format_llama2(const fg_infer_msg *msgs, size_t n, fg_buf *out)
{
    const char *sys = NULL;
    bool open = false;
    int rc = FG_OK;
    for (size_t i = 0; rc == FG_OK && i < n; i++) {
        const fg_infer_msg *m = &msgs[i];
        if (strcmp(m->role, "system") == 0) {
            sys = m->content;
        } else if (strcmp(m->role, "user") == 0) {
            rc = fg_buf_puts(out, "<s>[INST] ");
            if (sys && rc == FG_OK)
                rc = fg_buf_printf(out, "<<SYS>>\n%s\n<</SYS>>\n\n", sys);
            sys = NULL;
            if (rc == FG_OK)
                rc = fg_buf_printf(out, "%s [/INST]", m->content);
            open = true;
        } else if (open) {
            rc = fg_buf_printf(out, " %s </s>", m->content);
            open = false;
        }
    }
    return rc;
}

static int format_llama3(const fg_infer_msg *msgs, size_t n, fg_buf *out)
{
    int rc = fg_buf_puts(out, "<|begin_of_text|>");
    for (size_t i = 0; rc == FG_OK && i < n; i++)
        rc = fg_buf_printf(out, "<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>",
                           msgs[i].role, msgs[i].content);
    return rc ? rc : fg_buf_puts(out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

static int format_chatml(const fg_infer_msg *msgs, size_t n, fg_buf *out)
{
    int rc = FG_OK;
    for (size_t i = 0; rc == FG_OK && i < n; i++)
        rc = fg_buf_printf(out, "<|im_start|>%s\n%s<|im_end|>\n", msgs[i].role,
                           msgs[i].content);
    return rc ? rc : fg_buf_puts(out, "<|im_start|>assistant\n");
}

static int format_none(const fg_infer_msg *msgs, size_t n, fg_buf *out)
{
    int rc = FG_OK;
    for (size_t i = 0; rc == FG_OK && i < n; i++)
        rc = fg_buf_printf(out, "%s%s", i ? "\n\n" : "", msgs[i].content);
    return rc;
}

int fg_infer_chat_format(fg_infer_chat kind, const fg_infer_msg *msgs, size_t n, fg_buf *out,
                         fg_errbuf *eb)
{
    for (size_t i = 0; i < n; i++)
        if (!msgs[i].role || !msgs[i].content)
            return fg_failf(eb, FG_EINVAL, "chat message %zu has no role or no content", i);
    int rc;
    switch (kind) {
    case FG_INFER_CHAT_LLAMA2: rc = format_llama2(msgs, n, out); break;
    case FG_INFER_CHAT_LLAMA3: rc = format_llama3(msgs, n, out); break;
    case FG_INFER_CHAT_CHATML: rc = format_chatml(msgs, n, out); break;
    default: rc = format_none(msgs, n, out); break;
    }
    return rc ? fg_failf(eb, rc, "chat prompt: %s", fg_strerror(rc)) : FG_OK;
}
