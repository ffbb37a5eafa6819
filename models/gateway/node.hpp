#pragma once
/// A gateway pod: an nginx master with its workers, the shared-memory zones
/// counted once for the pod, the pod's memory limit and the cgroup OOM
/// killer, worker respawns, and the node's view of configuration changes
/// (worker events for local writes, database polls for remote ones).

#include <memory>
#include <vector>

#include "models/gateway/context.hpp"
#include "models/gateway/worker.hpp"
#include "sim/time_weighted.hpp"

namespace gwsim::gateway {

class node {
 public:
  node(context& ctx, int index);
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  int index() const noexcept { return index_; }
  /// Routes a request to one of the accepting workers (as nginx does, with
  /// no perfect balance); fails it when none accepts.
  void accept(request* r);
  /// An admin write on this node: its workers hear of it by worker events.
  void local_write();
  /// Starts the db_update_frequency polling of the config version.
  void start_polling();

  /// A worker's memory changed: track the pod total, kill on the limit.
  /// O(1): only that worker's share is recomputed, unless the total reaches
  /// a new peak or the limit, where every worker is read afresh.
  void memory_changed(worker& w);
  void router_built(worker& w);

  double pod_resident_bytes() const;
  /// The worker the OOM killer would pick: the live one with the largest
  /// resident memory (nullptr if none is alive).
  worker* largest_worker() const;
  double peak_pod_bytes() const noexcept { return peak_pod_; }
  double peak_worker_heap_bytes() const noexcept { return peak_heap_; }
  double mean_pod_bytes(sim::time_ns now) const { return pod_memory_.mean(now); }
  const std::vector<std::unique_ptr<worker>>& workers() const noexcept { return workers_; }

 private:
  void broadcast();
  /// Reads every worker afresh; returns the pod total.
  double refresh_pod_total();
  void poll();
  void oom_check();

  context& ctx_;
  int index_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<worker*> accepting_;  ///< scratch for routing
  sim::rng rng_;
  std::size_t next_ = 0;  ///< round-robin cursor
  double fixed_bytes_;    ///< master + shared zones
  std::vector<double> resident_;  ///< last resident bytes read per worker
  double pod_total_ = 0;          ///< fixed_bytes_ + sum of resident_
  double peak_pod_ = 0;
  double peak_heap_ = 0;
  sim::time_weighted pod_memory_;
  bool oom_pending_ = false;
  std::uint64_t polled_version_ = 0;
  sim::timer poll_timer_;
};

}  // namespace gwsim::gateway
