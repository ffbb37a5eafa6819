#include "models/router/traditional_router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/router/marshalled_route.hpp"
#include "models/router/path_host_index.hpp"
#include "models/router/reference_matcher.hpp"

using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;
using gwsim::router::traditional_router;

namespace {

std::uint32_t id_of(const route* r) {
  return r == nullptr ? 0U : r->id;
}

request get(std::string host, std::string path) {
  request req;
  req.host = std::move(host);
  req.path = std::move(path);
  req.method = "GET";
  return req;
}

std::vector<route> sample_routes() {
  return {route{.id = 1, .hosts = {"a.com"}, .paths = {"/users"}},
          route{.id = 2, .paths = {"/users/\\d+"}, .regex_priority = 1}, route{.id = 3, .hosts = {"*.b.com"}},
          route{.id = 4, .paths = {"/"}, .headers = {{"X-Version", {"v2"}}}}, route{.id = 5, .paths = {"/"}}};
}

std::vector<route> many_routes(std::uint32_t n) {
  std::vector<route> rs;
  for (std::uint32_t i = 1; i <= n; ++i) {
    rs.push_back(route{.id = i,
                       .hosts = {"svc" + std::to_string(i) + ".example.com"},
                       .paths = {"/api/v1/service-" + std::to_string(i), "/s" + std::to_string(i) + "/\\d+"}});
  }
  return rs;
}

/// Rebuilds take compiled patterns from the process-wide cache (Kong's
/// per-worker `ngx.re` cache with the `o` flag), an LRU cache of at most
/// compiled_regex_cache_max_entries patterns.
TEST(CompiledRegexCache, RebuildsShareCompiledPatterns) {
  using gwsim::router::compiled_regex;
  using gwsim::router::compiled_regex_cache_max_entries;
  using gwsim::router::compiled_regex_cache_size;
  const std::string pattern = "/compiled-cache-test/\\d+/(a|b)";
  const auto first = compiled_regex(pattern);
  const auto again = compiled_regex(pattern);
  EXPECT_EQ(first->pattern(), pattern);
  EXPECT_TRUE(again->matches_prefix("/compiled-cache-test/12/b"));
  EXPECT_EQ(first.get(), again.get());  /// the most recent entry is a hit
  /// Filling the cache evicts the least recent pattern; whoever holds it
  /// keeps it usable.
  for (std::size_t i = 0; i <= compiled_regex_cache_max_entries; ++i) {
    (void)compiled_regex("/compiled-cache-fill/" + std::to_string(i) + "/\\d+");
  }
  EXPECT_EQ(compiled_regex_cache_size(), compiled_regex_cache_max_entries);
  EXPECT_NE(compiled_regex(pattern).get(), first.get());
  EXPECT_TRUE(first->matches_prefix("/compiled-cache-test/12/a"));
  EXPECT_THROW((void)compiled_regex("/broken/(\\d+"), std::invalid_argument);

  /// Two routers built from one route set agree, whether or not they share
  /// their patterns; a router outlives the patterns' other holders.
  const std::vector<route> routes{route{.id = 1, .paths = {pattern}}, route{.id = 2, .hosts = {"*.cache.test"}}};
  auto older = std::make_unique<traditional_router>(routes);
  const traditional_router newer(routes);
  older.reset();
  EXPECT_EQ(id_of(newer.match_uncached(get("other.test", "/compiled-cache-test/7/a"))), 1U);
  EXPECT_EQ(id_of(newer.match_uncached(get("x.cache.test", "/compiled-cache-test/7/a"))), 2U);  /// host first
  EXPECT_EQ(id_of(newer.match_uncached(get("x.cache.test", "/other"))), 2U);
  EXPECT_EQ(id_of(newer.match_uncached(get("other.test", "/other"))), 0U);
}

}  // namespace

