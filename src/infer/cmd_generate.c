/* flowgate generate: run a local model on a prompt and print what it writes. */
#include "cli/args.h"
#include "cli/commands.h"
#include "infer/infer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_piece(void *ud, const char *piece, size_t len)
{
    (void)ud;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return 0;
}

typedef struct gen_opts {
    const char *model, *tokenizer, *prompt, *chat, *system;
    long steps, seed, top_k, threads, context;
    double temperature, top_p;
} gen_opts;

static int prepare_prompt(const fg_infer_model *m, const gen_opts *o, fg_buf *text, int *flags)
{
    const fg_infer_info *in = fg_infer_model_info(m);
    int kind = o->chat ? fg_infer_chat_from_name(o->chat) : FG_INFER_CHAT_NONE;
    if (o->chat && strcmp(o->chat, "auto") == 0)
        kind = (int)in->chat;
    if (kind < 0) {
        fprintf(stderr, "flowgate generate: unknown --chat '%s' (auto, none, llama2, llama3, "
                        "chatml)\n", o->chat);
        return 2;
    }
    *flags = FG_INFER_TOK_BOS;
    if (kind == FG_INFER_CHAT_NONE) {
        fg_buf_puts(text, o->prompt ? o->prompt : "");
        return 0;
    }
    fg_infer_msg msgs[2];
    size_t n = 0;
    if (o->system)
        msgs[n++] = (fg_infer_msg){"system", o->system};
    msgs[n++] = (fg_infer_msg){"user", o->prompt ? o->prompt : ""};
    fg_errbuf eb = {0};
    if (fg_infer_chat_format((fg_infer_chat)kind, msgs, n, text, &eb)) {
        fprintf(stderr, "flowgate generate: %s\n", eb.msg);
        return 1;
    }
    *flags = FG_INFER_TOK_SPECIAL;
    return 0;
}

static int generate(fg_infer_model *m, const gen_opts *o)
{
    fg_errbuf eb = {0};
    fg_infer_session *s = NULL;
    fg_buf text;
    fg_buf_init(&text, 0);
    int flags = 0, rc = prepare_prompt(m, o, &text, &flags);
    /* The KV cache only needs room for this run: the prompt (at most a token
     * per byte, plus BOS) and the steps. */
    uint64_t need = (uint64_t)text.len + 2 + (uint64_t)o->steps;
    fg_infer_params p = {.max_tokens = (uint32_t)o->steps, .temperature = (float)o->temperature,
                         .top_p = (float)o->top_p, .top_k = (uint32_t)o->top_k,
                         .seed = (uint64_t)o->seed,
                         .context = o->context ? (uint32_t)o->context
                                    : need < UINT32_MAX ? (uint32_t)need : 0};
    if (rc == 0 && fg_infer_session_create(m, &p, &s, &eb) == FG_OK) {
        if (text.len)
            rc = fg_infer_session_prompt(s, text.data, text.len, flags, &eb);
        if (rc == 0)
            rc = fg_infer_session_run(s, print_piece, NULL, &eb);
        fg_infer_usage u = fg_infer_session_usage(s);
        double secs = (double)u.generate_ns / 1e9;
        if (rc == 0)
            fprintf(stdout, "\n\ntokens/s: %.2f (%u generated in %.3f s; prompt %u tokens, "
                            "%.2f tokens/s)\n",
                    secs > 0 ? u.generated_tokens / secs : 0.0, u.generated_tokens, secs,
                    u.prompt_tokens, u.prompt_ns ? u.prompt_tokens * 1e9 / (double)u.prompt_ns : 0.0);
    } else if (rc == 0) {
        rc = 1;
    }
    if (eb.code)
        fprintf(stderr, "flowgate generate: %s\n", eb.msg);
    fg_infer_session_free(s);
    fg_buf_free(&text);
    return rc == 2 ? 2 : rc || eb.code ? 1 : 0;
}

int fg_infer_cmd_generate(int argc, char **argv)
{
    gen_opts o = {.steps = 256, .top_p = 0.9, .temperature = 0};
    const fg_opt opts[] = {
        {"model", FG_OPT_STR, &o.model, "FILE", "model file: GGUF, or a llama2.c checkpoint"},
        {"tokenizer", FG_OPT_STR, &o.tokenizer, "FILE", "tokenizer.bin for a llama2.c checkpoint"},
        {"prompt", FG_OPT_STR, &o.prompt, "TEXT", "text to continue (default: from BOS)"},
        {"steps", FG_OPT_INT, &o.steps, "N", "tokens to generate (default 256)"},
        {"temperature", FG_OPT_DOUBLE, &o.temperature, "T", "0 (default): greedy"},
        {"seed", FG_OPT_INT, &o.seed, "S", "sampling seed (default 0)"},
        {"top-p", FG_OPT_DOUBLE, &o.top_p, "P", "nucleus cut-off (default 0.9; 1: off)"},
        {"top-k", FG_OPT_INT, &o.top_k, "K", "keep the K most likely tokens (default 0: all)"},
        {"chat", FG_OPT_STR, &o.chat, "NAME", "wrap the prompt: auto, llama2, llama3, chatml"},
        {"system", FG_OPT_STR, &o.system, "TEXT", "system prompt (with --chat)"},
        {"context", FG_OPT_INT, &o.context, "N", "context length (default: the model's)"},
        {"threads", FG_OPT_INT, &o.threads, "N", "threads (default: every CPU)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate generate --model FILE [--tokenizer FILE] [--prompt TEXT] --steps N "
                 "[--temperature 0] [--seed S] [--top-p P] [--top-k K]",
        .summary = "Runs a local Llama-architecture model on a prompt, prints the text it\n"
                   "generates, then a line with the generation speed in tokens/s.",
        .opts = opts,
        .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    if (!o.model || o.steps < 0 || o.top_k < 0 || o.threads < 0 || o.context < 0) {
        fprintf(stderr, "flowgate generate: --model is required; numbers must not be negative\n");
        return 2;
    }
    fg_infer_load_opts lo = {.threads = (uint32_t)o.threads};
    fg_errbuf eb = {0};
    fg_infer_model *m = NULL;
    if (fg_infer_model_load(o.model, o.tokenizer, &lo, &m, &eb) != FG_OK) {
        fprintf(stderr, "flowgate generate: %s\n", eb.msg);
        return 1;
    }
    rc = generate(m, &o);
    fg_infer_model_unref(m);
    return rc;
}
