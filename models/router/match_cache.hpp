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
/// byte string (make_key()); slots are found by its 64-bit hash (hash()) and
/// the full key is compared, so a hash collision is a miss, never a wrong
/// hit. The value is an opaque 64-bit word chosen by the router (both a
/// route and "no route" can be cached).
///
/// Storage: a fixed array of slots linked into a recency list through index
/// fields (most recent at the head; the tail is evicted when all slots are
/// used) plus an open-addressing table from key hash to slot, sized once.
/// A table entry keeps the low 32 bits of its key's hash next to the slot
/// number, so probing (a miss above all) and the moves of a deletion read
/// no slot but the one whose tag matches. Two keys with the same hash share
/// one slot and only evict each other.
/// A slot keeps its key buffer when its key is replaced, so once every slot
/// has held a key of the usual length, lookups and inserts allocate nothing
/// (callers can build keys into a reused buffer with the `out` overloads).
/// flush() empties the cache without releasing any storage. A slot count of
/// 0 disables the cache: find() always misses and insert() does nothing; at
/// most 2^31 slots (a table position fits the 32-bit tag).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  /// The same key written into `out` (its buffer is reused).
  static void make_key(const match_context& ctx, std::string_view scheme, std::string& out);
  /// The part of the key before the headers, written into `out` (cleared
  /// first): what make_key gives for a context without headers. `method` is
  /// upper-cased here, so a request's method can be passed as sent.
  static void begin_key(std::string& out, std::string_view method, std::string_view raw_host, std::string_view scheme,
                        std::string_view path, std::string_view sni);
  /// Appends one kept header (lower-cased name and values) after begin_key.
  static void append_header(std::string& out, std::string_view name, const std::vector<std::string>& values);
  /// A 64-bit hash of `key`: xxHash's XXH3, which takes a key of a few
  /// dozen bytes in a handful of wide steps (libstdc++'s std::hash, eight
  /// bytes per step, was a fifth of a cache hit's time).
  [[nodiscard]] static std::uint64_t hash(std::string_view key) noexcept;

  /// The value cached for `key` (its hash is `h`), refreshing its recency;
  /// counts a hit or a miss.
  [[nodiscard]] std::optional<std::uint64_t> find(std::uint64_t h, std::string_view key);
  /// Stores `value` for `key`, evicting the least recently used slot when
  /// every slot is taken (or the slot of a key with the same hash). The key
  /// is copied into the slot's own buffer.
  void insert(std::uint64_t h, std::string_view key, std::uint64_t value);
  /// Empties the cache (lrucache:flush_all()); slot storage and the hit and
  /// miss counters are kept.
  void flush() noexcept;

  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
  [[nodiscard]] std::uint64_t misses() const noexcept { return misses_; }
  /// Keys currently cached.
  [[nodiscard]] std::size_t size() const noexcept { return used_; }
  /// Fixed slot count.
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
  /// Address of the slot array: stays the same for the cache's lifetime
  /// (flushes do not reallocate), which tests check.
  [[nodiscard]] const void* storage() const noexcept { return slots_.data(); }
  /// Estimated heap bytes: the slot array, the key buffers and the table.
  [[nodiscard]] std::size_t bytes() const;

 private:
  static constexpr std::uint32_t none = UINT32_MAX;
  static constexpr std::size_t max_slots = std::size_t{1} << 31U;
  /// A table entry: the key hash's low 32 bits (its tag) above the slot
  /// number; all ones when the position is free.
  static constexpr std::uint64_t empty = UINT64_MAX;
  static std::uint32_t tag_of(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h); }
  static std::uint64_t entry_of(std::uint64_t h, std::uint32_t s) noexcept {
    return (static_cast<std::uint64_t>(tag_of(h)) << 32U) | s;
  }
  static std::uint32_t tag_of_entry(std::uint64_t e) noexcept { return static_cast<std::uint32_t>(e >> 32U); }
  static std::uint32_t slot_of_entry(std::uint64_t e) noexcept { return static_cast<std::uint32_t>(e); }

  struct slot {
    std::uint64_t hash = 0;
    std::string key{};
    std::uint64_t value = 0;
    std::uint32_t prev = none;
    std::uint32_t next = none;
  };

  /// Position in table_ of the slot whose hash is `h`, or of the empty
  /// position where it would go.
  [[nodiscard]] std::size_t probe(std::uint64_t h) const noexcept;
  /// Removes the table position `pos` (backward-shift deletion, so probe
  /// sequences stay unbroken without tombstones).
  void erase_at(std::size_t pos) noexcept;
  void unlink(std::uint32_t s) noexcept;
  void push_front(std::uint32_t s) noexcept;

  std::vector<slot> slots_;
  /// Linear-probing table of tagged slot numbers (entry_of()), a power of
  /// two at least twice the slot count, so probes stay short.
  std::vector<std::uint64_t> table_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
  std::uint32_t head_ = none;
  std::uint32_t tail_ = none;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace gwsim::router