TEST(TraditionalRouter, MatchesLikeTheReferenceOnSimpleRequests) {
  const reference_matcher ref(sample_routes());
  traditional_router router(sample_routes());
  const std::vector<request> reqs{get("a.com", "/users/7"),  get("a.com", "/users"), get("x.b.com", "/"),
                                  get("c.com", "/users/12"), get("c.com", "/x"),     get("b.com", "/")};
  for (const auto& q : reqs) {
    EXPECT_EQ(id_of(router.match(q)), id_of(ref.match(q))) << q.host << q.path;
  }
  request with_header = get("c.com", "/x");
  with_header.headers = {{"x-version", "V2"}};
  EXPECT_EQ(id_of(router.match(with_header)), 4U);
  EXPECT_EQ(id_of(router.match(get("c.com", "/x"))), 5U);
}

TEST(TraditionalRouter, RejectsWhatTheReferenceRejects) {
  EXPECT_THROW(traditional_router({route{.id = 3}}), std::invalid_argument);
  try {
    traditional_router bad({route{.id = 77, .paths = {"/a/(b"}}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("77"), std::string::npos);
    EXPECT_NE(what.find("/a/(b"), std::string::npos);
  }
}

TEST(TraditionalRouter, RepeatedRequestsHitTheCacheAndAreCounted) {
  traditional_router router(sample_routes());
  EXPECT_EQ(router.cache_slots(), traditional_router::MATCH_LRUCACHE_SIZE);
  const request q = get("a.com", "/users/7");
  const request other = get("zzz", "nothing");  /// no route matches a path without `/`
  EXPECT_EQ(router.cache_hits(), 0U);
  EXPECT_EQ(router.cache_misses(), 0U);
  const auto first = id_of(router.match(q));
  EXPECT_EQ(router.cache_misses(), 1U);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(id_of(router.match(q)), first);
  }
  EXPECT_EQ(router.cache_hits(), 4U);
  /// "No route" is cached too.
  EXPECT_EQ(router.match(other), nullptr);
  EXPECT_EQ(router.match(other), nullptr);
  EXPECT_EQ(router.cache_hits(), 5U);
  EXPECT_EQ(router.cache_misses(), 2U);
  EXPECT_EQ(router.cache_size(), 2U);
}

TEST(TraditionalRouter, CacheKeyIncludesEveryFieldThatMatters) {
  traditional_router router(sample_routes());
  request plain = get("c.com", "/x");
  request versioned = plain;
  versioned.headers = {{"X-Version", "v2"}};
  request irrelevant = plain;
  irrelevant.headers = {{"X-Other", "v2"}};
  EXPECT_EQ(id_of(router.match(plain)), 5U);
  EXPECT_EQ(id_of(router.match(versioned)), 4U);
  /// A header no route looks at does not split the key.
  EXPECT_EQ(id_of(router.match(irrelevant)), 5U);
  EXPECT_EQ(router.cache_hits(), 1U);
  /// The scheme decides the default port that wildcard hosts see.
  traditional_router ports({route{.id = 1, .hosts = {"*.b.com:443"}}, route{.id = 2, .paths = {"/"}}});
  request http = get("x.b.com", "/");
  request https = http;
  https.scheme = "https";
  EXPECT_EQ(id_of(ports.match(http)), 2U);
  EXPECT_EQ(id_of(ports.match(https)), 1U);
  EXPECT_EQ(id_of(ports.match(http)), 2U);
}

TEST(TraditionalRouter, FlushEmptiesTheCacheButKeepsCounters) {
  traditional_router router(sample_routes());
  const request q = get("a.com", "/users");
  const auto miss = id_of(router.match(q));
  EXPECT_EQ(id_of(router.match(q)), miss);
  EXPECT_EQ(router.cache_size(), 1U);
  router.flush_cache();
  EXPECT_EQ(router.cache_size(), 0U);
  EXPECT_EQ(id_of(router.match(q)), miss);
  EXPECT_EQ(router.cache_hits(), 1U);
  EXPECT_EQ(router.cache_misses(), 2U);
}

