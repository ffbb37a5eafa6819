#pragma once
/// A d-ary min-heap of events: the textbook pending-event set, kept as the
/// baseline the ladder queue is benchmarked against (bench/sim/event_queue_bench).

#include <cstddef>
#include <utility>
#include <vector>

#include "sim/event.hpp"

namespace gwsim::sim {

template <std::size_t Arity = 4>
class dary_heap {
  static_assert(Arity >= 2);

 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  void clear() noexcept { heap_.clear(); }
  void reserve(std::size_t n) { heap_.reserve(n); }

  void push(const event& e) {
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }

  /// Precondition: !empty().
  const event& top() const noexcept { return heap_.front(); }

  /// Precondition: !empty().
  event pop() {
    event out = heap_.front();
    event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0, last);
    return out;
  }

  /// Removes every event for which `pred` is true; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    std::size_t removed = std::erase_if(heap_, pred);
    if (removed != 0) {
      for (std::size_t i = heap_.size() / Arity + 1; i-- > 0;) {
        if (i < heap_.size()) sift_down(i, heap_[i]);
      }
    }
    return removed;
  }

 private:
  void sift_up(std::size_t i) {
    event e = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / Arity;
      if (!event_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  /// Moves `e` down from position `i` to where it belongs (the hole at `i`
  /// is overwritten).
  void sift_down(std::size_t i, const event e) {
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t first = i * Arity + 1;
      if (first >= n) break;
      std::size_t last = first + Arity < n ? first + Arity : n;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < last; ++c) {
        if (event_before(heap_[c], heap_[best])) best = c;
      }
      if (!event_before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<event> heap_;
};

}  // namespace gwsim::sim
