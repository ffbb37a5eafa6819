#pragma once
/// The abstract protocol model that models/check explores exhaustively.
///
/// The discrete-event simulator (models/gateway) answers "how much, how
/// often" for one random run; this model answers "can it ever" for every
/// interleaving of a tiny configuration: up to 3 workers of one pod and up to
/// 3 configuration versions (so at most 2 admin writes). Sizes are abstract
/// units (think "a router is 2, a match cache is 1"), small integers so that
/// the reachable state graph stays small: tens to a few thousand states for
/// the shipped examples, explored in milliseconds.
///
/// Modelling assumptions, each one a deliberate abstraction:
///
/// - One pod. Only nginx workers are modelled; the master, the admin node and
///   the database are not (an admin write is one atomic step that bumps the
///   store version). Writes are bounded by `versions - 1`, which is what makes
///   the state space finite.
/// - Workers notice a newer store version by polling (Kong's `eventual`
///   timer): a stale worker may start a rebuild at any moment, and rebuilds to
///   the store's version *at that moment*, not to the next version (a rebuild
///   reads the whole configuration). A write that lands during a rebuild is
///   picked up by the next rebuild.
/// - A rebuild allocates all its new memory when it starts and swaps when it
///   finishes; in between old and new structures are both live. That is the
///   peak of a real build, which allocates gradually.
/// - Memory per worker = base + router + cache (its quiet level) + what an
///   ongoing build holds + garbage. The pod total adds the shared router
///   copies of the shared strategies. The pod limit is a cgroup limit: as
///   soon as the total exceeds it the only possible step is the OOM killer,
///   which kills the worker with the largest memory (any one of them on a
///   tie). A killed worker frees everything and may respawn later (the
///   master's delay is left open); a respawned worker builds its router from
///   the latest configuration before serving (Kong >= 3.1 behaviour; for the
///   shared strategies it attaches to the published copy) and starts with a
///   heap of exactly its quiet level. A dead worker remembers the version it
///   last served, so that a respawn can be compared with it. The pod cannot
///   be over its limit with no worker alive and still make progress: such a
///   state has no successor (only possible for the shared strategies, whose
///   builder is never killed) and counts as stuck.
/// - LuaJIT's collector (per worker, per-worker strategies only) is
///   incremental and non-generational, abstracted to three phases: idle ->
///   marking -> sweeping -> idle. Garbage that exists when a cycle starts is
///   freed when the cycle ends; garbage created during a cycle (an old router
///   dropped by a swap while marking) floats to the next cycle. A cycle
///   starts exactly when the worker's heap reaches `gc_pause`% of the heap
///   left by the last cycle (LuaJIT's threshold = estimate / 100 * pause);
///   while a cycle is due, that worker allocates nothing until it starts.
///   How fast the phases advance relative to allocation is left
///   nondeterministic: the model covers every pacing, including a collector
///   that lags far behind a fast allocator (LuaJIT's stepmul is not modelled).
/// - Strategies (names as in the simulator, models/gateway/strategy.cpp):
///   full_rebuild: each worker allocates a whole new router and a new cache
///     while the old ones stay live; at the swap both old ones become garbage.
///   incremental: each worker allocates `delta` for the changed part; at the
///     swap the replaced part (`delta`) and the flushed cache entries
///     (`cache`) become garbage, the cache being flushed in place (#9339).
///   shared_rcu: one router copy (router + cache) per pod, built by the pod;
///     workers read it through reference-counted pointers, and a copy is
///     freed the moment no worker and not the publisher references it (no
///     GC lag). Several old copies may be pinned by slow workers.
///   double_buffer: like shared_rcu, but the pod owns exactly two buffers and
///     starts a new build only once every live worker has moved to the
///     published version, so at most two copies exist.
///   For the shared strategies workers hold only `base` of their own and have
///   no modelled garbage; the pod builder is never OOM-killed.
/// - Converged means: every worker alive, serving the store's version, no
///   rebuild running, and the pod within its limit. Liveness is checked as
///   "a converged state stays reachable from everywhere" (no point of no
///   return), not "every run converges", which would need fairness
///   assumptions about the scheduler and the OOM killer.
/// - Symmetry: workers are interchangeable (nothing in the model depends on a
///   worker's number, and OOM ties are broken every possible way), so states
///   that differ only by a permutation of workers are merged when `symmetry`
///   is on (the canonical state sorts its workers). Verdicts and traces are
///   the same; only the counts shrink. Traces are replayed on concrete states
///   so worker numbers stay consistent along a trace.

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsim::check {

enum class strategy : std::uint8_t { full_rebuild, incremental, shared_rcu, double_buffer };

/// Deliberately broken protocol variants, so that tests can show that each
/// property is actually able to fail (a checker that never fails proves
/// nothing).
enum class fault : std::uint8_t {
  none,
  /// A respawned worker serves configuration version 0 until its next
  /// rebuild (the shape of Kong #8828, a respawned worker answering from an
  /// empty router): violates version monotonicity across a respawn.
  respawn_at_version_zero,
  /// Workers learn of writes only by an event, and an event that arrives
  /// while the worker (or, for shared strategies, the pod builder) is
  /// rebuilding is dropped: the last write can then never arrive, which
  /// violates convergence and "no write lost".
  drop_event_while_rebuilding,
};

inline constexpr std::array<std::string_view, 4> strategy_names{"full_rebuild", "incremental", "shared_rcu",
                                                                "double_buffer"};
inline constexpr std::array<std::string_view, 3> fault_names{"none", "respawn_at_version_zero",
                                                             "drop_event_while_rebuilding"};

std::string_view to_string(strategy s);
std::string_view to_string(fault f);

/// Hard bounds of the model (the state encoding relies on them).
inline constexpr int max_workers = 3;
inline constexpr int max_versions = 3;
inline constexpr int max_unit = 8;     ///< base, router, cache, delta
inline constexpr int max_limit = 255;  ///< pod limit in units

/// One model: the contents of a model file's [model] table.
struct model {
  check::strategy strategy = check::strategy::full_rebuild;
  int workers = 2;     ///< nginx workers in the pod, [1, 3]
  int versions = 3;    ///< configuration versions 0..versions-1, i.e. versions-1 admin writes, [1, 3]
  int limit = 12;      ///< pod memory limit (cgroup), units, [1, 255]
  int base = 1;        ///< per-worker memory that is not router or cache, units
  int router = 2;      ///< one router, units
  int cache = 1;       ///< one match cache (filled), units
  int delta = 1;       ///< incremental: what one incremental update allocates, units
  int gc_pause = 200;  ///< LuaJIT's setpause, percent, [100, 1000]
  check::fault fault = check::fault::none;
  bool symmetry = true;        ///< merge states that differ by a permutation of workers
  int max_states = 2'000'000;  ///< give up (an input error) beyond this many states

  bool shared() const noexcept {
    return strategy == check::strategy::shared_rcu || strategy == check::strategy::double_buffer;
  }
  /// Memory of one quiet, alive worker (for shared strategies its own part).
  int quiet_worker() const noexcept { return shared() ? base : base + router + cache; }
  /// One pod-level router copy (shared strategies).
  int shared_copy() const noexcept { return router + cache; }
  /// Pod total when every worker is alive and quiet at version 0.
  int quiet_pod() const noexcept { return workers * quiet_worker() + (shared() ? shared_copy() : 0); }
  /// What a per-worker rebuild allocates while it runs.
  int build_allocation() const noexcept { return strategy == check::strategy::incremental ? delta : router + cache; }
  /// What becomes garbage when a per-worker rebuild swaps.
  int swap_garbage() const noexcept {
    return strategy == check::strategy::incremental ? delta + cache : router + cache;
  }
};

/// An invalid model. what() is the whole message and names the field and its
/// allowed values; field() is the dotted path ("model.workers"), empty for
/// file-level errors.
class model_error : public std::invalid_argument {
 public:
  model_error(std::string field, const std::string& message)
      : std::invalid_argument(message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// Throws model_error for the first out-of-range field. The one place a model
/// is validated: the file reader and tests building models in code both end
/// here.
void validate(const model& m);

}  // namespace gwsim::check