TEST(TraditionalRouter, CacheHitNeverDiffersFromAFreshMatch) {
  auto routes = many_routes(50);
  const reference_matcher ref(routes);
  traditional_router router(routes, 16);  /// far fewer slots than distinct requests
  std::vector<request> reqs;
  for (std::uint32_t i = 1; i <= 60; ++i) {
    reqs.push_back(get("svc" + std::to_string(i % 53) + ".example.com", "/s" + std::to_string(i % 50) + "/42"));
    reqs.push_back(get("svc" + std::to_string(i) + ".example.com", "/api/v1/service-" + std::to_string(i)));
  }
  for (int round = 0; round < 3; ++round) {
    for (const auto& q : reqs) {
      const auto got = id_of(router.match(q));
      EXPECT_EQ(got, id_of(router.match_uncached(q)));
      EXPECT_EQ(got, id_of(ref.match(q)));
      EXPECT_EQ(id_of(router.match(q)), got);  /// the immediate repeat is a hit
    }
  }
  EXPECT_LE(router.cache_size(), 16U);
  EXPECT_GE(router.cache_hits(), 3U * reqs.size());
}

TEST(TraditionalRouter, ZeroSlotsDisablesTheCache) {
  traditional_router router(sample_routes(), 0);
  const request q = get("a.com", "/users");
  EXPECT_EQ(id_of(router.match(q)), 1U);
  EXPECT_EQ(id_of(router.match(q)), 1U);
  EXPECT_EQ(router.cache_hits(), 0U);
  EXPECT_EQ(router.cache_misses(), 2U);
}

TEST(TraditionalRouter, BytesGrowWithRouteCount) {
  const traditional_router small(many_routes(10));
  const traditional_router medium(many_routes(100));
  const traditional_router large(many_routes(1000));
  EXPECT_GT(small.bytes(), 0U);
  EXPECT_LT(small.bytes(), medium.bytes());
  EXPECT_LT(medium.bytes(), large.bytes());
  /// Filling the cache grows it too (keys are stored).
  traditional_router filling(many_routes(10));
  const auto before = filling.bytes();
  for (std::uint32_t i = 0; i < 100; ++i) {
    (void)filling.match(get("svc1.example.com", "/api/v1/service-1/a-fairly-long-suffix-" + std::to_string(i)));
  }
  EXPECT_GT(filling.bytes(), before);
}

/// Kong's reduce step can prefer a later route of a category: the host index
/// is keyed by the Host header as sent, so `a.org:80` picks the route listing
/// `a.org:80` although the `a.org` route sorts first and matches too.
TEST(TraditionalRouter, ReduceStepPrefersTheIndexedRoute) {
  const std::vector<route> routes{route{.id = 1, .hosts = {"a.org"}}, route{.id = 2, .hosts = {"a.org:80"}}};
  const reference_matcher ref(routes);
  traditional_router router(routes);
  EXPECT_EQ(id_of(router.match(get("a.org:80", "/"))), 2U);
  EXPECT_EQ(id_of(router.match(get("a.org", "/"))), 1U);
  EXPECT_EQ(id_of(ref.match(get("a.org:80", "/"))), 2U);
}

/// A plain host equal to the Host header as sent matches even when the
/// request's classification (host with and without port) missed it, so the
/// host categories must not be skipped then.
TEST(TraditionalRouter, BracketedHostIsNotSkipped) {
  const std::vector<route> routes{route{.id = 1, .hosts = {"[::1]"}}, route{.id = 2, .paths = {"/"}}};
  const reference_matcher ref(routes);
  traditional_router router(routes);
  const request q = get("[::1]", "/");
  EXPECT_EQ(id_of(router.match(q)), id_of(ref.match(q)));
  EXPECT_EQ(id_of(router.match(q)), 1U);
}

