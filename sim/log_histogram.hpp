#pragma once
/// Mergeable histogram of non-negative values with quantiles of bounded
/// relative error (the DDSketch bucket mapping, Masson et al. 2019).
///
/// Bucket i holds the values in (gamma^(i-1), gamma^i] with
/// gamma = (1 + a) / (1 - a); reporting gamma^i * (1 - a) for any of them is
/// off by at most a relative error a. The bound holds for every quantile
/// whatever the distribution, which fixed linear bins cannot promise for
/// heavy-tailed latencies spanning many decades, and the bucket count grows
/// only with the logarithm of max/min. Buckets are a dense vector over the
/// observed index range, grown on demand, so `add` does not allocate once
/// the range is known.
///
/// Values at or below `zero_threshold` share one zero bucket and are
/// reported as (at most) that threshold: for them the error bound is
/// absolute (<= zero_threshold), which keeps a stray 1e-300 from allocating
/// tens of thousands of buckets.
///
/// Quantile definition: quantile(q) estimates the ceil(q * n)-th smallest
/// observation (rank clamped to [1, n]); quantile(0) and quantile(1) are the
/// exact min and max. An empty histogram reports 0 for every statistic.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/stats_checks.hpp"

namespace gwsim::sim {

class log_histogram {
 public:
  static constexpr double default_relative_accuracy = 0.01;
  static constexpr double default_zero_threshold = 1e-12;
  /// Finer accuracy needs ~ln(max/min)/(2a) buckets: below 1e-4 a histogram
  /// of nanosecond-to-hour latencies would need megabytes.
  static constexpr double min_relative_accuracy = 1e-4;
  /// At a = 0.5 a bucket already spans a factor of three.
  static constexpr double max_relative_accuracy = 0.5;

  explicit log_histogram(double relative_accuracy = default_relative_accuracy,
                         double zero_threshold = default_zero_threshold);

  /// Throws std::invalid_argument for negative, NaN or infinite values.
  void add(double x) {
    if (!(x >= 0.0 && x <= std::numeric_limits<double>::max())) [[unlikely]] {
      detail::throw_invalid_argument("log_histogram value", x, "finite and >= 0");
    }
    ++count_;
    sum_ += x;
    min_ = x < min_ ? x : min_;
    max_ = x > max_ ? x : max_;
    if (x <= zero_threshold_) {
      ++zero_count_;
      return;
    }
    const int i = index_of(x);
    if (i < offset_ || i >= offset_ + static_cast<int>(counts_.size())) [[unlikely]] {
      cover(i, i);
    }
    ++counts_[static_cast<std::size_t>(i - offset_)];
  }

  /// Adds the observations of `other`. Throws std::invalid_argument unless
  /// both histograms have the same relative accuracy and zero threshold:
  /// buckets of different widths cannot be combined without losing the bound.
  void merge(const log_histogram& other);

  /// Estimate of the ceil(q * n)-th smallest observation, within relative
  /// error `relative_accuracy()` of it (absolute error <= zero_threshold()
  /// if that observation is in the zero bucket). Throws
  /// std::invalid_argument unless 0 <= q <= 1.
  [[nodiscard]] double quantile(double q) const;

  /// The 1-based rank quantile(q) targets, ceil(q * n) clamped to [1, n].
  [[nodiscard]] static std::uint64_t rank(double q, std::uint64_t n);

  void clear() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::uint64_t zero_count() const noexcept { return zero_count_; }
  [[nodiscard]] double sum() const noexcept { return sum_; }
  [[nodiscard]] double mean() const noexcept { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }
  [[nodiscard]] double min() const noexcept { return count_ == 0 ? 0.0 : min_; }
  [[nodiscard]] double max() const noexcept { return count_ == 0 ? 0.0 : max_; }
  [[nodiscard]] double relative_accuracy() const noexcept { return accuracy_; }
  [[nodiscard]] double zero_threshold() const noexcept { return zero_threshold_; }
  /// Number of allocated buckets (memory use is 8 bytes each).
  [[nodiscard]] std::size_t bucket_capacity() const noexcept { return counts_.size(); }

  /// Equal when the accuracy, zero threshold, bucket counts, count, min and
  /// max agree. The running sum is left out: floating-point addition is not
  /// associative, so a merge and a sequential pass over the same values may
  /// differ in its last bits while describing the same distribution.
  friend bool operator==(const log_histogram& a, const log_histogram& b);

 private:
  [[nodiscard]] int index_of(double x) const noexcept {
    return static_cast<int>(std::ceil(std::log(x) * inverse_log_gamma_));
  }
  [[nodiscard]] double value_of(int index) const noexcept;
  [[nodiscard]] std::uint64_t bucket(int index) const noexcept;
  /// Grows the bucket vector so it covers indices [lo, hi].
  void cover(int lo, int hi);

  double accuracy_;
  double zero_threshold_;
  double log_gamma_;
  double inverse_log_gamma_;
  std::vector<std::uint64_t> counts_;
  int offset_ = 0;  ///< bucket index of counts_[0]
  std::uint64_t count_ = 0;
  std::uint64_t zero_count_ = 0;
  double sum_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace gwsim::sim
