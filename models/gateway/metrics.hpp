#pragma once
/// Run-wide measurements: the counters and histograms behind the summary,
/// and the event log. Components report to it; it keeps no per-request
/// records, so its memory does not grow with the number of requests.

#include <cstdint>
#include <string>

#include "models/gateway/result.hpp"
#include "sim/log_histogram.hpp"
#include "sim/time.hpp"

namespace gwsim::gateway {

class metrics {
 public:
  void arrival() noexcept { ++requests_; }
  void completed(double latency_s);
  void error() noexcept { ++errors_; }
  void rebuild_done(double cpu_s) noexcept {
    ++rebuilds_;
    rebuild_cpu_s_ += cpu_s;
  }
  void gc_cpu(double s) noexcept { gc_cpu_s_ += s; }
  void gc_cycles(std::uint64_t n) noexcept { gc_cycles_ += n; }
  void oom_kill() noexcept { ++oom_kills_; }
  void restart() noexcept { ++restarts_; }
  void admin_write() noexcept { ++admin_writes_; }
  void staleness(double s) noexcept {
    if (s > max_staleness_s_) max_staleness_s_ = s;
  }
  /// A request matched against a router older than the version its worker
  /// already knew of when the request arrived (eventual consistency allows
  /// it; strict consistency must not).
  void stale_match() noexcept { ++stale_matches_; }
  void cache_access(bool hit) noexcept { ++(hit ? cache_hits_ : cache_misses_); }
  void not_found() noexcept { ++not_found_; }
  void log(sim::time_ns t, const char* kind, int node, int worker, double value);

  std::uint64_t requests() const noexcept { return requests_; }
  std::uint64_t completed_count() const noexcept { return completed_; }
  std::uint64_t errors() const noexcept { return errors_; }

  /// Fills the request, rebuild, GC, OOM and staleness fields of `out`.
  void fill(summary& out) const;
  event_log take_events() { return std::move(events_); }

 private:
  std::uint64_t requests_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t errors_ = 0;
  sim::log_histogram latency_{0.005};
  double latency_sum_ = 0;
  std::uint64_t rebuilds_ = 0;
  double rebuild_cpu_s_ = 0;
  double gc_cpu_s_ = 0;
  std::uint64_t gc_cycles_ = 0;
  std::uint64_t oom_kills_ = 0;
  std::uint64_t restarts_ = 0;
  std::uint64_t admin_writes_ = 0;
  double max_staleness_s_ = 0;
  std::uint64_t stale_matches_ = 0;
  std::uint64_t cache_hits_ = 0;
  std::uint64_t not_found_ = 0;
  std::uint64_t cache_misses_ = 0;
  event_log events_;
};

}  // namespace gwsim::gateway
