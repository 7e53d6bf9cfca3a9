/* SigV4 against AWS's published Signature Version 4 test suite (the
 * 2015-08-30 suite: credentials AKIDEXAMPLE, region us-east-1, service
 * "service"), and a Bedrock request whose signature was computed by botocore. */
#include "core/buf.h"
#include "wire/sigv4.h"
#include "fg_test.h"

#define SUITE_TIME 1440938160 /* 2015-08-30T12:36:00Z */
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_PREFIX "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

typedef struct vector {
    const char *name, *method, *path, *query;
    fg_wire_header headers[6];
    const char *body;
    const char *signed_headers, *signature;
} vector;

#define HOST {"Host", "example.amazonaws.com"}

static const vector suite[] = {
    {"get-vanilla", "GET", "/", NULL, {HOST}, NULL, "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", {HOST}, NULL, "host;x-amz-date",
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", {HOST}, NULL,
     "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1", {HOST}, NULL,
     "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-query-unreserved", "GET", "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {HOST}, NULL, "host;x-amz-date",
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar", {HOST}, NULL, "host;x-amz-date",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-unreserved", "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL, {HOST}, NULL,
     "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8", "GET", "/\xe1\x88\xb4", NULL, {HOST}, NULL, "host;x-amz-date",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-header-key-duplicate", "GET", "/", NULL,
     {HOST, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, NULL,
     "host;my-header1;x-amz-date",
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-order", "GET", "/", NULL,
     {HOST, {"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"},
      {"My-Header1", "value2"}},
     NULL,
     "host;my-header1;x-amz-date",
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"get-header-value-trim", "GET", "/", NULL,
     {HOST, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, NULL,
     "host;my-header1;my-header2;x-amz-date",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"post-header-key-case", "POST", "/", NULL, {{"HOST", "example.amazonaws.com"}}, NULL,
     "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-header-key-sort", "POST", "/", NULL, {{"My-Header1", "value1"}, HOST}, NULL,
     "host;my-header1;x-amz-date",
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case", "POST", "/", NULL, {HOST, {"My-Header1", "VALUE1"}}, NULL,
     "host;my-header1;x-amz-date",
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"post-vanilla", "POST", "/", NULL, {HOST}, NULL, "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-vanilla-empty-query-value", "POST", "/", "Param1=value1", {HOST}, NULL,
     "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-x-www-form-urlencoded", "POST", "/", NULL,
     {{"Content-Type", "application/x-www-form-urlencoded"}, HOST}, "Param1=value1",
     "content-type;host;x-amz-date",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-x-www-form-urlencoded-parameters", "POST", "/", NULL,
     {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}, HOST}, "Param1=value1",
     "content-type;host;x-amz-date",
     "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
    /* normalize-path group */
    {"get-relative-relative", "GET", "/example1/example2/../..", NULL, {HOST}, NULL,
     "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-slash-pointless-dot", "GET", "/./example", NULL, {HOST}, NULL, "host;x-amz-date",
     "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    {"get-slashes", "GET", "//example//", NULL, {HOST}, NULL, "host;x-amz-date",
     "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
    {"get-space", "GET", "/example space/", NULL, {HOST}, NULL, "host;x-amz-date",
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
};

static size_t count_headers(const fg_wire_header *h)
{
    size_t n = 0;
    while (n < 6 && h[n].name)
        n++;
    return n;
}

static int sign_vector(const vector *v, const fg_aws_credentials *creds, fg_sigv4_out *out)
{
    fg_sigv4_request req = {
        .method = v->method, .path = v->path, .query = v->query,
        .headers = v->headers, .nheaders = count_headers(v->headers),
        .body = v->body, .body_len = v->body ? strlen(v->body) : 0,
    };
    fg_sigv4_params p = {.region = "us-east-1", .service = "service", .creds = creds,
                         .time = SUITE_TIME};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_sigv4_sign(&req, &p, out, &eb);
    if (rc)
        fprintf(stderr, "  %s: %s\n", v->name, eb.msg);
    return rc;
}

FG_TEST(sigv4_matches_the_aws_test_suite)
{
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, NULL, NULL, NULL) == 0);
    int matched = 0;
    for (size_t i = 0; i < FG_ARRAY_LEN(suite); i++) {
        fg_sigv4_out out;
        FG_REQUIRE(sign_vector(&suite[i], &c, &out) == 0);
        char want[512];
        snprintf(want, sizeof want, SUITE_PREFIX "SignedHeaders=%s, Signature=%s",
                 suite[i].signed_headers, suite[i].signature);
        if (strcmp(out.authorization, want) == 0)
            matched++;
        else
            fprintf(stderr, "  %s:\n    got  %s\n    want %s\n    creq:\n%s\n", suite[i].name,
                    out.authorization, want, out.canonical_request);
        fg_sigv4_out_free(&out);
    }
    printf("  sigv4 suite: %d of %zu vectors match\n", matched, FG_ARRAY_LEN(suite));
    FG_CHECK_INT(matched, FG_ARRAY_LEN(suite));
    fg_aws_credentials_free(&c);
}

FG_TEST(sigv4_intermediate_steps_match_the_suite)
{
    /* post-x-www-form-urlencoded.creq and .sts */
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, NULL, NULL, NULL) == 0);
    fg_sigv4_out out;
    FG_REQUIRE(sign_vector(&suite[16], &c, &out) == 0);
    FG_CHECK_STR(out.canonical_request,
                 "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
                 "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                 "content-type;host;x-amz-date\n"
                 "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    FG_CHECK_STR(out.string_to_sign,
                 "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                 "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
    FG_CHECK_STR(out.amz_date, "20150830T123600Z");
    fg_sigv4_out_free(&out);
    fg_aws_credentials_free(&c);
}

FG_TEST(sigv4_signs_the_session_token)
{
    /* post-sts-header-before */
    static const char token[] =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmx"
        "fpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0K"
        "PkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZ"
        "bqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, token, NULL, NULL) == 0);
    vector v = {"post-sts-header-before", "POST", "/", NULL, {HOST}, NULL, NULL, NULL};
    fg_sigv4_out out;
    FG_REQUIRE(sign_vector(&v, &c, &out) == 0);
    FG_CHECK_STR(out.authorization,
                 SUITE_PREFIX "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                              "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    FG_REQUIRE(out.nadd == 3);
    FG_CHECK_STR(out.add[0].name, "X-Amz-Date");
    FG_CHECK_STR(out.add[1].name, "X-Amz-Security-Token");
    FG_CHECK_STR(out.add[1].value, token);
    FG_CHECK_STR(out.add[2].name, "Authorization");
    fg_sigv4_out_free(&out);
    fg_aws_credentials_free(&c);
}

FG_TEST(sigv4_bedrock_request_double_encodes_the_model_id)
{
    /* Expected values computed with botocore's SigV4Auth for the same request. */
    static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}";
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, "FQoGZXIvYXdzEXAMPLETOKEN",
                                      "us-east-1", NULL) == 0);
    fg_buf parts;
    fg_buf_init(&parts, 0);
    const char *host, *path, *query;
    FG_REQUIRE(fg_sigv4_split_url("https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                                  "anthropic.claude-3-sonnet-20240229-v1%3A0/converse",
                                  &parts, &host, &path, &query, NULL) == 0);
    FG_CHECK_STR(host, "bedrock-runtime.us-east-1.amazonaws.com");
    FG_CHECK_STR(path, "/model/anthropic.claude-3-sonnet-20240229-v1%3A0/converse");
    FG_CHECK_STR(query, "");
    fg_wire_header h[] = {{"Content-Type", "application/json"}, {"User-Agent", "flowgate"}};
    fg_sigv4_request req = {"POST", host, path, query, h, 2, body, strlen(body), NULL};
    fg_sigv4_params p = {c.region, "bedrock", &c, 1714557600 /* 2024-05-01T10:00:00Z */, 0};
    fg_sigv4_out out;
    FG_REQUIRE(fg_sigv4_sign(&req, &p, &out, NULL) == 0);
    FG_CHECK_STR(out.canonical_request,
                 "POST\n/model/anthropic.claude-3-sonnet-20240229-v1%253A0/converse\n\n"
                 "content-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\n"
                 "x-amz-date:20240501T100000Z\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n\n"
                 "content-type;host;x-amz-date;x-amz-security-token\n"
                 "7421da8d1a0949a481724fee62d5886aacde03836bf58248adb73e8b61ac0d54");
    FG_CHECK_STR(out.authorization,
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/bedrock/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
                 "Signature=9efc3266fbe2016bdcedbc1a9d7c297faa92957d0a0f3eecaee2ceb3ec7f4d2b");
    fg_sigv4_out_free(&out);
    fg_buf_free(&parts);
    fg_aws_credentials_free(&c);
}

