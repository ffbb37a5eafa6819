#include "sim/replications.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sim/stats_checks.hpp"

namespace gwsim::sim {

double student_t_critical(double level, double dof) {
  detail::require_confidence_level(level);
  if (!(dof > 0.0 && dof <= std::numeric_limits<double>::max())) {
    detail::throw_invalid_argument("Student-t degrees of freedom", dof, "finite and > 0");
  }
  const boost::math::students_t dist(dof);
  return boost::math::quantile(dist, 0.5 + 0.5 * level);
}

confidence_interval student_t_interval(const online_stats& stats, double level) {
  detail::require_confidence_level(level);
  if (stats.count() < 2) {
    detail::throw_invalid_argument("number of replications (values)", stats.count(), ">= 2 for a confidence interval");
  }
  const double t = student_t_critical(level, static_cast<double>(stats.count() - 1));
  const double half_width = t * stats.sem();
  return confidence_interval{
      .mean = stats.mean(),
      .half_width = half_width,
      .lower = stats.mean() - half_width,
      .upper = stats.mean() + half_width,
      .level = level,
      .n = static_cast<std::size_t>(stats.count()),
  };
}

confidence_interval student_t_interval(std::span<const double> values, double level) {
  online_stats stats;
  for (const double v : values) {
    detail::require_finite(v, "confidence interval value");
    stats.add(v);
  }
  return student_t_interval(stats, level);
}

double relative_half_width(const confidence_interval& ci) noexcept {
  if (ci.half_width == 0.0) {
    return 0.0;
  }
  if (ci.mean == 0.0) {
    return std::numeric_limits<double>::infinity();
  }
  return ci.half_width / std::abs(ci.mean);
}

std::uint64_t replications_needed(const confidence_interval& ci, double target) {
  if (!(target > 0.0 && target < 1.0)) {
    detail::throw_invalid_argument("target relative half-width", target, "in the open interval (0, 1)");
  }
  const double current = relative_half_width(ci);
  const auto n = static_cast<std::uint64_t>(ci.n);
  if (current <= target) {
    return n;
  }
  const double ratio = current / target;
  const double needed = std::ceil(static_cast<double>(n) * ratio * ratio);
  // An infinite or astronomically large estimate saturates rather than
  // overflowing the integer conversion.
  constexpr double cap = 1e18;
  return needed >= cap ? static_cast<std::uint64_t>(cap) : std::max(n, static_cast<std::uint64_t>(needed));
}

void replication_summary::add(std::string_view metric, double value) {
  detail::require_finite(value, "replication value");
  auto it = metrics_.find(metric);
  if (it == metrics_.end()) {
    it = metrics_.emplace(std::string(metric), online_stats{}).first;
  }
  it->second.add(value);
}

void replication_summary::merge(const replication_summary& other) {
  for (const auto& [name, stats] : other.metrics_) {
    metrics_[name].merge(stats);
  }
}

const online_stats& replication_summary::stats(std::string_view metric) const {
  const auto it = metrics_.find(metric);
  if (it == metrics_.end()) {
    std::ostringstream msg;
    msg << "replication_summary metric = '" << metric << "' is invalid: must be one of the recorded metrics {";
    const char* sep = "";
    for (const auto& entry : metrics_) {
      msg << sep << '\'' << entry.first << '\'';
      sep = ", ";
    }
    msg << '}';
    throw std::invalid_argument(msg.str());
  }
  return it->second;
}

confidence_interval replication_summary::interval(std::string_view metric, double level) const {
  return student_t_interval(stats(metric), level);
}

std::uint64_t replication_summary::count(std::string_view metric) const {
  const auto it = metrics_.find(metric);
  return it == metrics_.end() ? 0 : it->second.count();
}

std::vector<std::string> replication_summary::metrics() const {
  std::vector<std::string> names;
  names.reserve(metrics_.size());
  for (const auto& entry : metrics_) {
    names.push_back(entry.first);
  }
  return names;
}

}  // namespace gwsim::sim
