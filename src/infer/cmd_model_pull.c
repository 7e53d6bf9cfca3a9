/* flowgate model pull URL [--sha256 HEX]: downloads a model file into the data
 * folder's models/ directory, with progress, checking its SHA-256 when given and
 * that it loads (GGUF); the file appears under its final name only when whole
 * and verified. */
#include "cli/args.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/rand.h"
#include "infer/infer.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int fg__infer_cmd_model_pull(int argc, char **argv);

typedef struct download {
    FILE *f;
    EVP_MD_CTX *sha;
    curl_off_t received;
    uint64_t last_report_ms;
    bool quiet;
} download;

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
    download *d = ud;
    size_t len = size * n;
    if (fwrite(data, 1, len, d->f) != len)
        return 0;
    EVP_DigestUpdate(d->sha, data, len);
    d->received += (curl_off_t)len;
    return len;
}

static int on_progress(void *ud, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
    download *d = ud;
    uint64_t t = fg_clock_mono_ms();
    if (d->quiet || t - d->last_report_ms < 250)
        return 0;
    d->last_report_ms = t;
    if (total > 0)
        fprintf(stderr, "\r  %5.1f%%  %.1f / %.1f MiB", 100.0 * (double)now / (double)total,
                (double)now / 1048576.0, (double)total / 1048576.0);
    else
        fprintf(stderr, "\r  %.1f MiB", (double)now / 1048576.0);
    return 0;
}

static void file_name_of(const char *url, char *out, size_t n)
{
    const char *end = url + strcspn(url, "?#");
    const char *start = end;
    while (start > url && start[-1] != '/')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), start);
}

static int fetch(const char *url, download *d, char *err, size_t n)
{
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, d);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "flowgate-model-pull");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (!d->quiet)
        fputc('\n', stderr);
    if (rc != CURLE_OK) {
        snprintf(err, n, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return FG_EIO;
    }
    return FG_OK;
}

static int check_loads(const char *path, char *err, size_t n)
{
    size_t len = strlen(path);
    if (len < 5 || strcasecmp(path + len - 5, ".gguf") != 0)
        return FG_OK; /* a llama2.c checkpoint needs its tokenizer: checked when served */
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    fg_infer_model *m = NULL;
    fg_infer_load_opts lo = {.threads = 1};
    int rc = fg_infer_model_load(path, NULL, &lo, &m, &eb);
    if (rc)
        snprintf(err, n, "the file is not a usable model: %s", eb.msg);
    fg_infer_model_unref(m);
    return rc;
}

int fg__infer_cmd_model_pull(int argc, char **argv)
{
    const char *data = "./flowgate-data", *sha = NULL, *name = NULL;
    bool quiet = false;
    const fg_opt opts[] = {
        {"sha256", FG_OPT_STR, &sha, "HEX", "expected SHA-256 of the file; a mismatch discards it"},
        {"data", FG_OPT_STR, &data, "DIR", "data folder (default ./flowgate-data); the file goes to DIR/models"},
        {"output", FG_OPT_STR, &name, "NAME", "file name (default: the URL's last path segment)"},
        {"quiet", FG_OPT_FLAG, &quiet, NULL, "no progress"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const fg_cli cli = {
        .usage = "flowgate model pull URL [--sha256 HEX] [--data DIR] [--output NAME]",
        .summary = "Downloads a model file (GGUF, or a llama2.c checkpoint and its tokenizer)\n"
                   "into DIR/models, showing progress. With --sha256 the file is kept only if\n"
                   "its hash matches; a GGUF file must also load. `flowgate serve` then runs the\n"
                   "model found there when no provider is configured.",
        .opts = opts, .min_positional = 1, .max_positional = 1,
    };
    int rc = fg_cli_parse(&cli, argc, argv, NULL);
    if (rc != FG_CLI_RUN)
        return FG_CLI_EXIT(rc);
    char file[256], dir[4096], path[4400], part[4500], err[512] = "";
    if (name)
        snprintf(file, sizeof file, "%s", name);
    else
        file_name_of(argv[1], file, sizeof file);
    if (!file[0] || strchr(file, '/') || file[0] == '.') {
        fprintf(stderr, "flowgate model pull: cannot take a file name from the URL: give --output NAME\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/models", data);
    mkdir(data, 0700);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "flowgate model pull: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(part, sizeof part, "%s.part", path);
    download d = {.f = fopen(part, "wb"), .sha = EVP_MD_CTX_new(), .quiet = quiet};
    if (!d.f) {
        fprintf(stderr, "flowgate model pull: cannot write %s: %s\n", part, strerror(errno));
        EVP_MD_CTX_free(d.sha);
        return 1;
    }
    EVP_DigestInit_ex(d.sha, EVP_sha256(), NULL);
    if (!quiet)
        fprintf(stderr, "downloading %s\n", argv[1]);
    rc = fetch(argv[1], &d, err, sizeof err);
    fclose(d.f);
    unsigned char digest[32];
    unsigned int dlen = 0;
    EVP_DigestFinal_ex(d.sha, digest, &dlen);
    EVP_MD_CTX_free(d.sha);
    char hex[65];
    fg_hex_encode(digest, sizeof digest, hex);
    if (!rc && sha && strcasecmp(sha, hex) != 0) {
        snprintf(err, sizeof err, "SHA-256 mismatch: expected %s, got %s (the file was discarded)", sha, hex);
        rc = FG_EINVAL;
    }
    if (!rc)
        rc = check_loads(part, err, sizeof err);
    if (!rc && rename(part, path) != 0) {
        snprintf(err, sizeof err, "cannot rename %s: %s", part, strerror(errno));
        rc = FG_EIO;
    }
    if (rc) {
        unlink(part);
        fprintf(stderr, "flowgate model pull: %s\n", err);
        return 1;
    }
    printf("%s\nsha256 %s, %.1f MiB\n", path, hex, (double)d.received / 1048576.0);
    return 0;
}
