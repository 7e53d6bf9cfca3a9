/* The crawler's parts: robots.txt matching, URL normalisation, link
 * extraction, the link filters and option parsing. */
#include "config/config.h"
#include "fetch/crawl_int.h"
#include "fetch/links.h"
#include "fetch/robots.h"
#include "fetch/url.h"
#include "fg_test.h"

static fg_fetch_robots *robots(const char *text)
{
    return fg_fetch_robots_parse(text, strlen(text), "flowgate-crawler");
}

FG_TEST(robots_groups_and_longest_match)
{
    fg_fetch_robots *r = robots("# comment\n"
                                "User-agent: *\n"
                                "Disallow: /private/\n"
                                "Allow: /private/open\n"
                                "Disallow: /*.pdf$\n"
                                "Disallow: /search*q=\n"
                                "Crawl-delay: 2.5\n"
                                "\n"
                                "User-agent: googlebot\n"
                                "Disallow: /\n");
    FG_REQUIRE(r);
    FG_CHECK(fg_fetch_robots_allowed(r, "/"));
    FG_CHECK(fg_fetch_robots_allowed(r, "/public/page"));
    FG_CHECK(!fg_fetch_robots_allowed(r, "/private/x"));
    FG_CHECK(fg_fetch_robots_allowed(r, "/private/open/y"));
    FG_CHECK(!fg_fetch_robots_allowed(r, "/files/a.pdf"));
    FG_CHECK(fg_fetch_robots_allowed(r, "/files/a.pdf?x=1"));
    FG_CHECK(!fg_fetch_robots_allowed(r, "/search?page=2&q=cats"));
    FG_CHECK(fg_fetch_robots_allowed(r, "/search?page=2"));
    FG_CHECK(fg_fetch_robots_allowed(r, "/robots.txt"));
    FG_CHECK_INT(fg_fetch_robots_delay_ms(r), 2500);
    fg_fetch_robots_free(r);
}

FG_TEST(robots_own_group_wins_and_groups_merge)
{
    fg_fetch_robots *r = robots("User-agent: *\nDisallow: /\n\n"
                                "User-agent: other\nUser-agent: FLOWGATE-crawler\nDisallow: /a\n\n"
                                "User-agent: flowgate-crawler\nDisallow: /b\n");
    FG_REQUIRE(r);
    FG_CHECK(fg_fetch_robots_allowed(r, "/c"));
    FG_CHECK(!fg_fetch_robots_allowed(r, "/a"));
    FG_CHECK(!fg_fetch_robots_allowed(r, "/b/x"));
    FG_CHECK_INT(fg_fetch_robots_rule_count(r), 2);
    fg_fetch_robots_free(r);
    /* An empty Disallow in our group allows everything, even when "*" forbids. */
    r = robots("User-agent: *\nDisallow: /\nUser-agent: flowgate-crawler\nDisallow:\n");
    FG_CHECK(fg_fetch_robots_allowed(r, "/anything"));
    fg_fetch_robots_free(r);
}

