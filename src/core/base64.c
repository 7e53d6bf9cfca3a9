#include "core/base64.h"

#include "core/error.h"

#include <openssl/evp.h>
#include <string.h>

int fg_base64_encode(fg_buf *out, const void *data, size_t n)
{
    size_t need = 4 * ((n + 2) / 3);
    int rc = fg_buf_reserve(out, need);
    if (rc)
        return rc;
    int w = EVP_EncodeBlock((unsigned char *)out->data + out->len, data, (int)n);
    out->len += (size_t)w;
    out->data[out->len] = '\0';
    return FG_OK;
}

int fg_base64_decode(fg_buf *out, const char *text, size_t n)
{
    if (n % 4)
        return FG_EPARSE;
    int rc = fg_buf_reserve(out, n / 4 * 3);
    if (rc)
        return rc;
    int w = EVP_DecodeBlock((unsigned char *)out->data + out->len, (const unsigned char *)text, (int)n);
    if (w < 0)
        return FG_EPARSE;
    /* EVP_DecodeBlock counts padding bytes as output: remove them. */
    if (n >= 1 && text[n - 1] == '=')
        w--;
    if (n >= 2 && text[n - 2] == '=')
        w--;
    out->len += (size_t)w;
    out->data[out->len] = '\0';
    return FG_OK;
}
