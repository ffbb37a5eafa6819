#include "models/router/match_cache.hpp"

#include <stdexcept>
#include <utility>

#include "models/router/byte_estimates.hpp"

namespace gwsim::router {

namespace {

void append_field(std::string& key, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (unsigned shift = 0; shift < 32; shift += 8) {
    key += static_cast<char>((n >> shift) & 0xffU);
  }
  key += field;
}

}  // namespace

match_cache::match_cache(std::size_t slots) {
  if (slots >= none) {
    throw std::invalid_argument("match_cache: slots = " + std::to_string(slots) + ", allowed range [0, " +
                                std::to_string(none - 1) + "]");
  }
  slots_.resize(slots);
  index_.reserve(slots);
}

std::string match_cache::make_key(const match_context& ctx, std::string_view scheme) {
  std::string key;
  key.reserve(32 + ctx.method.size() + ctx.raw_host.size() + ctx.path.size() + ctx.sni.size());
  append_field(key, ctx.method);
  append_field(key, ctx.raw_host);
  append_field(key, scheme == "https" ? "s" : "");
  append_field(key, ctx.path);
  append_field(key, ctx.sni);
  for (const auto& [name, values] : ctx.headers) {
    append_field(key, name);
    append_field(key, std::to_string(values.size()));
    for (const auto& v : values) {
      append_field(key, v);
    }
  }
  return key;
}

std::uint64_t match_cache::hash(std::string_view key) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<std::uint64_t> match_cache::find(std::uint64_t h, const std::string& key) {
  const auto it = index_.find(h);
  if (it == index_.end() || slots_[it->second].key != key) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  const std::uint32_t s = it->second;
  unlink(s);
  push_front(s);
  return slots_[s].value;
}

void match_cache::insert(std::uint64_t h, std::string key, std::uint64_t value) {
  if (slots_.empty()) {
    return;
  }
  std::uint32_t s = none;
  if (const auto it = index_.find(h); it != index_.end()) {
    s = it->second;  /// a colliding key takes over the slot
    unlink(s);
  } else if (used_ < slots_.size()) {
    s = static_cast<std::uint32_t>(used_++);
    index_.emplace(h, s);
  } else {
    s = tail_;
    unlink(s);
    index_.erase(slots_[s].hash);
    index_.emplace(h, s);
  }
  slot& sl = slots_[s];
  sl.hash = h;
  sl.key = std::move(key);
  sl.value = value;
  push_front(s);
}

void match_cache::flush() noexcept {
  index_.clear();
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
  std::size_t n = flat_bytes(slots_);
  for (const auto& s : slots_) {
    n += heap_bytes(s.key);
  }
  return n + hash_overhead(index_.bucket_count(), index_.size(), sizeof(std::pair<const std::uint64_t, std::uint32_t>));
}

}  // namespace gwsim::router
