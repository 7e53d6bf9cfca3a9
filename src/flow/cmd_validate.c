/* flowgate validate FILE: prints every problem of a definition. */
#include "cli/args.h"
#include "cli/commands.h"
#include "core/json.h"
#include "flow/flow.h"

#include <stdio.h>
#include <stdlib.h>

int fg_flow_cmd_validate(int argc, char **argv)
{
    bool as_json = false;
    const fg_opt opts[] = {
        {"json", FG_OPT_FLAG, &as_json, NULL, "print the problems as a JSON array"},
        {NULL, 0, NULL, NULL, NULL},
    };
    static const fg_cli cli_tmpl = {
        .usage = "flowgate validate [--json] FILE",
        .summary = "Checks an Amazon States Language definition: every state type and field with\n"
                   "AWS's constraints, Next targets, reachability and terminal states. Prints\n"
                   "each problem with the state name and a JSON pointer; exit status 1 if any.",
        .min_positional = 1,
        .max_positional = 1,
    };
    fg_cli cli = cli_tmpl;
    cli.opts = opts;
    int npos = 0;
    int rc = fg_cli_parse(&cli, argc, argv, &npos);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    json_error_t je;
    json_t *def = fg_json_load_file(argv[1], &je);
    if (!def) {
        if (je.line < 0)
            fprintf(stderr, "flowgate: %s\n", je.text);
        else
            fprintf(stderr, "%s:%d:%d: not valid JSON: %s\n", argv[1], je.line, je.column, je.text);
        return 1;
    }
    json_t *problems = NULL;
    int n = fg_flow_validate(def, &problems);
    if (as_json) {
        char *s = json_dumps(problems, JSON_INDENT(2));
        printf("%s\n", s ? s : "[]");
        free(s);
    } else {
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p) {
            const char *st = json_string_value(json_object_get(p, "state"));
            printf("%s: %s%s%s%s: %s\n", argv[1], json_string_value(json_object_get(p, "pointer")),
                   st ? " (state " : "", st ? st : "", st ? ")" : "", json_string_value(json_object_get(p, "message")));
        }
        if (n == 0)
            printf("%s: valid\n", argv[1]);
        else
            printf("%s: %d problem%s\n", argv[1], n, n == 1 ? "" : "s");
    }
    json_decref(problems);
    json_decref(def);
    return n ? 1 : 0;
}
