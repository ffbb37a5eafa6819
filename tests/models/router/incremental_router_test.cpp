/// incremental_router: errors, changes, the match cache and its flush.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "models/router/incremental_router.hpp"
#include "models/router/match_cache.hpp"
#include "models/router/reference_matcher.hpp"
#include "models/router/synthetic_routes.hpp"
#include "tests/models/router/bytes_estimate_check.hpp"

namespace {

using gwsim::router::incremental_router;
using gwsim::router::match_cache;
using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;

route make_route(std::uint32_t id, std::vector<std::string> hosts, std::vector<std::string> paths) {
  route r;
  r.id = id;
  r.hosts = std::move(hosts);
  r.paths = std::move(paths);
  r.created_at = id;
  return r;
}

request get(std::string host, std::string path) {
  request q;
  q.host = std::move(host);
  q.path = std::move(path);
  q.method = "GET";
  return q;
}

std::uint32_t id_of(const route* r) {
  return r == nullptr ? 0U : r->id;
}

std::string message_of(const auto& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no exception";
}

TEST(IncrementalRouter, RejectsWhatTheReferenceRejectsWithTheSameMessage) {
  const route empty{.id = 7};
  const route bad_regex = make_route(8, {}, {"/a/(b"});
  for (const route& bad : {empty, bad_regex}) {
    const std::string want = message_of([&] { reference_matcher ref({bad}); });
    ASSERT_NE(want, "no exception");
    EXPECT_EQ(message_of([&] { incremental_router r({bad}); }), want);
    incremental_router router({make_route(1, {}, {"/a"})});
    EXPECT_EQ(message_of([&] { router.add(bad); }), want);
    route replacement = bad;
    replacement.id = 1;
    const std::string want_update = message_of([&] { reference_matcher ref({replacement}); });
    EXPECT_EQ(message_of([&] { router.update(replacement); }), want_update);
    /// Nothing changed.
    EXPECT_EQ(router.size(), 1U);
    EXPECT_EQ(id_of(router.match(get("x", "/a/b"))), 1U);
  }
}

TEST(IncrementalRouter, RejectsDuplicateAndUnknownIds) {
  incremental_router router({make_route(1, {}, {"/a"})});
  EXPECT_THROW(router.add(make_route(1, {}, {"/b"})), std::invalid_argument);
  EXPECT_THROW(router.remove(2), std::invalid_argument);
  EXPECT_THROW(router.update(make_route(2, {}, {"/b"})), std::invalid_argument);
  EXPECT_THROW(incremental_router({make_route(3, {}, {"/a"}), make_route(3, {}, {"/b"})}), std::invalid_argument);
  EXPECT_EQ(router.size(), 1U);
}

TEST(IncrementalRouter, AddRemoveUpdateChangeTheAnswer) {
  incremental_router router({make_route(1, {}, {"/a"}), make_route(2, {"h.com"}, {"/a"})});
  EXPECT_EQ(id_of(router.match(get("h.com", "/a/x"))), 2U);
  EXPECT_EQ(id_of(router.match(get("other", "/a/x"))), 1U);
  router.remove(2);
  EXPECT_EQ(id_of(router.match(get("h.com", "/a/x"))), 1U);
  router.add(make_route(3, {}, {"/a/x"}));
  EXPECT_EQ(id_of(router.match(get("h.com", "/a/x"))), 3U);
  router.update(make_route(3, {}, {"/b"}));
  EXPECT_EQ(id_of(router.match(get("h.com", "/a/x"))), 1U);
  EXPECT_EQ(id_of(router.match(get("h.com", "/b"))), 3U);
  router.remove(1);
  router.remove(3);
  EXPECT_EQ(router.size(), 0U);
  EXPECT_EQ(router.match(get("h.com", "/a/x")), nullptr);
}

TEST(IncrementalRouter, RegexPatternsSurviveWhileSomeRouteUsesThem) {
  incremental_router router({make_route(1, {"*.a.com"}, {"/u/\\d+"}), make_route(2, {"*.a.com"}, {"/u/\\d+"})});
  router.remove(1);
  EXPECT_EQ(id_of(router.match(get("x.a.com", "/u/42"))), 2U);
  router.update(make_route(2, {"*.a.com"}, {"/u/\\d+", "/v"}));
  EXPECT_EQ(id_of(router.match(get("x.a.com", "/u/42"))), 2U);
  EXPECT_EQ(id_of(router.match(get("x.a.com", "/v"))), 2U);
}

TEST(IncrementalRouter, CacheCountsHitsAndIsFlushedNotReallocatedOnChange) {
  incremental_router router({make_route(1, {}, {"/a"}), make_route(2, {}, {"/b"})});
  EXPECT_EQ(router.cache_slots(), 5000U);
  const void* storage = router.cache().storage();
  const request q = get("x", "/a");
  EXPECT_EQ(id_of(router.match(q)), 1U);
  EXPECT_EQ(id_of(router.match(q)), 1U);
  EXPECT_EQ(router.match(get("x", "/zz")), nullptr);
  EXPECT_EQ(router.match(get("x", "/zz")), nullptr);  /// "no route" is cached too
  EXPECT_EQ(router.cache_hits(), 2U);
  EXPECT_EQ(router.cache_misses(), 2U);
  EXPECT_EQ(router.cache_size(), 2U);

  router.add(make_route(3, {}, {"/a"}));
  EXPECT_EQ(router.cache_size(), 0U);
  EXPECT_EQ(router.cache().storage(), storage);
  EXPECT_EQ(router.cache_slots(), 5000U);
  const auto hits = router.cache_hits();
  EXPECT_EQ(id_of(router.match(q)), 1U);  /// a miss after the flush
  EXPECT_EQ(router.cache_hits(), hits);
  router.update(make_route(1, {}, {"/c"}));
  EXPECT_EQ(router.cache_size(), 0U);
  EXPECT_EQ(id_of(router.match(q)), 3U);  /// not the stale cached answer
  router.remove(3);
  EXPECT_EQ(router.cache_size(), 0U);
  EXPECT_EQ(router.match(q), nullptr);
  EXPECT_EQ(router.cache().storage(), storage);
}

TEST(IncrementalRouter, ZeroSlotsDisablesTheCache) {
  incremental_router router({make_route(1, {}, {"/a"})}, 0);
  EXPECT_EQ(id_of(router.match(get("x", "/a"))), 1U);
  EXPECT_EQ(id_of(router.match(get("x", "/a"))), 1U);
  EXPECT_EQ(router.cache_hits(), 0U);
  EXPECT_EQ(router.cache_size(), 0U);
}

TEST(IncrementalRouter, BytesGrowWithRoutesAndShrinkBack) {
  incremental_router router({}, 0);
  const auto empty = router.bytes();
  for (std::uint32_t id = 1; id <= 50; ++id) {
    router.add(make_route(id, {"h" + std::to_string(id) + ".com"}, {"/p/" + std::to_string(id)}));
  }
  const auto full = router.bytes();
  EXPECT_GT(full, empty + 50 * 100);
  for (std::uint32_t id = 1; id <= 50; ++id) {
    router.remove(id);
  }
  EXPECT_LT(router.bytes(), full);
}

TEST(IncrementalRouter, AgreesWithTheReferenceOnASyntheticSetAfterChanges) {
  /// Many regexes share literal prefixes (one alternation per group) and
  /// many routes share hosts and paths: the lists and groups changed here
  /// are reordered and rebuilt in place.
  gwsim::router::route_set_config c;
  c.routes = 3'000;
  c.distinct_hosts = 20;
  c.regex_fraction = 0.3;
  std::vector<route> routes = gwsim::router::generate_routes(c);
  incremental_router router(routes, 0);
  for (std::size_t i = 0; i < routes.size(); i += 3) {
    router.remove(routes[i].id);
  }
  for (std::size_t i = 0; i < routes.size(); i += 6) {
    router.add(routes[i]);
  }
  for (std::size_t i = 1; i < routes.size(); i += 9) {
    routes[i].regex_priority = 5;
    router.update(routes[i]);
  }
  std::vector<route> held;
  for (const route& r : routes) {
    if (router.find(r.id) != nullptr) {
      held.push_back(*router.find(r.id));
    }
  }
  const reference_matcher ref(held);
  for (const request& q : gwsim::router::generate_requests(routes, 3'000, 7)) {
    EXPECT_EQ(id_of(router.match_uncached(q)), id_of(ref.match(q))) << q.host << " " << q.path;
  }
}

#if defined(__GLIBC__)
TEST(IncrementalRouter, BytesEstimateTracksTheHeap) {
  gwsim::router::testing::expect_bytes_track_the_heap<incremental_router>(
      [](const std::vector<route>& routes) { return incremental_router(routes, 0); });
}
#endif

TEST(MatchCache, EvictsTheLeastRecentlyUsedKey) {
  match_cache cache(2);
  cache.insert(1, "a", 10);
  cache.insert(2, "b", 20);
  EXPECT_EQ(cache.find(1, "a"), 10U);  /// "a" is now the most recent
  cache.insert(3, "c", 30);            /// evicts "b"
  EXPECT_FALSE(cache.find(2, "b").has_value());
  EXPECT_EQ(cache.find(3, "c"), 30U);
  EXPECT_FALSE(cache.find(1, "x").has_value());  /// same hash, other key: a miss
  EXPECT_EQ(cache.hits(), 2U);
  EXPECT_EQ(cache.misses(), 2U);
  cache.flush();
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_FALSE(cache.find(3, "c").has_value());
}

}  // namespace
