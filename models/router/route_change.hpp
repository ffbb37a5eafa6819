#pragma once
/// One admin write to a route set (add, remove or update a route, by id) and
/// the all-or-nothing application of a batch of them to a set keyed by id.
/// The versioned tables (rcu_table, double_buffer) build their next version
/// from the current set plus a batch of these.

#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/router/route.hpp"

namespace gwsim::router {

/// One change to a route set. `id` names the route for every kind; for add
/// and update it must equal `r.id` (the factories below fill it in).
struct route_change {
  enum class kind : std::uint8_t { add, remove, update };

  kind op = kind::add;
  std::uint32_t id = 0;
  /// The new route for add and update; ignored for remove.
  route r{};

  /// Adds `new_route`; the id must not be in the set yet.
  [[nodiscard]] static route_change add(route new_route) {
    const std::uint32_t rid = new_route.id;
    return {kind::add, rid, std::move(new_route)};
  }
  /// Removes the route with id `route_id`, which must be in the set.
  [[nodiscard]] static route_change remove(std::uint32_t route_id) { return {kind::remove, route_id, route{}}; }
  /// Replaces the route with id `new_route.id`, which must be in the set.
  [[nodiscard]] static route_change update(route new_route) {
    const std::uint32_t rid = new_route.id;
    return {kind::update, rid, std::move(new_route)};
  }
};

/// A route set keyed by route id. Iteration is in id order, which is also
/// the order the routers are built from (their sort order breaks every tie
/// by route id, so the input order never changes a match).
using route_set = std::map<std::uint32_t, route>;

/// The set holding `routes`. Throws std::invalid_argument naming the first
/// id that appears twice (ids must be unique).
[[nodiscard]] inline route_set make_route_set(std::vector<route> routes) {
  route_set set;
  for (auto& r : routes) {
    const std::uint32_t rid = r.id;
    if (!set.try_emplace(rid, std::move(r)).second) {
      throw std::invalid_argument("route id " + std::to_string(rid) + " appears twice; route ids must be unique");
    }
  }
  return set;
}

/// The routes of `set` in id order, as the routers are built from.
[[nodiscard]] inline std::vector<route> routes_of(const route_set& set) {
  std::vector<route> routes;
  routes.reserve(set.size());
  for (const auto& [rid, r] : set) routes.push_back(r);
  return routes;
}

/// `current` with `changes` applied in order (a later change sees the
/// earlier ones: add then update of the same id is valid). All or nothing:
/// on error `current` is untouched and std::invalid_argument names the
/// change's position, kind and id: add of an id already present, remove or
/// update of an id not present, or add/update whose `id` differs from `r.id`.
[[nodiscard]] inline route_set apply_changes(const route_set& current, std::span<const route_change> changes) {
  route_set next = current;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const route_change& c = changes[i];
    auto fail = [&](const char* what, const std::string& why) {
      throw std::invalid_argument("route change #" + std::to_string(i) + " (" + what + " of route id " +
                                  std::to_string(c.id) + "): " + why);
    };
    switch (c.op) {
      case route_change::kind::add:
        if (c.r.id != c.id) fail("add", "r.id is " + std::to_string(c.r.id) + ", must equal the change's id");
        if (!next.try_emplace(c.id, c.r).second) fail("add", "the id is already in the set; use update");
        break;
      case route_change::kind::remove:
        if (next.erase(c.id) == 0) fail("remove", "no route with this id in the set");
        break;
      case route_change::kind::update: {
        if (c.r.id != c.id) fail("update", "r.id is " + std::to_string(c.r.id) + ", must equal the change's id");
        auto it = next.find(c.id);
        if (it == next.end()) fail("update", "no route with this id in the set; use add");
        it->second = c.r;
        break;
      }
      default:
        fail("unknown kind", "kind must be add, remove or update");
    }
  }
  return next;
}

}  // namespace gwsim::router
