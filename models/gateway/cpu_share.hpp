#pragma once
/// A pod's CPU: `cores` cores shared by its workers' CPU slices. Linux's
/// scheduler gives runnable processes equal shares, so the pod is a
/// processor-sharing server: with k workers on the CPU, each progresses at
/// min(1, cores / k) CPU-seconds per second, and a slice of c CPU-seconds
/// ends when that much work is done. Whenever a slice starts or ends, every
/// running slice's remaining work is updated and its end rescheduled.
///
/// cores = 0 means a core for every worker (nginx's default of one worker
/// per core): slices run at full speed and nothing is shared or tracked.
/// A Kubernetes CPU limit below the worker count, or workers sharing the
/// machine with other processes, is the case this models.

#include <vector>

#include "sim/simulator.hpp"
#include "sim/timer.hpp"

namespace gwsim::gateway {

class cpu_share {
 public:
  /// `cores` >= 0 (0: one per worker).
  cpu_share(sim::simulator& sim, double cores);

  /// A slice of `cpu_s` CPU-seconds starts; `done` is armed for its end (and
  /// re-armed as the share changes). The slice must not be running already.
  void start(sim::timer& done, double cpu_s);
  /// The slice timed by `done` has ended (its timer fired) or is abandoned
  /// (its worker was killed: `done` is cancelled).
  void stop(sim::timer& done);

  /// Slices on the CPU now.
  [[nodiscard]] std::size_t running() const noexcept { return running_.size(); }

 private:
  struct slice {
    sim::timer* done;
    double remaining_s;
  };
  /// Takes the work done since the last change off every running slice.
  void advance();
  /// The share for the slices running now; arms each slice's end.
  void rearm();

  sim::simulator& sim_;
  double cores_;
  std::vector<slice> running_;
  sim::time_ns last_ = 0;
  double rate_ = 1.0;
};

}  // namespace gwsim::gateway
