#pragma once
/// Time average of a piecewise-constant quantity (queue length, memory in
/// use, number of busy servers).
///
/// Such a quantity changes only at event times, so its integral is an exact
/// sum of value * duration rectangles; sampling it at events instead would
/// over-weight busy periods, which have more events per unit of time.
///
/// Conventions: integrals are in value-seconds; over a zero-length window
/// the mean is the current value (the limit as the window shrinks), never
/// NaN. Times must not go backwards (std::invalid_argument otherwise).

#include <algorithm>

#include "sim/stats_checks.hpp"
#include "sim/time.hpp"

namespace gwsim::sim {

class time_weighted {
 public:
  explicit time_weighted(time_ns start = 0, double initial_value = 0.0)
      : start_(start), last_(start), value_(initial_value), min_(initial_value), max_(initial_value) {
    detail::require_finite(initial_value, "time_weighted initial value");
  }

  /// Records that the quantity takes `new_value` from `now` on.
  void update(time_ns now, double new_value) {
    detail::require_finite(new_value, "time_weighted value");
    advance(now);
    value_ = new_value;
    min_ = std::min(min_, new_value);
    max_ = std::max(max_, new_value);
  }

  /// Discards the history before `now` (end of warm-up). The current value
  /// is kept because the quantity still has it: a queue does not empty
  /// just because we start measuring.
  void reset(time_ns now) {
    advance(now);
    start_ = now;
    integral_ = 0.0;
    min_ = value_;
    max_ = value_;
  }

  /// Integral of the quantity over [start, now], in value-seconds.
  [[nodiscard]] double integral(time_ns now) const {
    check_not_before_last(now);
    return integral_ + value_ * to_seconds(now - last_);
  }

  /// Time average over [start, now]; the current value if now == start.
  [[nodiscard]] double mean(time_ns now) const {
    const double total = integral(now);
    if (now == start_) {
      return value_;
    }
    return total / to_seconds(now - start_);
  }

  [[nodiscard]] double current() const noexcept { return value_; }
  /// Extremes of the values taken since the last reset, including values
  /// held for zero time (a spike set and cleared at one instant still counts).
  [[nodiscard]] double min() const noexcept { return min_; }
  [[nodiscard]] double max() const noexcept { return max_; }
  [[nodiscard]] time_ns start_time() const noexcept { return start_; }
  [[nodiscard]] time_ns last_update() const noexcept { return last_; }

 private:
  void check_not_before_last(time_ns now) const {
    if (now < last_) [[unlikely]] {
      detail::throw_invalid_argument("time_weighted time (ns)", now, "at or after the previous update");
    }
  }

  void advance(time_ns now) {
    check_not_before_last(now);
    integral_ += value_ * to_seconds(now - last_);
    last_ = now;
  }

  time_ns start_;
  time_ns last_;
  double value_;
  double integral_ = 0.0;
  double min_;
  double max_;
};

}  // namespace gwsim::sim
