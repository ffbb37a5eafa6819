/// entity_graph: which routes an admin write touches, per entity kind and
/// change kind, Kong's cascades, errors, and a property against a
/// brute-force definition (a route is touched when its compiled form, i.e.
/// the route, its service, that service's upstream and the plugins applying
/// to it, differs before and after the change).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/router/entity_graph.hpp"

namespace gwsim::router {

/// Readable counterexamples (found by RapidCheck through ADL).
void showValue(const admin_change& c, std::ostream& os) {
  static const char* const ops[] = {"create", "update", "remove"};
  os << ops[static_cast<int>(c.op)] << ' ' << entity_kind_name(c.kind) << ' ' << c.id;
  if (c.op == admin_change::op_kind::remove) {
    os << (c.cascade ? " cascade" : "");
    return;
  }
  if (const auto* s = std::get_if<service_entity>(&c.value)) os << " host=" << s->host;
  if (const auto* r = std::get_if<route_entity>(&c.value)) os << " service=" << r->service;
  if (const auto* p = std::get_if<plugin_entity>(&c.value)) {
    os << " service=" << p->service << " route=" << p->route << " consumer=" << p->consumer;
  }
  if (const auto* u = std::get_if<upstream_entity>(&c.value)) os << " name=" << u->name;
}

}  // namespace gwsim::router

namespace {

using gwsim::router::admin_change;
using gwsim::router::consumer_entity;
using gwsim::router::entity_graph;
using gwsim::router::entity_kind;
using gwsim::router::plugin_entity;
using gwsim::router::route_entity;
using gwsim::router::service_entity;
using gwsim::router::upstream_entity;
using ids = std::vector<std::uint32_t>;

/// upstream 1 "backend" <- service 1 (host "backend") <- routes 1, 2
///                          service 2 (host "example.com") <- route 3
/// upstream 2 "other"   <- service 3 (host "other") <- route 5
///                          route 4 has no service; service 4 has no routes
/// consumers 1, 2
class EntityGraph : public ::testing::Test {
 protected:
  EntityGraph() {
    g.add_upstream({1, "backend"});
    g.add_upstream({2, "other"});
    g.add_service({1, "backend"});
    g.add_service({2, "example.com"});
    g.add_service({3, "other"});
    g.add_service({4, "lonely.example.com"});
    g.add_route({1, 1});
    g.add_route({2, 1});
    g.add_route({3, 2});
    g.add_route({4, 0});
    g.add_route({5, 3});
    g.add_consumer({1, "alice"});
    g.add_consumer({2, "bob"});
  }

  static plugin_entity plugin(std::uint32_t id, std::uint32_t service, std::uint32_t route, std::uint32_t consumer) {
    return {id, "rate-limiting", service, route, consumer};
  }

  entity_graph g;
  const ids all{1, 2, 3, 4, 5};
};

TEST_F(EntityGraph, RouteCreateUpdateDeleteTouchOnlyThatRoute) {
  EXPECT_EQ(g.apply(admin_change::create(route_entity{6, 2})), ids{6});
  EXPECT_EQ(g.affected_routes(admin_change::update(route_entity{6, 1})), ids{6});
  EXPECT_EQ(g.apply(admin_change::update(route_entity{6, 1})), ids{6});
  EXPECT_EQ(g.apply(admin_change::update(route_entity{6, 0})), ids{6});
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::route, 6)), ids{6});
  EXPECT_FALSE(g.contains(entity_kind::route, 6));
  EXPECT_EQ(g.route_ids(), all);
}

TEST_F(EntityGraph, ServiceCreateTouchesNothingUpdateTouchesItsRoutes) {
  EXPECT_EQ(g.apply(admin_change::create(service_entity{9, "backend"})), ids{});
  EXPECT_EQ(g.apply(admin_change::update(service_entity{1, "elsewhere"})), (ids{1, 2}));
  EXPECT_EQ(g.apply(admin_change::update(service_entity{4, "x"})), ids{});
  // A route moved onto a service is touched by that service's next update.
  g.apply(admin_change::update(route_entity{4, 4}));
  EXPECT_EQ(g.affected_routes(admin_change::update(service_entity{4, "y"})), ids{4});
}

