#include "models/memory/lru_cache.hpp"

#include <algorithm>

#include "sim/stats_checks.hpp"

namespace gwsim::memory {

namespace {
constexpr std::size_t max_slots = std::size_t{1} << 30;
}  // namespace

lru_cache::lru_cache(std::size_t slots) {
  if (slots < 1 || slots > max_slots) {
    sim::detail::throw_invalid_argument("lru_cache slots", std::uint64_t{slots}, "in [1, 1073741824]");
  }
  keys_.assign(slots, 0);
  prev_.assign(slots, none);
  next_.assign(slots, none);
  std::size_t table_size = 2;
  unsigned bits = 1;
  while (table_size < 2 * slots) {
    table_size *= 2;
    ++bits;
  }
  table_.assign(table_size, 0);
  mask_ = table_size - 1;
  shift_ = 64 - bits;
}

/// Fibonacci hashing: route ids are often consecutive, and the multiply
/// spreads them over the table where `key & mask` would cluster them.
std::size_t lru_cache::home(std::uint32_t key) const noexcept {
  return static_cast<std::size_t>((std::uint64_t{key} * 0x9E3779B97F4A7C15ull) >> shift_);
}

std::size_t lru_cache::find(std::uint32_t key) const noexcept {
  std::size_t pos = home(key);
  while (table_[pos] != 0 && keys_[table_[pos] - 1] != key) pos = (pos + 1) & mask_;
  return pos;
}

bool lru_cache::contains(std::uint32_t key) const noexcept {
  return table_[find(key)] != 0;
}

bool lru_cache::access(std::uint32_t key) noexcept {
  const std::size_t pos = find(key);
  if (table_[pos] != 0) {
    const std::uint32_t slot = table_[pos] - 1;
    if (slot != head_) {
      unlink(slot);
      push_front(slot);
    }
    ++hits_;
    return true;
  }
  ++misses_;
  std::uint32_t slot;
  if (size_ < keys_.size()) {
    slot = static_cast<std::uint32_t>(size_++);
  } else {
    slot = tail_;
    erase_at(find(keys_[slot]));
    unlink(slot);
    ++evictions_;
  }
  keys_[slot] = key;
  push_front(slot);
  /// The erase may have shifted entries, so probe again for the free spot.
  table_[find(key)] = slot + 1;
  return false;
}

/// Backward-shift deletion: later entries of the probe run move into the
/// hole when their home position allows it, so lookups never meet a gap
/// inside a run and no tombstones build up.
void lru_cache::erase_at(std::size_t pos) noexcept {
  std::size_t hole = pos;
  std::size_t next = (hole + 1) & mask_;
  while (table_[next] != 0) {
    const std::size_t h = home(keys_[table_[next] - 1]);
    /// The entry may fill the hole if its home is not in (hole, next].
    const bool movable = ((next - h) & mask_) >= ((next - hole) & mask_);
    if (movable) {
      table_[hole] = table_[next];
      hole = next;
    }
    next = (next + 1) & mask_;
  }
  table_[hole] = 0;
}

void lru_cache::unlink(std::uint32_t slot) noexcept {
  const std::uint32_t p = prev_[slot];
  const std::uint32_t n = next_[slot];
  if (p != none) {
    next_[p] = n;
  } else {
    head_ = n;
  }
  if (n != none) {
    prev_[n] = p;
  } else {
    tail_ = p;
  }
  prev_[slot] = next_[slot] = none;
}

void lru_cache::push_front(std::uint32_t slot) noexcept {
  prev_[slot] = none;
  next_[slot] = head_;
  if (head_ != none) prev_[head_] = slot;
  head_ = slot;
  if (tail_ == none) tail_ = slot;
}

void lru_cache::flush() noexcept {
  std::fill(table_.begin(), table_.end(), 0u);
  std::fill(prev_.begin(), prev_.end(), none);
  std::fill(next_.begin(), next_.end(), none);
  head_ = tail_ = none;
  size_ = 0;
}

}  // namespace gwsim::memory
