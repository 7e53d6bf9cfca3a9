/* robots.txt as RFC 9309 reads it: groups by user-agent (a group for our
 * product token, else the "*" group; groups naming the same agent merge),
 * Allow and Disallow rules with '*' and a final '$', the longest match wins
 * and Allow wins a tie; plus the common Crawl-delay extension. */
#ifndef FG_FETCH_ROBOTS_H
#define FG_FETCH_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct fg_fetch_robots fg_fetch_robots;

/* Parses text (len bytes, at most the first 512 KiB are read) for the agent
 * product token (e.g. "flowgate"). Never fails on bad input: unknown lines
 * are ignored. NULL only when out of memory. */
fg_fetch_robots *fg_fetch_robots_parse(const char *text, size_t len, const char *agent);
/* Rules that allow everything (robots.txt absent, 4xx) or nothing (5xx, unreachable). */
fg_fetch_robots *fg_fetch_robots_allow_all(void);
fg_fetch_robots *fg_fetch_robots_deny_all(void);
void fg_fetch_robots_free(fg_fetch_robots *r);

/* path: the URL's path and query ("/a/b?x=1"). "/robots.txt" is always allowed. */
bool fg_fetch_robots_allowed(const fg_fetch_robots *r, const char *path);
/* Crawl-delay of the chosen group in milliseconds, 0 when none. */
long fg_fetch_robots_delay_ms(const fg_fetch_robots *r);
/* Rules in the chosen group (for tests and summaries). */
size_t fg_fetch_robots_rule_count(const fg_fetch_robots *r);

#endif
