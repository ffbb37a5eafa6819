#pragma once
/// The configuration's services and routes as the simulator tracks them:
/// which routes one admin write changes, and on which host shard they live.
///
/// The rules are those of router::entity_graph (the routes whose compiled
/// form a change alters; see models/router/entity_graph.hpp), applied to
/// counts rather than to one vertex per entity, because scenarios go up to
/// 10^7 routes and sweeps run thousands of simulations:
///  - a route write (create, update, delete) changes that one route;
///  - a service update changes every route of the service;
///  - a service delete removes the service with its routes (entity_graph's
///    cascade), changing each of them; a service create changes none;
///  - a no-op write changes none (the workers of a full-rebuild design
///    cannot tell and rebuild anyway; a design that reads the change log
///    can).
/// tests/models/gateway/config_entities_test.cpp replays random admin
/// histories on both this class and entity_graph and checks that every
/// write changes the same number of routes, of the same service.
///
/// Shape of the configuration: the initial routes are spread evenly over the
/// initial services (route i to service i mod S); with no services they are
/// unattached (Kong allows a route without a service). Services own one host
/// each, so all routes of a service fall on one host shard: service k on
/// shard k mod shards; unattached route i on shard i mod shards. Which
/// entity a write picks, as in the incident's admin loop (create service,
/// create route, delete route, delete service): a created route goes to the
/// newest service, a deleted route is the newest created route still alive
/// (else a random route), a deleted service is the newest service; an
/// updated route is a uniformly random route and an updated service a
/// uniformly random service. Random choices draw from the caller's stream.

#include <cstdint>
#include <vector>

#include "models/gateway/scenario.hpp"
#include "sim/random.hpp"

namespace gwsim::gateway {

class config_entities {
 public:
  /// `routes` spread over `services`; routes are grouped into `shards`
  /// host shards (only the sharded design looks at them).
  config_entities(int routes, int services, int shards);

  /// What one write changed: `routes` routes, all on host shard `shard`
  /// (-1 when no route changed). `service` is the service the write touched
  /// (0-based index; for a route write the route's service; -1 for an
  /// unattached route or when nothing was touched).
  struct change {
    int routes = 0;
    int shard = -1;
    int service = -1;
  };

  /// Applies one admin write; random choices draw from `rng`.
  change apply(admin_kind kind, sim::rng& rng);

  [[nodiscard]] int routes() const noexcept { return routes_; }
  [[nodiscard]] int services() const noexcept { return static_cast<int>(service_routes_.size()); }
  [[nodiscard]] int shards() const noexcept { return static_cast<int>(shard_routes_.size()); }
  /// Routes on host shard `shard` now.
  [[nodiscard]] int shard_routes(int shard) const { return shard_routes_.at(static_cast<std::size_t>(shard)); }
  /// Routes of service `index` (0-based, in creation order).
  [[nodiscard]] int service_routes(int index) const { return service_routes_.at(static_cast<std::size_t>(index)); }
  /// Routes without a service.
  [[nodiscard]] int unattached_routes() const noexcept { return unattached_; }

 private:
  /// Where a route lives: service index, or -1 - shard for an unattached one.
  using owner = int;

  [[nodiscard]] int shard_of(owner o) const noexcept;
  /// Adds `delta` routes to owner `o` (counts, shard counts, the Fenwick tree).
  void add_routes(owner o, int delta);
  /// A uniformly random live route's owner (routes_ > 0).
  [[nodiscard]] owner random_route(sim::rng& rng) const;

  /// Counts with prefix sums (a Fenwick tree), to draw an element with
  /// probability proportional to its count in O(log n).
  class weighted_counts {
   public:
    explicit weighted_counts(std::vector<int> counts);
    void add(std::size_t i, int delta);
    /// Appends an element of count 0.
    void push_back();
    void pop_back();
    [[nodiscard]] int at(std::size_t i) const { return counts_.at(i); }
    [[nodiscard]] std::size_t size() const noexcept { return counts_.size(); }
    /// The element holding the rank-th unit (0 <= rank < total).
    [[nodiscard]] std::size_t find(std::int64_t rank) const;

   private:
    void rebuild();
    std::vector<int> counts_;
    std::vector<std::int64_t> tree_;  ///< 1-based, size a power of two >= counts_
  };

  int routes_ = 0;
  int unattached_ = 0;
  weighted_counts service_routes_;
  weighted_counts unattached_by_shard_;
  std::vector<int> shard_routes_;
  /// Owners of the routes created by admin writes and still alive, newest last.
  std::vector<owner> created_;
};

}  // namespace gwsim::gateway
