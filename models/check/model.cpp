#include "models/check/model.hpp"

#include <string>

namespace gwsim::check {
namespace {

void require_int(std::string_view name, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    const std::string field = "model." + std::string(name);
    throw model_error(field, field + " = " + std::to_string(value) + " is invalid: must be an integer in [" +
                                 std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

}  // namespace

std::string_view to_string(strategy s) {
  return strategy_names[static_cast<std::size_t>(s)];
}

std::string_view to_string(fault f) {
  return fault_names[static_cast<std::size_t>(f)];
}

void validate(const model& m) {
  require_int("workers", m.workers, 1, max_workers);
  require_int("versions", m.versions, 1, max_versions);
  require_int("limit", m.limit, 1, max_limit);
  require_int("base", m.base, 0, max_unit);
  require_int("router", m.router, 1, max_unit);
  require_int("cache", m.cache, 0, max_unit);
  require_int("delta", m.delta, 0, max_unit);
  require_int("gc_pause", m.gc_pause, 100, 1000);
  require_int("max_states", m.max_states, 1, 20'000'000);
  if (static_cast<std::size_t>(m.strategy) >= strategy_names.size()) {
    throw model_error("model.strategy", "model.strategy is invalid: not a known strategy");
  }
  if (static_cast<std::size_t>(m.fault) >= fault_names.size()) {
    throw model_error("model.fault", "model.fault is invalid: not a known fault");
  }
}

}  // namespace gwsim::check
