#pragma once
/// Argument validation shared by the statistics layer.
///
/// The checks are inline so that hot paths (one `add` per observation) pay
/// only a compare and a predictable branch; the message formatting lives out
/// of line in stats_checks.cpp so it does not bloat every caller.

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace gwsim::sim::detail {

/// Shortest text that reads back as `value` (0.7, not 0.69999999999999996).
[[nodiscard]] std::string format_number(double value);

/// Throws std::invalid_argument "<what> = <value> is invalid: must be <allowed>".
[[noreturn]] void throw_invalid_argument(std::string_view what, double value, std::string_view allowed);
[[noreturn]] void throw_invalid_argument(std::string_view what, std::int64_t value, std::string_view allowed);
[[noreturn]] void throw_invalid_argument(std::string_view what, std::uint64_t value, std::string_view allowed);

inline void require_finite(double value, std::string_view what) {
  if (!std::isfinite(value)) [[unlikely]] {
    throw_invalid_argument(what, value, "a finite number");
  }
}

/// Confidence levels are probabilities strictly between 0 and 1: 0 and 1
/// give degenerate (zero or infinite) intervals that are always a bug.
inline void require_confidence_level(double level, std::string_view what = "confidence level") {
  if (!(level > 0.0 && level < 1.0)) [[unlikely]] {
    throw_invalid_argument(what, level, "in the open interval (0, 1)");
  }
}

}  // namespace gwsim::sim::detail
