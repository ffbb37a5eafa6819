#include "models/gateway/regex_scan.hpp"

#include <algorithm>

namespace gwsim::gateway {

regex_scan::regex_scan(double patterns, double capacity) noexcept
    : patterns_(std::max(0.0, patterns)), capacity_(std::max(0.0, capacity)) {}

regex_scan::result regex_scan::on_miss() noexcept {
  result r;
  if (patterns_ <= capacity_) {
    r.compiles = patterns_ - cached_;
    cached_ = patterns_;
    return r;
  }
  r.compiles = patterns_;
  r.evicted = std::max(0.0, cached_ + patterns_ - capacity_);
  cached_ = capacity_;
  return r;
}

void regex_scan::warm() noexcept { cached_ = std::min(patterns_, capacity_); }

}  // namespace gwsim::gateway
