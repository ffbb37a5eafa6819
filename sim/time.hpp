#pragma once
/// Simulated time.
///
/// Time is a signed 64-bit count of nanoseconds since the start of a run.
/// Integer time makes event ordering exact: two events scheduled for "the
/// same" instant compare equal and are then ordered by their sequence number,
/// never by floating-point rounding. The range is capped at `time_max`
/// (about 73 years) so that arithmetic on times in the pending-event set
/// cannot overflow.

#include <cstdint>

namespace gwsim::sim {

using time_ns = std::int64_t;

inline constexpr time_ns ns_per_second = 1'000'000'000;
inline constexpr time_ns time_max = INT64_MAX / 4;

/// Converts seconds to simulated time, rounding to the nearest nanosecond.
/// Throws std::invalid_argument naming `what` for NaN, infinite, negative or
/// out-of-range values.
time_ns from_seconds(double seconds, const char* what = "seconds");

inline constexpr double to_seconds(time_ns t) noexcept {
  return static_cast<double>(t) / static_cast<double>(ns_per_second);
}

inline constexpr time_ns seconds(std::int64_t s) noexcept { return s * ns_per_second; }
inline constexpr time_ns milliseconds(std::int64_t ms) noexcept { return ms * 1'000'000; }
inline constexpr time_ns microseconds(std::int64_t us) noexcept { return us * 1'000; }

}  // namespace gwsim::sim
