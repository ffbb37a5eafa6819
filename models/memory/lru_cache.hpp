#pragma once
/// A least-recently-used cache of route ids with a fixed number of slots, as
/// lua-resty-lrucache keeps a gateway's match results (Kong's
/// `MATCH_LRUCACHE_SIZE`): the hit ratio after a rebuild or a flush decides
/// how many requests pay for a full router match.
///
/// Nothing is allocated per access: the recency list is doubly linked
/// through index arrays, and keys are found through an open-addressing
/// table (linear probing, backward-shift deletion, no tombstones) with a
/// power-of-two size of at least twice the slot count, so probes stay short
/// at any fill. Memory is O(slots), whatever the key universe: route ids
/// run to millions, a cache holds thousands.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gwsim::memory {

class lru_cache {
 public:
  /// `slots` in [1, 2^30]; throws std::invalid_argument otherwise.
  explicit lru_cache(std::size_t slots);

  /// Looks `key` up. A hit makes it the most recently used; a miss inserts
  /// it as the most recently used, evicting the least recently used key when
  /// every slot is taken. Returns whether it was a hit.
  bool access(std::uint32_t key) noexcept;
  /// Whether `key` is cached, without touching recency or statistics.
  bool contains(std::uint32_t key) const noexcept;

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return keys_.size(); }
  std::uint64_t hits() const noexcept { return hits_; }
  std::uint64_t misses() const noexcept { return misses_; }
  std::uint64_t evictions() const noexcept { return evictions_; }

  /// The least and most recently used keys. Precondition: size() > 0.
  std::uint32_t least_recent() const noexcept { return keys_[tail_]; }
  std::uint32_t most_recent() const noexcept { return keys_[head_]; }

  /// Empties the cache (lrucache:flush_all()) and keeps its storage. The
  /// statistics are cumulative and are kept too.
  void flush() noexcept;

 private:
  static constexpr std::uint32_t none = UINT32_MAX;

  std::size_t home(std::uint32_t key) const noexcept;
  /// Index-table position holding `key`, or the empty position where the
  /// probe for it ends.
  std::size_t find(std::uint32_t key) const noexcept;
  void erase_at(std::size_t pos) noexcept;
  void unlink(std::uint32_t slot) noexcept;
  void push_front(std::uint32_t slot) noexcept;

  std::vector<std::uint32_t> keys_;
  std::vector<std::uint32_t> prev_;
  std::vector<std::uint32_t> next_;
  /// Open-addressing index: slot + 1, 0 for an empty position.
  std::vector<std::uint32_t> table_;
  std::size_t mask_ = 0;
  unsigned shift_ = 0;
  std::uint32_t head_ = none;  ///< most recently used
  std::uint32_t tail_ = none;  ///< least recently used
  std::size_t size_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace gwsim::memory
