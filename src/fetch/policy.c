/* Address classes and the allow-lists on top of them. */
#include "fetch/policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* 4 bytes used for AF_INET */
    int prefix;
} cidr;

struct fg_fetch_policy {
    bool allow_private, allow_loopback;
    char **hosts;
    size_t nhosts;
    cidr *cidrs;
    size_t ncidrs;
};

/* ---- classes ---------------------------------------------------------------- */

static bool in_v4(uint32_t a, uint32_t net, int bits)
{
    uint32_t mask = bits ? 0xffffffffu << (32 - bits) : 0;
    return (a & mask) == (net & mask);
}

static fg_fetch_addr_class classify_v4(uint32_t a)
{
    if (in_v4(a, 0x7f000000u, 8))
        return FG_ADDR_LOOPBACK;
    if (in_v4(a, 0x0a000000u, 8) || in_v4(a, 0xac100000u, 12) || in_v4(a, 0xc0a80000u, 16) ||
        in_v4(a, 0x64400000u, 10))
        return FG_ADDR_PRIVATE;
    if (in_v4(a, 0xa9fe0000u, 16))
        return FG_ADDR_LINK_LOCAL;
    if (in_v4(a, 0xe0000000u, 4))
        return FG_ADDR_MULTICAST;
    if (in_v4(a, 0x00000000u, 8) || in_v4(a, 0xf0000000u, 4) || in_v4(a, 0xc0000000u, 24) ||
        in_v4(a, 0xc0000200u, 24) || in_v4(a, 0xc6336400u, 24) || in_v4(a, 0xcb007100u, 24) ||
        in_v4(a, 0xc6120000u, 15) || in_v4(a, 0xc0586300u, 24))
        return FG_ADDR_RESERVED;
    return FG_ADDR_PUBLIC;
}

static uint32_t v4_at(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* IPv6 forms that carry an IPv4 address: ::ffff:a.b.c.d, ::a.b.c.d,
 * 64:ff9b::a.b.c.d (NAT64) and 2002:aabb:ccdd:: (6to4). */
static bool embedded_v4(const unsigned char *b, uint32_t *v4)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 ||
        (all_zero(b, 12) && !all_zero(b + 12, 4) && !(all_zero(b + 12, 3) && b[15] == 1))) {
        *v4 = v4_at(b + 12);
        return true;
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        *v4 = v4_at(b + 2);
        return true;
    }
    return false;
}

static fg_fetch_addr_class classify_v6(const unsigned char *b)
{
    uint32_t v4;
    if (embedded_v4(b, &v4))
        return classify_v4(v4);
    if (all_zero(b, 15))
        return b[15] == 1 ? FG_ADDR_LOOPBACK : FG_ADDR_RESERVED;
    if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0))
        return FG_ADDR_PRIVATE;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return FG_ADDR_LINK_LOCAL;
    if (b[0] == 0xff)
        return FG_ADDR_MULTICAST;
    if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) || /* documentation */
        (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) ||       /* Teredo */
        (b[0] == 0x01 && all_zero(b + 1, 7)))                              /* discard 100::/64 */
        return FG_ADDR_RESERVED;
    return FG_ADDR_PUBLIC;
}

fg_fetch_addr_class fg_fetch_addr_classify(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        return classify_v4(ntohl(s4->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6)
        return classify_v6(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return FG_ADDR_RESERVED;
}

const char *fg_fetch_addr_class_name(fg_fetch_addr_class c)
{
    switch (c) {
    case FG_ADDR_PUBLIC: return "public";
    case FG_ADDR_LOOPBACK: return "loopback";
    case FG_ADDR_PRIVATE: return "private";
    case FG_ADDR_LINK_LOCAL: return "link-local";
    case FG_ADDR_MULTICAST: return "multicast";
    case FG_ADDR_RESERVED: return "reserved";
    }
    return "unknown";
}

void fg_fetch_addr_text(const struct sockaddr *sa, char *out, size_t n)
{
    if (!n)
        return;
    out[0] = '\0';
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* ---- allow-lists ------------------------------------------------------------ */

static int parse_cidr(const char *text, cidr *out)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n == 0 || n >= sizeof addr)
        return FG_EINVAL;
    memcpy(addr, text, n);
    addr[n] = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        out->family = AF_INET6;
    else
        return FG_EINVAL;
    int max = out->family == AF_INET ? 32 : 128;
    out->prefix = max;
    if (slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || bits < 0 || bits > max)
            return FG_EINVAL;
        out->prefix = (int)bits;
    }
    return FG_OK;
}

static bool prefix_match(const unsigned char *a, const unsigned char *net, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, net, (size_t)whole) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (net[whole] & mask);
}

