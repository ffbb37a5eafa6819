#include "models/gateway/cpu_share.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gwsim::gateway {

cpu_share::cpu_share(sim::simulator& sim, double cores, double contention)
    : sim_(sim), cores_(cores), contention_(contention) {
  if (!(cores >= 0) || !std::isfinite(cores)) {
    throw std::invalid_argument("cluster.cpu_cores must be a number >= 0 (0: a core per worker), got " +
                                std::to_string(cores));
  }
  if (!(contention >= 0) || !std::isfinite(contention)) {
    throw std::invalid_argument("cluster.build_contention must be a number >= 0 (0: none), got " +
                                std::to_string(contention));
  }
}

void cpu_share::advance() {
  const sim::time_ns now = sim_.now();
  const double elapsed = sim::to_seconds(now - last_);
  last_ = now;
  if (elapsed <= 0) {
    return;
  }
  for (slice& s : running_) {
    const double work = elapsed * s.rate;
    s.remaining_s = std::max(0.0, s.remaining_s - work);
    s.extra_s += work * (s.slowdown - 1.0);
  }
}

void cpu_share::rearm() {
  const auto k = static_cast<double>(running_.size());
  const double share = cores_ == 0 || k <= cores_ ? 1.0 : cores_ / k;
  const auto builds = static_cast<double>(std::count_if(running_.begin(), running_.end(),
                                                        [](const slice& s) { return s.build; }));
  // The other builds that run at the same moment as one build.
  const double beside = builds <= 1 ? 0.0 : cores_ == 0 ? builds - 1 : std::min(builds - 1, std::max(0.0, cores_ - 1));
  const double slowdown = 1.0 + contention_ * beside;
  for (slice& s : running_) {
    s.slowdown = s.build ? slowdown : 1.0;
    s.rate = share / s.slowdown;
    s.done->arm_in(std::max<sim::time_ns>(1, sim::from_seconds(s.remaining_s / s.rate, "worker cpu slice")));
  }
}

void cpu_share::start(sim::timer& done, double cpu_s, bool build) {
  if (cores_ == 0 && contention_ == 0) {
    done.arm_in(std::max<sim::time_ns>(1, sim::from_seconds(cpu_s, "worker cpu slice")));
    return;
  }
  advance();
  running_.push_back({&done, cpu_s, build, 1.0, 1.0, 0.0});
  rearm();
}

double cpu_share::stop(sim::timer& done) {
  if (cores_ == 0 && contention_ == 0) {
    done.cancel();
    return 0.0;
  }
  advance();
  double extra = 0.0;
  const auto it = std::find_if(running_.begin(), running_.end(), [&done](const slice& s) { return s.done == &done; });
  if (it != running_.end()) {
    extra = it->extra_s;
    running_.erase(it);
  }
  done.cancel();
  rearm();
  return extra;
}

}  // namespace gwsim::gateway