FG_TEST(sigv4_s3_signs_the_path_as_given_with_content_sha256)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    FG_CHECK_INT(fg_sigv4_canonical_uri(&b, "/bucket/a%20b//./c", 1), 0);
    FG_CHECK_STR(b.data, "/bucket/a%20b//./c");
    fg_buf_reset(&b);
    FG_CHECK_INT(fg_sigv4_canonical_uri(&b, "/bucket/a%20b//./c", 0), 0);
    FG_CHECK_STR(b.data, "/bucket/a%2520b/c");
    fg_buf_free(&b);

    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, NULL, NULL, NULL) == 0);
    fg_sigv4_request req = {.method = "PUT", .host = "b.s3.amazonaws.com", .path = "/k",
                            .body = "hello", .body_len = 5};
    fg_sigv4_params p = {"us-east-1", "s3", &c, SUITE_TIME, FG_SIGV4_S3 | FG_SIGV4_CONTENT_SHA256};
    fg_sigv4_out out;
    FG_REQUIRE(fg_sigv4_sign(&req, &p, &out, NULL) == 0);
    FG_CHECK_STR(out.payload_hash,
                 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    FG_CHECK(strstr(out.canonical_request, "x-amz-content-sha256:2cf24dba") != NULL);
    FG_CHECK(strstr(out.authorization, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,") !=
             NULL);
    FG_CHECK_INT(out.nadd, 3);
    fg_sigv4_out_free(&out);
    fg_aws_credentials_free(&c);
}

FG_TEST(sigv4_query_is_decoded_then_strictly_reencoded)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    FG_CHECK_INT(fg_sigv4_canonical_query(&b, "b=2&a=x%2Fy&a=%zz&c&&d=a+b"), 0);
    FG_CHECK_STR(b.data, "a=%25zz&a=x%2Fy&b=2&c=&d=a%2Bb");
    fg_buf_free(&b);
}

