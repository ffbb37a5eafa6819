#include "models/gateway/traffic.hpp"

#include <cmath>

#include "models/gateway/node.hpp"

namespace gwsim::gateway {

traffic::traffic(context& ctx, std::vector<std::unique_ptr<node>>& nodes)
    : ctx_(ctx),
      nodes_(nodes),
      arrivals_rng_(ctx.streams.stream("traffic.arrivals")),
      routes_rng_(ctx.streams.stream("traffic.routes")),
      nodes_rng_(ctx.streams.stream("traffic.nodes")),
      bursts_rng_(ctx.streams.stream("traffic.bursts")),
      keys_rng_(ctx.streams.stream("traffic.keys")),
      no_route_rng_(ctx.streams.stream("traffic.no_route")),
      next_arrival_(ctx.sim, [this] { arrive(); }),
      burst_toggle_(ctx.sim, [this] { toggle(); }) {}

double traffic::current_rate() const noexcept {
  const traffic_config& t = ctx_.s.traffic;
  if (t.mode == arrival_mode::on_off && !on_) return t.off_rate_per_s;
  return t.rate_per_s;
}

void traffic::start() {
  if (ctx_.s.traffic.mode == arrival_mode::on_off) {
    const double on = ctx_.s.traffic.on_s;
    burst_toggle_.arm_in(sim::from_seconds(-on * std::log(sim::uniform_open01(bursts_rng_)), "traffic.on_s"));
  }
  schedule_next();
}

void traffic::toggle() {
  on_ = !on_;
  const double mean = on_ ? ctx_.s.traffic.on_s : ctx_.s.traffic.off_s;
  burst_toggle_.arm_in(sim::from_seconds(-mean * std::log(sim::uniform_open01(bursts_rng_)), "traffic.on_s"));
  // Memorylessness lets the next arrival be redrawn at the new rate.
  schedule_next();
}

void traffic::schedule_next() {
  const double rate = current_rate();
  if (rate <= 0) {
    next_arrival_.cancel();
    return;
  }
  const double gap = ctx_.s.traffic.mode == arrival_mode::periodic
                         ? 1.0 / rate
                         : -std::log(sim::uniform_open01(arrivals_rng_)) / rate;
  next_arrival_.arm_in(sim::from_seconds(gap, "traffic inter-arrival time"));
}

std::uint32_t traffic::new_key() noexcept {
  const std::uint32_t key = next_unique_key_;
  // After 2^31 unique keys the counter wraps; a cache of thousands of
  // slots has long since evicted the keys it meets again.
  next_unique_key_ = next_unique_key_ == UINT32_MAX ? 1u << 31 : next_unique_key_ + 1;
  return key;
}

void traffic::arrive() {
  schedule_next();
  ctx_.stats.arrival();
  request* r = ctx_.requests.acquire();
  r->arrival = ctx_.sim.now();
  r->parked_at = 0;
  r->observed = 0;
  r->upstream = nullptr;
  const int routes = ctx_.store.routes();
  if (routes != zipf_routes_) {
    // Popularity follows the routes that exist now.
    zipf_routes_ = routes;
    popularity_ = routes > 0 ? std::make_unique<sim::zipf>(static_cast<std::uint64_t>(routes), ctx_.s.traffic.zipf_s)
                             : nullptr;
  }
  if (!popularity_) {
    ctx_.stats.error();  // no route matches: 404
    ctx_.requests.release(r);
    return;
  }
  r->route = static_cast<std::uint32_t>((*popularity_)(routes_rng_));
  r->cache_key = r->route;
  // Its own stream: the other requests' draws do not move when the share of
  // requests aimed at no route changes (common random numbers).
  const double none = ctx_.s.traffic.no_route_fraction;
  r->no_route = none > 0 && sim::uniform01(no_route_rng_) < none;
  const double unique = ctx_.s.traffic.unique_key_fraction;
  if (unique > 0 && sim::uniform01(keys_rng_) < unique) r->cache_key = new_key();
  if (r->no_route) r->cache_key = new_key();
  node& n = *nodes_[nodes_.size() == 1 ? 0 : sim::uniform_index(nodes_rng_, nodes_.size())];
  n.accept(r);
}

}  // namespace gwsim::gateway
