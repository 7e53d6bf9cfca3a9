/* Placeholder until the crawler lands: every crawl is refused. */
#include "fetch/crawl.h"

int fg_fetch_crawl(const fg_config *cfg, const json_t *options, const fg_fetch_crawl_hooks *hooks,
                   fg_errbuf *eb)
{
    (void)cfg;
    (void)options;
    (void)hooks;
    return fg_failf(eb, FG_EINVAL, "this build has no crawler");
}
