#pragma once
/// Online mean, variance, minimum and maximum of a stream of observations.
///
/// Uses Welford's update, which stays accurate when the mean is large
/// relative to the spread (the textbook sum-of-squares formula loses every
/// significant digit there), and Chan et al.'s pairwise combine so that
/// accumulators filled in parallel (one per replication or thread) can be
/// merged with the same accuracy as a single sequential pass.
///
/// Empty and one-sample conventions: every statistic of an empty accumulator
/// is 0, and the variance, stddev and sem of fewer than two samples are 0.
/// They are never NaN, so a report over an idle component prints 0 instead
/// of poisoning downstream sums; check `count()` when the difference matters.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "sim/stats_checks.hpp"

namespace gwsim::sim {

class online_stats {
 public:
  /// Throws std::invalid_argument for NaN or infinite values: one of them
  /// would silently turn every later statistic into NaN.
  void add(double x) {
    detail::require_finite(x, "online_stats observation");
    ++count_;
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(count_);
    m2_ += delta * (x - mean_);
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }

  /// Combines `other` into this accumulator as if its observations had been
  /// added here (Chan, Golub & LeVeque 1979).
  void merge(const online_stats& other) {
    if (other.count_ == 0) {
      return;
    }
    if (count_ == 0) {
      *this = other;
      return;
    }
    const double n_a = static_cast<double>(count_);
    const double n_b = static_cast<double>(other.count_);
    const double n = n_a + n_b;
    const double delta = other.mean_ - mean_;
    mean_ += delta * (n_b / n);
    m2_ += other.m2_ + delta * delta * (n_a * n_b / n);
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  void reset() noexcept { *this = online_stats{}; }

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] double mean() const noexcept { return mean_; }
  [[nodiscard]] double min() const noexcept { return count_ == 0 ? 0.0 : min_; }
  [[nodiscard]] double max() const noexcept { return count_ == 0 ? 0.0 : max_; }
  /// Sum of the observations, reconstructed as mean * count.
  [[nodiscard]] double sum() const noexcept { return mean_ * static_cast<double>(count_); }

  /// Unbiased sample variance (divisor n - 1); 0 for fewer than two samples.
  [[nodiscard]] double variance() const noexcept {
    return count_ < 2 ? 0.0 : std::max(0.0, m2_ / static_cast<double>(count_ - 1));
  }
  /// Population variance (divisor n); 0 when empty.
  [[nodiscard]] double population_variance() const noexcept {
    return count_ == 0 ? 0.0 : std::max(0.0, m2_ / static_cast<double>(count_));
  }
  [[nodiscard]] double stddev() const noexcept { return std::sqrt(variance()); }
  /// Standard error of the mean, stddev / sqrt(n): valid only for
  /// independent observations (use batch_means for autocorrelated output).
  [[nodiscard]] double sem() const noexcept {
    return count_ < 2 ? 0.0 : stddev() / std::sqrt(static_cast<double>(count_));
  }

 private:
  std::uint64_t count_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace gwsim::sim