FG_TEST(sigv4_refuses_missing_credentials_and_region)
{
    fg_aws_credentials none = {0};
    fg_sigv4_request req = {.method = "GET", .host = "h", .path = "/"};
    fg_sigv4_params p = {"us-east-1", "bedrock", &none, SUITE_TIME, 0};
    fg_sigv4_out out;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_sigv4_sign(&req, &p, &out, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "AWS_ACCESS_KEY_ID") != NULL);
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, NULL, NULL, NULL) == 0);
    p.creds = &c;
    p.region = "";
    fg_errbuf_clear(&eb);
    FG_CHECK_INT(fg_sigv4_sign(&req, &p, &out, &eb), FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "region") != NULL);
    fg_aws_credentials_free(&c);
}

FG_TEST(sigv4_split_url_keeps_non_default_ports)
{
    fg_buf b;
    fg_buf_init(&b, 0);
    const char *h, *p, *q;
    FG_REQUIRE(fg_sigv4_split_url("http://127.0.0.1:8080/model/x/invoke?a=1#frag", &b, &h, &p, &q,
                                  NULL) == 0);
    FG_CHECK_STR(h, "127.0.0.1:8080");
    FG_CHECK_STR(p, "/model/x/invoke");
    FG_CHECK_STR(q, "a=1");
    FG_REQUIRE(fg_sigv4_split_url("https://example.com:443", &b, &h, &p, &q, NULL) == 0);
    FG_CHECK_STR(h, "example.com");
    FG_CHECK_STR(p, "/");
    FG_CHECK_INT(fg_sigv4_split_url("ftp://x/", &b, &h, &p, &q, NULL), FG_EINVAL);
    fg_buf_free(&b);
}

FG_TEST(sigv4_sign_url_matches_the_suite)
{
    /* get-vanilla-query-order-key-case, from a URL */
    fg_aws_credentials c;
    FG_REQUIRE(fg_aws_credentials_set(&c, "AKIDEXAMPLE", SUITE_SECRET, NULL, NULL, NULL) == 0);
    fg_sigv4_params p = {"us-east-1", "service", &c, SUITE_TIME, 0};
    fg_sigv4_out out;
    FG_REQUIRE(fg_sigv4_sign_url("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1",
                                 NULL, 0, NULL, 0, &p, &out, NULL) == 0);
    FG_CHECK_STR(out.authorization,
                 SUITE_PREFIX "SignedHeaders=host;x-amz-date, "
                              "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    fg_sigv4_out_free(&out);
    fg_aws_credentials_free(&c);
}