static bool cidr_contains(const cidr *c, const struct sockaddr *sa)
{
    unsigned char v4[4];
    if (sa->sa_family == AF_INET6) {
        const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        uint32_t e;
        if (c->family == AF_INET6)
            return prefix_match(b, c->addr, c->prefix);
        if (!embedded_v4(b, &e))
            return false;
        v4[0] = (unsigned char)(e >> 24), v4[1] = (unsigned char)(e >> 16);
        v4[2] = (unsigned char)(e >> 8), v4[3] = (unsigned char)e;
        return prefix_match(v4, c->addr, c->prefix);
    }
    if (sa->sa_family != AF_INET || c->family != AF_INET)
        return false;
    memcpy(v4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return prefix_match(v4, c->addr, c->prefix);
}

static bool host_listed(const fg_fetch_policy *p, const char *host)
{
    if (!host)
        return false;
    for (size_t i = 0; i < p->nhosts; i++)
        if (strcasecmp(p->hosts[i], host) == 0)
            return true;
    return false;
}

bool fg_fetch_policy_allows(const fg_fetch_policy *p, const char *host, const struct sockaddr *sa,
                            char *why, size_t why_len)
{
    fg_fetch_addr_class c = fg_fetch_addr_classify(sa);
    if (c == FG_ADDR_PUBLIC || (c == FG_ADDR_LOOPBACK && p->allow_loopback) ||
        (c == FG_ADDR_PRIVATE && p->allow_private) || host_listed(p, host))
        return true;
    for (size_t i = 0; i < p->ncidrs; i++)
        if (cidr_contains(&p->cidrs[i], sa))
            return true;
    if (why && why_len) {
        char text[64];
        fg_fetch_addr_text(sa, text, sizeof text);
        const char *key = c == FG_ADDR_LOOPBACK  ? "fetch.allow_loopback"
                          : c == FG_ADDR_PRIVATE ? "fetch.allow_private"
                                                 : "fetch.allow_cidrs";
        snprintf(why, why_len, "address %s of %s is %s; refused by the fetch policy (see %s)", text,
                 host ? host : "the host", fg_fetch_addr_class_name(c), key);
    }
    return false;
}

/* ---- construction ----------------------------------------------------------- */

void fg_fetch_policy_free(fg_fetch_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nhosts; i++)
        free(p->hosts[i]);
    free(p->hosts);
    free(p->cidrs);
    free(p);
}

static size_t count(const char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

fg_fetch_policy *fg_fetch_policy_create(const fg_fetch_policy_opts *o, fg_errbuf *eb)
{
    fg_fetch_policy *p = calloc(1, sizeof *p);
    size_t nh = count(o->allow_hosts), nc = count(o->allow_cidrs);
    if (!p || !(p->hosts = calloc(nh + 1, sizeof *p->hosts)) ||
        !(p->cidrs = calloc(nc + 1, sizeof *p->cidrs))) {
        fg_fetch_policy_free(p);
        fg_failf(eb, FG_ENOMEM, "out of memory creating the fetch policy");
        return NULL;
    }
    p->allow_private = o->allow_private;
    p->allow_loopback = o->allow_loopback;
    for (; p->nhosts < nh; p->nhosts++)
        if (!(p->hosts[p->nhosts] = strdup(o->allow_hosts[p->nhosts])))
            goto oom;
    for (; p->ncidrs < nc; p->ncidrs++) {
        if (parse_cidr(o->allow_cidrs[p->ncidrs], &p->cidrs[p->ncidrs])) {
            fg_failf(eb, FG_EINVAL,
                     "fetch.allow_cidrs: \"%s\" is not an address or CIDR (e.g. 10.1.0.0/16, fd00::/8)",
                     o->allow_cidrs[p->ncidrs]);
            fg_fetch_policy_free(p);
            return NULL;
        }
    }
    return p;
oom:
    fg_fetch_policy_free(p);
    fg_failf(eb, FG_ENOMEM, "out of memory creating the fetch policy");
    return NULL;
}

/* A NULL-terminated array of the strings in a config list (borrowed). */
static const char **string_list(const json_t *list)
{
    size_t n = json_is_array(list) ? json_array_size(list) : 0, k = 0;
    const char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (json_is_string(json_array_get(list, i)))
            out[k++] = json_string_value(json_array_get(list, i));
    return out;
}

fg_fetch_policy *fg_fetch_policy_from_config(const fg_config *cfg, fg_errbuf *eb)
{
    const char **hosts = string_list(fg_config_get(cfg, "fetch.allow_hosts"));
    const char **cidrs = string_list(fg_config_get(cfg, "fetch.allow_cidrs"));
    fg_fetch_policy *p = NULL;
    if (!hosts || !cidrs)
        fg_failf(eb, FG_ENOMEM, "out of memory creating the fetch policy");
    else {
        fg_fetch_policy_opts o = {.allow_private = fg_config_bool(cfg, "fetch.allow_private"),
                                  .allow_loopback = fg_config_bool(cfg, "fetch.allow_loopback"),
                                  .allow_hosts = hosts,
                                  .allow_cidrs = cidrs};
        p = fg_fetch_policy_create(&o, eb);
    }
    free(hosts);
    free(cidrs);
    return p;
}
