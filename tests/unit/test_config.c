#include "config/config.h"
#include "fg_test.h"

static fg_config *load(const char *text, fg_buf *problems)
{
    fg_config *c = NULL;
    fg_buf_init(problems, 0);
    fg_config_load_text("f.yaml", text, strlen(text), &c, problems);
    return c;
}

FG_TEST(defaults_without_a_file)
{
    fg_buf p;
    fg_config *c = load("", &p);
    FG_REQUIRE(c != NULL);
    FG_CHECK_INT(fg_config_int(c, "server.port"), 8080);
    FG_CHECK_INT(fg_config_int(c, "server.max_body_bytes"), 4 << 20);
    FG_CHECK_STR(fg_config_str(c, "data_dir"), "./flowgate-data");
    FG_CHECK(fg_config_bool(c, "log.access"));
    fg_config_free(c);
    fg_buf_free(&p);
}

FG_TEST(every_problem_reported_with_line)
{
    fg_buf p;
    fg_config *c = load("server:\n  port: 0\n  nope: 1\nlog:\n  level: loud\n"
                        "providers:\n  - type: openai\n", &p);
    FG_CHECK(c == NULL);
    FG_CHECK(strstr(p.data, "f.yaml:2: server.port must be between") != NULL);
    FG_CHECK(strstr(p.data, "f.yaml:3: unknown key 'server.nope'") != NULL);
    FG_CHECK(strstr(p.data, "f.yaml:5: log.level must be one of") != NULL);
    FG_CHECK(strstr(p.data, "providers[].name is required") != NULL);
    fg_buf_free(&p);
}

FG_TEST(env_interpolation_and_list_defaults)
{
    setenv("FG_TEST_KEY", "sk-123", 1);
    fg_buf p;
    fg_config *c = load("providers:\n  - name: o\n    type: openai\n    api_key: ${FG_TEST_KEY}\n"
                        "    base_url: ${FG_UNSET_X:-http://x}/v1\n"
                        "models:\n  - name: m\n    deployments:\n      - provider: o\n", &p);
    FG_REQUIRE(c != NULL);
    const json_t *prov = json_array_get(fg_config_get(c, "providers"), 0);
    FG_CHECK_STR(json_string_value(json_object_get(prov, "api_key")), "sk-123");
    FG_CHECK_STR(json_string_value(json_object_get(prov, "base_url")), "http://x/v1");
    FG_CHECK_INT(json_integer_value(json_object_get(prov, "timeout_ms")), 600000);
    json_t *shown = fg_config_redacted(c);
    FG_CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(shown, "providers"), 0), "api_key")), "***");
    json_decref(shown);
    fg_config_free(c);
    fg_buf_free(&p);
}

FG_TEST(unset_env_is_an_error_and_yaml_errors_have_lines)
{
    fg_buf p;
    fg_config *c = load("data_dir: ${FG_SURELY_UNSET_VAR}\n", &p);
    FG_CHECK(c == NULL);
    FG_CHECK(strstr(p.data, "f.yaml:1: environment variable FG_SURELY_UNSET_VAR is not set") != NULL);
    fg_buf_free(&p);
    c = load("server:\n  port: [1,\n", &p);
    FG_CHECK(c == NULL);
    FG_CHECK(strstr(p.data, "f.yaml:") != NULL);
    fg_buf_free(&p);
}

FG_TEST(docs_file_is_current)
{
    fg_buf out;
    fg_buf_init(&out, 0);
    fg_config_docs(&out);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/configuration.md", FG_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    FG_REQUIRE(f != NULL);
    char *disk = calloc(1, out.len + 2);
    size_t n = fread(disk, 1, out.len + 1, f);
    fclose(f);
    if (n != out.len || memcmp(disk, out.data, out.len) != 0)
        fprintf(stderr, "  docs/configuration.md is stale: run "
                        "`flowgate config docs > docs/configuration.md`\n");
    FG_CHECK(n == out.len && memcmp(disk, out.data, out.len) == 0);
    free(disk);
    fg_buf_free(&out);
}
