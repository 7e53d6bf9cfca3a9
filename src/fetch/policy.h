/* The address policy every outbound fetch made for a user goes through (the
 * crawler, http:invoke): addresses in loopback, private, link-local, multicast,
 * CGNAT, reserved and IPv6 ULA ranges are refused unless the configuration
 * allows them. It is checked on the address a connection is opened to, after
 * DNS, so rebinding and redirects cannot slip past it. */
#ifndef FG_FETCH_POLICY_H
#define FG_FETCH_POLICY_H

#include "config/config.h"
#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct fg_fetch_policy fg_fetch_policy;

/* What an address is, for the policy and its messages. */
typedef enum fg_fetch_addr_class {
    FG_ADDR_PUBLIC = 0,
    FG_ADDR_LOOPBACK,    /* 127/8, ::1 */
    FG_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7, fec0::/10 */
    FG_ADDR_LINK_LOCAL,  /* 169.254/16 (cloud metadata), fe80::/10 */
    FG_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
    FG_ADDR_RESERVED     /* 0/8, 240/4, documentation, benchmarking, ::, Teredo... */
} fg_fetch_addr_class;

typedef struct fg_fetch_policy_opts {
    bool allow_private;
    bool allow_loopback;
    const char *const *allow_hosts; /* NULL-terminated host names allowed whatever their address */
    const char *const *allow_cidrs; /* NULL-terminated "10.1.0.0/16", "fd00::/8", "192.0.2.7" */
} fg_fetch_policy_opts;

/* NULL with a message in eb when a CIDR does not parse. */
fg_fetch_policy *fg_fetch_policy_create(const fg_fetch_policy_opts *o, fg_errbuf *eb);
/* From the configuration's fetch.* keys. */
fg_fetch_policy *fg_fetch_policy_from_config(const fg_config *cfg, fg_errbuf *eb);
void fg_fetch_policy_free(fg_fetch_policy *p);

/* Class of an IPv4 or IPv6 address (v4-mapped, v4-compatible, NAT64 and 6to4
 * forms are judged by the IPv4 address they carry). */
fg_fetch_addr_class fg_fetch_addr_classify(const struct sockaddr *sa);
const char *fg_fetch_addr_class_name(fg_fetch_addr_class c);

/* Whether a connection to sa, made for host (the URL's host name, may be NULL),
 * is allowed. When not, why (if not NULL) says which range refused it. */
bool fg_fetch_policy_allows(const fg_fetch_policy *p, const char *host, const struct sockaddr *sa,
                            char *why, size_t why_len);

/* Formats sa as text ("10.0.0.1", "::1"). */
void fg_fetch_addr_text(const struct sockaddr *sa, char *out, size_t n);

#endif