TEST_F(EntityGraph, ServiceDeleteIsRefusedWhileRoutesPointToItUnlessCascade) {
  try {
    g.apply(admin_change::remove(entity_kind::service, 1));
    ADD_FAILURE() << "deleting a service with routes must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("service 1: routes 1, 2 still point to it"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(g.contains(entity_kind::service, 1));
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::service, 4)), ids{});

  g.add_plugin(plugin(1, 1, 0, 0));  // on service 1
  g.add_plugin(plugin(2, 0, 2, 0));  // on route 2
  g.add_plugin(plugin(3, 0, 3, 0));  // on route 3, unrelated
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::service, 1, true)), (ids{1, 2}));
  EXPECT_EQ(g.route_ids(), (ids{3, 4, 5}));
  EXPECT_FALSE(g.contains(entity_kind::plugin, 1));
  EXPECT_FALSE(g.contains(entity_kind::plugin, 2));
  EXPECT_TRUE(g.contains(entity_kind::plugin, 3));
}

TEST_F(EntityGraph, GlobalPluginTouchesEveryRoute) {
  EXPECT_EQ(g.apply(admin_change::create(plugin(1, 0, 0, 0))), all);
  g.add_route({6, 0});
  const ids with_six{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(g.apply(admin_change::update(plugin(1, 0, 0, 0))), with_six);
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::plugin, 1)), with_six);
}

TEST_F(EntityGraph, ServicePluginTouchesThatServicesRoutes) {
  EXPECT_EQ(g.apply(admin_change::create(plugin(1, 1, 0, 0))), (ids{1, 2}));
  EXPECT_EQ(g.apply(admin_change::update(plugin(1, 1, 0, 0))), (ids{1, 2}));
  // Moving it to service 3 touches the old and the new scope.
  EXPECT_EQ(g.apply(admin_change::update(plugin(1, 3, 0, 0))), (ids{1, 2, 5}));
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::plugin, 1)), ids{5});
  EXPECT_EQ(g.apply(admin_change::create(plugin(2, 4, 0, 0))), ids{});
  // Updating the service (its host, hence its upstream edge) keeps its plugins attached.
  g.add_plugin(plugin(5, 3, 0, 0));
  g.apply(admin_change::update(service_entity{3, "backend"}));
  g.apply(admin_change::update(service_entity{3, "nowhere"}));
  EXPECT_EQ(g.affected_routes(admin_change::remove(entity_kind::plugin, 5)), ids{5});
}

TEST_F(EntityGraph, RoutePluginTouchesThatRoute) {
  EXPECT_EQ(g.apply(admin_change::create(plugin(1, 0, 3, 0))), ids{3});
  EXPECT_EQ(g.apply(admin_change::update(plugin(1, 0, 4, 0))), (ids{3, 4}));
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::plugin, 1)), ids{4});
}

TEST_F(EntityGraph, RouteServicePluginAppliesOnlyWhileTheRouteIsOnThatService) {
  EXPECT_EQ(g.apply(admin_change::create(plugin(1, 1, 2, 0))), ids{2});
  EXPECT_EQ(g.apply(admin_change::create(plugin(2, 2, 1, 0))), ids{});  // route 1 is on service 1
  // Moving route 1 onto service 2 makes plugin 2 apply to it.
  g.apply(admin_change::update(route_entity{1, 2}));
  EXPECT_EQ(g.affected_routes(admin_change::remove(entity_kind::plugin, 2)), ids{1});
  EXPECT_EQ(g.affected_routes(admin_change::update(service_entity{2, "z"})), (ids{1, 3}));
}

