#pragma once
/// Kong's router match cache (an lua-resty-lrucache of MATCH_LRUCACHE_SIZE
/// slots, flushed with flush_all() whenever the router changes) as a
/// reusable class.
///
/// Key: the request fields that can change the result: the upper-cased
/// method, the Host header as sent, whether the scheme is "https" (it picks
/// the default port for wildcard hosts), the path, the SNI, and, for each
/// request header kept in the match context (those whose lower-cased name
/// appears in some route's header rules; only the first 100 request headers
/// count), its name and lower-cased values. The key is a length-prefixed
/// byte string (make_key()); slots are found by its 64-bit FNV-1a hash and
/// the full key is compared, so a hash collision is a miss, never a wrong
/// hit. The value is an opaque 64-bit word chosen by the router (both a
/// route and "no route" can be cached).
///
/// Storage: a fixed array of slots linked into a recency list through index
/// fields (most recent at the head; the tail is evicted when all slots are
/// used) plus a hash map from key hash to slot. Two keys with the same hash
/// share one slot and only evict each other. flush() empties the cache
/// without releasing the slot array. A slot count of 0 disables the cache:
/// find() always misses and insert() does nothing.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/router/marshalled_route.hpp"

namespace gwsim::router {

class match_cache {
 public:
  /// Kong's MATCH_LRUCACHE_SIZE default.
  static constexpr std::size_t default_slots = 5000;

  /// `slots` fixed slots (0 disables the cache).
  explicit match_cache(std::size_t slots = default_slots);

  /// The key of a request whose context is `ctx` (built with the router's
  /// header filter) and whose scheme is `scheme`.
  [[nodiscard]] static std::string make_key(const match_context& ctx, std::string_view scheme);
  /// FNV-1a 64 of `key`.
  [[nodiscard]] static std::uint64_t hash(std::string_view key) noexcept;

  /// The value cached for `key` (its hash is `h`), refreshing its recency;
  /// counts a hit or a miss.
  [[nodiscard]] std::optional<std::uint64_t> find(std::uint64_t h, const std::string& key);
  /// Stores `value` for `key`, evicting the least recently used slot when
  /// every slot is taken (or the slot of a key with the same hash).
  void insert(std::uint64_t h, std::string key, std::uint64_t value);
  /// Empties the cache (lrucache:flush_all()); slot storage and the hit and
  /// miss counters are kept.
  void flush() noexcept;

  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
  [[nodiscard]] std::uint64_t misses() const noexcept { return misses_; }
  /// Keys currently cached.
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
  /// Fixed slot count.
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  /// Address of the slot array: stays the same for the cache's lifetime
  /// (flushes do not reallocate), which tests check.
  [[nodiscard]] const void* storage() const noexcept { return slots_.data(); }
  /// Estimated heap bytes: the slot array, the key buffers and the hash map.
  [[nodiscard]] std::size_t bytes() const;

 private:
  static constexpr std::uint32_t none = UINT32_MAX;

  struct slot {
    std::uint64_t hash = 0;
    std::string key{};
    std::uint64_t value = 0;
    std::uint32_t prev = none;
    std::uint32_t next = none;
  };

  void unlink(std::uint32_t s) noexcept;
  void push_front(std::uint32_t s) noexcept;

  std::vector<slot> slots_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_;
  std::size_t used_ = 0;
  std::uint32_t head_ = none;
  std::uint32_t tail_ = none;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace gwsim::router
