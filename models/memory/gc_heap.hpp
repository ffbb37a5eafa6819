#pragma once
/// One LuaJIT worker heap under LuaJIT 2.1's incremental, non-generational
/// mark-and-sweep collector.
///
/// Memory is modelled as aggregate objects (a router, the slot array of a
/// cache, the values it holds, a batch of request garbage), not as individual
/// Lua objects: the collector's pacing works on byte counts, so aggregates
/// reproduce how far memory runs ahead of the collector and how much CPU the
/// collector takes, which is what gateway memory amplification is about.
///
/// The heap is a plain class: the caller (a worker model) allocates and
/// releases, and collects the collector's CPU time with take_gc_cpu_s() to
/// charge it to its event loop, and the bytes swept free with
/// take_freed_bytes() for resident-memory accounting.
///
/// Pacing, as in LuaJIT's lj_gc_step()/gc_onestep():
///
/// - `total` counts every allocated byte not yet swept: live bytes plus
///   garbage. A cycle starts when an allocation takes `total` to `threshold`.
/// - During a cycle the collector runs in steps. A step does
///   `step_size_bytes * stepmul / 100` units of work and the next one comes
///   after `step_size_bytes` more bytes have been allocated, so the collector
///   advances `stepmul / 100` units per allocated byte. (LuaJIT computes the
///   per-step budget as `(GCSTEPSIZE / 100) * stepmul` in integers, 10 instead
///   of 10.24 times stepmul: about 2% less work; we use the exact ratio.)
/// - Debt: every step adds `total - threshold` to a debt when total has run
///   past the threshold; while the debt is at least one step size, the next
///   step comes at the very next allocation and repays one step size. With
///   fine-grained allocation total only runs past the threshold when a cycle
///   ends with `total` already above the new threshold (the allocator
///   outran the sweep): the next cycle then starts at the next allocation with
///   debt `total - threshold` and performs `1 + floor(debt / step_size)` steps
///   at once before returning to the normal pace. That is what is modelled;
///   debt left below one step size is forgiven at the end of the cycle, as in
///   LuaJIT. Work left in a step that completes a cycle is discarded.
/// - Allocation is treated as a continuous stream: one allocate() call of
///   300 MB takes the steps that 300 MB of small allocations would, computed
///   in closed form per phase (O(phases crossed), not O(bytes / step size)).
///
/// Phases and what each one frees (LuaJIT's colours, aggregated):
///
/// - pause: no collection. Garbage accumulates and will be freed by the next
///   cycle's sweep.
/// - propagate (mark, including the atomic step): paced mark work equals the
///   live bytes at cycle start, one unit per byte (LuaJIT charges the bytes
///   of each traversed object). Live objects allocated during marking are
///   reached mostly in the atomic step (they hang off the stack, or the
///   tables they were stored into were turned gray again by the write
///   barrier), which LuaJIT does all at once and does not charge to the
///   pace: here their bytes cost mark CPU when marking ends and do not
///   lengthen the phase. Garbage allocated during marking is never reached and is
///   freed by this cycle's sweep. An object released after marking began is
///   taken to be marked already (conservative: LuaJIT frees it in this cycle
///   if its traversal had not reached it yet): it floats to the next cycle.
/// - sweep: the work is the bytes present when the sweep starts, at
///   `10 / mean_object_bytes` units per byte (LuaJIT charges GCSWEEPCOST = 10
///   units per object swept, not per byte, so the sweep is paced much faster
///   than marking). Garbage that was dead when marking ended is freed in
///   proportion as the sweep advances. Objects allocated during the sweep
///   are not swept (they are linked in ahead of the sweep cursor) and
///   survive it; objects released or garbage allocated during the sweep
///   float to the next cycle.
/// - end of cycle: `estimate` = what survived among the bytes present when
///   the sweep started (live plus floating garbage at that moment; bytes
///   allocated during the sweep are not in it, as in LuaJIT), and
///   `threshold = estimate * pause / 100`, but at least one step size above
///   the estimate (LuaJIT needs at least one more allocation before its next
///   step; with continuous allocation this keeps a cycle from starting and
///   ending at the same instant forever).
///
/// Not modelled: the finalizer phase (cdata and userdata finalizers, such as
/// PCRE regexes, that keep objects alive one more cycle), string-table
/// resizing, the atomic step being deferred while a trace runs, and LuaJIT's
/// own allocator overheads. CPU: marking costs `mark_ns_per_byte` per byte
/// marked (paced and atomic), sweeping `sweep_ns_per_byte` per byte swept and
/// `free_ns_per_byte` more per byte it frees.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gwsim::memory {