TEST_F(EntityGraph, ConsumerScopedPluginsTouchTheRoutesOfTheirScope) {
  EXPECT_EQ(g.apply(admin_change::create(plugin(1, 0, 0, 1))), all);        // global + consumer
  EXPECT_EQ(g.apply(admin_change::create(plugin(2, 0, 5, 1))), ids{5});     // route + consumer
  EXPECT_EQ(g.apply(admin_change::create(plugin(3, 1, 0, 2))), (ids{1, 2}));  // service + consumer
  EXPECT_EQ(g.apply(admin_change::update(plugin(3, 1, 0, 1))), (ids{1, 2}));
}

TEST_F(EntityGraph, ConsumerChangesTouchRoutesOnlyThroughTheirDeletedPlugins) {
  EXPECT_EQ(g.apply(admin_change::create(consumer_entity{3, "carol"})), ids{});
  EXPECT_EQ(g.apply(admin_change::update(consumer_entity{1, "alice2"})), ids{});
  g.add_plugin(plugin(1, 0, 3, 1));
  g.add_plugin(plugin(2, 3, 0, 1));
  g.add_plugin(plugin(3, 0, 0, 2));
  EXPECT_EQ(g.apply(admin_change::update(consumer_entity{1, "alice3"})), ids{});
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::consumer, 1)), (ids{3, 5}));
  EXPECT_EQ(g.count(entity_kind::plugin), 1U);
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::consumer, 2)), all);
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::consumer, 3)), ids{});
  EXPECT_EQ(g.count(entity_kind::plugin), 0U);
}

TEST_F(EntityGraph, UpstreamChangesTouchRoutesOfServicesNamingIt) {
  EXPECT_EQ(g.apply(admin_change::update(upstream_entity{1, "backend"})), (ids{1, 2}));
  // Rename: services naming the old and the new name.
  EXPECT_EQ(g.apply(admin_change::update(upstream_entity{1, "example.com"})), (ids{1, 2, 3}));
  EXPECT_EQ(g.affected_routes(admin_change::update(upstream_entity{1, "example.com"})), ids{3});
  EXPECT_EQ(g.apply(admin_change::create(upstream_entity{3, "backend"})), (ids{1, 2}));
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::upstream, 2)), ids{5});
  EXPECT_EQ(g.apply(admin_change::create(upstream_entity{4, "nobody"})), ids{});
  // A service repointed to an upstream's name is then reached through it.
  g.apply(admin_change::update(service_entity{4, "nobody"}));
  g.apply(admin_change::update(route_entity{4, 4}));
  EXPECT_EQ(g.affected_routes(admin_change::remove(entity_kind::upstream, 4)), ids{4});
  // A service moved from one upstream's name to another's leaves the first.
  g.apply(admin_change::update(service_entity{1, "other"}));
  EXPECT_EQ(g.affected_routes(admin_change::update(upstream_entity{3, "backend"})), ids{});
  EXPECT_EQ(g.affected_routes(admin_change::create(upstream_entity{5, "other"})), (ids{1, 2, 5}));
}

TEST_F(EntityGraph, RouteDeleteTakesItsPluginsWithIt) {
  g.add_plugin(plugin(1, 0, 1, 0));
  g.add_plugin(plugin(2, 1, 1, 2));
  g.add_plugin(plugin(3, 1, 0, 0));
  EXPECT_EQ(g.apply(admin_change::remove(entity_kind::route, 1)), ids{1});
  EXPECT_EQ(g.count(entity_kind::plugin), 1U);
  EXPECT_EQ(g.affected_routes(admin_change::remove(entity_kind::plugin, 3)), ids{2});
}

