#include "models/router/reference_matcher.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;

namespace {

std::uint32_t matched(const reference_matcher& m, const request& req) {
  const route* r = m.match(req);
  return r == nullptr ? 0U : r->id;
}

request get(std::string host, std::string path) {
  request req;
  req.host = std::move(host);
  req.path = std::move(path);
  req.method = "GET";
  return req;
}

} // namespace

TEST(ReferenceMatcher, NoMatchReturnsNull) {
  const reference_matcher m({route{.id = 1, .hosts = {"a.com"}}});
  EXPECT_EQ(m.match(get("b.com", "/")), nullptr);
  const reference_matcher empty({});
  EXPECT_EQ(empty.match(get("a.com", "/")), nullptr);
}

TEST(ReferenceMatcher, RouteWithoutFieldsIsRejected) {
  EXPECT_THROW(reference_matcher({route{.id = 3}}), std::invalid_argument);
}

TEST(ReferenceMatcher, InvalidRegexPathNamesRouteAndPattern) {
  try {
    const reference_matcher m({route{.id = 77, .paths = {"/a/(b"}}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("77"), std::string::npos);
    EXPECT_NE(what.find("/a/(b"), std::string::npos);
  }
}

TEST(ReferenceMatcher, MoreRulesCategoryWins) {
  const reference_matcher m({route{.id = 1, .paths = {"/"}},
                             route{.id = 2, .hosts = {"a.com"}, .paths = {"/"}},
                             route{.id = 3, .hosts = {"a.com"}}});
  EXPECT_EQ(matched(m, get("a.com", "/x")), 2U);
  EXPECT_EQ(matched(m, get("b.com", "/x")), 1U);
}

TEST(ReferenceMatcher, EqualRuleCountOrderedHostHeaderUriMethodSni) {
  request req = get("a.com", "/p");
  req.headers = {{"X-V", "1"}};
  req.sni = "s.com";
  std::vector<route> routes = {route{.id = 5, .snis = {"s.com"}},
                               route{.id = 4, .methods = {"GET"}},
                               route{.id = 3, .paths = {"/p"}},
                               route{.id = 2, .headers = {{"x-v", {"1"}}}},
                               route{.id = 1, .hosts = {"a.com"}}};
  for (std::uint32_t expect = 1; expect <= 5; ++expect) {
    const reference_matcher m(routes);
    EXPECT_EQ(matched(m, req), expect);
    routes.pop_back();
  }
}

TEST(ReferenceMatcher, PlainHostBeatsWildcardInSameCategory) {
  const reference_matcher m({route{.id = 1, .hosts = {"*.a.com"}, .created_at = 1},
                             route{.id = 2, .hosts = {"x.a.com"}, .created_at = 2}});
  EXPECT_EQ(matched(m, get("x.a.com", "/")), 2U);
  EXPECT_EQ(matched(m, get("y.a.com", "/")), 1U);
}

TEST(ReferenceMatcher, WildcardHostsLeadingAndTrailing) {
  const reference_matcher m({route{.id = 1, .hosts = {"*.a.com"}}, route{.id = 2, .hosts = {"b.*"}}});
  EXPECT_EQ(matched(m, get("x.y.a.com", "/")), 1U);
  EXPECT_EQ(matched(m, get("a.com", "/")), 0U); // `*` needs at least one char
  EXPECT_EQ(matched(m, get("b.org:8000", "/")), 2U);
  EXPECT_EQ(matched(m, get("xb.org", "/")), 0U);
}

TEST(ReferenceMatcher, WildcardWithPortOutranksPlainHosts) {
  const reference_matcher m({route{.id = 1, .hosts = {"a.com"}, .created_at = 1},
                             route{.id = 2, .hosts = {"*.com:80"}, .created_at = 2}});
  // The category's sorted order puts route 2 first ...
  EXPECT_EQ(matched(m, get("a.com:80", "/")), 2U);
  // ... but routes indexed under the exact Host header are tried first.
  EXPECT_EQ(matched(m, get("a.com", "/")), 1U);
  EXPECT_EQ(matched(m, get("a.com:81", "/")), 1U);
}

TEST(ReferenceMatcher, HostPorts) {
  const reference_matcher m({route{.id = 1, .hosts = {"a.com:8000"}}, route{.id = 2, .hosts = {"b.com"}}});
  EXPECT_EQ(matched(m, get("a.com:8000", "/")), 1U);
  EXPECT_EQ(matched(m, get("a.com", "/")), 0U);
  EXPECT_EQ(matched(m, get("b.com:9000", "/")), 2U); // port-less host ignores the port
  request https = get("c.com", "/");
  const reference_matcher w({route{.id = 3, .hosts = {"*.com:443"}}});
  EXPECT_EQ(matched(w, https), 0U);
  https.scheme = "https";
  EXPECT_EQ(matched(w, https), 3U);
}

TEST(ReferenceMatcher, RegexPathRuleAndAnchoring) {
  EXPECT_FALSE(gwsim::router::is_regex_path("/a-b_c.d~e/%20"));
  EXPECT_TRUE(gwsim::router::is_regex_path(R"(/users/\d+)"));
  const reference_matcher m({route{.id = 1, .paths = {R"(/users/\d+)"}}});
  EXPECT_EQ(matched(m, get("", "/users/12/x")), 1U);
  EXPECT_EQ(matched(m, get("", "/v1/users/12")), 0U);
}

TEST(ReferenceMatcher, RegexBeatsPrefix) {
  const reference_matcher m({route{.id = 1, .paths = {"/users/123"}, .created_at = 1},
                             route{.id = 2, .paths = {R"(/users/\d+)"}, .created_at = 2}});
  EXPECT_EQ(matched(m, get("", "/users/123")), 2U);
}

TEST(ReferenceMatcher, RegexPriorityOrdersRegexRoutes) {
  const reference_matcher m({route{.id = 1, .paths = {"/a/.*"}, .regex_priority = 0, .created_at = 1},
                             route{.id = 2, .paths = {"/a/b.*"}, .regex_priority = 5, .created_at = 2}});
  EXPECT_EQ(matched(m, get("", "/a/bc")), 2U);
  EXPECT_EQ(matched(m, get("", "/a/c")), 1U);
}

TEST(ReferenceMatcher, RegexPriorityIgnoredForPrefixRoutes) {
  const reference_matcher m({route{.id = 1, .paths = {"/a/b"}, .regex_priority = 0},
                             route{.id = 2, .paths = {"/a"}, .regex_priority = 9}});
  EXPECT_EQ(matched(m, get("", "/a/b/c")), 1U);
}

TEST(ReferenceMatcher, LongestPrefixWins) {
  const reference_matcher m({route{.id = 1, .paths = {"/"}}, route{.id = 2, .paths = {"/api"}},
                             route{.id = 3, .paths = {"/api/v1"}}});
  EXPECT_EQ(matched(m, get("", "/api/v1/x")), 3U);
  EXPECT_EQ(matched(m, get("", "/api/v2")), 2U);
  EXPECT_EQ(matched(m, get("", "/other")), 1U);
}

TEST(ReferenceMatcher, MultiplePathsAreRankedSeparately) {
  const reference_matcher m({route{.id = 1, .paths = {"/a", "/b/long/prefix"}},
                             route{.id = 2, .paths = {"/a/bc"}}});
  EXPECT_EQ(matched(m, get("", "/a/bcd")), 2U);
  EXPECT_EQ(matched(m, get("", "/b/long/prefix/x")), 1U);
}

TEST(ReferenceMatcher, CreatedAtBreaksTies) {
  const reference_matcher m({route{.id = 1, .hosts = {"a.com"}, .created_at = 20},
                             route{.id = 2, .hosts = {"a.com"}, .created_at = 10}});
  EXPECT_EQ(matched(m, get("a.com", "/")), 2U);
}

TEST(ReferenceMatcher, MoreHeadersWin) {
  request req = get("", "/");
  req.headers = {{"X-A", "1"}, {"X-B", "2"}};
  const reference_matcher m({route{.id = 1, .paths = {"/"}, .headers = {{"x-a", {"1"}}}, .created_at = 1},
                             route{.id = 2, .paths = {"/"}, .headers = {{"x-a", {"1"}}, {"x-b", {"2"}}},
                                   .created_at = 2}});
  EXPECT_EQ(matched(m, req), 2U);
  req.headers.pop_back();
  EXPECT_EQ(matched(m, req), 1U);
}

TEST(ReferenceMatcher, HeaderNamesAndValuesCaseInsensitive) {
  const reference_matcher m({route{.id = 1, .headers = {{"X-Version", {"V1", "v2"}}}}});
  request req = get("", "/");
  req.headers = {{"x-VERSION", "v1"}};
  EXPECT_EQ(matched(m, req), 1U);
  req.headers = {{"X-Version", "v3"}, {"x-version", "V2"}}; // repeated header: any value
  EXPECT_EQ(matched(m, req), 1U);
  req.headers = {{"X-Version", "v3"}};
  EXPECT_EQ(matched(m, req), 0U);
}

TEST(ReferenceMatcher, HostHeaderRuleIgnored) {
  const reference_matcher m({route{.id = 1, .headers = {{"Host", {"a.com"}}}}});
  EXPECT_EQ(matched(m, get("b.com", "/")), 0U); // category 0: no request rule hits
}

TEST(ReferenceMatcher, MethodsCaseInsensitive) {
  const reference_matcher m({route{.id = 1, .methods = {"get", "POST"}}});
  request req = get("", "/");
  req.method = "post";
  EXPECT_EQ(matched(m, req), 1U);
  req.method = "PUT";
  EXPECT_EQ(matched(m, req), 0U);
}

TEST(ReferenceMatcher, Sni) {
  const reference_matcher m({route{.id = 1, .paths = {"/"}, .snis = {"s.com"}},
                             route{.id = 2, .paths = {"/"}}});
  request req = get("", "/");
  req.sni = "s.com";
  EXPECT_EQ(matched(m, req), 1U);
  req.sni = "t.com";
  EXPECT_EQ(matched(m, req), 2U);
}

TEST(ReferenceMatcher, ReducedCandidatesTriedBeforeWholeCategory) {
  // Route 1's regex is the global URI hit; in the URI-only category the
  // routes sharing that pattern are tried before higher-priority ones.
  const reference_matcher m({route{.id = 1, .hosts = {"a.com"}, .paths = {"/x.*"}},
                             route{.id = 2, .paths = {"/.*"}, .regex_priority = 9},
                             route{.id = 3, .paths = {"/x.*"}, .regex_priority = 0}});
  EXPECT_EQ(matched(m, get("b.com", "/xy")), 3U);
}

TEST(ReferenceMatcher, QueryStringIsNotPartOfPath) {
  EXPECT_EQ(gwsim::router::strip_query("/a?b=1"), "/a");
  EXPECT_EQ(gwsim::router::strip_query("?x"), "?x");
}