/// Collector settings. pause and stepmul are LuaJIT's
/// `collectgarbage("setpause"/"setstepmul")` values, in percent.
struct gc_params {
  /// A cycle starts when total reaches pause% of the estimate after the last
  /// cycle. Valid: [100, 1000]; below 100 LuaJIT would collect continuously.
  double pause = 200;
  /// Work units per step as a percentage of the step size. Valid:
  /// [100, 10000]. Below 100 the collector marks slower than the program
  /// allocates and, under sustained live allocation, LuaJIT may never finish
  /// a cycle (the reference manual warns against it); the model's fixed mark
  /// target would hide that, so it refuses. At 10000 a step already does 100
  /// units per byte: every cycle completes within a few steps, larger values
  /// change nothing.
  double stepmul = 200;
  /// CPU per byte marked, ns. Finite, >= 0.
  double mark_ns_per_byte = 0.5;
  /// CPU per byte swept, ns. Finite, >= 0.
  double sweep_ns_per_byte = 0.1;
  /// CPU per byte freed, on top of sweeping it, ns: a dead object goes back
  /// to the allocator, a live one only has its mark flipped. Finite, >= 0.
  double free_ns_per_byte = 0;
  /// Bytes allocated between steps (LuaJIT's GCSTEPSIZE, 1 KiB). Valid:
  /// [1, 1073741824].
  double step_size_bytes = 1024;
  /// Mean size of one GC object: the sweep is paced per object (10 units
  /// each), so this sets how fast sweeping advances per byte. Lua tables own
  /// their array and hash parts, so the mean is larger than a table header;
  /// calibrate against the testbed. Valid: [8, 1073741824].
  double mean_object_bytes = 64;
};

/// Throws std::invalid_argument naming the first invalid field.
void validate(const gc_params& params);

enum class gc_phase : std::uint8_t {
  pause,
  propagate,  ///< marking, including the atomic step that ends it
  sweep,
};

const char* to_string(gc_phase phase) noexcept;

/// Handle of an allocated aggregate object. Stale handles (released, or from
/// before a reset) are detected, not reused silently.
struct object_id {
  std::uint32_t index = UINT32_MAX;
  std::uint32_t generation = 0;
  friend bool operator==(object_id, object_id) = default;
};

class gc_heap {
 public:
  /// `baseline_bytes` is live memory that is never released (the VM, loaded
  /// code, module tables). The heap starts as if a full collection had just
  /// run: estimate = baseline, threshold from it.
  gc_heap(gc_params params, double baseline_bytes);

  /// Allocates a live object of `bytes` (finite, in [0, 1e15]), running the
  /// collector steps that this much allocation triggers.
  object_id allocate(double bytes);
  /// Changes a live object's size in place (a cache filling up, a router
  /// patched route by route). Growing allocates the difference, paced like
  /// any allocation; shrinking makes the difference garbage at once, as if
  /// that part of the object had been released. Throws std::invalid_argument
  /// for an id that is not live or a size outside [0, 1e15].
  void resize(object_id id, double new_bytes);
  /// Size of a live object.
  double object_bytes(object_id id) const;
  /// The object dies; it stays in total until a sweep frees it. Throws
  /// std::invalid_argument for an id that is not live.
  void release(object_id id);
  /// Allocates bytes that are dead at once: transient build data or request
  /// garbage. Runs the collector steps this allocation triggers.
  void allocate_garbage(double bytes);