TEST_F(EntityGraph, InvalidChangesNameTheEntityAndChangeNothing) {
  const std::size_t edges = g.edge_count();
  auto reject = [&](const admin_change& c, const std::string& fragment) {
    try {
      g.apply(c);
      ADD_FAILURE() << "no exception, expected: " << fragment;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)g.affected_routes(c), std::invalid_argument);
  };
  reject(admin_change::update(route_entity{42, 1}), "cannot update unknown route 42");
  reject(admin_change::remove(entity_kind::plugin, 7), "cannot delete unknown plugin 7");
  reject(admin_change::remove(entity_kind::consumer, 9), "cannot delete unknown consumer 9");
  reject(admin_change::create(service_entity{1, "dup"}), "service 1 already exists");
  reject(admin_change::create(route_entity{0, 1}), "route 0: ids are 1 or more");
  reject(admin_change::create(route_entity{6, 77}), "route 6 references unknown service 77");
  reject(admin_change::create(plugin(1, 0, 66, 0)), "plugin 1 references unknown route 66");
  reject(admin_change::create(plugin(1, 55, 0, 0)), "plugin 1 references unknown service 55");
  reject(admin_change::create(plugin(1, 0, 0, 44)), "plugin 1 references unknown consumer 44");
  reject(admin_change::create(upstream_entity{3, "backend"}), "name 'backend' is already used by upstream 1");
  admin_change mismatched = admin_change::update(route_entity{1, 1});
  mismatched.kind = entity_kind::service;
  reject(mismatched, "change names service 1 but carries route 1");
  EXPECT_EQ(g.edge_count(), edges);
  EXPECT_EQ(g.route_ids(), all);
  EXPECT_EQ(g.count(entity_kind::plugin), 0U);
  // Renaming an upstream to its own name is not a clash.
  EXPECT_NO_THROW(g.apply(admin_change::update(upstream_entity{1, "backend"})));
}

// ---------------------------------------------------------------- property

/// The same entities kept in plain maps, with Kong's validity rules and
/// cascades written out directly, and a revision per entity that every
/// update bumps (Kong's updated_at).
struct model {
  std::map<std::uint32_t, service_entity> services;
  std::map<std::uint32_t, route_entity> routes;
  std::map<std::uint32_t, plugin_entity> plugins;
  std::map<std::uint32_t, upstream_entity> upstreams;
  std::map<std::uint32_t, consumer_entity> consumers;
  std::map<std::pair<entity_kind, std::uint32_t>, int> revision;

  [[nodiscard]] bool has(entity_kind k, std::uint32_t id) const {
    switch (k) {
      case entity_kind::service:
        return services.contains(id);
      case entity_kind::route:
        return routes.contains(id);
      case entity_kind::plugin:
        return plugins.contains(id);
      case entity_kind::upstream:
        return upstreams.contains(id);
      case entity_kind::consumer:
        return consumers.contains(id);
    }
    return false;
  }
  [[nodiscard]] bool ref_ok(entity_kind k, std::uint32_t id) const { return id == 0 || has(k, id); }

  void erase_plugins_if(auto pred) {
    std::erase_if(plugins, [&](const auto& kv) { return pred(kv.second); });
  }

