#pragma once
/// A hash table from string views to 32-bit values, for the routers' build
/// steps that intern many strings: open addressing with linear probing in
/// one array (no node per key), each slot keeping its key's hash, so probing
/// and growing compare and move hashes rather than re-reading the strings
/// (which lie scattered over the route set). The keys are views: the
/// strings must outlive the table.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace gwsim::router {

class view_table {
 public:
  [[nodiscard]] static std::uint64_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

  /// The value of `key` (whose hash() is `h`) and false when present; else
  /// inserts it with `value` and returns `value` and true.
  std::pair<std::uint32_t, bool> try_emplace(std::string_view key, std::uint64_t h, std::uint32_t value) {
    if (4 * (size_ + 1) > 3 * slots_.size()) {
      grow();
    }
    std::size_t pos = h & mask_;
    while (slots_[pos].used) {
      slot& sl = slots_[pos];
      if (sl.hash == h && sl.key == key) {
        return {sl.value, false};
      }
      pos = (pos + 1) & mask_;
    }
    slots_[pos] = {key, h, value, true};
    ++size_;
    return {value, true};
  }
  std::pair<std::uint32_t, bool> try_emplace(std::string_view key, std::uint32_t value) {
    return try_emplace(key, hash(key), value);
  }

  /// The value of `key`, or null.
  [[nodiscard]] const std::uint32_t* find(std::string_view key) const noexcept {
    if (slots_.empty()) {
      return nullptr;
    }
    const std::uint64_t h = hash(key);
    std::size_t pos = h & mask_;
    while (slots_[pos].used) {
      const slot& sl = slots_[pos];
      if (sl.hash == h && sl.key == key) {
        return &sl.value;
      }
      pos = (pos + 1) & mask_;
    }
    return nullptr;
  }
  [[nodiscard]] bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Heap bytes: the slot array.
  [[nodiscard]] std::size_t bytes() const noexcept { return slots_.capacity() * sizeof(slot); }

 private:
  struct slot {
    std::string_view key{};
    std::uint64_t hash = 0;
    std::uint32_t value = 0;
    bool used = false;
  };

  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : 2 * old.size(), slot{});
    mask_ = slots_.size() - 1;
    for (const slot& sl : old) {
      if (sl.used) {
        std::size_t pos = sl.hash & mask_;
        while (slots_[pos].used) {
          pos = (pos + 1) & mask_;
        }
        slots_[pos] = sl;
      }
    }
  }

  std::vector<slot> slots_;  ///< a power of two, at most 3/4 full
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gwsim::router
