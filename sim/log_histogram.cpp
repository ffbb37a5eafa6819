#include "sim/log_histogram.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace gwsim::sim {

log_histogram::log_histogram(double relative_accuracy, double zero_threshold)
    : accuracy_(relative_accuracy), zero_threshold_(zero_threshold) {
  if (!(relative_accuracy >= min_relative_accuracy && relative_accuracy <= max_relative_accuracy)) {
    detail::throw_invalid_argument("log_histogram relative_accuracy", relative_accuracy, "in [1e-4, 0.5]");
  }
  if (!(zero_threshold >= 0.0 && zero_threshold <= std::numeric_limits<double>::max())) {
    detail::throw_invalid_argument("log_histogram zero_threshold", zero_threshold, "finite and >= 0");
  }
  const double gamma = (1.0 + relative_accuracy) / (1.0 - relative_accuracy);
  log_gamma_ = std::log(gamma);
  inverse_log_gamma_ = 1.0 / log_gamma_;
}

std::uint64_t log_histogram::rank(double q, std::uint64_t n) {
  if (!(q >= 0.0 && q <= 1.0)) {
    detail::throw_invalid_argument("quantile q", q, "in [0, 1]");
  }
  const auto k = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  return std::clamp<std::uint64_t>(k, 1, std::max<std::uint64_t>(n, 1));
}

double log_histogram::value_of(int index) const noexcept {
  // gamma^i * 2 / (1 + gamma) simplifies to gamma^i * (1 - a): the point
  // whose relative distance to both bucket edges is exactly a.
  return std::exp(static_cast<double>(index) * log_gamma_) * (1.0 - accuracy_);
}

std::uint64_t log_histogram::bucket(int index) const noexcept {
  if (index < offset_ || index >= offset_ + static_cast<int>(counts_.size())) {
    return 0;
  }
  return counts_[static_cast<std::size_t>(index - offset_)];
}

void log_histogram::cover(int lo, int hi) {
  if (counts_.empty()) {
    // Start with a few buckets either side: the next values are likely close.
    constexpr int initial_slack = 32;
    offset_ = lo - initial_slack;
    counts_.assign(static_cast<std::size_t>(hi - lo + 1 + 2 * initial_slack), 0);
    return;
  }
  const int old_lo = offset_;
  const int old_hi = offset_ + static_cast<int>(counts_.size()) - 1;
  if (lo >= old_lo && hi <= old_hi) {
    return;
  }
  // Grow geometrically on the side that overflowed so that a slowly
  // widening range costs amortised O(1) per add.
  const int slack = std::max(32, static_cast<int>(counts_.size() / 2));
  const int new_lo = lo < old_lo ? lo - slack : old_lo;
  const int new_hi = hi > old_hi ? hi + slack : old_hi;
  std::vector<std::uint64_t> grown(static_cast<std::size_t>(new_hi - new_lo + 1), 0);
  std::copy(counts_.begin(), counts_.end(), grown.begin() + (old_lo - new_lo));
  counts_ = std::move(grown);
  offset_ = new_lo;
}

void log_histogram::merge(const log_histogram& other) {
  if (&other == this) {
    const log_histogram copy = other;
    merge(copy);
    return;
  }
  if (other.accuracy_ != accuracy_ || other.zero_threshold_ != zero_threshold_) {
    throw std::invalid_argument(
        "log_histogram::merge: other relative_accuracy, zero_threshold = " + detail::format_number(other.accuracy_) +
        ", " + detail::format_number(other.zero_threshold_) + " is invalid: must equal this histogram's " +
        detail::format_number(accuracy_) + ", " + detail::format_number(zero_threshold_));
  }
  if (other.count_ == 0) {
    return;
  }
  // Only the occupied part of other's vector matters; its slack stays unused.
  const auto first = std::find_if(other.counts_.begin(), other.counts_.end(), [](auto c) { return c != 0; });
  if (first != other.counts_.end()) {
    const auto last = std::find_if(other.counts_.rbegin(), other.counts_.rend(), [](auto c) { return c != 0; });
    const int lo = other.offset_ + static_cast<int>(first - other.counts_.begin());
    const int hi = other.offset_ + static_cast<int>(other.counts_.rend() - last) - 1;
    cover(lo, hi);
    for (int i = lo; i <= hi; ++i) {
      counts_[static_cast<std::size_t>(i - offset_)] += other.bucket(i);
    }
  }
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double log_histogram::quantile(double q) const {
  const std::uint64_t k = rank(q, count_);
  if (count_ == 0) {
    return 0.0;
  }
  if (k == 1) {
    return min_;
  }
  if (k == count_) {
    return max_;
  }
  // Clamping to [min, max] can only move the estimate towards the true
  // order statistic, which lies in that range, so the bound survives it.
  std::uint64_t cumulative = zero_count_;
  if (k <= cumulative) {
    return std::clamp(0.0, min_, max_);
  }
  for (std::size_t j = 0; j < counts_.size(); ++j) {
    cumulative += counts_[j];
    if (k <= cumulative) {
      return std::clamp(value_of(offset_ + static_cast<int>(j)), min_, max_);
    }
  }
  return max_;  // unreachable while the counts are consistent
}

void log_histogram::clear() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  zero_count_ = 0;
  sum_ = 0.0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

bool operator==(const log_histogram& a, const log_histogram& b) {
  if (a.accuracy_ != b.accuracy_ || a.zero_threshold_ != b.zero_threshold_ || a.count_ != b.count_ ||
      a.zero_count_ != b.zero_count_ || a.min() != b.min() || a.max() != b.max()) {
    return false;
  }
  // Compare over the union of both index ranges: equal contents may sit in
  // vectors of different extent.
  const int lo = std::min(a.offset_, b.offset_);
  const int hi =
      std::max(a.offset_ + static_cast<int>(a.counts_.size()), b.offset_ + static_cast<int>(b.counts_.size()));
  for (int i = lo; i < hi; ++i) {
    if (a.bucket(i) != b.bucket(i)) {
      return false;
    }
  }
  return true;
}

}  // namespace gwsim::sim