/// The cache is an LRU over request keys: with few slots and a stream that
/// keeps evicting, its hits, misses and size follow a plain list model
/// exactly (this exercises eviction and reuse of slots and of their hash
/// table positions).
TEST(TraditionalRouter, CacheFollowsAnLruModel) {
  const auto routes = many_routes(20);
  traditional_router router(routes, 5);
  std::list<std::string> model;  ///< most recent first
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint32_t state = 12345;
  for (int step = 0; step < 2000; ++step) {
    state = state * 1103515245U + 12345U;
    const std::uint32_t k = (state >> 16) % 11;
    const request q = get("svc" + std::to_string(k) + ".example.com", "/api/v1/service-" + std::to_string(k));
    const std::string key = q.host;
    const auto it = std::find(model.begin(), model.end(), key);
    if (it != model.end()) {
      ++hits;
      model.erase(it);
    } else {
      ++misses;
      if (model.size() == 5) {
        model.pop_back();
      }
    }
    model.push_front(key);
    ASSERT_EQ(id_of(router.match(q)), id_of(router.match_uncached(q)));
    ASSERT_EQ(router.cache_hits(), hits) << step;
    ASSERT_EQ(router.cache_misses(), misses) << step;
    ASSERT_EQ(router.cache_size(), model.size()) << step;
  }
}

/// Requests with a header some route looks at take the other way of
/// building the key; both must agree with the reference and with repeats.
TEST(TraditionalRouter, HeaderCarryingRequestsHitTheirOwnEntries) {
  const std::vector<route> routes{route{.id = 1, .paths = {"/"}, .headers = {{"X-Version", {"v2", "v3"}}}},
                                  route{.id = 2, .paths = {"/"}}};
  const reference_matcher ref(routes);
  traditional_router router(routes);
  request a = get("h", "/p");
  a.headers = {{"X-VERSION", "V3"}, {"Host", "other"}, {"x-unrelated", "1"}};
  request b = a;
  b.headers = {{"x-version", "v4"}};
  request c = get("h", "/p");
  c.headers = {{"x-unrelated", "2"}};
  for (int round = 0; round < 2; ++round) {
    for (const request* q : {&a, &b, &c}) {
      EXPECT_EQ(id_of(router.match(*q)), id_of(ref.match(*q)));
    }
  }
  EXPECT_EQ(id_of(router.match(a)), 1U);
  EXPECT_EQ(id_of(router.match(b)), 2U);
  EXPECT_EQ(router.cache_misses(), 3U);
  EXPECT_EQ(router.cache_size(), 3U);
}

/// Wildcard hosts are pre-checked on their literal text before their regex
/// runs; hosts whose other characters are regex syntax skip the pre-check,
/// so both kinds match as the reference does.
TEST(TraditionalRouter, WildcardHostsMatchLikeTheReference) {
  const std::vector<route> routes{route{.id = 1, .hosts = {"*.a+b.com"}}, route{.id = 2, .hosts = {"*.ex.com:8080"}},
                                  route{.id = 3, .hosts = {"api.*"}},     route{.id = 4, .hosts = {"*.ex.com"}},
                                  route{.id = 5, .hosts = {"w*.ex.org"}}, route{.id = 6, .paths = {"/"}}};
  const reference_matcher ref(routes);
  traditional_router router(routes, 0);
  for (const std::string host : {"x.aab.com", "x.a+b.com", "y.ex.com:8080", "y.ex.com", "y.ex.com:9", "api.", "api.x:1",
                                 "api", ".ex.com", "ww.ex.org", "w.ex.org", "zz", "y.ex.com.evil", "[::1]", ""}) {
    for (const std::string scheme : {"http", "https"}) {
      request q = get(host, "/");
      q.scheme = scheme;
      EXPECT_EQ(id_of(router.match(q)), id_of(ref.match(q))) << host << " " << scheme;
    }
  }
}

