/* Limits and budgets of accounts and API keys: requests and tokens per
 * minute, spend per day, week and month. Counters live in the store, so every
 * flowgate process sharing it counts together. The gateway admits a call
 * (429 + Retry-After + a JSON error naming the limit when one is reached),
 * reserves its tokens before the upstream call and settles the real tokens
 * and cost after the answer. */
#ifndef FG_AUTH_LIMITS_H
#define FG_AUTH_LIMITS_H

#include "auth/auth.h"

/* Counts the request and checks every limit of p's account and key. Returns
 * 0, or answers 429 itself and returns -1. */
int fg_auth_limits_admit(fg_auth *a, fg_http_req *req, const fg_principal *p);
/* Holds `tokens` of the per-minute token budgets of an account and API key
 * (either may be NULL or "") for a call about to start. */
void fg_auth_limits_reserve(fg_auth *a, const char *account_id, const char *key_id, long tokens);
/* Replaces a call's reservation by its real token count and adds its cost. */
void fg_auth_limits_settle(fg_auth *a, const char *account_id, const char *key_id, long reserved,
                           long tokens, double cost);

#endif
