/// radix_router: unit tests and a differential property against
/// reference_matcher (Kong 2.8's precedence is the specification).

#include "models/router/radix_router.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/router/reference_matcher.hpp"
#include "models/router/synthetic_routes.hpp"
#include "tests/models/router/bytes_estimate_check.hpp"

namespace {

using gwsim::router::radix_router;
using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;

std::uint32_t id_of(const route* r) {
  return r == nullptr ? 0U : r->id;
}

request req(std::string host, std::string path, std::string method = "GET") {
  request q;
  q.host = std::move(host);
  q.path = std::move(path);
  q.method = std::move(method);
  return q;
}

route make(std::uint32_t id, std::vector<std::string> paths, std::vector<std::string> hosts = {},
           std::vector<std::string> methods = {}) {
  route r;
  r.id = id;
  r.paths = std::move(paths);
  r.hosts = std::move(hosts);
  r.methods = std::move(methods);
  return r;
}

// ---------------------------------------------------------------------------
// Unit tests

TEST(RadixRouter, LongestPrefixWins) {
  const radix_router router({make(1, {"/"}), make(2, {"/a"}), make(3, {"/a/b"}), make(4, {"/ab"})});
  EXPECT_EQ(id_of(router.match(req("x.com", "/a/b/c"))), 3U);
  EXPECT_EQ(id_of(router.match(req("x.com", "/a/c"))), 2U);
  EXPECT_EQ(id_of(router.match(req("x.com", "/abc"))), 4U);
  EXPECT_EQ(id_of(router.match(req("x.com", "/zz"))), 1U);
  EXPECT_GE(router.node_count(), 4U);
}

TEST(RadixRouter, CategoryPrecedenceBeatsLongerPrefix) {
  /// host+uri outranks uri alone even with a shorter prefix.
  const radix_router router({make(1, {"/a/b/c"}), make(2, {"/"}, {"a.com"})});
  EXPECT_EQ(id_of(router.match(req("a.com", "/a/b/c/d"))), 2U);
  EXPECT_EQ(id_of(router.match(req("b.com", "/a/b/c/d"))), 1U);
}

TEST(RadixRouter, HostAndMethodFiltering) {
  const radix_router router(
      {make(1, {"/api"}, {"a.com"}, {"GET"}), make(2, {"/api"}, {"*.b.com"}, {"POST"}), make(3, {}, {"c.com:8080"})});
  EXPECT_EQ(id_of(router.match(req("a.com", "/api/x", "get"))), 1U);
  EXPECT_EQ(id_of(router.match(req("a.com:80", "/api/x", "GET"))), 1U);
  EXPECT_EQ(id_of(router.match(req("a.com", "/api/x", "POST"))), 0U);
  EXPECT_EQ(id_of(router.match(req("x.b.com", "/api", "POST"))), 2U);
  EXPECT_EQ(id_of(router.match(req("x.b.com:9000", "/api", "POST"))), 2U);
  EXPECT_EQ(id_of(router.match(req("x.b.com", "/api", "GET"))), 0U);
  EXPECT_EQ(id_of(router.match(req("c.com:8080", "/anything"))), 3U);
  EXPECT_EQ(id_of(router.match(req("c.com", "/anything"))), 0U);
}

TEST(RadixRouter, RegexFallbackAndPriority) {
  route re_low = make(1, {"/users/\\d+"});
  route re_high = make(2, {"/users/\\d+/x"});
  re_high.regex_priority = 5;
  const radix_router router({re_low, re_high, make(3, {"/users"})});
  /// Regex paths sort before prefixes of the same category.
  EXPECT_EQ(id_of(router.match(req("h", "/users/42"))), 1U);
  EXPECT_EQ(id_of(router.match(req("h", "/users/42/x"))), 2U);
  EXPECT_EQ(id_of(router.match(req("h", "/users/bob"))), 3U);
}

TEST(RadixRouter, NoMatch) {
  const radix_router empty({});
  EXPECT_EQ(empty.match(req("a.com", "/")), nullptr);
  const radix_router router({make(1, {"/a"}, {"a.com"})});
  EXPECT_EQ(router.match(req("b.com", "/a")), nullptr);
  EXPECT_EQ(router.match(req("a.com", "/b")), nullptr);
  EXPECT_GT(router.bytes(), sizeof(radix_router));
}

TEST(RadixRouter, RejectsWhatReferenceRejects) {
  route bad;
  bad.id = 7;
  EXPECT_THROW(radix_router({bad}), std::invalid_argument);
  EXPECT_THROW(radix_router({make(8, {"/a/(b"})}), std::invalid_argument);
}

TEST(RadixRouter, ManyRegexesSharingALiteralAgreeWithReference) {
  /// Enough regexes under one literal prefix that they are tried as one
  /// alternation, plus some that cannot be combined (a back reference, an
  /// option setting), in several categories.
  std::vector<route> routes;
  const std::vector<std::string> patterns{"/u/\\d+$",       "/u/[a-z]+/x",      "/u/(?<id>[^/]+)/y", "/u/(a|b)\\1",
                                          "/w/(?i)abc",       "/u/\\d+/z",       "/u/[0-9a-f]{4}$",  "/u/.*q"};
  std::uint32_t id = 1;
  for (const auto& p : patterns) {
    routes.push_back(make(id++, {p}));
    routes.push_back(make(id++, {p}, {"a.com"}));
    routes.push_back(make(id++, {p}, {}, {"POST"}));
  }
  routes.push_back(make(id++, {"/u"}));
  routes.push_back(make(id++, {"/u/12"}, {"*.a.com"}));
  const radix_router router(routes);
  const reference_matcher ref(routes);
  for (const std::string host : {"a.com", "b.com", "x.a.com", "[::1]", "a.com:"}) {
    for (const std::string path : {"/u/12", "/u/abc/x", "/u/k/y", "/u/aa", "/u/bb", "/u/ABC", "/w/ABC", "/w/abc", "/u/12/z", "/u/beef",
                                   "/u/zzq", "/u/", "/v"}) {
      for (const std::string method : {"GET", "POST"}) {
        const request q = req(host, path, method);
        EXPECT_EQ(id_of(router.match(q)), id_of(ref.match(q))) << host << " " << path << " " << method;
      }
    }
  }
}

TEST(RadixRouter, SyntheticRequestsAgreeWithReference) {
  gwsim::router::route_set_config c;
  c.routes = 1'500;
  c.distinct_hosts = 12;
  const std::vector<route> routes = gwsim::router::generate_routes(c);
  const radix_router router(routes);
  const reference_matcher ref(routes);
  for (const request& q : gwsim::router::generate_requests(routes, 1'500, 5)) {
    EXPECT_EQ(id_of(router.match(q)), id_of(ref.match(q))) << q.host << " " << q.path;
  }
}

#if defined(__GLIBC__)
TEST(RadixRouter, BytesEstimateTracksTheHeap) {
  gwsim::router::testing::expect_bytes_track_the_heap<radix_router>(
      [](const std::vector<route>& routes) { return radix_router{std::vector<route>(routes)}; });
}
#endif

}  // namespace

// The differential property against the reference is in differential_test.cpp,
// with the other routers', on the same generators.
