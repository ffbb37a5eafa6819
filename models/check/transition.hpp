#pragma once
/// The steps of the protocol model: which are enabled in a state and what
/// they lead to. Every nondeterministic choice (which worker moves, which of
/// the largest workers the OOM killer picks) is a separate successor.
///
/// Urgency: when the pod total exceeds the limit the only enabled steps are
/// OOM kills (the kernel acts on the failing allocation, before anything
/// else happens); when a worker's GC cycle is due, that worker's allocating
/// steps wait until the cycle starts.

#include <string>
#include <vector>

#include "models/check/model.hpp"
#include "models/check/state.hpp"

namespace gwsim::check {

enum class step_kind : std::uint8_t {
  admin_write,    ///< the store version goes up by one
  start_rebuild,  ///< a stale worker starts building the store's version
  swap,           ///< a worker's rebuild finishes; the old structures become garbage
  gc_start,       ///< LuaJIT threshold reached: marking begins
  gc_atomic,      ///< marking done, sweeping begins
  gc_finish,      ///< sweep done: garbage from before the cycle is freed
  oom_kill,       ///< the pod is over its limit: the largest worker is killed
  respawn,        ///< the master forks a new worker, which builds its router first
  pod_build,      ///< shared strategies: the pod starts building a copy
  pod_publish,    ///< shared strategies: the new copy is published
  adopt,          ///< shared strategies: a worker switches to the published copy
};

struct step {
  step_kind kind = step_kind::admin_write;
  int worker = -1;   ///< the worker that moves, -1 for store / pod steps
  int version = -1;  ///< the version involved, where there is one
};

struct successor {
  step how;
  state to;
};

/// Every enabled step in `s` (not canonicalised: worker numbers are those of
/// `s`), in a fixed order so that exploration is deterministic.
std::vector<successor> successors(const model& m, const state& s);

/// "worker 1 starts rebuild to v2"
std::string describe(const step& how);

}  // namespace gwsim::check
