/* Bedrock InvokeModel native bodies (the Bedrock surface and the invokeModel
 * task): bytes parsed as JSON and translated to the canonical request as each
 * model family, and the family guessed from the body. */
#include "llm/native.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *body = json_loadb((const char *)data, size, 0, &err);
    if (!body)
        return 0;
    (void)fg_llm_native_family_of_body(body);
    for (int f = FG_NATIVE_UNKNOWN; f <= FG_NATIVE_COHERE; f++) {
        char msg[256];
        json_t *canon = fg_llm_native_to_canonical((fg_llm_native_family)f, body, "model", msg, sizeof msg);
        json_decref(canon);
    }
    json_decref(body);
    return 0;
}
