/* Bedrock Retrieve request bodies (both cases): bytes parsed as JSON, the
 * PascalCase form camelized, the request parsed, its filter checked and, when
 * valid, tested against a few metadata objects. */
#include "knowledge/kn_int.h"

#include <jansson.h>
#include <stdint.h>

static const char *const metas[] = {
    "{}",
    "{\"team\":\"water\",\"year\":2023,\"tags\":[\"a\",\"b\"],\"x-amz-bedrock-kb-source-uri\":\"s3://b/k\"}",
    "{\"team\":1,\"year\":\"2023\",\"tags\":\"a\",\"n\":null,\"o\":{\"k\":[1,2]}}",
};

static void try_request(const json_t *req)
{
    kn_query q = {0};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    if (fg__kn_parse_retrieve(req, &q, &eb) != 0 || !q.filter)
        return;
    fg_errbuf_clear(&eb);
    if (fg__kn_filter_check(q.filter, &eb) != 0)
        return;
    for (size_t i = 0; i < sizeof metas / sizeof *metas; i++) {
        json_t *m = json_loads(metas[i], 0, NULL);
        (void)fg__kn_filter_match(q.filter, m);
        json_decref(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *body = json_loadb((const char *)data, size, 0, &err);
    if (!body)
        return 0;
    try_request(body);
    json_t *camel = fg__kn_camelize(body);
    try_request(camel);
    json_decref(camel);
    /* a bare filter object too */
    json_t *wrapped = json_pack("{s:{s:s},s:{s:{s:O}}}", "retrievalQuery", "text", "q",
                                "retrievalConfiguration", "vectorSearchConfiguration", "filter", body);
    try_request(wrapped);
    json_decref(wrapped);
    json_decref(body);
    return 0;
}
