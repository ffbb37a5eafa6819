#pragma once
/// What a gateway run produces: flat records and columns that become pandas
/// DataFrames without object graphs (summary scalars, a sampled time series,
/// an event log). Units are in the field names.

#include <cstdint>
#include <string>
#include <vector>

namespace gwsim::gateway {

struct summary {
  std::uint64_t requests = 0;   ///< arrivals
  std::uint64_t completed = 0;  ///< answered successfully
  std::uint64_t errors = 0;     ///< timed out, failed by an OOM kill, 404 before the first build, mutex timeout
  std::uint64_t in_flight = 0;  ///< at the end of the run: requests = completed + errors + in_flight
  double error_rate = 0;
  double latency_p50_s = 0;  ///< of completed requests
  double latency_p99_s = 0;
  double latency_p999_s = 0;
  double latency_max_s = 0;
  double latency_mean_s = 0;
  std::uint64_t oom_kills = 0;
  std::uint64_t worker_restarts = 0;
  std::uint64_t rebuilds = 0;  ///< completed router builds, all workers
  double rebuild_cpu_s = 0;
  double gc_cpu_s = 0;
  std::uint64_t gc_cycles = 0;
  std::uint64_t admin_writes = 0;
  double peak_pod_memory_bytes = 0;
  double mean_pod_memory_bytes = 0;   ///< time average, first pod
  double final_pod_memory_bytes = 0;
  double peak_worker_heap_bytes = 0;
  double max_staleness_s = 0;  ///< longest a worker served with an outdated router
  std::uint64_t stale_matches = 0;  ///< requests matched on a router older than the version known at their arrival
  std::uint64_t cache_hits = 0;     ///< router matches answered from a worker's LRU match cache
  std::uint64_t cache_misses = 0;   ///< router matches that searched the router
  std::uint64_t not_found = 0;      ///< requests aimed at no route that the router searched (answered 404 unless the client had given up)
  std::uint64_t db_queries = 0;
  double db_utilization = 0;
  double sim_time_s = 0;
  double wall_time_s = 0;
  std::uint64_t events = 0;  ///< kernel events dispatched
};

/// Sampled every run.sample_interval_s; one row per (time, node, worker),
/// worker = -1 for the pod row (memory of the whole pod).
struct timeseries {
  std::vector<double> time_s;
  std::vector<int> node;
  std::vector<int> worker;
  std::vector<double> heap_bytes;
  std::vector<double> resident_bytes;
  std::vector<int> gc_phase;  ///< 0 pause, 1 propagate, 2 sweep
  std::vector<int> rebuilding;
  std::vector<int> queue_length;
  std::vector<double> latency_p50_s;  ///< of requests completed in the last interval
  std::vector<double> latency_p99_s;
  std::vector<std::uint64_t> errors;  ///< errors in the last interval
  std::size_t rows() const noexcept { return time_s.size(); }
};

/// Discrete happenings: "admin_write", "rebuild_start", "rebuild_end",
/// "gc_cycle_end", "oom_kill", "respawn", and for designs that build outside
/// the workers (worker = -1) "rebuild_start"/"rebuild_end" of the pod's
/// builder, "generation" (reload: a new generation of workers) and
/// "worker_exit" (an old worker has drained).
struct event_log {
  std::vector<double> time_s;
  std::vector<std::string> kind;
  std::vector<int> node;
  std::vector<int> worker;
  std::vector<double> value;  ///< kind-specific: bytes freed, router version, worker heap at kill ...
  std::size_t rows() const noexcept { return time_s.size(); }
};

struct result {
  summary totals;
  timeseries series;
  event_log events;
};

}  // namespace gwsim::gateway
