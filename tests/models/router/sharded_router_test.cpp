/// sharded_router: shard assignment, shard isolation of changes, errors.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "models/router/reference_matcher.hpp"
#include "models/router/sharded_router.hpp"

namespace {

using gwsim::router::reference_matcher;
using gwsim::router::request;
using gwsim::router::route;
using gwsim::router::sharded_router;

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

TEST(ShardedRouter, ShardKeysAreHostNamesWithoutPortOrTheCatchAll) {
  using keys = std::vector<std::string>;
  EXPECT_EQ(sharded_router::shard_keys(make_route(1, {"a.com", "a.com:8000", "b.com"}, {})), (keys{"a.com", "b.com"}));
  EXPECT_EQ(sharded_router::shard_keys(make_route(1, {"a.com", "*.b.com"}, {})), (keys{""}));
  EXPECT_EQ(sharded_router::shard_keys(make_route(1, {}, {"/a"})), (keys{""}));
}

TEST(ShardedRouter, UpdatingARouteOfOneHostReindexesOnlyThatShard) {
  std::vector<route> routes;
  std::uint32_t id = 1;
  for (const std::string host : {"a.com", "b.com", "c.com"}) {
    for (int i = 0; i < 10; ++i, ++id) {
      routes.push_back(make_route(id, {host}, {"/p" + std::to_string(i)}));
    }
  }
  for (int i = 0; i < 10; ++i, ++id) {
    routes.push_back(make_route(id, {}, {"/q" + std::to_string(i)}));
  }
  sharded_router router(routes);
  EXPECT_EQ(router.shard_count(), 3U);
  EXPECT_EQ(router.shard_size("a.com"), 10U);
  EXPECT_EQ(router.shard_size(""), 10U);
  EXPECT_EQ(router.shards_rebuilt(), 0U);

  route changed = routes[3];  /// a.com
  changed.paths = {"/changed"};
  router.update(changed);
  EXPECT_EQ(router.shards_rebuilt(), 1U);
  EXPECT_EQ(router.routes_reindexed(), 10U);  /// a.com's routes only
  EXPECT_EQ(id_of(router.match(get("a.com", "/changed"))), changed.id);
  EXPECT_EQ(router.match(get("b.com", "/changed")), nullptr);

  router.add(make_route(100, {"b.com:8080"}, {"/new"}));
  EXPECT_EQ(router.shards_rebuilt(), 2U);
  EXPECT_EQ(router.routes_reindexed(), 21U);  /// + b.com's 11
  EXPECT_EQ(id_of(router.match(get("b.com:8080", "/new"))), 100U);

  /// Moving a route from a.com to c.com rebuilds both, and nothing else.
  route moved = routes[0];
  moved.hosts = {"c.com"};
  router.update(moved);
  EXPECT_EQ(router.shards_rebuilt(), 4U);
  EXPECT_EQ(router.routes_reindexed(), 21U + 9U + 11U);
  EXPECT_EQ(router.shard_size("a.com"), 9U);
  EXPECT_EQ(router.shard_size("c.com"), 11U);

  router.remove(100);
  EXPECT_EQ(router.shards_rebuilt(), 5U);
  EXPECT_EQ(router.shard_size("b.com"), 10U);

  /// A catch-all route rebuilds the catch-all shard only.
  router.remove(routes.back().id);
  EXPECT_EQ(router.shards_rebuilt(), 6U);
  EXPECT_EQ(router.routes_reindexed(), 21U + 9U + 11U + 10U + 9U);
}

TEST(ShardedRouter, EmptyShardsDisappear) {
  sharded_router router({make_route(1, {"a.com"}, {"/"})});
  EXPECT_EQ(router.shard_count(), 1U);
  router.remove(1);
  EXPECT_EQ(router.shard_count(), 0U);
  EXPECT_EQ(router.match(get("a.com", "/")), nullptr);
}

TEST(ShardedRouter, WildcardAndPortlessRequestsFindTheirRoutes) {
  const std::vector<route> routes{make_route(1, {"a.com:8000"}, {"/"}), make_route(2, {"*.a.com"}, {"/"}),
                                  make_route(3, {"a.com"}, {"/x"}), make_route(4, {}, {"/"})};
  sharded_router router(routes);
  const reference_matcher ref(routes);
  for (const auto& q : {get("a.com:8000", "/"), get("a.com", "/x"), get("b.a.com", "/"), get("a.com:8000", "/x"),
                        get("zz", "/"), get("b.a.com:8000", "/x")}) {
    EXPECT_EQ(id_of(router.match(q)), id_of(ref.match(q))) << q.host << q.path;
  }
}

TEST(ShardedRouter, RejectsLikeTheReferenceAndUnknownIds) {
  sharded_router router({make_route(1, {"a.com"}, {"/a"})});
  EXPECT_THROW(router.add(make_route(1, {}, {"/b"})), std::invalid_argument);
  EXPECT_THROW(router.add(route{.id = 2}), std::invalid_argument);
  EXPECT_THROW(router.add(make_route(2, {}, {"/(b"})), std::invalid_argument);
  EXPECT_THROW(router.remove(2), std::invalid_argument);
  EXPECT_THROW(router.update(make_route(2, {}, {"/b"})), std::invalid_argument);
  EXPECT_THROW(router.update(make_route(1, {}, {"/(b"})), std::invalid_argument);
  EXPECT_EQ(router.size(), 1U);
  EXPECT_EQ(router.shards_rebuilt(), 0U);
  EXPECT_EQ(id_of(router.match(get("a.com", "/a"))), 1U);
}

TEST(ShardedRouter, CacheIsFlushedOnChange) {
  sharded_router router({make_route(1, {"a.com"}, {"/a"})});
  const void* storage = router.cache().storage();
  EXPECT_EQ(id_of(router.match(get("a.com", "/a"))), 1U);
  EXPECT_EQ(id_of(router.match(get("a.com", "/a"))), 1U);
  EXPECT_EQ(router.cache_hits(), 1U);
  router.add(make_route(2, {"a.com"}, {"/a/b"}));
  EXPECT_EQ(router.cache_size(), 0U);
  EXPECT_EQ(router.cache().storage(), storage);
  EXPECT_EQ(id_of(router.match(get("a.com", "/a/b"))), 2U);
}

}  // namespace
