#include "sim/ladder_queue.hpp"

#include <bit>
#include <cstdint>

namespace gwsim::sim {
namespace {

/// Buckets hold one or two events most of the time: insertion sort beats
/// std::sort's set-up there.
void sort_small_or_large(std::vector<event>& v) {
  if (v.size() > 16) {
    std::sort(v.begin(), v.end(), event_order{});
    return;
  }
  for (std::size_t i = 1; i < v.size(); ++i) {
    const event e = v[i];
    std::size_t j = i;
    for (; j > 0 && event_before(e, v[j - 1]); --j) v[j] = v[j - 1];
    v[j] = e;
  }
}

}  // namespace

void ladder_queue::clear() noexcept {
  top_.clear();
  top_start_ = 0;
  for (std::size_t r = 0; r < nrungs_; ++r) {
    rung& g = rungs_[r];
    for (std::size_t b = g.cur; b < g.nbuckets; ++b) g.buckets[b].clear();
    g.count = 0;
  }
  nrungs_ = 0;
  bottom_.clear();
  head_ = 0;
  size_ = 0;
}

void ladder_queue::shape(rung& g, time_ns lo, time_ns span, std::size_t n) {
  const auto events = static_cast<time_ns>(std::clamp<std::size_t>(n, 1, max_buckets));
  const time_ns want = (span + events - 1) / events;  // about one event per bucket
  g.shift = want <= 1 ? 0u : static_cast<unsigned>(std::bit_width(static_cast<std::uint64_t>(want - 1)));
  g.width = time_ns{1} << g.shift;
  g.nbuckets = static_cast<std::size_t>(((span - 1) >> g.shift) + 1);
  if (g.buckets.size() < g.nbuckets) g.buckets.resize(g.nbuckets);
  g.start = lo;
  g.cur = 0;
  g.count = 0;
}

void ladder_queue::refill_bottom() {
  bottom_.clear();
  head_ = 0;
  for (;;) {
    if (nrungs_ == 0) {
      if (top_.empty()) return;
      rung& g = rungs_[0];
      shape(g, top_min_, top_max_ - top_min_ + 1, top_.size());
      for (const event& e : top_) g.place(e);
      top_.clear();
      top_start_ = g.start + static_cast<time_ns>(g.nbuckets) * g.width;
      nrungs_ = 1;
    }
    rung& g = rungs_[nrungs_ - 1];
    if (g.count == 0) {
      --nrungs_;
      continue;
    }
    while (g.buckets[g.cur].empty()) ++g.cur;
    std::vector<event>& bucket = g.buckets[g.cur];
    const time_ns bucket_start = g.cur_start();
    ++g.cur;
    g.count -= bucket.size();
    if (bucket.size() > split_threshold && g.width > 1 && nrungs_ < max_rungs) {
      // Too many events for one sort: spread them over a finer rung that
      // covers exactly this bucket's interval.
      rung& child = rungs_[nrungs_++];
      shape(child, bucket_start, g.width, bucket.size());
      for (const event& e : bucket) child.place(e);
      bucket.clear();
      continue;
    }
    // Copy rather than swap buffers: swapping would migrate capacities
    // between the bottom and the buckets, and each would then regrow.
    bottom_.assign(bucket.begin(), bucket.end());
    bucket.clear();
    sort_small_or_large(bottom_);
    return;
  }
}

void ladder_queue::insert_bottom(const event& e) {
  auto live = bottom_.begin() + static_cast<std::ptrdiff_t>(head_);
  if (bottom_.size() - head_ >= bottom_max && nrungs_ < max_rungs && bottom_.back().time > live->time) {
    // The bottom covers [now, upper): give that interval a rung of its own.
    const time_ns upper = nrungs_ > 0 ? rungs_[nrungs_ - 1].cur_start() : top_start_;
    const time_ns lo = std::min(live->time, e.time);
    rung& g = rungs_[nrungs_++];
    shape(g, lo, upper - lo, bottom_.size() - head_ + 1);
    for (auto it = live; it != bottom_.end(); ++it) g.place(*it);
    g.place(e);
    bottom_.clear();
    head_ = 0;
    return;
  }
  auto pos = std::upper_bound(live, bottom_.end(), e, event_order{});
  if (pos == live && head_ > 0) {
    bottom_[--head_] = e;  // earliest of all: reuse the slot just popped
  } else {
    bottom_.insert(pos, e);
  }
}

}  // namespace gwsim::sim
