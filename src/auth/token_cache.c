/* Verified bearer JWTs, remembered until they expire: a token checked once is
 * not checked again by signature (tokens are stateless, so a cached answer
 * is the same answer). Direct-mapped by the token's SHA-256; a slot holds the
 * whole digest, so a collision is a miss, never a wrong principal. Shared by
 * every worker thread under one mutex. */
#include "auth/auth_int.h"

#include "core/clock.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#define SLOTS 4096

typedef struct slot {
    unsigned char digest[32];
    int64_t expires_s;
    fg_principal p;
} slot;

static slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void digest_of(const char *token, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    EVP_Digest(token, n, out, &len, EVP_sha256(), NULL);
}

static size_t index_of(const unsigned char d[32])
{
    return ((size_t)d[0] << 8 | d[1]) % SLOTS;
}

bool fg__token_cache_get(const char *token, size_t n, fg_principal *p)
{
    unsigned char d[32];
    digest_of(token, n, d);
    int64_t now = fg_clock_wall_ms() / 1000;
    pthread_mutex_lock(&lock);
    slot *s = &slots[index_of(d)];
    bool hit = s->expires_s > now && CRYPTO_memcmp(s->digest, d, 32) == 0;
    if (hit)
        *p = s->p;
    pthread_mutex_unlock(&lock);
    return hit;
}

void fg__token_cache_put(const char *token, size_t n, const fg_principal *p, int64_t expires_s)
{
    unsigned char d[32];
    digest_of(token, n, d);
    pthread_mutex_lock(&lock);
    slot *s = &slots[index_of(d)];
    memcpy(s->digest, d, 32);
    s->expires_s = expires_s;
    s->p = *p;
    pthread_mutex_unlock(&lock);
}

void fg__token_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    memset(slots, 0, sizeof slots);
    pthread_mutex_unlock(&lock);
}
