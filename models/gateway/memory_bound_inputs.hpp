#pragma once
/// Scenario -> the parameters of the closed-form memory bounds
/// (models/analytic/memory_bounds.hpp): the one place that says which
/// scenario field is which symbol of papers/memory-bounds.md, and which
/// rebuild strategy is which kind of design.
///
/// History-dependent inputs are bounded from the scenario's admin workload,
/// never from a run: N is the initial route count plus every route the
/// script and loops may create; the shared-table versions (RCU) and worker
/// generations (reload) alive at once are at most one per write plus one,
/// and unbounded (+infinity) under Poisson writes; with a reload's
/// worker_shutdown_timeout_s, generations are also at most 2 + the timeout
/// over the shortest build (every page read in sequence).

#include <string_view>

#include "models/analytic/memory_bounds.hpp"
#include "models/gateway/scenario.hpp"

namespace gwsim::gateway {

/// The design kind of a registered strategy; throws std::invalid_argument
/// for an unknown name.
analytic::rebuild_kind rebuild_kind_of(std::string_view strategy);

/// Whether its pods hold memory these bounds cannot follow: past ngx.re's
/// cache every match-cache miss leaves native code that only finalizers
/// free, when a collector cycle ends (Kong #7482). The worker heap bound
/// still holds (it counts the patterns' Lua objects); the pod bound is then
/// +infinity.
bool regex_native_unbounded(const scenario& s);

/// The bound parameters of a scenario (validated first).
analytic::memory_bound_params memory_bound_inputs(const scenario& s);

/// The bounds of the scenario's own strategy.
analytic::memory_bound memory_bounds_of(const scenario& s);

}  // namespace gwsim::gateway
