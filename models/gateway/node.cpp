#include "models/gateway/node.hpp"

#include <algorithm>
#include <cmath>

#include "models/gateway/long_streams.hpp"

namespace gwsim::gateway {

node::node(context& ctx, int index)
    : ctx_(ctx),
      index_(index),
      cpu_(ctx.sim, ctx.s.cluster.cpu_cores, ctx.s.cluster.build_contention),
      rng_(ctx.streams.stream("balancer", static_cast<std::uint64_t>(index))),
      streams_rng_(ctx.streams.stream("long_streams", static_cast<std::uint64_t>(index))),
      fixed_bytes_(ctx.s.cluster.master_memory_bytes + ctx.s.cluster.mem_cache_dicts * ctx.s.cluster.mem_cache_size_bytes +
                   ctx.s.cluster.fixed_zones_bytes),
      poll_timer_(ctx.sim, [this] { poll(); }),
      traits_(ctx.strategy.traits()),
      release_timer_(ctx.sim, [this] { release_version(); }) {
  table_version_ = ctx.store.version();
  if (traits_.site != build_site::worker) {
    // The pod's table (or the master's parsed configuration) at start.
    tables_.push_back(table{table_version_, ctx.store.routes() * ctx.s.memory.router_bytes_per_route, 0, 0});
    shared_bytes_ = tables_.back().bytes;
  }
  for (int w = 0; w < ctx.s.cluster.workers_per_node; ++w) workers_.push_back(std::make_unique<worker>(ctx, *this, w));
  accepting_.reserve(workers_.size());
  resident_.assign(workers_.size(), 0.0);
  polled_version_ = ctx.store.version();
  const double pod = refresh_pod_total();
  pod_memory_ = sim::time_weighted(ctx.sim.now(), pod);
  peak_pod_ = pod;
  for (const auto& w : workers_) peak_heap_ = std::max(peak_heap_, w->heap_bytes());
  if (ctx.s.traffic.balance == balancing::connections) {
    // The client opens its connections at the start, to an idle pod.
    for (int k = 0; k < ctx.s.traffic.client_connections; ++k) {
      if (worker* w = connection_acceptor()) idle_connections_.push_back({w, w->incarnation()});
    }
  }
}

worker* node::random_accepting() {
  // Uniform over the accepting workers: try one uniformly over all (the
  // common case, when all accept), else draw among those that accept.
  worker* w = workers_[sim::uniform_index(rng_, workers_.size())].get();
  if (w->accepting()) return w;
  accepting_.clear();
  for (const auto& x : workers_) {
    if (x->accepting()) accepting_.push_back(x.get());
  }
  return accepting_.empty() ? nullptr : accepting_[sim::uniform_index(rng_, accepting_.size())];
}

worker* node::connection_acceptor() {
  // The workers share one listening socket and wait for it in epoll; the
  // kernel wakes one waiting worker per new connection, and the same one
  // keeps winning while it is back waiting first: on the testbed, a client's
  // 8 connections to an idle 2-worker pod were all accepted by one worker
  // (three times in three), and 6 of 8 with 3 workers. Only a worker that
  // is busy leaves the next connection to another.
  worker* best = nullptr;
  for (const auto& w : workers_) {
    if (!w->accepting()) continue;
    if (w->idle()) return w.get();
    if (best == nullptr || w->queue_length() < best->queue_length()) best = w.get();
  }
  return best;
}

worker* node::upstream_acceptor(const worker& opener) {
  // As for the client's connections (connection_acceptor): the kernel wakes
  // a worker waiting in epoll, and the opener, busy in the turn that opens
  // it, is not waiting. When no other worker waits, the connection stays in
  // the listen queue until a worker next waits: the one with the least work
  // before it, the opener (whose turn is ending) on a tie.
  for (const auto& w : workers_) {
    if (w->alive() && w.get() != &opener && w->idle()) return w.get();
  }
  worker* best = const_cast<worker*>(&opener);
  std::size_t least = opener.queue_length();
  for (const auto& w : workers_) {
    if (!w->alive() || w.get() == &opener) continue;
    const std::size_t ahead = w->queue_length() + 1;  // the job it is in, then its queue
    if (ahead < least) {
      least = ahead;
      best = w.get();
    }
  }
  return best;
}

void node::accept_on_connection(request* r) {
  worker* target = nullptr;
  if (!idle_connections_.empty()) {
    const client_connection c = idle_connections_.back();
    idle_connections_.pop_back();
    if (c.w->incarnation() != c.incarnation || !c.w->accepting()) {
      // The worker behind it was killed (or is leaving): the request is
      // written to a closed connection and fails; the client drops it.
      ctx_.stats.error();
      ctx_.requests.release(r);
      return;
    }
    target = c.w;
  } else {
    target = connection_acceptor();  // a new connection
  }
  if (target == nullptr) {
    ctx_.stats.error();  // connection refused: no worker accepts
    ctx_.requests.release(r);
    return;
  }
  r->on_connection = true;
  target->accept(r);
}

void node::connection_freed(worker& w, const request& r) {
  const double latency = sim::to_seconds(ctx_.sim.now() - r.arrival);
  if (w.accepting() && r.incarnation == w.incarnation() && latency <= ctx_.s.traffic.client_timeout_s) {
    idle_connections_.push_back({&w, r.incarnation});
  }
}

void node::accept(request* r) {
  r->on_connection = false;
  if (ctx_.s.traffic.balance == balancing::connections) {
    accept_on_connection(r);
    return;
  }
  worker* target = nullptr;
  if (ctx_.s.traffic.balance == balancing::round_robin) {
    for (std::size_t tries = 0; tries < workers_.size() && target == nullptr; ++tries) {
      worker* w = workers_[next_++ % workers_.size()].get();
      if (w->accepting()) target = w;
    }
  } else {
    target = random_accepting();
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
                       [this] { changed(); });
}

void node::changed() {
  const design_config& d = ctx_.s.design;
  if (d.debounce_s <= 0 && d.min_interval_s <= 0) {
    release_version();
    return;
  }
  // Coalescing: wait for a quiet period of debounce_s (restarted by every
  // change), but no longer than debounce_max_s after the first waiting
  // change, and never sooner than min_interval_s after the last release.
  const sim::time_ns now = ctx_.sim.now();
  if (!pending_) {
    pending_ = true;
    first_pending_ = now;
  }
  sim::time_ns at = now;
  if (d.debounce_s > 0) {
    at = std::min(now + sim::from_seconds(d.debounce_s, "design.debounce_s"),
                  first_pending_ + sim::from_seconds(d.debounce_max_s, "design.debounce_max_s"));
  }
  if (released_any_) at = std::max(at, last_release_ + sim::from_seconds(d.min_interval_s, "design.min_interval_s"));
  release_timer_.arm_at(std::max(at, now));
}

void node::release_version() {
  pending_ = false;
  released_any_ = true;
  last_release_ = ctx_.sim.now();
  if (traits_.site == build_site::worker) {
    broadcast();
  } else if (building_) {
    rebuild_again_ = true;  // one more build when this one is done
  } else if (ctx_.store.version() > table_version_) {
    start_table_build();
  }
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
  double total = fixed_bytes_ + shared_bytes_;
  for (const auto& w : workers_) total += w->resident_bytes();
  return total;
}

double node::refresh_pod_total() {
  pod_total_ = fixed_bytes_ + shared_bytes_;
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
  account();
}

void node::shared_changed(double delta) {
  shared_bytes_ += delta;
  pod_total_ += delta;
  account();
}

void node::account() {
  double pod = pod_total_;
  const double limit = ctx_.s.cluster.pod_memory_limit_bytes;
  // With a release delay, other workers' shares can only have shrunk since
  // they were read (freed pages leaving after the delay), so the cached total
  // is an upper bound: confirm it afresh before it sets a peak or kills.
  // Without one, every share changes only through this call: it is exact.
  if (ctx_.s.memory.release_delay_s > 0 && (pod > peak_pod_ || pod > limit)) pod = refresh_pod_total();
  pod_memory_.update(ctx_.sim.now(), pod);
  // A cgroup never holds more than its limit: the allocation that would
  // cross it is what triggers the kill (memory.max_usage_in_bytes <= limit).
  peak_pod_ = std::max(peak_pod_, std::min(pod, limit));
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
    // A draining worker of an old generation is not replaced.
    if (victim->draining()) continue;
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

// ----------------------------------------------------------- shared tables --

std::uint64_t node::acquire_table() {
  ++tables_.back().readers;
  return tables_.back().version;
}

void node::release_table(std::uint64_t version) {
  for (std::size_t i = tables_.size(); i-- > 0;) {
    if (tables_[i].version != version) continue;
    table& t = tables_[i];
    if (t.readers > 0) --t.readers;
    // A retired version goes with its last reader (RCU).
    if (t.readers == 0 && i + 1 < tables_.size()) {
      const double bytes = t.bytes;
      tables_.erase(tables_.begin() + static_cast<std::ptrdiff_t>(i));
      shared_changed(-bytes);
    }
    return;
  }
  // Already freed at a commit (double buffer): nothing to give back.
}

void node::pin_for_long_connections(table& old) {
  // Long-lived streams started on the retiring version keep it until the
  // last of them closes (long_streams.hpp).
  const design_config& d = ctx_.s.design;
  if (traits_.release != release_rule::readers_done || d.long_streams_per_worker <= 0 || d.long_connection_s <= 0) {
    return;
  }
  const double current_for_s = sim::to_seconds(ctx_.sim.now() - old.since);
  const double started = d.long_streams_per_worker * -std::expm1(-current_for_s / d.long_connection_s);
  const std::uint64_t version = old.version;
  for (const auto& w : workers_) {
    if (!w->alive()) continue;
    const double linger = last_stream_closes_s(streams_rng_, started, d.long_connection_s);
    if (linger <= 0) continue;
    ++old.readers;
    stream_pin* pin = pins_.acquire();
    *pin = stream_pin{this, version};
    ctx_.sim.schedule_in(sim::from_seconds(linger, "design.long_connection_s"), [pin] {
      node* owner = pin->owner;
      const std::uint64_t v = pin->version;
      owner->pins_.release(pin);
      owner->release_table(v);
    });
  }
}

void node::start_table_build() {
  building_ = true;
  build_cpu_s_ = 0;
  building_bytes_ = 0;
  plan_ = ctx_.strategy.plan(worker_router_state{true, table_version_}, ctx_.store, ctx_.s, ctx_.cost);
  build_target_ = ctx_.store.version();
  pages_left_ = std::max(1, plan_.db_pages);
  ctx_.stats.log(ctx_.sim.now(), "rebuild_start", index_, -1, static_cast<double>(build_target_));
  next_table_page();
}

void node::next_table_page() {
  // The builder (a thread of the pod, or the master) processes each page on
  // its own CPU: the workers' event loops are not involved.
  const auto process = [this] {
    const double read = ctx_.strategy.traits().reads_database ? ctx_.s.cost.read_ns_per_route * plan_.page_routes * 1e-9
                                                              : 0.0;
    const double cpu = read + ctx_.cost.page_cpu_s(plan_.page_routes, ctx_.s.routes.paths_per_route);
    build_cpu_s_ += cpu;
    const double grow = plan_.router_bytes / std::max(1, plan_.db_pages);
    building_bytes_ += grow;
    shared_changed(grow);  // the next version grows beside the current one
    ctx_.sim.schedule_in(sim::from_seconds(cpu, "builder cpu"), [this] {
      if (--pages_left_ > 0) {
        next_table_page();
      } else {
        finish_table();
      }
    });
  };
  if (traits_.reads_database) {
    ctx_.store.query(ctx_.store.page_latency_s(), ctx_.store.page_cpu_s(), process);
  } else {
    ctx_.sim.schedule_in(sim::time_ns{0}, process);
  }
}

void node::finish_table() {
  const double cpu = plan_.finish_cpu_s + plan_.last_slice_cpu_s;
  build_cpu_s_ += cpu;
  ctx_.sim.schedule_in(sim::from_seconds(cpu, "builder cpu"), [this] { commit_table(); });
}

void node::commit_table() {
  const sim::time_ns now = ctx_.sim.now();
  const std::uint64_t previous = table_version_;
  ctx_.stats.rebuild_done(build_cpu_s_);
  ctx_.stats.log(now, "rebuild_end", index_, -1, static_cast<double>(build_target_));
  if (build_target_ > previous) ctx_.stats.staleness(sim::to_seconds(now - ctx_.store.written_at(previous + 1)));

  // The new version becomes current. The old one goes at once when nothing
  // holds it or the design frees at commit (double buffer, the master's old
  // configuration); otherwise with its last reader (RCU).
  table& old = tables_.back();
  pin_for_long_connections(old);
  if (old.readers == 0 || traits_.release != release_rule::readers_done) {
    const double bytes = old.bytes;
    tables_.pop_back();
    shared_bytes_ -= bytes;
    pod_total_ -= bytes;
  }
  tables_.push_back(table{build_target_, building_bytes_, 0, now});
  building_bytes_ = 0;
  table_version_ = build_target_;
  building_ = false;
  account();

  if (traits_.site == build_site::generation) {
    start_generation(table_version_);
  } else {
    for (const auto& w : workers_) w->adopt(table_version_);
  }
  // A version released while this one was being built is built now.
  if (rebuild_again_) {
    rebuild_again_ = false;
    if (ctx_.store.version() > table_version_) start_table_build();
  }
}

void node::start_generation(std::uint64_t version) {
  // The old generation stops accepting and drains (idle workers exit at
  // once); a fresh one, forked from the master with the new configuration,
  // takes the traffic. Slots of exited workers are reused, so the worker
  // list stays as long as the generations alive at once.
  std::vector<worker*> old;
  for (const auto& w : workers_) {
    if (!w->exited() && !w->draining()) old.push_back(w.get());
  }
  for (worker* w : old) w->drain();
  const int n = ctx_.s.cluster.workers_per_node;
  for (int k = 0; k < n; ++k) {
    worker* fresh = nullptr;
    for (const auto& w : workers_) {
      if (w->exited()) {
        fresh = w.get();
        break;
      }
    }
    if (fresh != nullptr) {
      fresh->fork_generation();
    } else {
      const int idx = static_cast<int>(workers_.size());
      workers_.push_back(std::make_unique<worker>(ctx_, *this, idx));
      resident_.push_back(0.0);
      fresh = workers_.back().get();
    }
    fresh->adopt(version);
  }
  ctx_.stats.log(ctx_.sim.now(), "generation", index_, -1, static_cast<double>(version));
}

}  // namespace gwsim::gateway
