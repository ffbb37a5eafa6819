#pragma once
/// The rebuild strategies a scenario may name in `strategy`.
///
/// validate() and the scenario field reference read the strategy registry
/// (strategy.cpp) through this small header, so that a scenario naming a
/// strategy the simulator does not have fails when it is loaded, not halfway
/// through a sweep, and so that scenario code need not include the strategy
/// interface. A new strategy is registered in strategy.cpp only.

#include <string>
#include <vector>

namespace gwsim::gateway {

/// Registered strategy names, in the order they are documented (defined in
/// strategy.cpp; declared here as well to keep this header light).
std::vector<std::string> strategy_names();

/// The names a scenario's `strategy` may take.
inline std::vector<std::string> known_strategies() {
  return strategy_names();
}

}  // namespace gwsim::gateway
