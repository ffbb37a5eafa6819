#include "models/gateway/cpu_share.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gwsim::gateway {

cpu_share::cpu_share(sim::simulator& sim, double cores) : sim_(sim), cores_(cores) {
  if (!(cores >= 0) || !std::isfinite(cores)) {
    throw std::invalid_argument("cluster.cpu_cores must be a number >= 0 (0: a core per worker), got " +
                                std::to_string(cores));
  }
}

void cpu_share::advance() {
  const sim::time_ns now = sim_.now();
  const double done = sim::to_seconds(now - last_) * rate_;
  last_ = now;
  if (done <= 0) {
    return;
  }
  for (slice& s : running_) {
    s.remaining_s = std::max(0.0, s.remaining_s - done);
  }
}

void cpu_share::rearm() {
  const auto k = static_cast<double>(running_.size());
  rate_ = k <= cores_ ? 1.0 : cores_ / k;
  for (const slice& s : running_) {
    s.done->arm_in(std::max<sim::time_ns>(1, sim::from_seconds(s.remaining_s / rate_, "worker cpu slice")));
  }
}

void cpu_share::start(sim::timer& done, double cpu_s) {
  if (cores_ == 0) {
    done.arm_in(std::max<sim::time_ns>(1, sim::from_seconds(cpu_s, "worker cpu slice")));
    return;
  }
  advance();
  running_.push_back({&done, cpu_s});
  rearm();
}

void cpu_share::stop(sim::timer& done) {
  if (cores_ == 0) {
    done.cancel();
    return;
  }
  advance();
  const auto it = std::find_if(running_.begin(), running_.end(), [&done](const slice& s) { return s.done == &done; });
  if (it != running_.end()) {
    running_.erase(it);
  }
  done.cancel();
  rearm();
}

}  // namespace gwsim::gateway
