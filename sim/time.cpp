#include "sim/time.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gwsim::sim {

time_ns from_seconds(double seconds, const char* what) {
  constexpr double max_seconds = static_cast<double>(time_max) / static_cast<double>(ns_per_second);
  if (!std::isfinite(seconds) || seconds < 0.0 || seconds > max_seconds) {
    std::ostringstream msg;
    msg << what << " = " << seconds << " s is out of range: a simulated time or delay must be finite and in [0, "
        << max_seconds << "] s";
    throw std::invalid_argument(msg.str());
  }
  // Non-negative here, so adding one half and truncating rounds half away
  // from zero like llround, without the library call on this hot path.
  return static_cast<time_ns>(seconds * static_cast<double>(ns_per_second) + 0.5);
}

}  // namespace gwsim::sim
