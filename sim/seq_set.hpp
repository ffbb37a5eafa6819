#pragma once
/// A set of event sequence numbers: the events that were cancelled while
/// pending. Open addressing with linear probing and backward-shift deletion,
/// so that cancelling and skipping events allocates nothing once the table has
/// grown to the model's working size (std::unordered_set allocates per node).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gwsim::sim {

class seq_set {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// Precondition: seq != 0 (0 marks an empty slot).
  void insert(std::uint64_t seq) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = home(seq);
    while (slots_[i] != 0) {
      if (slots_[i] == seq) return;
      i = (i + 1) & mask_;
    }
    slots_[i] = seq;
    ++size_;
  }

  bool contains(std::uint64_t seq) const noexcept {
    if (size_ == 0) return false;
    for (std::size_t i = home(seq); slots_[i] != 0; i = (i + 1) & mask_) {
      if (slots_[i] == seq) return true;
    }
    return false;
  }

  /// Removes `seq`; returns whether it was present.
  bool erase(std::uint64_t seq) noexcept {
    if (size_ == 0) return false;
    std::size_t i = home(seq);
    while (slots_[i] != seq) {
      if (slots_[i] == 0) return false;
      i = (i + 1) & mask_;
    }
    // Backward-shift: pull later members of the probe run into the hole so
    // that lookups never need tombstones.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
      std::size_t want = home(slots_[j]);
      if (((j - want) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = 0;
    --size_;
    return true;
  }

  void clear() noexcept {
    if (size_ == 0) return;
    std::fill(slots_.begin(), slots_.end(), 0);
    size_ = 0;
  }

 private:
  std::size_t home(std::uint64_t seq) const noexcept {
    // Fibonacci hashing: sequence numbers are consecutive, the multiply
    // spreads them over the table.
    return static_cast<std::size_t>((seq * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    std::size_t capacity = old.empty() ? 64 : old.size() * 2;
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (std::uint64_t s : old) {
      if (s != 0) insert(s);
    }
  }

  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace gwsim::sim
