/* AWS credentials from explicit values, the environment and the shared files. */
#include "wire/aws_credentials.h"
#include "fg_test.h"

static char dir[] = "/tmp/fg-aws-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[2][256];
    static int which;
    char *p = path[which++ & 1];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static void clear_env(void)
{
    static const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                 "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
                                 "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};
    for (size_t i = 0; i < FG_ARRAY_LEN(vars); i++)
        unsetenv(vars[i]);
    FG_CHECK(mkdtemp(dir) != NULL);
    setenv("HOME", dir, 1); /* no ~/.aws of the machine's */
}

static const char creds_file[] = "# a comment\n"
                                 "[default]\n"
                                 "aws_access_key_id = AKIDDEFAULT\n"
                                 "aws_secret_access_key = secretdefault\n"
                                 "\n"
                                 "[work]\n"
                                 "aws_access_key_id=AKIDWORK\n"
                                 "aws_secret_access_key=secretwork\n"
                                 "aws_session_token = tokenwork\n";
static const char config_file[] = "[default]\n"
                                  "region = eu-west-1\n"
                                  "[profile work]\n"
                                  "region = us-west-2\n"
                                  "s3 =\n"
                                  "  region = ignored-nested\n"
                                  "[profile cfgonly]\n"
                                  "aws_access_key_id = AKIDCFG\n"
                                  "aws_secret_access_key = secretcfg\n"
                                  "region = ap-south-1\n";

FG_TEST(creds_from_environment)
{
    clear_env();
    fg_aws_credentials c;
    FG_CHECK_INT(fg_aws_credentials_from_env(&c, NULL), FG_ENOTFOUND);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_aws_credentials_from_env(&c, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "AWS_SECRET_ACCESS_KEY") != NULL);
    setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
    setenv("AWS_SESSION_TOKEN", "tokenenv", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
    FG_REQUIRE(fg_aws_credentials_from_env(&c, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDENV");
    FG_CHECK_STR(c.secret_access_key, "secretenv");
    FG_CHECK_STR(c.session_token, "tokenenv");
    FG_CHECK_STR(c.region, "us-east-2");
    FG_CHECK_STR(c.source, "environment");
    fg_aws_credentials_free(&c);
    setenv("AWS_REGION", "us-west-1", 1); /* AWS_REGION wins */
    FG_REQUIRE(fg_aws_credentials_from_env(&c, NULL) == 0);
    FG_CHECK_STR(c.region, "us-west-1");
    fg_aws_credentials_free(&c);
}

FG_TEST(creds_from_shared_files_and_profiles)
{
    clear_env();
    fg_aws_profile_opts o = {.credentials_file = write_file("credentials", creds_file),
                             .config_file = write_file("config", config_file)};
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_from_profile(&c, &o, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDDEFAULT");
    FG_CHECK(c.session_token == NULL);
    FG_CHECK_STR(c.region, "eu-west-1");
    FG_CHECK(strstr(c.source, "[default]") != NULL);
    fg_aws_credentials_free(&c);

    o.profile = "work";
    FG_REQUIRE(fg_aws_credentials_from_profile(&c, &o, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDWORK");
    FG_CHECK_STR(c.session_token, "tokenwork");
    FG_CHECK_STR(c.region, "us-west-2");
    fg_aws_credentials_free(&c);

    o.profile = "cfgonly"; /* keys in the config file's [profile x] */
    FG_REQUIRE(fg_aws_credentials_from_profile(&c, &o, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDCFG");
    FG_CHECK_STR(c.region, "ap-south-1");
    FG_CHECK(strstr(c.source, "[profile cfgonly]") != NULL);
    fg_aws_credentials_free(&c);

    o.profile = "nosuch";
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_aws_credentials_from_profile(&c, &o, &eb), FG_ENOTFOUND);
    FG_CHECK(strstr(eb.msg, "nosuch") != NULL);
}

FG_TEST(creds_profile_and_files_from_environment)
{
    clear_env();
    setenv("AWS_SHARED_CREDENTIALS_FILE", write_file("c2", creds_file), 1);
    setenv("AWS_CONFIG_FILE", write_file("g2", config_file), 1);
    setenv("AWS_PROFILE", "work", 1);
    setenv("AWS_REGION", "sa-east-1", 1);
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_resolve(&c, NULL, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDWORK");
    FG_CHECK_STR(c.region, "sa-east-1"); /* the environment's region overrides the file's */
    fg_aws_credentials_free(&c);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1); /* environment keys come first */
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    FG_REQUIRE(fg_aws_credentials_resolve(&c, NULL, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDENV");
    fg_aws_credentials_free(&c);
}

FG_TEST(creds_default_path_is_home_dot_aws)
{
    clear_env();
    char d[300];
    snprintf(d, sizeof d, "%s/.aws", dir);
    FG_REQUIRE(mkdir(d, 0700) == 0);
    write_file(".aws/credentials", creds_file);
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_resolve(&c, NULL, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDDEFAULT");
    FG_CHECK(c.region == NULL);
    fg_aws_credentials_free(&c);
}

FG_TEST(creds_malformed_file_names_file_and_line)
{
    clear_env();
    fg_aws_profile_opts o = {
        .credentials_file = write_file("bad", "[default]\naws_access_key_id = A\nnot a pair\n")};
    fg_aws_credentials c;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_aws_credentials_from_profile(&c, &o, &eb), FG_EPARSE);
    FG_CHECK(strstr(eb.msg, "bad:3:") != NULL);
    o.credentials_file = write_file("half", "[default]\naws_access_key_id = A\n");
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_aws_credentials_from_profile(&c, &o, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "aws_secret_access_key") != NULL);
    o.credentials_file = write_file("big", creds_file);
    o.max_file_size = 16;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_aws_credentials_from_profile(&c, &o, &eb), FG_ELIMIT);
}

FG_TEST(creds_explicit_values)
{
    fg_aws_credentials c;
    FG_CHECK_INT(fg_aws_credentials_set(&c, "A", "", NULL, NULL, NULL), FG_EINVAL);
    FG_REQUIRE(fg_aws_credentials_set(&c, "A", "S", "", "us-east-1", NULL) == 0);
    FG_CHECK(c.session_token == NULL);
    FG_CHECK_STR(c.region, "us-east-1");
    FG_CHECK_STR(c.source, "explicit");
    fg_aws_credentials_free(&c);
}

FG_TEST(creds_files_with_crlf_and_profile_default_section)
{
    clear_env();
    fg_aws_profile_opts o = {
        .credentials_file = write_file("crlf", "; windows file\r\n[default]\r\n"
                                               "aws_access_key_id = AKIDCRLF \r\n"
                                               "aws_secret_access_key = s\r\n"),
        .config_file = write_file("cfg", "[profile default]\r\nregion = eu-north-1\r\n")};
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_from_profile(&c, &o, NULL) == 0);
    FG_CHECK_STR(c.access_key_id, "AKIDCRLF");
    FG_CHECK_STR(c.region, "eu-north-1");
    fg_aws_credentials_free(&c);
}
