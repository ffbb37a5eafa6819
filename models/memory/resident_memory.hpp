#pragma once
/// Resident memory (RSS) of one worker process: its Lua heap plus memory
/// outside it (nginx pools, shared-dict mappings touched, the JIT's machine
/// code), with an option for freed heap pages to stay resident for a while.
///
/// Allocators do not hand freed memory back to the OS at once: pages return
/// when a whole chunk is free and a trim runs, or after a decay time. A
/// cgroup OOM kill is decided on resident memory, so a sweep that frees
/// 300 MB does not save a worker that is killed before the pages go back.
/// `release_delay` models that lag as a fixed delay; 0 returns pages at once.
///
/// Retained pages are free memory the allocator still holds, so the heap
/// grows into them before it asks the OS for more: heap growth first takes
/// back retained bytes (the oldest first) and only the rest adds to the
/// resident size. Resident memory is thus non-heap + the allocator's
/// footprint, max(heap, what it held), not heap + every byte freed lately.
/// A very long delay makes the footprint the heap's high-water mark, which
/// is what LuaJIT's allocator shows on the testbed (freed pages stay mapped
/// for the whole run while the heap reuses them).
///
/// Retained bytes are kept in time buckets of release_delay / 64 (rounded
/// up), so memory stays bounded (at most 66 buckets) however often the heap
/// frees; a byte may stay resident up to one bucket width (about 1.6% of the
/// delay) longer than the delay, never shorter.

#include <cstddef>

#include "sim/ring_buffer.hpp"
#include "sim/time.hpp"

namespace gwsim::memory {

class resident_memory {
 public:
  /// `non_heap_bytes` finite and >= 0; `release_delay` in [0, sim::time_max].
  resident_memory(double non_heap_bytes, sim::time_ns release_delay);

  /// Heap bytes freed by the collector at `now` (gc_heap::take_freed_bytes()),
  /// leaving the heap at `heap_total_bytes` (gc_heap::total_bytes()). Growth
  /// of the heap since the last call reuses retained bytes first. Times must
  /// not go backwards across calls.
  void on_freed(double bytes, double heap_total_bytes, sim::time_ns now);

  /// Heap total + non-heap + freed bytes still retained at `now`: the
  /// heap's growth since the last call takes back retained bytes first.
  /// Forgets the retained bytes that have gone back to the OS.
  double resident_bytes(double heap_total_bytes, sim::time_ns now);
  /// Freed heap bytes not yet returned to the OS at `now`.
  double retained_bytes(sim::time_ns now);
  /// Bytes the heap has grown into since the last call that it did not hold
  /// (neither retained nor held before): pages the process touches for the
  /// first time, which cost a page fault and zeroing each. Seen at the
  /// calls of on_freed() and resident_bytes().
  double take_grown_bytes() noexcept {
    const double g = grown_;
    grown_ = 0;
    return g;
  }

  double non_heap_bytes() const noexcept { return non_heap_bytes_; }
  sim::time_ns release_delay() const noexcept { return release_delay_; }
  /// Buckets held; at most 66.
  std::size_t pending_buckets() const noexcept { return buckets_.size() + (open_.bytes > 0.0 ? 1 : 0); }

  /// A respawned worker: nothing retained, time starts over.
  void reset() noexcept;

 private:
  struct bucket {
    sim::time_ns release_at = 0;
    double bytes = 0;
  };

  void advance(sim::time_ns now);
  /// The heap is at `heap_total_bytes` before any free being reported:
  /// its growth since the last call takes retained bytes back, oldest first.
  void reuse(double heap_total_bytes);

  double non_heap_bytes_;
  sim::time_ns release_delay_;
  sim::time_ns bucket_width_;
  sim::ring_buffer<bucket> buckets_;
  bucket open_;  ///< the newest bucket, still taking frees
  double retained_ = 0;
  double heap_seen_ = 0;  ///< heap total at the last call
  double grown_ = 0;      ///< growth not covered by retained bytes, since take_grown_bytes()
  sim::time_ns last_now_ = 0;
};

}  // namespace gwsim::memory
