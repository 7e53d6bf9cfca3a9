/* Password hashes: argon2id (libargon2) in the PHC string form, with the cost
 * from the configuration; the parameters travel inside each hash, so changing
 * the cost later keeps old hashes valid. */
#include "auth/auth_int.h"

#include "core/rand.h"

#include <argon2.h>
#include <string.h>

#define SALT_BYTES 16
#define HASH_BYTES 32
#define MAX_PASSWORD 256

int fg__password_check(const char *password, fg_errbuf *eb)
{
    size_t n = strlen(password);
    if (n < 8)
        return fg_failf(eb, FG_EINVAL, "password: at least 8 characters");
    if (n > MAX_PASSWORD)
        return fg_failf(eb, FG_EINVAL, "password: at most %d characters", MAX_PASSWORD);
    return 0;
}

int fg__password_hash(const fg_auth *a, const char *password, char *out, size_t n, fg_errbuf *eb)
{
    unsigned char salt[SALT_BYTES];
    fg_rand_bytes(salt, sizeof salt);
    int rc = argon2id_hash_encoded(a->pw_iterations, a->pw_memory_kib, 1, password, strlen(password),
                                   salt, sizeof salt, HASH_BYTES, out, n);
    if (rc != ARGON2_OK)
        return fg_failf(eb, FG_EINTERNAL, "password hashing failed: %s", argon2_error_message(rc));
    return 0;
}

bool fg__password_verify(const char *encoded, const char *password)
{
    if (strlen(password) > MAX_PASSWORD)
        return false;
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

void fg__password_random(char out[24])
{
    /* 15 random bytes: 20 base64url characters, 120 bits. */
    fg__random_token(out, 15);
}
