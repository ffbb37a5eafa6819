#include "models/gateway/regex_scan.hpp"

#include <algorithm>
#include <string_view>

namespace gwsim::gateway {

bool scans_regex_paths(const strategy_traits& design, const scenario& s) noexcept {
  return std::string_view(design.router_design) == "traditional" && s.routes.regex_paths > 0;
}

bool regex_scan_thrashes(const strategy_traits& design, const scenario& s) noexcept {
  return scans_regex_paths(design, s) && s.routes.regex_paths > s.kong.regex_cache_entries;
}

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
