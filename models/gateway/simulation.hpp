#pragma once
/// Scenario -> Result: builds the cluster, its database, traffic and admin
/// workload on a fresh simulator, runs it for run.duration_s and collects the
/// summary, the sampled time series and the event log.

#include <functional>

#include "models/gateway/result.hpp"
#include "models/gateway/scenario.hpp"

namespace gwsim::gateway {

/// `progress(fraction)` is called about every 1% of simulated time.
/// Throws std::invalid_argument for an invalid scenario (see validate()).
result run(const scenario& s, const std::function<void(double)>& progress = {});

}  // namespace gwsim::gateway
