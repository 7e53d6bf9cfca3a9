#include "cli/args.h"
#include "cli/commands.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <uv.h>
#include <yaml.h>

int fg_cli_cmd_version(int argc, char **argv)
{
    static const fg_cli cli = {
        .usage = "flowgate version",
        .summary = "Prints flowgate's version and the versions of the libraries it runs on.",
        .max_positional = 0,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    printf("flowgate %s\n", FG_VERSION);
    printf("libuv %s, libcurl %s, jansson %s, sqlite %s, libyaml %s, %s\n", uv_version_string(),
           curl_version_info(CURLVERSION_NOW)->version, JANSSON_VERSION, sqlite3_libversion(),
           yaml_get_version_string(), OpenSSL_version(OPENSSL_VERSION));
    return 0;
}
