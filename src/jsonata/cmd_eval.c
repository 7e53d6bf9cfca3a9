/* `flowgate jsonata [--input FILE] EXPR`: evaluates one expression and prints
 * the result as JSON ("undefined" when there is none). */
#include "jsonata/jsonata.h"

#include "cli/args.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report_rate(const fg_jsonata_expr *e, const json_t *input, const fg_jsonata_env *env, long n)
{
    fg_jsonata_error err;
    uint64_t t0 = fg_clock_mono_ns();
    for (long i = 0; i < n; i++)
        json_decref(fg_jsonata_eval(e, input, env, NULL, &err));
    double secs = (double)(fg_clock_mono_ns() - t0) / 1e9;
    fprintf(stderr, "%ld evaluations in %.3f s: %.0f/s\n", n, secs, secs > 0 ? (double)n / secs : 0);
}

int fg_jsonata_cmd_eval(int argc, char **argv)
{
    const char *input_path = NULL;
    bool sfn = false;
    long repeat = 0;
    fg_opt opts[] = {
        {"input", FG_OPT_STR, &input_path, "FILE", "JSON input document (default: none)"},
        {"sfn", FG_OPT_FLAG, &sfn, NULL, "add the Step Functions functions ($partition, $uuid, ...)"},
        {"repeat", FG_OPT_INT, &repeat, "N", "evaluate N more times and report evaluations per second on stderr"},
        {NULL, 0, NULL, NULL, NULL},
    };
    fg_cli cli = {"flowgate jsonata [--input FILE] [--sfn] EXPR",
                  "Evaluates a JSONata expression and prints the result as JSON.", opts, 1, 1};
    int npos = 0;
    int rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    json_t *input = NULL;
    if (input_path) {
        json_error_t je;
        input = json_load_file(input_path, JSON_DECODE_ANY, &je);
        if (!input) {
            fprintf(stderr, "flowgate jsonata: %s:%d: %s\n", input_path, je.line, je.text);
            return 2;
        }
    }
    fg_jsonata_env *env = fg_jsonata_env_new();
    if (sfn)
        fg_jsonata_env_add_sfn_functions(env);
    fg_jsonata_error err;
    fg_jsonata_expr *e = fg_jsonata_compile(argv[1], strlen(argv[1]), &err);
    json_t *out = e ? fg_jsonata_eval(e, input, env, NULL, &err) : NULL;
    if (out && repeat > 0)
        report_rate(e, input, env, repeat);
    int status = 0;
    if (!out) {
        fprintf(stderr, "flowgate jsonata: %s at position %d: %s\n", err.code, err.position, err.message);
        status = 1;
    } else if (fg_jsonata_is_undefined(out)) {
        printf("undefined\n");
    } else {
        char *s = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
        printf("%s\n", s ? s : "");
        free(s);
    }
    json_decref(out);
    fg_jsonata_free(e);
    fg_jsonata_env_free(env);
    json_decref(input);
    return status;
}
