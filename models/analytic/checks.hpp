#pragma once
/// Argument checks and the "unstable" result shared by the closed forms:
/// one wording for every error ("name = value is invalid: must be range")
/// and one shape for an overloaded queue (infinite means, never NaN).

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "models/analytic/queueing_formulas.hpp"

namespace gwsim::analytic::detail {

[[noreturn]] inline void bad(const char* name, double v, const char* range) {
  std::ostringstream msg;
  msg << name << " = " << v << " is invalid: must be " << range;
  throw std::invalid_argument(msg.str());
}

inline void require_positive(const char* name, double v, const char* range = "finite and > 0") {
  if (!std::isfinite(v) || v <= 0.0) bad(name, v, range);
}

inline void require_non_negative(const char* name, double v, const char* range = "finite and >= 0") {
  if (!std::isfinite(v) || v < 0.0) bad(name, v, range);
}

/// The measures of a queue whose offered `load` is >= 1.
inline queue_metrics unstable(double lambda, double load) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  queue_metrics m;
  m.stable = false;
  m.utilisation = load;
  m.throughput = lambda;
  m.wait_probability = 1.0;
  m.mean_wait = m.mean_sojourn = m.mean_queue_length = m.mean_in_system = inf;
  return m;
}

}  // namespace gwsim::analytic::detail