  /// Applies `c`; false (and no change) when Kong would reject it.
  bool apply(const admin_change& c) {
    if (c.id == 0) return false;
    const bool exists = has(c.kind, c.id);
    if (c.op == admin_change::op_kind::remove) {
      if (!exists) return false;
      switch (c.kind) {
        case entity_kind::service: {
          const bool has_routes = std::any_of(routes.begin(), routes.end(),
                                              [&](const auto& kv) { return kv.second.service == c.id; });
          if (has_routes && !c.cascade) return false;
          std::set<std::uint32_t> gone;
          for (const auto& [rid, r] : routes) {
            if (r.service == c.id) gone.insert(rid);
          }
          std::erase_if(routes, [&](const auto& kv) { return gone.contains(kv.first); });
          erase_plugins_if([&](const plugin_entity& p) { return p.service == c.id || gone.contains(p.route); });
          services.erase(c.id);
          break;
        }
        case entity_kind::route:
          erase_plugins_if([&](const plugin_entity& p) { return p.route == c.id; });
          routes.erase(c.id);
          break;
        case entity_kind::plugin:
          plugins.erase(c.id);
          break;
        case entity_kind::upstream:
          upstreams.erase(c.id);
          break;
        case entity_kind::consumer:
          erase_plugins_if([&](const plugin_entity& p) { return p.consumer == c.id; });
          consumers.erase(c.id);
          break;
      }
      return true;
    }
    if ((c.op == admin_change::op_kind::create) == exists) return false;
    if (const auto* s = std::get_if<service_entity>(&c.value)) {
      services[s->id] = *s;
    } else if (const auto* r = std::get_if<route_entity>(&c.value)) {
      if (!ref_ok(entity_kind::service, r->service)) return false;
      routes[r->id] = *r;
    } else if (const auto* p = std::get_if<plugin_entity>(&c.value)) {
      if (!ref_ok(entity_kind::service, p->service) || !ref_ok(entity_kind::route, p->route) ||
          !ref_ok(entity_kind::consumer, p->consumer)) {
        return false;
      }
      plugins[p->id] = *p;
    } else if (const auto* u = std::get_if<upstream_entity>(&c.value)) {
      for (const auto& [uid, other] : upstreams) {
        if (uid != u->id && other.name == u->name) return false;
      }
      upstreams[u->id] = *u;
    } else if (const auto* co = std::get_if<consumer_entity>(&c.value)) {
      consumers[co->id] = *co;
    }
    if (c.op == admin_change::op_kind::update) ++revision[{c.kind, c.id}];
    return true;
  }

  [[nodiscard]] std::string rev(entity_kind k, std::uint32_t id) const {
    const auto it = revision.find({k, id});
    return std::to_string(id) + "@" + std::to_string(it == revision.end() ? 0 : it->second);
  }

  /// Everything route `id` is compiled from.
  [[nodiscard]] std::string compiled(std::uint32_t id) const {
    const route_entity& r = routes.at(id);
    std::string sig = "route " + rev(entity_kind::route, id) + " service " + std::to_string(r.service);
    if (r.service != 0) {
      const service_entity& s = services.at(r.service);
      sig += " " + rev(entity_kind::service, s.id) + " host " + s.host;
      for (const auto& [uid, u] : upstreams) {
        if (u.name == s.host) sig += " upstream " + rev(entity_kind::upstream, uid);
      }
    }
    for (const auto& [pid, p] : plugins) {
      if ((p.route == 0 || p.route == id) && (p.service == 0 || p.service == r.service)) {
        sig += " plugin " + rev(entity_kind::plugin, pid) + " scope " + std::to_string(p.service) + "/" +
               std::to_string(p.route) + "/" + std::to_string(p.consumer);
      }
    }
    return sig;
  }
};

/// Routes present in only one of the models or compiled differently.
ids brute_force_affected(const model& before, const model& after) {
  std::set<std::uint32_t> touched;
  for (const auto& [id, r] : before.routes) {
    if (!after.routes.contains(id) || before.compiled(id) != after.compiled(id)) touched.insert(id);
  }
  for (const auto& [id, r] : after.routes) {
    if (!before.routes.contains(id)) touched.insert(id);
  }
  return {touched.begin(), touched.end()};
}

/// Every entity of `m` as an entity value.
std::vector<gwsim::router::entity> entities_of(const model& m) {
  std::vector<gwsim::router::entity> out;
  for (const auto& [id, x] : m.services) out.emplace_back(x);
  for (const auto& [id, x] : m.routes) out.emplace_back(x);
  for (const auto& [id, x] : m.plugins) out.emplace_back(x);
  for (const auto& [id, x] : m.upstreams) out.emplace_back(x);
  for (const auto& [id, x] : m.consumers) out.emplace_back(x);
  return out;
}

