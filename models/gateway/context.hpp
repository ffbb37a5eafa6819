#pragma once
/// What every component of one gateway run shares: the simulator, the
/// scenario, the configuration store, the rebuild strategy and its cost
/// model, the request pool and the metrics. Built by run() (simulation.cpp).

#include <cstdint>
#include <memory>

#include "models/gateway/config_store.hpp"
#include "models/gateway/cost_model.hpp"
#include "models/gateway/metrics.hpp"
#include "models/gateway/scenario.hpp"
#include "models/gateway/strategy.hpp"
#include "sim/object_pool.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace gwsim::gateway {

class worker;

/// A request in the gateway, from arrival to answer.
struct request {
  sim::time_ns arrival = 0;
  sim::time_ns parked_at = 0;  ///< when it started waiting for the router mutex
  std::uint64_t observed = 0;  ///< router version the worker knew when the request parked
  std::uint64_t known_at_arrival = 0;  ///< router version its worker knew when the request arrived
  std::uint32_t route = 0;
  std::uint32_t cache_key = 0;  ///< the route's own key, or one never used before (traffic.unique_key_fraction)
  std::uint32_t incarnation = 0;  ///< of the worker that accepted it
  bool no_route = false;          ///< aimed at no route (traffic.no_route_fraction): answered 404, no upstream
  bool holds_table = false;       ///< holds a reference to its pod's shared table version `table`
  bool on_connection = false;     ///< rides a client connection of its pod (traffic.balance = connections)
  std::uint64_t table = 0;
  worker* owner = nullptr;
  /// traffic.upstream_on_workers: the worker serving its upstream call, over
  /// a keepalive connection that worker accepted (in that incarnation).
  worker* upstream = nullptr;
  std::uint32_t upstream_incarnation = 0;
};

struct context {
  sim::simulator& sim;
  const scenario& s;
  sim::random_streams streams;
  config_store& store;
  const rebuild_strategy& strategy;
  const cost_model& cost;
  metrics& stats;
  sim::object_pool<request> requests;
};

}  // namespace gwsim::gateway