  /// What LuaJIT has allocated: live plus garbage not yet swept.
  double total_bytes() const noexcept { return live_bytes() + garbage_bytes(); }
  /// Baseline plus every object allocated and not released.
  double live_bytes() const noexcept { return baseline_ + object_bytes_; }
  /// Dead bytes not yet freed: collectable plus floating.
  double garbage_bytes() const noexcept { return collectable_ + floating_; }
  /// Dead bytes the running cycle will not free (they died or were allocated
  /// after it started marking, or were allocated during its sweep). Zero in
  /// the pause: all garbage is then collectable by the next cycle.
  double floating_bytes() const noexcept { return floating_; }
  gc_phase phase() const noexcept { return phase_; }
  /// The total at which the next cycle starts; during a cycle, the one that
  /// started it.
  double threshold_bytes() const noexcept { return threshold_; }
  /// Bytes that survived the last completed cycle.
  double estimate_bytes() const noexcept { return estimate_; }
  std::uint64_t cycles_completed() const noexcept { return cycles_; }

  /// CPU seconds of collector work done since the last call.
  double take_gc_cpu_s() noexcept;
  double cumulative_gc_cpu_s() const noexcept { return cumulative_cpu_ns_ * 1e-9; }
  /// Bytes marked (paced and atomic) and swept since construction or reset:
  /// the GC CPU is exactly marked * mark_ns_per_byte + swept * sweep_ns_per_byte + freed * free_ns_per_byte.
  double cumulative_marked_bytes() const noexcept { return cumulative_marked_; }
  double cumulative_swept_bytes() const noexcept { return cumulative_swept_; }

  /// Bytes freed by sweeps since the last call.
  double take_freed_bytes() noexcept;
  double cumulative_freed_bytes() const noexcept { return cumulative_freed_; }

  bool is_live(object_id id) const noexcept;
  /// Number of live objects (the baseline is not an object).
  std::size_t live_objects() const noexcept { return live_objects_; }

  /// collectgarbage("collect"): an interrupted mark is abandoned (LuaJIT
  /// resets the colours with a sweep that frees nothing), an interrupted
  /// sweep is finished, then one complete cycle runs at once and frees all
  /// garbage, floating garbage included.
  void full_collect();

  /// A respawned worker: a fresh heap with this baseline. Every object id is
  /// invalidated and every counter and pending value cleared: the killed
  /// process's memory went back to the OS wholesale, not through sweeps.
  void reset(double baseline_bytes);

  const gc_params& params() const noexcept { return params_; }

 private:
  struct slot {
    double bytes = 0;
    std::uint32_t generation = 0;
    bool live = false;
  };

  void allocate_stream(double bytes, bool live);
  void add_allocated(double bytes, bool live) noexcept;
  void start_cycle() noexcept;
  void after_first_step() noexcept;
  /// Performs `units` of work at the current allocation position; returns
  /// true when the cycle completed (left-over work is discarded).
  bool work(double units) noexcept;
  void finish_marking() noexcept;
  void sweep_to(double swept) noexcept;
  void end_cycle() noexcept;
  double phase_units_left() const noexcept;
  void charge_mark(double bytes) noexcept;
  void charge_sweep(double bytes) noexcept;
  void free_bytes(double bytes) noexcept;
  void set_threshold_from_estimate() noexcept;

  gc_params params_;
  double step_units_ = 0;  ///< work per step
  double sweep_units_per_byte_ = 0;

  double baseline_ = 0;
  double object_bytes_ = 0;  ///< sum of live objects
  std::size_t live_objects_ = 0;
  double collectable_ = 0;  ///< garbage the next (or running) sweep frees
  double floating_ = 0;     ///< garbage that survives the running cycle

  gc_phase phase_ = gc_phase::pause;
  double threshold_ = 0;
  double estimate_ = 0;
  double debt_ = 0;
  double until_step_ = 0;     ///< bytes to allocate before the next step (in a cycle)
  double pending_steps_ = 0;  ///< debt steps due at the next allocation

  double mark_target_ = 0;  ///< live bytes when marking began
  double marked_ = 0;
  double atomic_bytes_ = 0;  ///< live bytes allocated while marking
  double sweep_target_ = 0;  ///< bytes present when the sweep began
  double swept_ = 0;
  double sweep_collectable_ = 0;  ///< collectable garbage when the sweep began
  double sweep_freed_ = 0;

  std::uint64_t cycles_ = 0;
  double pending_cpu_ns_ = 0;
  double cumulative_cpu_ns_ = 0;
  double cumulative_marked_ = 0;
  double cumulative_swept_ = 0;
  double pending_freed_ = 0;
  double cumulative_freed_ = 0;

  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
};

}  // namespace gwsim::memory
