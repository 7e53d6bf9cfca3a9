/* External OIDC issuers (Cognito user pools, Azure AD, any OpenID provider):
 * from the configuration's auth.issuers list, each with its signing keys read
 * at start from a JWKS file or fetched once from its JWKS URL. */
#include "auth/auth_int.h"

#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JWKS_BYTES (1 << 20)

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    return fg_buf_append(ud, data, size * n) == 0 ? size * n : 0;
}

static int fetch_url(const char *url, fg_buf *out, fg_errbuf *eb)
{
    CURL *c = curl_easy_init();
    if (!c)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        return fg_failf(eb, FG_EUPSTREAM, "fetching %s: %s", url, curl_easy_strerror(cc));
    if (status != 200)
        return fg_failf(eb, FG_EUPSTREAM, "fetching %s: HTTP %ld", url, status);
    return 0;
}

static int read_file(const char *path, fg_buf *out, fg_errbuf *eb)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fg_failf(eb, FG_EIO, "cannot read %s", path);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fg_buf_append(out, chunk, n))
            rc = fg_failf(eb, FG_ELIMIT, "%s is larger than %d bytes", path, MAX_JWKS_BYTES);
    fclose(f);
    return rc;
}

static int load_issuer(fg_oidc_issuer *is, const json_t *conf, size_t index, fg_errbuf *eb)
{
    is->issuer = fg_json_str(conf, "issuer", "");
    is->audience = fg_json_str(conf, "audience", NULL);
    is->required_scope = fg_json_str(conf, "required_scope", NULL);
    is->account_claim = fg_json_str(conf, "account_claim", "custom:account_id");
    is->role = fg__role_parse(fg_json_str(conf, "role", "user"));
    const char *file = fg_json_str(conf, "jwks_file", NULL), *url = fg_json_str(conf, "jwks_url", NULL);
    if (!file && !url)
        return fg_failf(eb, FG_EINVAL, "auth.issuers[%zu] (%s): set jwks_url or jwks_file", index,
                        is->issuer);
    fg_buf b;
    fg_buf_init(&b, MAX_JWKS_BYTES);
    int rc = file ? read_file(file, &b, eb) : fetch_url(url, &b, eb);
    if (!rc)
        rc = fg_jwks_parse(b.data ? b.data : "", b.len, &is->keys, eb);
    fg_buf_free(&b);
    if (rc)
        return fg_failf(eb, rc, "auth.issuers[%zu] (%s): cannot load its keys", index, is->issuer);
    fg_info("accepting tokens of %s (%zu keys)", is->issuer, fg_jwks_count(is->keys));
    return 0;
}

int fg__oidc_load(fg_auth *a, fg_errbuf *eb)
{
    const json_t *list = fg_config_get(a->cfg, "auth.issuers");
    size_t n = json_array_size(list);
    if (n == 0)
        return 0;
    a->issuers = calloc(n, sizeof *a->issuers);
    if (!a->issuers)
        return fg_failf(eb, FG_ENOMEM, "out of memory");
    a->nissuers = n;
    for (size_t i = 0; i < n; i++) {
        int rc = load_issuer(&a->issuers[i], json_array_get(list, i), i, eb);
        if (rc)
            return rc;
    }
    return 0;
}

void fg__oidc_free(fg_auth *a)
{
    for (size_t i = 0; i < a->nissuers; i++)
        fg_jwks_free(a->issuers[i].keys);
    free(a->issuers);
    a->issuers = NULL;
    a->nissuers = 0;
}
