#pragma once
/// Non-overlapping batch means for one long steady-state run.
///
/// Observations inside one run are autocorrelated (a long queue stays long),
/// so stddev/sqrt(n) understates the error of their mean. Means of long
/// consecutive batches are nearly independent, and a Student-t interval on
/// them is valid once the batches are much longer than the correlation time.
///
/// The run length is usually not known in advance, so the batch size adapts:
/// batches start with one observation, and whenever 2k batches are complete
/// adjacent pairs are merged into k batches of twice the size. Memory stays
/// at 2k doubles and, once at least k observations have arrived, the number
/// of complete batches is always in [k, 2k). Observations in the incomplete
/// last batch count towards `mean()` but not towards the interval, which
/// needs equal-size batches.
///
/// Feed only post-warm-up observations (see mser.hpp).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/online_stats.hpp"
#include "sim/replications.hpp"
#include "sim/stats_checks.hpp"

namespace gwsim::sim {

class batch_means {
 public:
  /// 30 batches: few enough that each is long, enough that the t quantile
  /// is close to the normal one (2.045 vs 1.96 at 95%).
  static constexpr std::size_t default_batch_count = 30;

  /// Throws std::invalid_argument if batch_count < 2.
  explicit batch_means(std::size_t batch_count = default_batch_count) : k_(batch_count) {
    if (batch_count < 2) {
      detail::throw_invalid_argument("batch_means batch_count", std::uint64_t{batch_count}, ">= 2");
    }
    sums_.reserve(2 * k_);
  }

  /// Throws std::invalid_argument for a non-finite value.
  void add(double x) {
    all_.add(x);  // validates x
    partial_sum_ += x;
    if (++partial_count_ < batch_size_) {
      return;
    }
    sums_.push_back(partial_sum_);
    partial_sum_ = 0.0;
    partial_count_ = 0;
    if (sums_.size() == 2 * k_) {
      for (std::size_t j = 0; j < k_; ++j) {
        sums_[j] = sums_[2 * j] + sums_[2 * j + 1];
      }
      sums_.resize(k_);
      batch_size_ *= 2;
    }
  }

  /// Student-t interval over the complete batch means, centred on their
  /// mean. Throws std::invalid_argument with fewer than 2 complete batches
  /// or a level outside (0, 1).
  [[nodiscard]] confidence_interval interval(double level = 0.95) const {
    require_two_batches();
    const std::vector<double> m = means();
    return student_t_interval(std::span<const double>(m), level);
  }

  /// Lag-1 autocorrelation of the complete batch means. Values clearly
  /// above 0 (say > 0.2 with 30 batches) mean the batches are too short for
  /// the interval to be trusted. Returns 0 when all batch means are equal.
  /// Throws std::invalid_argument with fewer than 2 complete batches.
  [[nodiscard]] double lag1_autocorrelation() const {
    require_two_batches();
    const std::vector<double> m = means();
    double centre = 0.0;
    for (const double v : m) {
      centre += v;
    }
    centre /= static_cast<double>(m.size());
    double numerator = 0.0;
    double denominator = 0.0;
    for (std::size_t j = 0; j < m.size(); ++j) {
      const double d = m[j] - centre;
      denominator += d * d;
      if (j + 1 < m.size()) {
        numerator += d * (m[j + 1] - centre);
      }
    }
    return denominator == 0.0 ? 0.0 : numerator / denominator;
  }

  /// Means of the complete batches, oldest first.
  [[nodiscard]] std::vector<double> means() const {
    std::vector<double> m;
    m.reserve(sums_.size());
    for (const double s : sums_) {
      m.push_back(s / static_cast<double>(batch_size_));
    }
    return m;
  }

  /// Mean of every observation, including the incomplete batch (0 if none).
  [[nodiscard]] double mean() const noexcept { return all_.mean(); }
  [[nodiscard]] std::uint64_t count() const noexcept { return all_.count(); }
  [[nodiscard]] std::uint64_t batch_size() const noexcept { return batch_size_; }
  [[nodiscard]] std::size_t complete_batches() const noexcept { return sums_.size(); }
  /// The k of the class comment: the interval uses between k and 2k - 1 batches.
  [[nodiscard]] std::size_t target_batch_count() const noexcept { return k_; }

 private:
  void require_two_batches() const {
    if (sums_.size() < 2) {
      detail::throw_invalid_argument("batch_means complete batches", std::uint64_t{sums_.size()},
                                     ">= 2 (add more observations)");
    }
  }

  std::size_t k_;
  std::uint64_t batch_size_ = 1;
  std::vector<double> sums_;  ///< sums of the complete batches
  double partial_sum_ = 0.0;
  std::uint64_t partial_count_ = 0;
  online_stats all_;
};

}  // namespace gwsim::sim
