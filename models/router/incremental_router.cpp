#include "models/router/incremental_router.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace gwsim::router {

namespace {

std::uint64_t encode(const route* r) noexcept {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(r));
}

const route* decode(std::uint64_t v) noexcept {
  return reinterpret_cast<const route*>(static_cast<std::uintptr_t>(v));
}

}  // namespace

incremental_router::incremental_router(const std::vector<route>& routes, std::size_t cache_slots)
    : cache_(cache_slots) {
  for (const auto& r : routes) {
    add(r);
  }
}

void incremental_router::add(const route& r) {
  if (index_.find(r.id) != nullptr) {
    throw std::invalid_argument("route " + std::to_string(r.id) + ": id already present");
  }
  index_.insert(index_.prepare(r));
  cache_.flush();
}

void incremental_router::remove(std::uint32_t id) {
  if (!index_.remove(id)) {
    throw std::invalid_argument("route " + std::to_string(id) + ": no route with this id");
  }
  cache_.flush();
}

void incremental_router::update(const route& r) {
  if (index_.find(r.id) == nullptr) {
    throw std::invalid_argument("route " + std::to_string(r.id) + ": no route with this id");
  }
  auto rec = index_.prepare(r);  /// may throw; nothing changed yet
  index_.remove(r.id);
  index_.insert(std::move(rec));
  cache_.flush();
}

const route* incremental_router::match_uncached(const request& req) const {
  /// Reused by every match of the thread: no allocation once grown.
  thread_local match_context ctx;
  index_.context(req, ctx);
  thread_local std::vector<entry_range> ranges;
  ranges.clear();
  const host_probe probe = route_index::probe(ctx);
  const hit_string longest = index_.collect(ctx, probe, ranges);
  return index_.pick(ranges, ctx, longest, probe);
}

const route* incremental_router::match(const request& req) {
  match_context ctx = index_.context(req);
  std::string key = match_cache::make_key(ctx, req.scheme);
  const std::uint64_t h = match_cache::hash(key);
  if (const auto cached = cache_.find(h, key)) {
    return decode(*cached);
  }
  thread_local std::vector<entry_range> ranges;
  ranges.clear();
  const host_probe probe = route_index::probe(ctx);
  const hit_string longest = index_.collect(ctx, probe, ranges);
  const route* found = index_.pick(ranges, ctx, longest, probe);
  cache_.insert(h, std::move(key), encode(found));
  return found;
}

const route* incremental_router::find(std::uint32_t id) const {
  const auto* rec = index_.find(id);
  return rec == nullptr ? nullptr : &rec->r;
}

}  // namespace gwsim::router