/// Probes the whole graph, not only the changes the sequence made: for every
/// entity, an unchanged update and a cascading delete must touch exactly
/// the brute-force set (a stale edge anywhere shows up here).
void probe_every_entity(const entity_graph& g, const model& m) {
  for (const auto& e : entities_of(m)) {
    for (const auto& probe : {admin_change::update(e), admin_change::remove(gwsim::router::kind_of(e),
                                                                           gwsim::router::id_of(e), true)}) {
      model next = m;
      RC_ASSERT(next.apply(probe));
      if (g.affected_routes(probe) != brute_force_affected(m, next)) {
        std::ostringstream os;
        gwsim::router::showValue(probe, os);
        RC_FAIL("probe " + os.str() + " disagrees with the brute-force definition");
      }
    }
  }
}

/// A random change over ids 0..3 (0 is invalid; the others often exist and
/// are referenced), so that valid and invalid changes both occur and
/// entities of every kind keep pointing at each other.
rc::Gen<admin_change> gen_change() {
  return rc::gen::exec([] {
    auto id = [] { return *rc::gen::weightedElement<std::uint32_t>({{1, 0}, {10, 1}, {8, 2}, {3, 3}}); };
    auto ref = [] { return *rc::gen::weightedElement<std::uint32_t>({{3, 0}, {5, 1}, {3, 2}, {1, 3}}); };
    const auto kind = static_cast<entity_kind>(*rc::gen::inRange(0, 5));
    const int op = *rc::gen::weightedElement<int>({{6, 0}, {4, 1}, {2, 2}});
    if (op == 2) return admin_change::remove(kind, id(), *rc::gen::arbitrary<bool>());
    const std::vector<std::string> names{"u1", "u2", "u3", "plain.example.com"};
    gwsim::router::entity e;
    switch (kind) {
      case entity_kind::service:
        e = service_entity{id(), *rc::gen::elementOf(names)};
        break;
      case entity_kind::route:
        e = route_entity{id(), ref()};
        break;
      case entity_kind::plugin:
        e = plugin_entity{id(), "p", ref(), ref(), ref()};
        break;
      case entity_kind::upstream:
        e = upstream_entity{id(), *rc::gen::elementOf(names)};
        break;
      case entity_kind::consumer:
        e = consumer_entity{id(), "c"};
        break;
    }
    return op == 0 ? admin_change::create(std::move(e)) : admin_change::update(std::move(e));
  });
}

}  // namespace

RC_GTEST_PROP(EntityGraphProperty, AffectedRoutesEqualBruteForceDefinition, ()) {
  entity_graph g;
  model m;
  const auto length = *rc::gen::inRange<std::size_t>(10, 120);
  const auto changes = *rc::gen::container<std::vector<admin_change>>(length, gen_change());
  std::size_t valid = 0;
  for (const auto& c : changes) {
    model next = m;
    if (next.apply(c)) {
      ++valid;
      const ids expected = brute_force_affected(m, next);
      RC_ASSERT(g.affected_routes(c) == expected);
      RC_ASSERT(g.apply(c) == expected);
      m = std::move(next);
    } else {
      const std::size_t edges = g.edge_count();
      RC_ASSERT_THROWS_AS(g.apply(c), std::invalid_argument);
      RC_ASSERT(g.edge_count() == edges);
    }
    RC_ASSERT(g.count(entity_kind::route) == m.routes.size());
    RC_ASSERT(g.count(entity_kind::plugin) == m.plugins.size());
    RC_ASSERT(g.count(entity_kind::service) == m.services.size());
    RC_ASSERT(g.count(entity_kind::upstream) == m.upstreams.size());
    RC_ASSERT(g.count(entity_kind::consumer) == m.consumers.size());
    probe_every_entity(g, m);
  }
  RC_TAG(valid * 4 >= changes.size() ? "mostly valid" : "mostly invalid");
}
