#pragma once
/// Confidence intervals across independent replications.
///
/// Independent replications are the simplest valid way to put error bars
/// on a simulation output: one scalar per run (seeds differ, everything
/// else equal) gives i.i.d. samples, and for the modest run counts used in
/// practice (5-50) the Student-t interval is the right width where a normal
/// interval would be too narrow.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/online_stats.hpp"

namespace gwsim::sim {

struct confidence_interval {
  double mean = 0.0;
  double half_width = 0.0;
  double lower = 0.0;
  double upper = 0.0;
  double level = 0.0;
  std::size_t n = 0;

  [[nodiscard]] bool contains(double x) const noexcept { return lower <= x && x <= upper; }
};

/// Two-sided Student-t critical value t_{(1 + level) / 2, dof}, e.g. 2.262157
/// for level 0.95 and 9 degrees of freedom. Throws std::invalid_argument
/// unless 0 < level < 1 and dof is finite and > 0.
[[nodiscard]] double student_t_critical(double level, double dof);

/// Student-t interval for the mean of i.i.d. values. Throws
/// std::invalid_argument for fewer than 2 values (no variance estimate),
/// non-finite values, or a level outside (0, 1).
[[nodiscard]] confidence_interval student_t_interval(std::span<const double> values, double level = 0.95);
/// Same, from an accumulator of the values.
[[nodiscard]] confidence_interval student_t_interval(const online_stats& stats, double level = 0.95);

/// half_width / |mean|, the usual stopping criterion for sequential
/// replication. Returns 0 for a zero-width interval and +infinity when the
/// mean is 0 but the width is not (the precision goal cannot be judged
/// relative to 0, and infinity correctly keeps a "< target" loop running).
[[nodiscard]] double relative_half_width(const confidence_interval& ci) noexcept;

/// Replications needed for relative_half_width to reach `target`, from
/// the usual n * (current / target)^2 extrapolation (it ignores the change
/// in the t quantile, so treat it as an estimate). Never less than ci.n.
/// Throws std::invalid_argument unless 0 < target < 1.
[[nodiscard]] std::uint64_t replications_needed(const confidence_interval& ci, double target);

/// Accumulates one scalar per replication for any number of named metrics.
class replication_summary {
 public:
  /// Metric name used by the unnamed overloads.
  static constexpr std::string_view default_metric = "value";

  void add(double value) { add(default_metric, value); }
  /// Throws std::invalid_argument for a non-finite value.
  void add(std::string_view metric, double value);
  /// Combines summaries built in parallel (for example one per worker).
  void merge(const replication_summary& other);

  /// Throws std::invalid_argument for an unknown metric or fewer than 2
  /// values, or a level outside (0, 1).
  [[nodiscard]] confidence_interval interval(double level = 0.95) const { return interval(default_metric, level); }
  [[nodiscard]] confidence_interval interval(std::string_view metric, double level = 0.95) const;

  /// Throws std::invalid_argument for an unknown metric.
  [[nodiscard]] const online_stats& stats(std::string_view metric = default_metric) const;
  /// Number of values of `metric` (0 if it was never added).
  [[nodiscard]] std::uint64_t count(std::string_view metric = default_metric) const;
  /// Metric names in lexicographic order.
  [[nodiscard]] std::vector<std::string> metrics() const;

 private:
  std::map<std::string, online_stats, std::less<>> metrics_;
};

}  // namespace gwsim::sim
