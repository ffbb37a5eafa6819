#pragma once
/// Business traffic: an open-loop arrival process (Poisson, or on/off
/// bursts) over the cluster, each request for a route drawn from a Zipf
/// popularity over the routes that exist at that moment.

#include <cstdint>
#include <memory>
#include <vector>

#include "models/gateway/context.hpp"
#include "sim/distributions.hpp"
#include "sim/timer.hpp"

namespace gwsim::gateway {

class node;

class traffic {
 public:
  traffic(context& ctx, std::vector<std::unique_ptr<node>>& nodes);
  void start();

 private:
  void arrive();
  /// A cache key no request has had before.
  std::uint32_t new_key() noexcept;
  void schedule_next();
  void toggle();
  double current_rate() const noexcept;

  context& ctx_;
  std::vector<std::unique_ptr<node>>& nodes_;
  sim::rng arrivals_rng_;
  sim::rng routes_rng_;
  sim::rng nodes_rng_;
  sim::rng bursts_rng_;
  sim::rng keys_rng_;
  sim::rng no_route_rng_;
  /// Unique cache keys count up from 2^31, above every route index
  /// (scenario routes are at most 10^7).
  std::uint32_t next_unique_key_ = 1u << 31;
  int zipf_routes_ = -1;
  std::unique_ptr<sim::zipf> popularity_;
  bool on_ = true;
  sim::timer next_arrival_;
  sim::timer burst_toggle_;
};

}  // namespace gwsim::gateway
