// The simulator's configuration model: which routes one admin write changes
// and on which host shard. The property replays random admin histories on
// config_entities and on router::entity_graph (the specification of "routes
// whose compiled form a change alters") and checks that they agree write by
// write.

#include "models/gateway/config_entities.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "models/gateway/config_store.hpp"
#include "models/router/entity_graph.hpp"
#include "sim/simulator.hpp"

namespace gwsim::gateway {
namespace {

using change = config_entities::change;

TEST(ConfigEntities, SpreadsRoutesEvenlyOverServicesAndShardsByService) {
  const config_entities e(10, 4, 3);
  EXPECT_EQ(e.routes(), 10);
  EXPECT_EQ(e.services(), 4);
  EXPECT_EQ(e.unattached_routes(), 0);
  EXPECT_EQ(e.service_routes(0), 3);
  EXPECT_EQ(e.service_routes(1), 3);
  EXPECT_EQ(e.service_routes(2), 2);
  EXPECT_EQ(e.service_routes(3), 2);
  // Services 0 and 3 on shard 0, 1 on shard 1, 2 on shard 2.
  EXPECT_EQ(e.shard_routes(0), 5);
  EXPECT_EQ(e.shard_routes(1), 3);
  EXPECT_EQ(e.shard_routes(2), 2);
}

TEST(ConfigEntities, WithoutServicesRoutesAreUnattachedAndSpreadOverShards) {
  const config_entities e(7, 0, 3);
  EXPECT_EQ(e.unattached_routes(), 7);
  EXPECT_EQ(e.shard_routes(0), 3);
  EXPECT_EQ(e.shard_routes(1), 2);
  EXPECT_EQ(e.shard_routes(2), 2);
}

TEST(ConfigEntities, TheIncidentLoopChangesOneRouteTwiceAndLeavesTheConfigurationAsItWas) {
  config_entities e(1000, 100, 16);
  sim::rng rng(1);
  EXPECT_EQ(e.apply(admin_kind::create_service, rng).routes, 0);
  const change created = e.apply(admin_kind::create_route, rng);
  EXPECT_EQ(created.routes, 1);
  EXPECT_EQ(created.service, 100);  // the newest service
  EXPECT_EQ(created.shard, 100 % 16);
  const change deleted = e.apply(admin_kind::delete_route, rng);
  EXPECT_EQ(deleted.routes, 1);
  EXPECT_EQ(deleted.service, 100);  // the route just created
  EXPECT_EQ(e.apply(admin_kind::delete_service, rng).routes, 0);
  EXPECT_EQ(e.routes(), 1000);
  EXPECT_EQ(e.services(), 100);
}

TEST(ConfigEntities, AServiceUpdateChangesAllItsRoutesAndADeleteCascades) {
  config_entities e(50, 5, 4);
  sim::rng rng(7);
  const change updated = e.apply(admin_kind::update_service, rng);
  EXPECT_EQ(updated.routes, 10);
  EXPECT_EQ(updated.shard, updated.service % 4);
  const change removed = e.apply(admin_kind::delete_service, rng);
  EXPECT_EQ(removed.routes, 10);
  EXPECT_EQ(removed.service, 4);
  EXPECT_EQ(e.routes(), 40);
  EXPECT_EQ(e.services(), 4);
  EXPECT_EQ(e.shard_routes(0), 10);  // service 4 was on shard 0 with service 0
}

TEST(ConfigEntities, ANoopOrANewServiceChangesNoRoute) {
  config_entities e(50, 5, 4);
  sim::rng rng(7);
  const change noop = e.apply(admin_kind::noop, rng);
  EXPECT_EQ(noop.routes, 0);
  EXPECT_EQ(noop.shard, -1);
  EXPECT_EQ(e.apply(admin_kind::create_service, rng).routes, 0);
  EXPECT_EQ(e.routes(), 50);
}

TEST(ConfigEntities, UpdatedRoutesAreDrawnUniformly) {
  // 10 routes over 3 services (4, 3, 3); deleting the newest service
  // leaves 4 and 3 routes.
  config_entities e(10, 3, 8);
  sim::rng rng(3);
  e.apply(admin_kind::delete_service, rng);
  std::map<int, int> hits;
  const int n = 60'000;
  for (int i = 0; i < n; ++i) ++hits[e.apply(admin_kind::update_route, rng).service];
  EXPECT_EQ(hits.size(), 2u);
  // Services 0 and 1 hold 4 and 3 of 7 routes.
  EXPECT_NEAR(hits[0] / static_cast<double>(n), 4.0 / 7.0, 0.01);
  EXPECT_NEAR(hits[1] / static_cast<double>(n), 3.0 / 7.0, 0.01);
}

TEST(ConfigStore, ShardDeltaCountsDistinctShardsAndTheRoutesTheyHoldNow) {
  sim::simulator sim;
  scenario s;
  s.routes.routes = 160;
  s.routes.services = 16;
  config_store store(sim, s.database, s.routes, 4);
  sim::rng rng(11);
  store.apply(admin_kind::noop, rng);
  EXPECT_EQ(store.shards_changed_between(0, 1).shards, 0);
  EXPECT_EQ(store.changes_between(0, 1), 0);
  for (int i = 0; i < 40; ++i) store.apply(admin_kind::update_route, rng);
  const config_store::shard_delta d = store.shards_changed_between(1, store.version());
  EXPECT_EQ(d.shards, 4);  // 40 random routes over 4 shards: all touched (p = 1 - 4 (3/4)^40)
  EXPECT_EQ(d.routes, 160);
  EXPECT_EQ(store.changes_between(1, store.version()), 40);
}

// ---- agreement with the entity graph --------------------------------------

/// entity_graph mirror of a config_entities: the same services (ids 1.. in
/// creation order), routes with their service (0 = unattached), and the
/// created-routes stack, kept in step with the changes config_entities reports.
struct graph_mirror {
  router::entity_graph graph;
  std::vector<std::uint32_t> service_ids;                   ///< by service index
  std::map<std::uint32_t, std::vector<std::uint32_t>> routes_of;  ///< service id (0 none) -> route ids
  std::vector<std::uint32_t> created;                       ///< route ids created by writes, newest last
  std::uint32_t next_service = 1;
  std::uint32_t next_route = 1;

