#include "models/router/match_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <xxhash.h>

#include "models/router/byte_estimates.hpp"

namespace gwsim::router {

namespace {

/// Writes a field's length (four bytes, little-endian) at `p`; returns the
/// position after it.
char* put_length(char* p, std::size_t size) noexcept {
  const auto n = static_cast<std::uint32_t>(size);
  p[0] = static_cast<char>(n & 0xffU);
  p[1] = static_cast<char>((n >> 8) & 0xffU);
  p[2] = static_cast<char>((n >> 16) & 0xffU);
  p[3] = static_cast<char>((n >> 24) & 0xffU);
  return p + 4;
}

/// Writes a length-prefixed field at `p`; returns the position after it.
char* put_field(char* p, std::string_view field) noexcept {
  p = put_length(p, field.size());
  if (!field.empty()) {
    std::memcpy(p, field.data(), field.size());
  }
  return p + field.size();
}

/// The bytes put_field() writes for `field`.
std::size_t field_bytes(std::string_view field) noexcept {
  return 4 + field.size();
}

void append_field(std::string& key, std::string_view field) {
  const std::size_t at = key.size();
  key.resize(at + field_bytes(field));
  put_field(key.data() + at, field);
}

}  // namespace

match_cache::match_cache(std::size_t slots) {
  if (slots > max_slots) {
    throw std::invalid_argument("match_cache: slots = " + std::to_string(slots) + ", allowed range [0, " +
                                std::to_string(max_slots) + "]");
  }
  slots_.resize(slots);
  if (slots > 0) {
    table_.assign(std::bit_ceil(2 * slots), empty);
    mask_ = table_.size() - 1;
  }
}

void match_cache::begin_key(std::string& out, std::string_view method, std::string_view raw_host,
                            std::string_view scheme, std::string_view path, std::string_view sni) {
  /// Sized once and written in place: every request builds a key, and
  /// appending the pieces one by one costs a call and a capacity check each.
  const std::string_view secure = scheme == "https" ? "s" : "";
  out.resize(field_bytes(method) + field_bytes(raw_host) + field_bytes(secure) + field_bytes(path) + field_bytes(sni));
  char* p = put_length(out.data(), method.size());
  for (char c : method) {
    *p++ = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  p = put_field(p, raw_host);
  p = put_field(p, secure);
  p = put_field(p, path);
  put_field(p, sni);
}

void match_cache::append_header(std::string& out, std::string_view name, const std::vector<std::string>& values) {
  append_field(out, name);
  /// The value count in decimal, as a field of its own.
  char digits[20];
  std::size_t n = values.size();
  std::size_t len = 0;
  do {
    digits[sizeof digits - 1 - len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  append_field(out, std::string_view(digits + sizeof digits - len, len));
  for (const auto& v : values) {
    append_field(out, v);
  }
}

void match_cache::make_key(const match_context& ctx, std::string_view scheme, std::string& out) {
  begin_key(out, ctx.method, ctx.raw_host, scheme, ctx.path, ctx.sni);
  for (const auto& [name, values] : ctx.headers) {
    append_header(out, name, values);
  }
}

std::string match_cache::make_key(const match_context& ctx, std::string_view scheme) {
  std::string key;
  key.reserve(32 + ctx.method.size() + ctx.raw_host.size() + ctx.path.size() + ctx.sni.size());
  make_key(ctx, scheme, key);
  return key;
}

std::uint64_t match_cache::hash(std::string_view key) noexcept {
  return XXH3_64bits(key.data(), key.size());
}

std::size_t match_cache::probe(std::uint64_t h) const noexcept {
  const std::uint32_t tag = tag_of(h);
  std::size_t pos = h & mask_;
  while (table_[pos] != empty &&
         (tag_of_entry(table_[pos]) != tag || slots_[slot_of_entry(table_[pos])].hash != h)) {
    pos = (pos + 1) & mask_;
  }
  return pos;
}

void match_cache::erase_at(std::size_t pos) noexcept {
  std::size_t hole = pos;
  std::size_t next = (pos + 1) & mask_;
  while (table_[next] != empty) {
    const std::size_t home = tag_of_entry(table_[next]) & mask_;
    /// The entry at `next` may move into the hole unless its home lies
    /// cyclically in (hole, next].
    if (((next - home) & mask_) >= ((next - hole) & mask_)) {
      table_[hole] = table_[next];
      hole = next;
    }
    next = (next + 1) & mask_;
  }
  table_[hole] = empty;
}

std::optional<std::uint64_t> match_cache::find(std::uint64_t h, std::string_view key) {
  if (slots_.empty()) {
    ++misses_;
    return std::nullopt;
  }
  const std::uint64_t e = table_[probe(h)];
  if (e == empty || slots_[slot_of_entry(e)].key != key) {
    ++misses_;
    return std::nullopt;
  }
  const std::uint32_t s = slot_of_entry(e);
  ++hits_;
  if (head_ != s) {
    unlink(s);
    push_front(s);
  }
  return slots_[s].value;
}

void match_cache::insert(std::uint64_t h, std::string_view key, std::uint64_t value) {
  if (slots_.empty()) {
    return;
  }
  std::size_t pos = probe(h);
  std::uint32_t s = none;
  if (table_[pos] != empty) {
    s = slot_of_entry(table_[pos]);
    unlink(s);  /// a colliding key takes over the slot
  } else if (used_ < slots_.size()) {
    s = static_cast<std::uint32_t>(used_++);
    table_[pos] = entry_of(h, s);
  } else {
    s = tail_;
    unlink(s);
    erase_at(probe(slots_[s].hash));
    pos = probe(h);  /// the deletion may have shifted the free position
    table_[pos] = entry_of(h, s);
  }
  slot& sl = slots_[s];
  sl.hash = h;
  sl.key.assign(key.data(), key.size());
  sl.value = value;
  push_front(s);
}

void match_cache::flush() noexcept {
  std::fill(table_.begin(), table_.end(), empty);
  used_ = 0;
  head_ = tail_ = none;
}

void match_cache::unlink(std::uint32_t s) noexcept {
  slot& sl = slots_[s];
  if (sl.prev != none) {
    slots_[sl.prev].next = sl.next;
  } else if (head_ == s) {
    head_ = sl.next;
  }
  if (sl.next != none) {
    slots_[sl.next].prev = sl.prev;
  } else if (tail_ == s) {
    tail_ = sl.prev;
  }
  sl.prev = sl.next = none;
}

void match_cache::push_front(std::uint32_t s) noexcept {
  slot& sl = slots_[s];
  sl.prev = none;
  sl.next = head_;
  if (head_ != none) {
    slots_[head_].prev = s;
  }
  head_ = s;
  if (tail_ == none) {
    tail_ = s;
  }
}

std::size_t match_cache::bytes() const {
  using namespace estimate;
  std::size_t n = flat_bytes(slots_) + flat_bytes(table_);
  for (const auto& s : slots_) {
    n += heap_bytes(s.key);
  }
  return n;
}

}  // namespace gwsim::router
