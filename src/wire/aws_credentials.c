/* Where AWS credentials come from: explicit values, the environment, the
 * shared credentials and config files. */
#include "wire/aws_credentials.h"

#include "wire/aws_ini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fg_aws_credentials_free(fg_aws_credentials *c)
{
    if (!c)
        return;
    if (c->secret_access_key)
        memset(c->secret_access_key, 0, strlen(c->secret_access_key));
    free(c->access_key_id);
    free(c->secret_access_key);
    free(c->session_token);
    free(c->region);
    memset(c, 0, sizeof *c);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

int fg_aws_credentials_set(fg_aws_credentials *c, const char *access_key_id,
                           const char *secret_access_key, const char *session_token,
                           const char *region, fg_errbuf *eb)
{
    memset(c, 0, sizeof *c);
    if (!access_key_id || !*access_key_id || !secret_access_key || !*secret_access_key)
        return fg_failf(eb, FG_EINVAL, "AWS credentials need both an access key id and a "
                                       "secret access key");
    c->access_key_id = strdup(access_key_id);
    c->secret_access_key = strdup(secret_access_key);
    c->session_token = dup_or_null(session_token);
    c->region = dup_or_null(region);
    snprintf(c->source, sizeof c->source, "explicit");
    if (!c->access_key_id || !c->secret_access_key || (session_token && *session_token &&
                                                       !c->session_token) ||
        (region && *region && !c->region)) {
        fg_aws_credentials_free(c);
        return fg_failf(eb, FG_ENOMEM, "out of memory copying AWS credentials");
    }
    return 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static const char *env_region(void)
{
    return env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
}

int fg_aws_credentials_from_env(fg_aws_credentials *c, fg_errbuf *eb)
{
    memset(c, 0, sizeof *c);
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (!id && !secret)
        return FG_ENOTFOUND;
    if (!id || !secret)
        return fg_failf(eb, FG_EINVAL, "%s is set but %s is not; set both or neither",
                        id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                        id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    int rc = fg_aws_credentials_set(c, id, secret, env("AWS_SESSION_TOKEN"), env_region(), eb);
    if (!rc)
        snprintf(c->source, sizeof c->source, "environment");
    return rc;
}

/* ~/.aws/NAME, or the environment variable's path. */
static int default_path(char *out, size_t n, const char *given, const char *var,
                        const char *name)
{
    if (given)
        return snprintf(out, n, "%s", given) < (int)n;
    if (env(var))
        return snprintf(out, n, "%s", env(var)) < (int)n;
    if (!env("HOME"))
        return 0;
    return snprintf(out, n, "%s/.aws/%s", env("HOME"), name) < (int)n;
}

static void take(char **dst, char **src)
{
    if (!*dst) {
        *dst = *src;
        *src = NULL;
    }
}

static int read_profiles(fg__aws_profile *cred, fg__aws_profile *conf,
                         const fg_aws_profile_opts *o, const char *profile, char *src, size_t srcn,
                         fg_errbuf *eb)
{
    char cpath[4096], gpath[4096];
    int has_c = default_path(cpath, sizeof cpath, o->credentials_file,
                             "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    int has_g = default_path(gpath, sizeof gpath, o->config_file, "AWS_CONFIG_FILE", "config");
    int rc = has_c ? fg__aws_ini_read(cpath, profile, 0, o->max_file_size, cred, eb) : 0;
    if (rc < 0)
        return rc;
    if (cred->access_key_id)
        snprintf(src, srcn, "file:%s [%s]", cpath, profile);
    int rc2 = has_g ? fg__aws_ini_read(gpath, profile, 1, o->max_file_size, conf, eb) : 0;
    if (rc2 < 0)
        return rc2;
    if (!cred->access_key_id && conf->access_key_id)
        snprintf(src, srcn, "file:%s [profile %s]", gpath, profile);
    return 0;
}

int fg_aws_credentials_from_profile(fg_aws_credentials *c, const fg_aws_profile_opts *opts,
                                    fg_errbuf *eb)
{
    static const fg_aws_profile_opts none = {0};
    const fg_aws_profile_opts *o = opts ? opts : &none;
    const char *profile = o->profile ? o->profile : env("AWS_PROFILE") ? env("AWS_PROFILE")
                                                                        : "default";
    memset(c, 0, sizeof *c);
    fg__aws_profile cred = {0}, conf = {0};
    char src[sizeof c->source] = "";
    int rc = read_profiles(&cred, &conf, o, profile, src, sizeof src, eb);
    if (!rc && !cred.access_key_id) { /* keys may also live in the config file */
        fg__aws_profile_free(&cred);
        cred = (fg__aws_profile){conf.access_key_id, conf.secret_access_key, conf.session_token,
                                 NULL};
        conf.access_key_id = conf.secret_access_key = conf.session_token = NULL;
    }
    if (!rc && !cred.access_key_id)
        rc = fg_failf(eb, FG_ENOTFOUND, "no AWS keys for profile '%s' in the shared credentials "
                                        "or config file", profile);
    else if (!rc && !cred.secret_access_key)
        rc = fg_failf(eb, FG_EINVAL, "%s: profile '%s' has aws_access_key_id but no "
                                     "aws_secret_access_key", src, profile);
    take(&conf.region, &cred.region);
    if (!rc)
        rc = fg_aws_credentials_set(c, cred.access_key_id, cred.secret_access_key,
                                    cred.session_token, conf.region, eb);
    if (!rc)
        snprintf(c->source, sizeof c->source, "%s", src);
    fg__aws_profile_free(&cred);
    fg__aws_profile_free(&conf);
    return rc;
}

static int override_region(fg_aws_credentials *c, fg_errbuf *eb)
{
    const char *r = env_region();
    if (!r)
        return 0;
    free(c->region);
    c->region = strdup(r);
    return c->region ? 0 : fg_failf(eb, FG_ENOMEM, "out of memory");
}

int fg_aws_credentials_resolve(fg_aws_credentials *c, const fg_aws_profile_opts *opts,
                               fg_errbuf *eb)
{
    int rc = fg_aws_credentials_from_env(c, eb);
    if (rc != FG_ENOTFOUND)
        return rc;
    rc = fg_aws_credentials_from_profile(c, opts, eb);
    if (!rc)
        rc = override_region(c, eb);
    if (rc && rc != FG_ENOTFOUND)
        fg_aws_credentials_free(c);
    return rc;
}
