/* Request bodies of the gateway's API surfaces: bytes parsed as JSON and put
 * through every translation (Anthropic and Converse to canonical, canonical
 * back to Anthropic and Converse). */
#include "llm/translate.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static void round_trip(json_t *canon)
{
    if (!canon)
        return;
    json_t *a = fg__canonical_to_anthropic(canon);
    json_t *c = fg__canonical_to_converse(canon);
    json_decref(a);
    json_decref(c);
    json_decref(canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *body = json_loadb((const char *)data, size, 0, &err);
    if (!body)
        return 0;
    fg_xlate_err e = {0};
    round_trip(fg__anthropic_to_canonical(body, &e));
    round_trip(fg__converse_to_canonical(body, "model", &e));
    /* A body accepted as canonical (OpenAI shape) goes straight out again. */
    if (json_is_array(json_object_get(body, "messages")))
        round_trip(json_incref(body));
    json_decref(body);
    return 0;
}
