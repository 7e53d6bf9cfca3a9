/* flowgate model SUBCOMMAND: look after local model files. */
#include "cli/args.h"
#include "cli/commands.h"
#include "infer/infer.h"

#include <stdio.h>
#include <string.h>

static int model_info(int argc, char **argv)
{
    const char *tokenizer = NULL;
    const fg_opt opts[] = {
        {"tokenizer", FG_OPT_STR, &tokenizer, "FILE", "tokenizer.bin for a llama2.c checkpoint"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate model info FILE [--tokenizer FILE]",
        .summary = "Loads a model file (checking every header field and tensor) and prints\n"
                   "its metadata and the settings inference will use.",
        .opts = opts,
        .min_positional = 1,
        .max_positional = 1,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    fg_errbuf eb = {0};
    fg_infer_model *m = NULL;
    fg_infer_load_opts lo = {.threads = 1};
    if (fg_infer_model_load(argv[1], tokenizer, &lo, &m, &eb) != FG_OK) {
        fprintf(stderr, "flowgate model info: %s\n", eb.msg);
        return 1;
    }
    fg_buf out;
    fg_buf_init(&out, 0);
    rc = fg_infer_model_describe(m, &out);
    if (rc == FG_OK)
        fwrite(out.data, 1, out.len, stdout);
    fg_buf_free(&out);
    fg_infer_model_unref(m);
    return rc == FG_OK ? 0 : 1;
}

int fg__infer_cmd_model_pull(int argc, char **argv);

static const fg_cli_sub subcommands[] = {
    {"info", model_info, "print a model file's metadata"},
    {"pull", fg__infer_cmd_model_pull, "download a model file into the data folder (with --sha256 check)"},
};

int fg_infer_cmd_model(int argc, char **argv)
{
    return fg_cli_dispatch("model", "Local model files.", subcommands,
                           sizeof subcommands / sizeof subcommands[0], argc, argv);
}
