#include "models/gateway/node.hpp"

#include <algorithm>

namespace gwsim::gateway {

node::node(context& ctx, int index)
    : ctx_(ctx),
      index_(index),
      rng_(ctx.streams.stream("balancer", static_cast<std::uint64_t>(index))),
      fixed_bytes_(ctx.s.cluster.master_memory_bytes + ctx.s.cluster.mem_cache_dicts * ctx.s.cluster.mem_cache_size_bytes +
                   ctx.s.cluster.fixed_zones_bytes),
      poll_timer_(ctx.sim, [this] { poll(); }) {
  for (int w = 0; w < ctx.s.cluster.workers_per_node; ++w) workers_.push_back(std::make_unique<worker>(ctx, *this, w));
  accepting_.reserve(workers_.size());
  resident_.assign(workers_.size(), 0.0);
  polled_version_ = ctx.store.version();
  const double pod = refresh_pod_total();
  pod_memory_ = sim::time_weighted(ctx.sim.now(), pod);
  peak_pod_ = pod;
  for (const auto& w : workers_) peak_heap_ = std::max(peak_heap_, w->heap_bytes());
}

void node::accept(request* r) {
  worker* target = nullptr;
  if (ctx_.s.traffic.balance == balancing::round_robin) {
    for (std::size_t tries = 0; tries < workers_.size() && target == nullptr; ++tries) {
      worker* w = workers_[next_++ % workers_.size()].get();
      if (w->accepting()) target = w;
    }
  } else {
    // Uniform over the accepting workers: try one uniformly over all (the
    // common case, when all accept), else draw among those that accept.
    worker* w = workers_[sim::uniform_index(rng_, workers_.size())].get();
    if (w->accepting()) {
      target = w;
    } else {
      accepting_.clear();
      for (const auto& x : workers_) {
        if (x->accepting()) accepting_.push_back(x.get());
      }
      if (!accepting_.empty()) target = accepting_[sim::uniform_index(rng_, accepting_.size())];
    }
  }
  if (target == nullptr) {
    // Every worker is dead or still building: connection refused.
    ctx_.stats.error();
    ctx_.requests.release(r);
    return;
  }
  target->accept(r);
}

void node::local_write() {
  ctx_.sim.schedule_in(sim::from_seconds(ctx_.s.kong.worker_event_delay_s, "kong.worker_event_delay_s"),
                       [this] { broadcast(); });
}

void node::broadcast() {
  const std::uint64_t v = ctx_.store.version();
  for (const auto& w : workers_) w->learn_version(v);
}

void node::start_polling() {
  // Nodes poll at their own phase within the period.
  const double period = ctx_.s.kong.db_update_frequency_s;
  poll_timer_.arm_in(sim::from_seconds(period * sim::uniform01(rng_), "kong.db_update_frequency_s"));
}

void node::poll() {
  const double period = ctx_.s.kong.db_update_frequency_s;
  poll_timer_.arm_in(sim::from_seconds(period, "kong.db_update_frequency_s"));
  ctx_.store.query(ctx_.store.poll_query_s(), ctx_.store.poll_query_s(), [this] {
    const std::uint64_t v = ctx_.store.version();
    if (v > polled_version_) {
      polled_version_ = v;
      local_write();  // the node's own worker events spread the news
    }
  });
}

double node::pod_resident_bytes() const {
  double total = fixed_bytes_;
  for (const auto& w : workers_) total += w->resident_bytes();
  return total;
}

double node::refresh_pod_total() {
  pod_total_ = fixed_bytes_;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    resident_[i] = workers_[i]->resident_bytes();
    pod_total_ += resident_[i];
  }
  return pod_total_;
}

void node::memory_changed(worker& w) {
  const auto i = static_cast<std::size_t>(w.index());
  const double r = w.resident_bytes();
  pod_total_ += r - resident_[i];
  resident_[i] = r;
  peak_heap_ = std::max(peak_heap_, w.heap_bytes());
  double pod = pod_total_;
  const double limit = ctx_.s.cluster.pod_memory_limit_bytes;
  // With a release delay, other workers' shares can only have shrunk since
  // they were read (freed pages leaving after the delay), so the cached total
  // is an upper bound: confirm it afresh before it sets a peak or kills.
  // Without one, every share changes only through this call: it is exact.
  if (ctx_.s.memory.release_delay_s > 0 && (pod > peak_pod_ || pod > limit)) pod = refresh_pod_total();
  pod_memory_.update(ctx_.sim.now(), pod);
  peak_pod_ = std::max(peak_pod_, pod);
  if (pod > limit && !oom_pending_) {
    // Kill after the current event: the allocating worker may be the victim.
    oom_pending_ = true;
    ctx_.sim.schedule_in(0, [this] { oom_check(); });
  }
}

void node::oom_check() {
  oom_pending_ = false;
  const sim::time_ns now = ctx_.sim.now();
  while (pod_resident_bytes() > ctx_.s.cluster.pod_memory_limit_bytes) {
    // The cgroup OOM killer picks the largest process: a worker.
    worker* victim = largest_worker();
    if (victim == nullptr) break;
    ctx_.stats.oom_kill();
    ctx_.stats.log(now, "oom_kill", index_, victim->index(), victim->resident_bytes());
    victim->kill();
    ctx_.sim.schedule_in(sim::from_seconds(ctx_.s.cluster.respawn_delay_s, "cluster.respawn_delay_s"), [victim] {
      victim->respawn();
    });
  }
  pod_memory_.update(now, refresh_pod_total());
}

worker* node::largest_worker() const {
  worker* largest = nullptr;
  for (const auto& w : workers_) {
    if (w->alive() && (largest == nullptr || w->resident_bytes() > largest->resident_bytes())) largest = w.get();
  }
  return largest;
}

void node::router_built(worker& /*w*/) {}

}  // namespace gwsim::gateway
