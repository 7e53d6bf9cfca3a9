#include "llm/aws_sign.h"

#include "core/clock.h"
#include "core/json.h"
#include "wire/aws_credentials.h"
#include "wire/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fg__aws_provider_init(fg_llm_provider *p, fg_errbuf *eb)
{
    fg_aws_credentials *c = calloc(1, sizeof *c);
    if (!c)
        return FG_ENOMEM;
    const char *key = fg_json_str(p->conf, "access_key_id", NULL);
    const char *secret = fg_json_str(p->conf, "secret_access_key", NULL);
    const char *region = fg_json_str(p->conf, "region", NULL);
    int rc;
    if (key && secret) {
        rc = fg_aws_credentials_set(c, key, secret, fg_json_str(p->conf, "session_token", NULL), region, eb);
    } else {
        fg_aws_profile_opts o = {.profile = fg_json_str(p->conf, "profile", NULL)};
        rc = fg_aws_credentials_resolve(c, &o, eb);
        if (rc == FG_ENOTFOUND) {
            fg_errbuf_clear(eb);
            rc = fg_failf(eb, FG_EINVAL, "provider '%s': no AWS credentials: set access_key_id and "
                          "secret_access_key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a profile in "
                          "~/.aws/credentials", p->name);
        }
    }
    if (!rc && region) {
        free(c->region);
        c->region = strdup(region);
    }
    if (!rc && (!c->region || !*c->region))
        rc = fg_failf(eb, FG_EINVAL, "provider '%s': no AWS region: set region, or AWS_REGION", p->name);
    if (rc) {
        fg_aws_credentials_free(c);
        free(c);
        return rc;
    }
    p->aws = c;
    return FG_OK;
}

void fg__aws_endpoint(const fg_llm_provider *p, const char *host_prefix, char *out, size_t n)
{
    if (p->base_url)
        snprintf(out, n, "%s", p->base_url);
    else
        snprintf(out, n, "https://%s.%s.amazonaws.com", host_prefix, p->aws->region);
}

void fg__aws_path_segment(char *out, size_t n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && j + 4 < n; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            out[j++] = (char)*p;
        } else {
            out[j++] = '%';
            out[j++] = hex[*p >> 4];
            out[j++] = hex[*p & 15];
        }
    }
    out[j] = '\0';
}

int fg__aws_sign(const fg_llm_provider *p, const char *service, const char *url, const char *body,
                 size_t len, fg_aws_signed *out, fg_errbuf *eb)
{
    fg_buf parts;
    fg_buf_init(&parts, 0);
    const char *host, *path, *query;
    int rc = fg_sigv4_split_url(url, &parts, &host, &path, &query, eb);
    if (rc) {
        fg_buf_free(&parts);
        return rc;
    }
    fg_wire_header hdrs[] = {{"content-type", "application/json"}};
    fg_sigv4_request req = {.method = "POST", .host = host, .path = path, .query = query,
                            .headers = hdrs, .nheaders = 1, .body = body, .body_len = len};
    fg_sigv4_params params = {.region = p->aws->region, .service = service, .creds = p->aws,
                              .time = fg_clock_wall_ms() / 1000};
    fg_sigv4_out sig = {0};
    rc = fg_sigv4_sign(&req, &params, &sig, eb);
    if (!rc) {
        out->n = 0;
        for (size_t i = 0; i < sig.nadd && out->n < 6; i++)
            snprintf(out->lines[out->n++], sizeof out->lines[0], "%s: %s", sig.add[i].name, sig.add[i].value);
    }
    fg_sigv4_out_free(&sig);
    fg_buf_free(&parts);
    return rc;
}
