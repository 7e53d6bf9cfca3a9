/* GET /usage: the caller's account's usage records (newest first) and their
 * totals; an admin may name another account with ?account=. ?limit= rows
 * (default 100, at most 1000), ?since= epoch ms. */
#include "auth/auth_int.h"

#include "core/json.h"

#include <stdlib.h>
#include <string.h>

static long long query_number(fg_http_req *req, const char *name, long long dflt, long long lo, long long hi)
{
    const char *s = fg_http_req_query_param(req, name);
    if (!s || !*s)
        return dflt;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return lo - 1;
    return v;
}

static void usage(fg_http_req *req, void *ud)
{
    fg_auth *a = ud;
    fg_principal p;
    if (fg_auth_request(a, req, FG_ACCESS_USER, &p))
        return;
    const char *account = fg_http_req_query_param(req, "account");
    if (!account)
        account = p.account_id;
    if (!fg_auth_can_access_account(&p, account)) {
        fg_http_respond_error(req, 404, "not_found", "no such account");
        return;
    }
    long long limit = query_number(req, "limit", 100, 1, 1000), since = query_number(req, "since", 0, 0, 1LL << 50);
    if (limit < 1 || since < 0) {
        fg_http_respond_error(req, 422, "invalid_request_error", "limit: 1 to 1000; since: epoch milliseconds");
        return;
    }
    fg_sval q[3] = {fg__text(account), FG_SINT(since), FG_SINT(limit)};
    json_t *rows = NULL, *totals = NULL;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    int rc = fg_store_query_json(a->store,
                                 "SELECT created_ms, route, model, key_id, status, outcome, input_tokens, "
                                 "output_tokens, ttft_ms, total_ms, cost FROM usage_records WHERE account_id = $1 "
                                 "AND created_ms >= $2 ORDER BY created_ms DESC LIMIT $3",
                                 q, 3, &rows, &eb);
    if (!rc)
        rc = fg_store_query_json(a->store,
                                 "SELECT COUNT(*) AS requests, COALESCE(SUM(input_tokens), 0) AS input_tokens, "
                                 "COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost), 0) AS cost "
                                 "FROM usage_records WHERE account_id = $1 AND created_ms >= $2",
                                 q, 2, &totals, &eb);
    if (rc) {
        json_decref(rows);
        fg__respond_failure(req, &eb);
        return;
    }
    fg__respond_json(req, 200, json_pack("{s:s,s:O,s:o}", "account_id", account, "totals",
                                         json_array_get(totals, 0), "records", rows));
    json_decref(totals);
}

void fg__auth_routes_usage(fg_auth *a, fg_http_router *r)
{
    fg_http_router_add(r, "GET", "/usage", usage, a);
}
