/* AWS credentials and region: from explicit values, from the environment, and
 * from the shared credentials and config files (~/.aws/credentials,
 * ~/.aws/config), as the AWS CLI and SDKs read them. */
#ifndef FG_WIRE_AWS_CREDENTIALS_H
#define FG_WIRE_AWS_CREDENTIALS_H

#include "core/error.h"

/* Owned strings (free with fg_aws_credentials_free); session_token and
 * region may be NULL. source says where they came from ("explicit",
 * "environment", "file:PATH [profile]"), never a secret. */
typedef struct fg_aws_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    char *region;
    char source[320];
} fg_aws_credentials;

void fg_aws_credentials_free(fg_aws_credentials *c);

/* Copies explicit values; token and region may be NULL or "". */
int fg_aws_credentials_set(fg_aws_credentials *c, const char *access_key_id,
                           const char *secret_access_key, const char *session_token,
                           const char *region, fg_errbuf *eb);

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, and the region
 * from AWS_REGION or else AWS_DEFAULT_REGION. FG_ENOTFOUND when the keys are
 * not set; FG_EINVAL when only one of the two is. */
int fg_aws_credentials_from_env(fg_aws_credentials *c, fg_errbuf *eb);

/* Where the shared files are and which profile to read. NULL fields take the
 * environment's or AWS's defaults: AWS_SHARED_CREDENTIALS_FILE or
 * ~/.aws/credentials, AWS_CONFIG_FILE or ~/.aws/config, AWS_PROFILE or
 * "default". max_file_size bounds each file (0: 1 MiB). */
typedef struct fg_aws_profile_opts {
    const char *profile;
    const char *credentials_file;
    const char *config_file;
    size_t max_file_size;
} fg_aws_profile_opts;

/* Keys from the credentials file's [NAME] section, or else from the config
 * file's [profile NAME] ([default] for the default profile); the region from
 * the config file's section (or the credentials file's). Missing files are
 * not errors; FG_ENOTFOUND when no keys were found, FG_EPARSE (with file and
 * line) for a malformed file. */
int fg_aws_credentials_from_profile(fg_aws_credentials *c, const fg_aws_profile_opts *opts,
                                    fg_errbuf *eb);

/* The chain the gateway uses: the environment's keys, else the shared files.
 * A region from AWS_REGION/AWS_DEFAULT_REGION overrides the files' region. */
int fg_aws_credentials_resolve(fg_aws_credentials *c, const fg_aws_profile_opts *opts,
                               fg_errbuf *eb);

#endif
