#pragma once
/// A gateway pod: an nginx master with its workers, the shared-memory zones
/// counted once for the pod, the pod's memory limit and the cgroup OOM
/// killer, worker respawns, and the node's view of configuration changes
/// (worker events for local writes, database polls for remote ones).

#include <memory>
#include <vector>

#include "models/gateway/context.hpp"
#include "models/gateway/cpu_share.hpp"
#include "models/gateway/worker.hpp"
#include "sim/object_pool.hpp"
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
  /// traffic.balance = connections: the request `r` of worker `w` is over.
  /// Its connection goes back on the client's idle stack if the answer came
  /// in time from the incarnation that accepted it; otherwise the client
  /// closed it (a timeout) or the worker's death did.
  void connection_freed(worker& w, const request& r);
  /// traffic.upstream_on_workers: the worker that accepts a new connection
  /// to the upstream's port opened by `opener` (busy opening it, so not
  /// waiting for connections): the first idle live worker, else the one
  /// that waits again first, with the fewest jobs before it (`opener`,
  /// whose turn is ending, on a tie).
  worker* upstream_acceptor(const worker& opener);
  /// An admin write on this node: its workers hear of it by worker events.
  void local_write();
  /// Starts the db_update_frequency polling of the config version.
  void start_polling();

  /// A worker's memory changed: track the pod total, kill on the limit.
  /// O(1): only that worker's share is recomputed, unless the total reaches
  /// a new peak or the limit, where every worker is read afresh.
  void memory_changed(worker& w);
  void router_built(worker& w);

  /// Pod-wide tables (build_site::node): a request takes a reference to the
  /// current version when it is accepted and gives it back when answered.
  std::uint64_t acquire_table();
  void release_table(std::uint64_t version);
  /// The version of the pod's table (build_site::node) or of the master's
  /// configuration (build_site::generation).
  std::uint64_t table_version() const noexcept { return table_version_; }
  /// Whether the pod's builder (or the master) is building a version.
  bool building() const noexcept { return building_; }
  /// Table versions held in memory: the current one plus retired ones.
  std::size_t tables_alive() const noexcept { return tables_.size(); }
  /// Bytes of the pod's tables outside the workers (built and building).
  double shared_bytes() const noexcept { return shared_bytes_; }

  double pod_resident_bytes() const;
  /// The worker the OOM killer would pick: the live one with the largest
  /// resident memory (nullptr if none is alive).
  worker* largest_worker() const;
  double peak_pod_bytes() const noexcept { return peak_pod_; }
  double peak_worker_heap_bytes() const noexcept { return peak_heap_; }
  double mean_pod_bytes(sim::time_ns now) const { return pod_memory_.mean(now); }
  const std::vector<std::unique_ptr<worker>>& workers() const noexcept { return workers_; }
  /// The pod's cores, shared by its workers' CPU slices (cluster.cpu_cores).
  cpu_share& cpu() noexcept { return cpu_; }

 private:
  /// A new version is known to this node: release it to the builders now,
  /// or once the design's coalescing rules allow (design.debounce_s,
  /// debounce_max_s, min_interval_s).
  void changed();
  void release_version();
  void broadcast();
  /// Adds `delta` bytes held by the pod outside its workers.
  void shared_changed(double delta);
  /// The pod total changed: track the peak, kill on the limit.
  void account();

  // the pod's own builder (build_site::node) or the master (generation)
  void start_table_build();
  void next_table_page();
  void finish_table();
  void commit_table();
  void start_generation(std::uint64_t version);
  /// Reads every worker afresh; returns the pod total.
  double refresh_pod_total();
  void poll();
  void oom_check();

  context& ctx_;
  int index_;
  cpu_share cpu_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<worker*> accepting_;  ///< scratch for routing
  sim::rng rng_;
  sim::rng streams_rng_;  ///< lifetimes of long-lived streams pinning RCU versions
  std::size_t next_ = 0;  ///< round-robin cursor
  /// A client connection, pinned to the worker (incarnation) that accepted it.
  struct client_connection {
    worker* w;
    std::uint32_t incarnation;
  };
  std::vector<client_connection> idle_connections_;  ///< a stack: the most recently freed on top
  /// A uniformly random accepting worker, or nullptr when none accepts.
  worker* random_accepting();
  /// The worker that accepts a new client connection: the first idle one
  /// in a fixed order, else the accepting one with the shortest queue;
  /// nullptr when none accepts.
  worker* connection_acceptor();
  void accept_on_connection(request* r);
  double fixed_bytes_;    ///< master + shared zones
  std::vector<double> resident_;  ///< last resident bytes read per worker
  double pod_total_ = 0;          ///< fixed_bytes_ + sum of resident_
  double peak_pod_ = 0;
  double peak_heap_ = 0;
  sim::time_weighted pod_memory_;
  bool oom_pending_ = false;
  std::uint64_t polled_version_ = 0;
  sim::timer poll_timer_;

  // coalescing of changes
  strategy_traits traits_;
  bool pending_ = false;
  bool released_any_ = false;
  sim::time_ns first_pending_ = 0;
  sim::time_ns last_release_ = 0;
  sim::timer release_timer_;

  // pod-wide tables and their builder
  struct table {
    std::uint64_t version = 0;
    double bytes = 0;
    std::uint64_t readers = 0;
    sim::time_ns since = 0;  ///< when it became current
  };
  std::vector<table> tables_;  ///< the current one last
  /// RCU: long-lived streams on each worker hold the retiring version `old`.
  void pin_for_long_connections(table& old);
  /// A version held by a worker's long-lived streams until they close.
  struct stream_pin {
    node* owner = nullptr;
    std::uint64_t version = 0;
  };
  sim::object_pool<stream_pin, 64> pins_;
  std::uint64_t table_version_ = 0;
  double shared_bytes_ = 0;
  double building_bytes_ = 0;
  bool building_ = false;
  bool rebuild_again_ = false;
  build_plan plan_;
  int pages_left_ = 0;
  std::uint64_t build_target_ = 0;
  double build_cpu_s_ = 0;
};

}  // namespace gwsim::gateway
