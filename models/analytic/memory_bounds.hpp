#pragma once
/// Closed-form bounds on the peak Lua heap of one gateway worker and on the
/// peak memory of a pod, per way of rebuilding routers. The derivations are
/// in papers/memory-bounds.md; the names below follow its notation.
///
/// The collector is LuaJIT 2.1's incremental collector as gwsim models it
/// (models/memory/gc_heap.hpp): a cycle starts when the heap total reaches
/// threshold = max(pause% x estimate, estimate + step); marking does the
/// live bytes found at the cycle start at s = stepmul/100 units per byte
/// allocated; the sweep does c = 10/mean_object_bytes units per byte present
/// when it starts; estimate = what survived the sweep. Two facts drive every
/// bound:
///
///   (P1) peak total <= T* + L*/s + step, where L* bounds the live bytes and
///        T* = max(p E*, E* + step, (E* + (c/s) L*/s + step) / (1 - c/s))
///        bounds the total at which a cycle starts, E* bounding the estimate;
///   (P2) estimate = live at cycle start + live bytes allocated while marking
///        <= L* + min(L*/s, f L*/s + slack), where f bounds the share of
///        live bytes in what the worker allocates and slack the live bytes
///        that can sit at the edges of the marking window.
///
/// A design changes only L*, f and slack: a worker that replaces its router
/// holds two routers during a build and allocates its router as 60% (with
/// the default constants) of what a build allocates; an in-place, shared or
/// forked router leaves requests (a cache value beside their garbage) as the
/// only live allocation. Pure functions, no simulator: they are checked
/// against it in tests/models/gateway/memory_bound_property_test.cpp.
///
/// Assumptions (the bound is a theorem under them): no worker is OOM-killed
/// during the run (the pod limit is above the pod bound), resident memory
/// returns freed pages at once (memory.release_delay_s = 0) for the pod
/// bound, and c/s < 1 (true for every valid LuaJIT setting with objects of
/// 10 bytes or more; otherwise the bound is +infinity).

namespace gwsim::analytic {

/// How a design holds and replaces routers, as far as memory is concerned.
enum class rebuild_kind {
  replace_per_worker,   ///< every worker builds a whole new router beside the old one (Kong 2.x, APISIX lazy)
  in_place_per_worker,  ///< every worker patches its live router (incremental, sharded)
  shared_table,         ///< one table per pod outside the workers, freed with its last reader (RCU)
  double_buffer,        ///< one table per pod outside the workers, the old freed at commit
  process_generation,   ///< the master builds, forks new workers; old ones drain (reload)
};

const char* to_string(rebuild_kind kind) noexcept;

/// Everything the bounds depend on: sizes in bytes, GC settings in LuaJIT's
/// percent. Plain data; memory_bound_inputs.hpp fills it from a scenario.
struct memory_bound_params {
  // configuration
  double routes = 0;                         ///< N: the most routes the configuration holds at any time
  double router_bytes_per_route = 0;         ///< r
  double build_garbage_per_route_bytes = 0;  ///< b: transient garbage of a full build
  /// h: the part of b a build holds live until it ends (the decoded routes); <= b.
  double build_held_per_route_bytes = 0;
  double entity_cache_bytes_per_route = 0;   ///< e
  double baseline_heap_bytes = 0;            ///< B
  double cache_slots = 0;                    ///< match cache slots
  double cache_slot_bytes = 0;
  double cache_value_bytes = 0;      ///< v
  double request_garbage_bytes = 0;  ///< g
  /// Routes one build step reads at once, with what it holds of them and
  /// their garbage (a database page; every route for a build from memory).
  double routes_per_build_step = 1000;
  /// Whether a replacing build allocates its router only after it has read
  /// every step (Kong's build_router calls Router.new after the last page),
  /// rather than a part of it with each step (a build from memory).
  bool router_after_reads = true;
  /// Whether the history may change the number of routes (creates and
  /// deletes); an in-place router then grows in place, which is live
  /// allocation.
  bool route_count_changes = false;
  /// Most routes one in-place update can add (the creates it applies).
  double max_routes_added_per_update = 0;
  // collector
  double gc_pause = 200;    ///< p x 100
  double gc_stepmul = 200;  ///< s x 100
  double gc_step_bytes = 1024;
  double gc_mean_object_bytes = 64;
  // pod
  double workers = 1;
  double non_heap_bytes = 0;   ///< worker RSS outside the heap
  double pod_fixed_bytes = 0;  ///< master, shared dicts, fixed zones
  /// shared_table: most table versions alive at once (the current one plus
  /// those retired but still held by a request); >= 1.
  double table_versions = 1;
  /// process_generation: most worker generations alive at once; >= 1.
  double generations = 1;
};

/// Throws std::invalid_argument naming the first invalid field.
void validate(const memory_bound_params& p);

/// The quantities of the derivation, for one design.
struct memory_bound {
  double live_bytes = 0;         ///< L: a worker's live heap in a quiet state (full cache)
  double peak_live_bytes = 0;    ///< L*: most live bytes a worker ever holds
  double live_share = 0;         ///< f: bound on the live share of the worker's allocation
  double slack_bytes = 0;        ///< live bytes at the edges of one marking window
  double estimate_bytes = 0;     ///< E*: bound on the collector's estimate
  double cycle_start_bytes = 0;  ///< T*: bound on the total at which a cycle starts
  double worker_heap_bytes = 0;  ///< H: bound on the peak heap of any worker
  double shared_bytes = 0;       ///< pod memory held outside the workers (tables)
  double pod_bytes = 0;          ///< bound on the pod's peak resident memory
};

/// The quiet live set of a worker that holds its own router:
/// L = B + N (r + e) + slots (slot_bytes + v).
double worker_live_bytes(const memory_bound_params& p);

/// (P1): the peak heap total of a collector whose live bytes never exceed
/// `peak_live` and whose estimate never exceeds `estimate`. +infinity when
/// the sweep is paced slower than allocation (c/s >= 1).
double gc_peak_heap_bytes(double peak_live, double estimate, double gc_pause, double gc_stepmul,
                          double gc_step_bytes = 1024, double gc_mean_object_bytes = 64);

/// (P2): the bound on the estimate for live bytes <= `peak_live`, live share
/// `live_share` and edge slack `slack`.
double gc_estimate_bytes(double peak_live, double live_share, double slack, double gc_stepmul);

/// Every quantity of the bound for one design.
memory_bound memory_bounds(const memory_bound_params& p, rebuild_kind kind);

/// H for one design: the peak heap of any worker.
double worker_heap_bound(const memory_bound_params& p, rebuild_kind kind);
/// The peak resident memory of a pod.
double pod_memory_bound(const memory_bound_params& p, rebuild_kind kind);

}  // namespace gwsim::analytic
