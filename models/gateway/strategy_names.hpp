#pragma once
/// The rebuild strategies a scenario may name in `strategy`.
///
/// One list, read by validate(), the scenario field reference and the
/// strategy registry, so that a scenario file naming a strategy the
/// simulator does not have fails when it is loaded, not halfway through a
/// sweep. A new strategy adds its name here.

#include <string>
#include <vector>

namespace gwsim::gateway {

/// Registered strategy names, in the order the documentation lists them.
inline std::vector<std::string> known_strategies() {
  return {
      "full_rebuild",  ///< every worker rebuilds its whole router (Kong 2.x)
      "incremental",   ///< every worker patches its router per change (Kong 3.x ATC)
  };
}

}  // namespace gwsim::gateway