/// Regexes sharing a literal prefix are run as one alternation, those after
/// its first match only when a candidate needs them, and one that cannot be
/// combined (a back reference) on its own: every combination of host,
/// method, header and path still gives the reference's answer.
TEST(TraditionalRouter, RegexGroupsMatchLikeTheReference) {
  const std::vector<route> routes{
      route{.id = 1, .paths = {"/api/(\\w+)/\\1"}, .regex_priority = 5},
      route{.id = 2, .paths = {"/api/users/\\d+$"}, .methods = {"GET"}},
      route{.id = 3, .hosts = {"a.com"}, .paths = {"/api/users/\\d+"}},
      route{.id = 4, .paths = {"/api/[a-z]+/x"}, .regex_priority = 2},
      route{.id = 5, .paths = {"/api/users/(?<id>\\d+)/orders"}, .methods = {"POST"}},
      route{.id = 6, .paths = {"/api"}},
      route{.id = 7, .hosts = {"*.b.com"}, .paths = {"/api/users"}},
      route{.id = 8, .paths = {"/api/users/7/orders"}, .headers = {{"x-v", {"1"}}}},
      route{.id = 9, .hosts = {"a.com", "*.b.com"}, .paths = {"/api/users/(\\d+)/orders/\\d+"}},
  };
  const reference_matcher ref(routes);
  traditional_router router(routes);
  for (const std::string host : {"a.com", "x.b.com", "c.com"}) {
    for (const std::string method : {"GET", "POST", "PUT"}) {
      for (const std::string path : {"/api/users/7", "/api/users/7/orders", "/api/users/users", "/api/foo/x",
                                     "/api/users/x", "/api/users/7/orders/9", "/apix", "/api/x/x"}) {
        for (const bool with_header : {false, true}) {
          request q = get(host, path);
          q.method = method;
          if (with_header) {
            q.headers = {{"X-V", "1"}};
          }
          const auto expected = id_of(ref.match(q));
          EXPECT_EQ(id_of(router.match_uncached(q)), expected) << host << ' ' << method << ' ' << path;
          EXPECT_EQ(id_of(router.match(q)), expected) << host << ' ' << method << ' ' << path;
        }
      }
    }
  }
}

/// The index's two modes agree: leaving regexes to the caller gives the same
/// hits and the same entries, only with some listed as unchecked.
TEST(TraditionalRouter, IndexLeavesOnlyUncheckedRegexesToTheCaller) {
  const std::vector<route> routes{
      route{.id = 1, .paths = {"/api/users/\\d+$"}},
      route{.id = 2, .paths = {"/api/users/\\d+"}},
      route{.id = 3, .hosts = {"a.com"}, .paths = {"/api/users/(\\d+)/x"}},
      route{.id = 4, .paths = {"/api/(\\w+)/\\1"}},
      route{.id = 5, .paths = {"/api/[a-z]+/x"}},
      route{.id = 6, .paths = {"/api"}},
  };
  gwsim::router::regex_cache regexes;
  const auto entries = gwsim::router::marshall_routes(routes, regexes);
  const gwsim::router::path_host_index index(entries);
  for (const std::string path : {"/api/users/7", "/api/users/7/x", "/api/users/users", "/api/foo/x", "/other"}) {
    std::vector<std::uint32_t> exact;
    std::vector<std::uint32_t> lazy;
    std::vector<std::uint32_t> unchecked;
    const auto a = index.candidates(path, "a.com", "a.com", exact);
    const auto b = index.candidates(path, "a.com", "a.com", lazy, &unchecked);
    EXPECT_EQ(a.regex_hit, b.regex_hit) << path;
    EXPECT_EQ(a.longest_prefix, b.longest_prefix) << path;
    std::vector<std::uint32_t> checked;
    std::set_difference(lazy.begin(), lazy.end(), unchecked.begin(), unchecked.end(), std::back_inserter(checked));
    EXPECT_TRUE(std::includes(lazy.begin(), lazy.end(), exact.begin(), exact.end())) << path;
    EXPECT_TRUE(std::includes(exact.begin(), exact.end(), checked.begin(), checked.end())) << path;
    for (std::uint32_t e : unchecked) {
      const bool in_exact = std::binary_search(exact.begin(), exact.end(), e);
      EXPECT_EQ(in_exact, entries[e].uris.front().re->matches_prefix(path)) << path;
    }
  }
}
