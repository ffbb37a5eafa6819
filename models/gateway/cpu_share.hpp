#pragma once
/// A pod's CPU: `cores` cores shared by its workers' CPU slices. Linux's
/// scheduler gives runnable processes equal shares, so the pod is a
/// processor-sharing server: with k workers on the CPU, each progresses at
/// min(1, cores / k) CPU-seconds per second, and a slice of c CPU-seconds
/// ends when that much work is done. Whenever a slice starts or ends, every
/// running slice's remaining work is updated and its end rescheduled.
///
/// Builds can slow each other down beyond sharing the cores: a build
/// allocates and walks tens of MiB, and builds running at the same moment on
/// different cores compete for the last-level cache and the memory bus (on
/// the testbed's machine the measured factor ranged from none to 0.18). With
/// `contention` c, a build slice that runs beside b other build slices needs
/// (1 + c b) times its CPU, b being the other builds that run at the same
/// moment: all of them with a core each, at most cores - 1 of them when the
/// cores are shared (builds that take turns on one core do not meet). Request
/// slices neither slow down nor slow builds (their working set is small:
/// measured on the testbed, a cache miss took 2% more CPU beside a build).
///
/// cores = 0 means a core for every worker (nginx's default of one worker
/// per core): without contention, slices run at full speed and nothing is
/// shared or tracked. A Kubernetes CPU limit below the worker count, or
/// workers sharing the machine with other processes, is the case the
/// sharing models.

#include <vector>

#include "sim/simulator.hpp"
#include "sim/timer.hpp"

namespace gwsim::gateway {

class cpu_share {
 public:
  /// `cores` >= 0 (0: one per worker); `contention` >= 0 (0: none).
  cpu_share(sim::simulator& sim, double cores, double contention = 0.0);

  /// A slice of `cpu_s` CPU-seconds starts; `done` is armed for its end (and
  /// re-armed as the share changes). `build`: a slice of a router build,
  /// subject to contention. The slice must not be running already.
  void start(sim::timer& done, double cpu_s, bool build = false);
  /// The slice timed by `done` has ended (its timer fired) or is abandoned
  /// (its worker was killed: `done` is cancelled). Returns the CPU-seconds
  /// contention added to the slice's own (0 for a request slice): the
  /// process was on a core, stalled on memory.
  double stop(sim::timer& done);

  /// Slices on the CPU now.
  [[nodiscard]] std::size_t running() const noexcept { return running_.size(); }

 private:
  struct slice {
    sim::timer* done;
    double remaining_s;
    bool build;
    double rate;     ///< CPU-seconds of its work done per second, as last armed
    double slowdown;  ///< contention's factor on its CPU, as last armed (1: none)
    double extra_s;   ///< CPU-seconds contention has added so far
  };
  /// Takes the work done since the last change off every running slice.
  void advance();
  /// The rates for the slices running now; arms each slice's end.
  void rearm();

  sim::simulator& sim_;
  double cores_;
  double contention_;
  std::vector<slice> running_;
  sim::time_ns last_ = 0;
};

}  // namespace gwsim::gateway
