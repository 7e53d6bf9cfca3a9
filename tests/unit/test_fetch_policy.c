/* The fetch address policy: a table of addresses and what each setting allows. */
#include "fetch/policy.h"
#include "fg_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &s4->sin_addr) == 1)
        s4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1)
        s6->sin6_family = AF_INET6;
    return ss;
}

static fg_fetch_addr_class cls(const char *text)
{
    struct sockaddr_storage ss = addr(text);
    return fg_fetch_addr_classify((struct sockaddr *)&ss);
}

FG_TEST(classes_of_addresses)
{
    static const struct {
        const char *a;
        fg_fetch_addr_class c;
    } table[] = {
        {"8.8.8.8", FG_ADDR_PUBLIC},          {"93.184.216.34", FG_ADDR_PUBLIC},
        {"127.0.0.1", FG_ADDR_LOOPBACK},      {"127.255.1.2", FG_ADDR_LOOPBACK},
        {"10.0.0.1", FG_ADDR_PRIVATE},        {"172.16.0.1", FG_ADDR_PRIVATE},
        {"172.31.255.255", FG_ADDR_PRIVATE},  {"172.32.0.1", FG_ADDR_PUBLIC},
        {"192.168.1.1", FG_ADDR_PRIVATE},     {"100.64.0.1", FG_ADDR_PRIVATE},
        {"100.127.255.254", FG_ADDR_PRIVATE}, {"100.128.0.1", FG_ADDR_PUBLIC},
        {"169.254.169.254", FG_ADDR_LINK_LOCAL}, {"224.0.0.1", FG_ADDR_MULTICAST},
        {"239.255.255.250", FG_ADDR_MULTICAST},  {"0.0.0.0", FG_ADDR_RESERVED},
        {"255.255.255.255", FG_ADDR_RESERVED},   {"240.0.0.1", FG_ADDR_RESERVED},
        {"192.0.2.5", FG_ADDR_RESERVED},         {"198.18.0.1", FG_ADDR_RESERVED},
        {"::1", FG_ADDR_LOOPBACK},               {"::", FG_ADDR_RESERVED},
        {"fe80::1", FG_ADDR_LINK_LOCAL},         {"fc00::1", FG_ADDR_PRIVATE},
        {"fd12:3456::1", FG_ADDR_PRIVATE},       {"ff02::1", FG_ADDR_MULTICAST},
        {"2001:db8::1", FG_ADDR_RESERVED},       {"2606:4700::1111", FG_ADDR_PUBLIC},
        {"::ffff:127.0.0.1", FG_ADDR_LOOPBACK},  {"::ffff:10.1.2.3", FG_ADDR_PRIVATE},
        {"::ffff:8.8.8.8", FG_ADDR_PUBLIC},      {"::127.0.0.1", FG_ADDR_LOOPBACK},
        {"64:ff9b::a9fe:a9fe", FG_ADDR_LINK_LOCAL}, {"2002:c0a8:0101::1", FG_ADDR_PRIVATE},
        {"2002:0808:0808::1", FG_ADDR_PUBLIC},   {"2001:0:4136:e378::1", FG_ADDR_RESERVED},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        fg_fetch_addr_class got = cls(table[i].a);
        if (got != table[i].c)
            fprintf(stderr, "  %s: got %s, expected %s\n", table[i].a,
                    fg_fetch_addr_class_name(got), fg_fetch_addr_class_name(table[i].c));
        FG_CHECK(got == table[i].c);
    }
}

static bool allows(const fg_fetch_policy *p, const char *host, const char *a)
{
    struct sockaddr_storage ss = addr(a);
    return fg_fetch_policy_allows(p, host, (struct sockaddr *)&ss, NULL, 0);
}

FG_TEST(default_policy_refuses_everything_but_public)
{
    fg_fetch_policy_opts o = {0};
    fg_fetch_policy *p = fg_fetch_policy_create(&o, NULL);
    FG_REQUIRE(p);
    FG_CHECK(allows(p, "example.com", "93.184.216.34"));
    FG_CHECK(!allows(p, "localhost", "127.0.0.1"));
    FG_CHECK(!allows(p, "x", "::ffff:127.0.0.1"));
    FG_CHECK(!allows(p, "x", "10.0.0.1"));
    FG_CHECK(!allows(p, "metadata", "169.254.169.254"));
    FG_CHECK(!allows(p, "x", "fd00::1"));
    char why[200];
    struct sockaddr_storage ss = addr("192.168.0.10");
    FG_CHECK(!fg_fetch_policy_allows(p, "nas.local", (struct sockaddr *)&ss, why, sizeof why));
    FG_CHECK(strstr(why, "192.168.0.10") && strstr(why, "private") &&
             strstr(why, "fetch.allow_private"));
    fg_fetch_policy_free(p);
}

FG_TEST(settings_and_allow_lists)
{
    const char *hosts[] = {"wiki.internal", NULL};
    const char *cidrs[] = {"10.20.0.0/16", "fd00:1::/32", "169.254.1.1", NULL};
    fg_fetch_policy_opts o = {.allow_loopback = true, .allow_hosts = hosts, .allow_cidrs = cidrs};
    fg_fetch_policy *p = fg_fetch_policy_create(&o, NULL);
    FG_REQUIRE(p);
    FG_CHECK(allows(p, "localhost", "127.0.0.1"));
    FG_CHECK(allows(p, "localhost", "::1"));
    FG_CHECK(!allows(p, "x", "10.0.0.1"));
    FG_CHECK(allows(p, "x", "10.20.3.4"));
    FG_CHECK(allows(p, "x", "::ffff:10.20.3.4"));
    FG_CHECK(!allows(p, "x", "10.21.0.1"));
    FG_CHECK(allows(p, "x", "fd00:1:2::5"));
    FG_CHECK(!allows(p, "x", "fd00:2::5"));
    FG_CHECK(allows(p, "x", "169.254.1.1"));
    FG_CHECK(!allows(p, "x", "169.254.1.2"));
    FG_CHECK(allows(p, "WIKI.internal", "10.9.9.9"));
    fg_fetch_policy_free(p);
    o = (fg_fetch_policy_opts){.allow_private = true};
    p = fg_fetch_policy_create(&o, NULL);
    FG_CHECK(allows(p, "x", "10.0.0.1") && allows(p, "x", "100.64.1.1") && allows(p, "x", "fd00::1"));
    FG_CHECK(!allows(p, "x", "127.0.0.1") && !allows(p, "x", "169.254.169.254"));
    fg_fetch_policy_free(p);
}

FG_TEST(bad_cidr_is_an_error)
{
    const char *cidrs[] = {"10.0.0.0/33", NULL};
    fg_fetch_policy_opts o = {.allow_cidrs = cidrs};
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK(fg_fetch_policy_create(&o, &eb) == NULL);
    FG_CHECK(strstr(eb.msg, "10.0.0.0/33") != NULL);
}
