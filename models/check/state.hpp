#pragma once
/// One state of the protocol model (model.hpp) and what can be read off it:
/// memory per worker and per pod, convergence, the canonical form.
///
/// A state is a handful of bytes so that hundreds of thousands fit in a hash
/// map. Unused worker slots (beyond model::workers) stay zero.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/check/model.hpp"

namespace gwsim::check {

enum class gc_phase : std::uint8_t { idle, marking, sweeping };

struct worker_state {
  std::uint8_t alive = 1;
  /// The version this worker serves; kept while it is dead (the last version
  /// it served) so that monotonicity can be checked across a respawn.
  std::uint8_t version = 0;
  std::uint8_t building = 0;  ///< a rebuild is in progress (per-worker strategies)
  std::uint8_t target = 0;    ///< version being built (meaningful while building)
  gc_phase gc = gc_phase::idle;
  std::uint8_t garbage = 0;   ///< freed by the end of the current (or next) cycle
  std::uint8_t floating = 0;  ///< died during the current cycle: survives it
  std::uint8_t estimate = 0;  ///< heap left by the last cycle (LuaJIT's estimate)
  std::uint8_t pending = 0;   ///< an undelivered write event (fault drop_event_while_rebuilding only)

  auto operator<=>(const worker_state&) const = default;
};

struct state {
  std::uint8_t store = 0;      ///< configuration version in the store (writes issued)
  std::uint8_t published = 0;  ///< shared strategies: version of the pod's published copy
  std::uint8_t building = 0;   ///< shared strategies: the pod is building a copy
  std::uint8_t target = 0;     ///< shared strategies: version being built
  std::uint8_t pending = 0;    ///< shared strategies: undelivered write event (fault only)
  std::array<worker_state, max_workers> workers{};

  auto operator<=>(const state&) const = default;
};

struct state_hash {
  std::size_t operator()(const state& s) const noexcept;
};

/// Every worker alive and quiet at version 0 with an empty heap apart from
/// its quiet level.
state initial_state(const model& m);

/// The worker's own memory: base + router + cache + an ongoing build +
/// garbage (per-worker strategies), base (shared strategies); 0 when dead.
int worker_memory(const model& m, const worker_state& w);

/// Live part of worker_memory (without garbage).
int worker_live(const model& m, const worker_state& w);

/// Number of pod-level router copies (shared strategies; 0 otherwise):
/// the published one, every older one still read by a live worker, and one
/// being built.
int shared_copies(const model& m, const state& s);

/// The cgroup's view: the sum over workers plus the shared copies.
int pod_memory(const model& m, const state& s);

/// True when the LuaJIT threshold is reached: a cycle must start before the
/// worker allocates again.
bool gc_due(const model& m, const worker_state& w);

/// Every worker alive and serving the store's version, no rebuild running,
/// and the pod within its limit (a state over the limit is about to lose a
/// worker, so it is not a resting point).
bool converged(const model& m, const state& s);

/// Workers sorted, so that permutations of one state compare equal.
state canonical(const model& m, state s);

/// One line, for traces: "store v2 | w0 v1 building v2 gc marking 3+1 garbage | ...".
std::string describe(const model& m, const state& s);

}  // namespace gwsim::check
