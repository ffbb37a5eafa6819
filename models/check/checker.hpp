#pragma once
/// Exhaustive exploration of the protocol model and its properties.
///
/// The reachable states are enumerated breadth-first from the initial state
/// into a Boost.Graph adjacency list. Then:
/// - memory (invariant): pod total <= limit in every reachable state, i.e.
///   the OOM killer is never needed;
/// - no_write_lost: no worker serves or builds a version newer than the
///   store, the store never goes back, and from every reachable state one
///   where every write is issued and every worker serves the last version is
///   reachable;
/// - monotone (on edges): no step lowers any worker's served version,
///   counting a respawn against the version the worker served before dying;
/// - convergence (liveness, AG EF converged): from every reachable state a
///   converged state is reachable; computed by reverse reachability from the
///   converged states, with strongly connected components reported (a bottom
///   component without a converged state is where a run gets stuck).
/// Each violation comes with the shortest trace from the initial state
/// (Boost breadth-first search with recorded predecessors), replayed on
/// concrete states so that worker numbers are consistent along the trace.

#include "models/check/model.hpp"
#include "models/check/report.hpp"

namespace gwsim::check {

/// Validates `m` and checks it. Throws model_error when the state space
/// exceeds m.max_states.
report run_check(const model& m);

}  // namespace gwsim::check