FG_TEST(robots_tie_goes_to_allow_and_bad_input_is_harmless)
{
    fg_fetch_robots *r = robots("User-agent: *\nAllow: /page\nDisallow: /page\n");
    FG_CHECK(fg_fetch_robots_allowed(r, "/page"));
    fg_fetch_robots_free(r);
    r = robots("\xEF\xBB\xBFUser-agent: *\r\nDisallow: /x\r\nnonsense line\r\nSitemap: /s.xml\r\n");
    FG_CHECK(!fg_fetch_robots_allowed(r, "/x"));
    fg_fetch_robots_free(r);
    r = robots("User-agent: *\nDisallow: /a*a*a*a*a*a*a*a*a*a*a*b\n");
    FG_CHECK(fg_fetch_robots_allowed(r, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    fg_fetch_robots_free(r);
    fg_fetch_robots *none = fg_fetch_robots_deny_all();
    FG_CHECK(!fg_fetch_robots_allowed(none, "/"));
    FG_CHECK(fg_fetch_robots_allowed(none, "/robots.txt"));
    fg_fetch_robots_free(none);
}

static void check_norm(const char *base, const char *ref, const char *want)
{
    char *got = NULL;
    int rc = fg_fetch_url_normalize(base, ref, 2048, &got);
    if (want) {
        FG_CHECK_INT(rc, 0);
        FG_CHECK_STR(got, want);
    } else {
        if (rc == 0)
            fprintf(stderr, "  %s accepted as %s\n", ref, got);
        FG_CHECK(rc != 0);
    }
    free(got);
}

FG_TEST(url_normalisation)
{
    check_norm(NULL, "HTTP://Example.COM", "http://example.com/");
    check_norm(NULL, "http://example.com:80/a/./b/../c", "http://example.com/a/c");
    check_norm(NULL, "https://example.com:443/x#frag", "https://example.com/x");
    check_norm(NULL, "https://example.com:8443/x?b=1&a=2", "https://example.com:8443/x?b=1&a=2");
    check_norm(NULL, "http://example.com/%7euser/%2f%41", "http://example.com/~user/%2FA");
    check_norm(NULL, "  http://example.com/a b\n", "http://example.com/a%20b");
    check_norm("http://example.com/dir/page.html", "other.html", "http://example.com/dir/other.html");
    check_norm("http://example.com/dir/page.html", "../up", "http://example.com/up");
    check_norm("http://example.com/dir/page.html", "/root?q=1#x", "http://example.com/root?q=1");
    check_norm("http://example.com/dir/page.html", "//cdn.example.com/x", "http://cdn.example.com/x");
    check_norm("http://example.com/dir/page.html", "#top", "http://example.com/dir/page.html");
    check_norm("http://example.com/dir/page.html?a=1", "?b=2#x", "http://example.com/dir/page.html?b=2");
    check_norm("http://example.com/", "http://[::1]:8080/x", "http://[::1]:8080/x");
    check_norm(NULL, "http://example.com/a%2e/100%", "http://example.com/a%2E/100%25");
    check_norm(NULL, "http://ex\xc3\xa4mple.com/", NULL);
    check_norm("http://example.com/", "mailto:someone@example.com", NULL);
    check_norm("http://example.com/", "javascript:void(0)", NULL);
    check_norm(NULL, "ftp://example.com/file", NULL);
    check_norm(NULL, "http://user:pw@example.com/", NULL);
    check_norm(NULL, "not a url", NULL);
    char *got = NULL;
    FG_CHECK_INT(fg_fetch_url_normalize(NULL, "http://example.com/aaaaaaaaaaaaaaaaaaaaaaaa", 20, &got),
                 FG_ELIMIT);
    free(got);
}

FG_TEST(url_split)
{
    fg_fetch_url_parts p;
    FG_REQUIRE(fg_fetch_url_split("https://example.com:8443/a/b?x=1", &p) == 0);
    FG_CHECK_STR(p.origin, "https://example.com:8443");
    FG_CHECK_STR(p.host, "example.com");
    FG_CHECK_STR(p.path, "/a/b?x=1");
    FG_REQUIRE(fg_fetch_url_split("http://[::1]:80/", &p) == 0);
    FG_CHECK_STR(p.host, "::1");
    FG_CHECK_INT(fg_fetch_url_query_params("http://e/x?a=1&b=2&c"), 3);
    FG_CHECK_INT(fg_fetch_url_query_params("http://e/x"), 0);
}

typedef struct links_seen {
    char hrefs[16][128];
    char texts[16][128];
    int n;
} links_seen;

static int collect(const char *href, const char *text, void *ud)
{
    links_seen *s = ud;
    if (s->n < 16) {
        snprintf(s->hrefs[s->n], 128, "%s", href);
        snprintf(s->texts[s->n], 128, "%s", text);
        s->n++;
    }
    return 0;
}

FG_TEST(link_extraction)
{
    const char *html = "<html><head><base href=\"/docs/\"></head><body>"
                       "<a href=\"a.html\">  First\n  <b>link</b> </a>"
                       "<a href=\"b.html\" rel=\"nofollow\">skip</a>"
                       "<area href=\"c.html\"><iframe src=\"d.html\"></iframe>"
                       "<a name=\"anchor\">no href</a></body></html>";
    links_seen s = {0};
    fg_fetch_links_result r;
    FG_REQUIRE(fg_fetch_links_extract(html, strlen(html), 100, collect, &s, &r) == 0);
    FG_CHECK_INT(s.n, 3);
    FG_CHECK_STR(s.hrefs[0], "a.html");
    FG_CHECK_STR(s.texts[0], "First link");
    FG_CHECK_STR(s.hrefs[1], "c.html");
    FG_CHECK_STR(s.hrefs[2], "d.html");
    FG_CHECK_STR(r.base, "/docs/");
    free(r.base);
    links_seen t = {0};
    const char *nf = "<meta name=robots content=\"noindex, nofollow\"><a href=x>x</a>";
    FG_REQUIRE(fg_fetch_links_extract(nf, strlen(nf), 100, collect, &t, &r) == 0);
    FG_CHECK(r.nofollow);
    FG_CHECK_INT(t.n, 0);
    free(r.base);
    links_seen u = {0};
    const char *many = "<a href=1>1</a><a href=2>2</a><a href=3>3</a>";
    fg_fetch_links_extract(many, strlen(many), 2, collect, &u, &r);
    FG_CHECK_INT(u.n, 2);
    free(r.base);
}

static int parse_opts(const char *json, fg__crawl_opts *o, fg_errbuf *eb)
{
    fg_config *cfg = NULL;
    fg_config_load(NULL, &cfg, NULL);
    json_t *v = json_loads(json, 0, NULL);
    int rc = fg__crawl_opts_parse(cfg, v, o, eb);
    json_decref(v);
    fg_config_free(cfg);
    return rc;
}

FG_TEST(seed_options_and_filters)
{
    fg__crawl_opts o;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_REQUIRE(parse_opts("{\"start_urls\":[\"https://www.admin.ch/gov/en/start.html?dyn_pageIndex=0\"],"
                          "\"CRAWLER_DEPTH\":2,\"ROBOTSTXT_OBEY\":false,"
                          "\"custom_settings\":{\"CONCURRENT_REQUESTS\":10,\"DOWNLOAD_DELAY\":1.5},"
                          "\"whitelist_patterns\":[\"documentation/\",\".msg\"],"
                          "\"blacklist_patterns\":[\"#\",\"media-releases.html\"],"
                          "\"file_extensions\":[\".PDF\",\"docx\"]}",
                          &o, &eb) == 0);
    FG_CHECK_INT(o.depth, 2);
    FG_CHECK(!o.robots);
    FG_CHECK_INT(o.concurrency, 10);
    FG_CHECK_INT(o.delay_ms, 1500);
    FG_CHECK(o.same_host);
    FG_CHECK_STR(o.agent_token, "flowgate-crawler");
    const char *ok = "https://www.admin.ch/gov/en/start/documentation/media-releases.msg-id-1.html";
    FG_CHECK(fg__crawl_link_rejected(&o, ok, NULL) == NULL);
    FG_CHECK(fg__crawl_link_rejected(&o, "https://www.admin.ch/gov/en/start/x.msg-id-1.html", NULL));
    FG_CHECK(fg__crawl_link_rejected(&o, ok, "media-releases.msg-id-1.html#top"));
    FG_CHECK(fg__crawl_link_rejected(&o, "https://www.admin.ch/documentation/x.msg.pdf", NULL));
    FG_CHECK(fg__crawl_link_rejected(&o, "https://www.admin.ch/documentation/x.msg.docx?y=1", NULL));
    FG_CHECK(fg__crawl_link_rejected(&o, "https://other.ch/documentation/x.msg", NULL));
    FG_CHECK(fg__crawl_link_rejected(&o, "https://www.admin.ch/documentation/a/a/a/a/x.msg", NULL));
    fg__crawl_opts_free(&o);
}

FG_TEST(bad_options_name_the_key)
{
    fg__crawl_opts o;
    fg_errbuf eb;
    fg_errbuf_clear(&eb);
    FG_CHECK(parse_opts("{\"start_urls\":[]}", &o, &eb) == FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "start_urls") != NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(parse_opts("{\"start_urls\":[\"ftp://x/\"]}", &o, &eb) == FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "start_urls[0]") != NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(parse_opts("{\"start_urls\":[\"http://x/\"],\"CRAWLER_DEPTH\":\"2\"}", &o, &eb) == FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "CRAWLER_DEPTH") != NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(parse_opts("{\"start_urls\":[\"http://x/\"],\"max_pages\":99999999}", &o, &eb) == FG_EINVAL);
    FG_CHECK(strstr(eb.msg, "max_pages") != NULL);
    fg_errbuf_clear(&eb);
    FG_CHECK(parse_opts("[1]", &o, &eb) == FG_EINVAL);
}
