/* The flow commands as a user runs them: exit statuses and what they print. */
#include "flow/flow.h"
#include "fg_test.h"

int fg_flow_cmd_validate(int argc, char **argv);
int fg_tasks_cmd_run(int argc, char **argv);
int fg_flow_cmd_conformance(int argc, char **argv);

static char path[64];

static const char *write_tmp(const char *text)
{
    snprintf(path, sizeof path, "/tmp/fg_flow_cli_%d.json", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Runs fn with argv, capturing stdout into out (up to n bytes). */
static int capture(int (*fn)(int, char **), int argc, char **argv, char *out, size_t n)
{
    fflush(stdout);
    int saved = dup(1);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 1);
    int rc = fn(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t got = fread(out, 1, n - 1, tmp);
    out[got] = 0;
    fclose(tmp);
    return rc;
}

FG_TEST(cli_validate_lists_problems_and_sets_the_exit_status)
{
    char out[4096];
    char *argv[] = {"validate", (char *)write_tmp("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Next\":\"B\"}}}"), NULL};
    FG_CHECK_INT(capture(fg_flow_cmd_validate, 2, argv, out, sizeof out), 1);
    FG_CHECK(strstr(out, "/States/A (state A): Missing 'Next' target: B") != NULL);
    argv[1] = (char *)write_tmp("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}");
    FG_CHECK_INT(capture(fg_flow_cmd_validate, 2, argv, out, sizeof out), 0);
    FG_CHECK(strstr(out, ": valid") != NULL);
    unlink(path);
}

FG_TEST(cli_run_and_validate_jsonata_machines)
{
    char out[4096];
    char *argv[] = {"run", (char *)write_tmp("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\","
                                             "\"States\":{\"A\":{\"Type\":\"Pass\",\"Assign\":{\"k\":2},"
                                             "\"Next\":\"B\"},\"B\":{\"Type\":\"Pass\","
                                             "\"Output\":{\"sum\":\"{% $states.input.a + $k %}\"},\"End\":true}}}"),
                    "--input", "{\"a\":40}", NULL};
    FG_CHECK_INT(capture(fg_tasks_cmd_run, 4, argv, out, sizeof out), 0);
    FG_CHECK_STR(out, "{\"sum\":42}\n");
    char *val[] = {"validate", (char *)write_tmp("{\"QueryLanguage\":\"JSONata\",\"StartAt\":\"A\","
                                                 "\"States\":{\"A\":{\"Type\":\"Pass\","
                                                 "\"Output\":\"{% $states.input.( %}\",\"End\":true}}}"),
                   NULL};
    FG_CHECK_INT(capture(fg_flow_cmd_validate, 2, val, out, sizeof out), 1);
    FG_CHECK(strstr(out, "/States/A/Output (state A): The JSONata expression") != NULL);
    FG_CHECK(strstr(out, "position") != NULL);
    unlink(path);
}

FG_TEST(cli_run_prints_the_output)
{
    char out[4096];
    char *argv[] = {"run", (char *)write_tmp("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                                             "\"Parameters\":{\"sum.$\":\"States.MathAdd($.a, 2)\"},\"End\":true}}}"),
                    "--input", "{\"a\":40}", NULL};
    FG_CHECK_INT(capture(fg_tasks_cmd_run, 4, argv, out, sizeof out), 0);
    FG_CHECK_STR(out, "{\"sum\":42}\n");
    char *bad[] = {"run", path, "--input", "{not json", NULL};
    FG_CHECK_INT(capture(fg_tasks_cmd_run, 4, bad, out, sizeof out), 1);
    unlink(path);
}

FG_TEST(cli_conformance_counts_a_small_suite)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/fg_flow_conf_%d", (int)getpid());
    mkdir(dir, 0700);
    char sub[128], file[160];
    snprintf(sub, sizeof sub, "%s/basic", dir);
    mkdir(sub, 0700);
    snprintf(file, sizeof file, "%s/ok.json", sub);
    FILE *f = fopen(file, "w");
    fputs("{\"name\":\"ok\",\"category\":\"basic\",\"kind\":\"execution\",\"definition\":{\"StartAt\":\"A\","
          "\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":1,\"End\":true}}},\"input\":{},"
          "\"expected\":{\"status\":\"SUCCEEDED\",\"output\":1}}", f);
    fclose(f);
    snprintf(file, sizeof file, "%s/bad.json", sub);
    f = fopen(file, "w");
    fputs("{\"name\":\"bad\",\"category\":\"basic\",\"kind\":\"execution\",\"definition\":{\"StartAt\":\"A\","
          "\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":1,\"End\":true}}},\"input\":{},"
          "\"expected\":{\"status\":\"SUCCEEDED\",\"output\":2}}", f);
    fclose(f);
    char out[8192];
    char *argv[] = {"conformance", "asl", dir, NULL};
    FG_CHECK_INT(capture(fg_flow_cmd_conformance, 3, argv, out, sizeof out), 1);
    FG_CHECK(strstr(out, "FAIL basic/bad.json: output 1, expected 2") != NULL);
    FG_CHECK(strstr(out, "\n1 passed, 1 failed\n") != NULL);
    char *floor_argv[] = {"conformance", "asl", dir, "--floor", "1", NULL};
    FG_CHECK_INT(capture(fg_flow_cmd_conformance, 5, floor_argv, out, sizeof out), 0);
    FG_CHECK(strstr(out, "floor 1: met\n1 passed, 0 failed\n") != NULL);
    unlink(file);
    snprintf(file, sizeof file, "%s/ok.json", sub);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}
