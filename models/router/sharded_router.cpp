#include "models/router/sharded_router.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "models/router/byte_estimates.hpp"

namespace gwsim::router {

namespace {

std::uint64_t encode(const route* r) noexcept {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(r));
}

const route* decode(std::uint64_t v) noexcept {
  return reinterpret_cast<const route*>(static_cast<std::uintptr_t>(v));
}

void merge_keys(std::vector<std::string>& into, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    if (std::find(into.begin(), into.end(), k) == into.end()) {
      into.push_back(k);
    }
  }
}

}  // namespace

std::vector<std::string> sharded_router::shard_keys(const route& r) {
  std::vector<std::string> keys;
  for (const auto& h : r.hosts) {
    if (h.find('*') != std::string::npos) {
      return {std::string()};
    }
    std::string name = split_port(h).host_no_port;
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
      keys.push_back(std::move(name));
    }
  }
  /// The catch-all shard is the shard named "". A plain host whose name is
  /// empty lands there too, which is harmless: it is searched for every
  /// request.
  if (keys.empty()) {
    keys.emplace_back();
  }
  return keys;
}

sharded_router::sharded_router(const std::vector<route>& routes, std::size_t cache_slots) : cache_(cache_slots) {
  for (const auto& r : routes) {
    if (index_.find(r.id) != nullptr) {
      throw std::invalid_argument("route " + std::to_string(r.id) + ": id already present");
    }
    join(index_.insert(index_.prepare(r)));
  }
  rebuild("");
  for (auto& [key, s] : shards_) {
    for (const auto* rec : s.members) {
      for (const auto& e : rec->entries) {
        s.candidates.insert(e);
      }
    }
  }
  shards_rebuilt_ = 0;
  routes_reindexed_ = 0;
}

sharded_router::shard* sharded_router::shard_of(const std::string& key) {
  if (key.empty()) {
    return &catch_all_;
  }
  const auto it = shards_.find(key);
  return it == shards_.end() ? nullptr : &it->second;
}

const sharded_router::shard* sharded_router::shard_of(const std::string& key) const {
  if (key.empty()) {
    return &catch_all_;
  }
  const auto it = shards_.find(key);
  return it == shards_.end() ? nullptr : &it->second;
}

std::size_t sharded_router::shard_size(const std::string& key) const {
  const shard* s = shard_of(key);
  return s == nullptr ? 0 : s->members.size();
}

void sharded_router::join(const route_index::record& rec) {
  for (const auto& key : shard_keys(rec.r)) {
    if (key.empty()) {
      catch_all_.members.insert(&rec);
    } else {
      shards_[key].members.insert(&rec);
    }
  }
}

void sharded_router::leave(const route_index::record& rec) {
  for (const auto& key : shard_keys(rec.r)) {
    if (shard* s = shard_of(key)) {
      s->members.erase(&rec);
    }
  }
}

void sharded_router::rebuild(const std::string& key) {
  shard* s = shard_of(key);
  if (s == nullptr) {
    return;
  }
  if (!key.empty() && s->members.empty()) {
    shards_.erase(key);
    ++shards_rebuilt_;
    return;
  }
  s->candidates.clear();
  for (const auto* rec : s->members) {
    for (const auto& e : rec->entries) {
      s->candidates.insert(e);
    }
  }
  ++shards_rebuilt_;
  routes_reindexed_ += s->members.size();
}

void sharded_router::rebuild_all(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    rebuild(key);
  }
  cache_.flush();
}

void sharded_router::add(const route& r) {
  if (index_.find(r.id) != nullptr) {
    throw std::invalid_argument("route " + std::to_string(r.id) + ": id already present");
  }
  const auto& rec = index_.insert(index_.prepare(r));
  join(rec);
  rebuild_all(shard_keys(r));
}

void sharded_router::remove(std::uint32_t id) {
  const route_index::record* old = index_.find(id);
  if (old == nullptr) {
    throw std::invalid_argument("route " + std::to_string(id) + ": no route with this id");
  }
  const std::vector<std::string> keys = shard_keys(old->r);
  leave(*old);
  /// The shards must drop the old entries before the index destroys them.
  for (const auto& key : keys) {
    if (shard* s = shard_of(key)) {
      for (const auto& e : old->entries) {
        s->candidates.erase(e);
      }
    }
  }
  index_.remove(id);
  rebuild_all(keys);
}

void sharded_router::update(const route& r) {
  const route_index::record* old = index_.find(r.id);
  if (old == nullptr) {
    throw std::invalid_argument("route " + std::to_string(r.id) + ": no route with this id");
  }
  auto fresh = index_.prepare(r);  /// may throw; nothing changed yet
  std::vector<std::string> keys = shard_keys(old->r);
  for (const auto& key : keys) {
    if (shard* s = shard_of(key)) {
      for (const auto& e : old->entries) {
        s->candidates.erase(e);
      }
    }
  }
  leave(*old);
  index_.remove(r.id);
  join(index_.insert(std::move(fresh)));
  merge_keys(keys, shard_keys(r));
  rebuild_all(keys);
}

const route* sharded_router::find(std::uint32_t id) const {
  const auto* rec = index_.find(id);
  return rec == nullptr ? nullptr : &rec->r;
}

const route* sharded_router::find_route(match_context& ctx) const {
  /// A plain host rule matches the Host header as sent or the host without
  /// port; the shards of both names (without port) hold every such route.
  thread_local std::vector<entry_range> ranges;
  ranges.clear();
  std::string k1 = ctx.host.host_no_port;
  const shard* s1 = shard_of(k1);
  if (s1 != nullptr && s1 != &catch_all_) {
    s1->candidates.collect(ctx.path, ranges);
  }
  std::string k2 = split_port(k1).host_no_port;
  if (k2 != k1) {
    const shard* s2 = shard_of(k2);
    if (s2 != nullptr && s2 != &catch_all_) {
      s2->candidates.collect(ctx.path, ranges);
    }
  }
  catch_all_.candidates.collect(ctx.path, ranges);
  return index_.pick(ranges, ctx);
}

const route* sharded_router::match_uncached(const request& req) const {
  match_context ctx = index_.context(req);
  return find_route(ctx);
}

const route* sharded_router::match(const request& req) {
  match_context ctx = index_.context(req);
  std::string key = match_cache::make_key(ctx, req.scheme);
  const std::uint64_t h = match_cache::hash(key);
  if (const auto cached = cache_.find(h, key)) {
    return decode(*cached);
  }
  const route* found = find_route(ctx);
  cache_.insert(h, std::move(key), encode(found));
  return found;
}

std::size_t sharded_router::bytes() const {
  using namespace estimate;
  std::size_t n = sizeof(*this) + index_.bytes() + cache_.bytes();
  n += hash_overhead(shards_.bucket_count(), shards_.size(), sizeof(std::pair<const std::string, shard>));
  auto shard_bytes = [](const shard& s) {
    return hash_overhead(s.members.bucket_count(), s.members.size(), sizeof(const void*)) + s.candidates.bytes();
  };
  for (const auto& [key, s] : shards_) {
    n += heap_bytes(key) + shard_bytes(s);
  }
  return n + shard_bytes(catch_all_);
}

}  // namespace gwsim::router
