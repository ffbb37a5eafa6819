#pragma once
/// The ladder queue (Tang, Goh and Thng, ACM TOMACS 2005): an O(1) amortised
/// pending-event set, the kernel's default.
///
/// Why not a heap: with a million pending events every heap operation walks
/// log2(1e6) = 20 levels of memory that no longer fits in cache. The ladder
/// instead keeps far-future events unsorted in `top_`, spreads nearer ones
/// over rungs of time buckets (each finer than the one above), and sorts only
/// the handful of events in the earliest bucket into `bottom_`. Each event is
/// moved a small constant number of times on average, mostly sequentially.
///
/// Our variant works on integer time, so ordering is exact: `bottom_` is
/// sorted by (time, seq); a bucket whose width is already one nanosecond is
/// sorted rather than split further. Bucket widths are powers of two, so
/// finding an event's bucket is a shift, not a 64-bit division (which would
/// cost more than everything else on the push path together).

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "sim/event.hpp"

namespace gwsim::sim {

class ladder_queue {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept;

  void push(const event& e);

  /// Precondition: !empty(). Non-const: finds the minimum lazily.
  const event& top() {
    if (head_ == bottom_.size()) refill_bottom();
    return bottom_[head_];
  }

  /// Precondition: !empty().
  event pop() {
    if (head_ == bottom_.size()) refill_bottom();
    --size_;
    return bottom_[head_++];
  }

  /// Removes every event for which `pred` is true; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred pred);

 private:
  /// Buckets larger than this are split into a finer rung instead of sorted.
  static constexpr std::size_t split_threshold = 48;
  /// A bottom larger than this becomes a rung of its own, so that inserting
  /// into it stays cheap when the lowest rung's buckets were too coarse.
  static constexpr std::size_t bottom_max = 16;
  static constexpr std::size_t max_rungs = 12;
  /// At most this many buckets per rung. The original ladder uses one
  /// bucket per event; capping the count keeps the bucket headers and the
  /// append position of every bucket in cache, so spreading a million events
  /// over a rung streams through memory instead of missing on every event.
  /// The price is one more rung, which is cheap.
  static constexpr std::size_t max_buckets = 1024;

  struct rung {
    time_ns start = 0;
    time_ns width = 1;  ///< 1 << shift
    unsigned shift = 0;
    std::size_t nbuckets = 0;
    std::size_t cur = 0;    ///< first bucket not yet handed down
    std::size_t count = 0;  ///< events in buckets [cur, nbuckets)
    /// Bucket storage is kept across uses of the rung: no allocation once
    /// the ladder has grown to the model's working size.
    std::vector<std::vector<event>> buckets;

    time_ns cur_start() const noexcept { return start + static_cast<time_ns>(cur) * width; }
    std::size_t index(time_ns t) const noexcept { return static_cast<std::size_t>((t - start) >> shift); }
    void place(const event& e) {
      buckets[index(e.time)].push_back(e);
      ++count;
    }
  };

  /// Prepares `g` to cover [lo, lo + span) with about `n` events.
  static void shape(rung& g, time_ns lo, time_ns span, std::size_t n);
  void refill_bottom();
  void insert_bottom(const event& e);

  std::vector<event> top_;  ///< unsorted, every event with time >= top_start_
  time_ns top_start_ = 0;
  time_ns top_min_ = 0;
  time_ns top_max_ = 0;
  std::array<rung, max_rungs> rungs_;
  std::size_t nrungs_ = 0;
  std::vector<event> bottom_;  ///< sorted ascending from head_
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

inline void ladder_queue::push(const event& e) {
  ++size_;
  if (e.time >= top_start_) {
    if (top_.empty()) {
      top_min_ = top_max_ = e.time;
    } else {
      top_min_ = std::min(top_min_, e.time);
      top_max_ = std::max(top_max_, e.time);
    }
    top_.push_back(e);
    return;
  }
  for (std::size_t r = 0; r < nrungs_; ++r) {
    rung& g = rungs_[r];
    if (e.time >= g.cur_start()) {
      g.place(e);
      return;
    }
  }
  insert_bottom(e);
}

template <class Pred>
std::size_t ladder_queue::erase_if(Pred pred) {
  std::size_t removed = std::erase_if(top_, pred);
  if (!top_.empty()) {
    auto [lo, hi] = std::minmax_element(top_.begin(), top_.end(),
                                        [](const event& a, const event& b) { return a.time < b.time; });
    top_min_ = lo->time;
    top_max_ = hi->time;
  }
  for (std::size_t r = 0; r < nrungs_; ++r) {
    rung& g = rungs_[r];
    for (std::size_t b = g.cur; b < g.nbuckets; ++b) {
      std::size_t k = std::erase_if(g.buckets[b], pred);
      g.count -= k;
      removed += k;
    }
  }
  auto live = bottom_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto kept = std::remove_if(live, bottom_.end(), pred);
  removed += static_cast<std::size_t>(bottom_.end() - kept);
  bottom_.erase(kept, bottom_.end());
  size_ -= removed;
  return removed;
}

}  // namespace gwsim::sim