  graph_mirror(int routes, int services) {
    for (int k = 0; k < services; ++k) add_service();
    for (int i = 0; i < routes; ++i) {
      const std::uint32_t service = services > 0 ? service_ids[static_cast<std::size_t>(i % services)] : 0;
      add_route(service);
    }
  }
  void add_service() {
    graph.add_service({next_service, "svc" + std::to_string(next_service)});
    service_ids.push_back(next_service++);
  }
  std::uint32_t add_route(std::uint32_t service) {
    graph.add_route({next_route, service});
    routes_of[service].push_back(next_route);
    return next_route++;
  }
  void forget_route(std::uint32_t id) {
    for (auto& [service, ids] : routes_of) std::erase(ids, id);
    std::erase(created, id);
  }
  std::uint32_t service_id(int index) const {
    return index < 0 ? 0 : service_ids.at(static_cast<std::size_t>(index));
  }

  /// Applies to the graph the write that config_entities reported as `c`;
  /// returns the routes the graph says it changed.
  std::vector<std::uint32_t> apply(admin_kind kind, const change& c) {
    using router::admin_change;
    using router::entity_kind;
    switch (kind) {
      case admin_kind::create_route: {
        const std::uint32_t service = service_id(c.service);
        const std::uint32_t id = next_route;
        const auto affected = graph.apply(admin_change::create(router::route_entity{id, service}));
        routes_of[service].push_back(next_route++);
        created.push_back(id);
        return affected;
      }
      case admin_kind::delete_route: {
        if (c.routes == 0) return {};
        std::uint32_t id = 0;
        if (!created.empty()) {
          id = created.back();
        } else {
          id = routes_of.at(service_id(c.service)).front();  // any route of that service
        }
        forget_route(id);
        return graph.apply(admin_change::remove(entity_kind::route, id));
      }
      case admin_kind::update_route: {
        if (c.routes == 0) return {};
        const std::uint32_t id = routes_of.at(service_id(c.service)).front();
        return graph.apply(admin_change::update(router::route_entity{id, service_id(c.service)}));
      }
      case admin_kind::update_service: {
        if (c.service < 0) return {};
        const std::uint32_t id = service_id(c.service);
        return graph.apply(admin_change::update(router::service_entity{id, "renamed"}));
      }
      case admin_kind::create_service:
        add_service();
        return {};
      case admin_kind::delete_service: {
        if (service_ids.empty()) return {};
        const std::uint32_t id = service_ids.back();
        service_ids.pop_back();
        const std::vector<std::uint32_t> gone = routes_of[id];
        for (std::uint32_t r : gone) forget_route(r);
        routes_of.erase(id);
        return graph.apply(admin_change::remove(entity_kind::service, id, /*cascade=*/true));
      }
      case admin_kind::noop:
        return {};
    }
    return {};
  }
};

RC_GTEST_PROP(ConfigEntitiesProperty, EveryWriteChangesTheRoutesTheEntityGraphSays, ()) {
  const int routes = *rc::gen::oneOf(rc::gen::inRange(0, 8), rc::gen::inRange(0, 40));
  const int services = *rc::gen::inRange(0, 6);
  const int shards = *rc::gen::inRange(1, 5);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  const auto kinds = *rc::gen::container<std::vector<admin_kind>>(
      *rc::gen::inRange<std::size_t>(1, 60), rc::gen::cast<admin_kind>(rc::gen::inRange(0, 7)));

  config_entities model(routes, services, shards);
  graph_mirror mirror(routes, services);
  sim::rng rng(seed);
  for (const admin_kind kind : kinds) {
    const change c = model.apply(kind, rng);
    const std::vector<std::uint32_t> affected = mirror.apply(kind, c);
    RC_ASSERT(static_cast<int>(affected.size()) == c.routes);
    if (c.routes > 0) {
      // All changed routes are on the reported service's shard.
      RC_ASSERT(c.shard == (c.service >= 0 ? c.service % shards : c.shard));
    } else {
      RC_ASSERT(c.shard == -1);
    }
    // The configurations agree after every write.
    RC_ASSERT(static_cast<int>(mirror.graph.count(router::entity_kind::route)) == model.routes());
    RC_ASSERT(static_cast<int>(mirror.graph.count(router::entity_kind::service)) == model.services());
    for (int k = 0; k < model.services(); ++k) {
      RC_ASSERT(static_cast<int>(mirror.routes_of[mirror.service_ids[static_cast<std::size_t>(k)]].size()) ==
                model.service_routes(k));
    }
    RC_ASSERT(static_cast<int>(mirror.routes_of[0].size()) == model.unattached_routes());
    int by_shard = 0;
    for (int k = 0; k < model.shards(); ++k) by_shard += model.shard_routes(k);
    RC_ASSERT(by_shard == model.routes());
  }
}

}  // namespace
}  // namespace gwsim::gateway
