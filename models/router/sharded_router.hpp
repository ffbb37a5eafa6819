#pragma once
/// A router partitioned by host that selects exactly what Kong 2.8's
/// traditional router selects (what reference_matcher returns), where a
/// change re-indexes only the shard(s) holding the changed route.
///
/// Shards: a route whose hosts are all plain goes into the shard of each of
/// its host names without port (`a.com:8000` and `a.com` share shard
/// `a.com`). A route with no host, or with at least one wildcard host, goes
/// into the catch-all shard only: a wildcard can match any host name, so
/// such a route must be a candidate for every request (and putting it in one
/// shard is enough). A shard holds only a candidate_set (a trie of prefix
/// paths and regex literals, and a path-less list, all in precedence order)
/// over its routes' entries.
///
/// Global state: Kong's precedence needs facts about the whole route set
/// (the request's hits: first header name, plain/first wildcard host, first
/// regex or longest prefix path; the per-category list sizes). Those live in
/// one route_index updated per route, as in incremental_router; it also
/// keeps a global candidate set, whose trie gives the longest prefix.
///
/// Match: merge the candidate lists of the request's shard(s) and of the
/// catch-all shard with route_index::pick(), which computes Kong's hits from
/// the global index as far as the winner needs them. A plain host rule
/// matches the Host header as sent or the host without port, so the shards
/// searched are those of both strings' names without port (usually one).
///
/// Change: add/remove/update update the global index per route (as in
/// incremental_router), then rebuild from scratch each shard the old or the
/// new version of the route belongs to (S insertions into its sorted lists
/// for a shard of S entries, O(S (log S + k)) with k entries per list), counted in
/// shards_rebuilt() and routes_reindexed(). A change to a catch-all route
/// therefore costs in proportion to the catch-all shard. The match cache is
/// flushed on every change.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/router/candidate_set.hpp"
#include "models/router/match_cache.hpp"
#include "models/router/route.hpp"
#include "models/router/route_index.hpp"

namespace gwsim::router {

class sharded_router {
 public:
  /// Kong's MATCH_LRUCACHE_SIZE default.
  static constexpr std::size_t MATCH_LRUCACHE_SIZE = match_cache::default_slots;

  /// Full build. Throws std::invalid_argument on the first route (in the
  /// given order) reference_matcher rejects, with the same message, or naming
  /// a repeated route id. `cache_slots` = 0 disables the match cache. The
  /// rebuild counters start at 0 after the build.
  explicit sharded_router(const std::vector<route>& routes = {}, std::size_t cache_slots = MATCH_LRUCACHE_SIZE);

  /// Adds `r`. Throws std::invalid_argument (and changes nothing) when its id
  /// is already held or reference_matcher would reject it.
  void add(const route& r);
  /// Removes the route with id `id`. Throws std::invalid_argument when no
  /// route has that id.
  void remove(std::uint32_t id);
  /// Replaces the route with r's id by `r`. Throws std::invalid_argument (and
  /// changes nothing) when no route has that id or `r` would be rejected.
  void update(const route& r);

  /// The route Kong 2.8 would select, or nullptr; consults and fills the
  /// match cache. The pointer stays valid until the next change.
  [[nodiscard]] const route* match(const request& req);
  /// The same answer without touching the cache or its counters.
  [[nodiscard]] const route* match_uncached(const request& req) const;

  /// The shard names of `r`: its distinct plain host names without port, or
  /// empty for the catch-all shard (no host, or some wildcard host).
  [[nodiscard]] static std::vector<std::string> shard_keys(const route& r);

  /// The route with id `id`, or nullptr.
  [[nodiscard]] const route* find(std::uint32_t id) const;
  /// Routes held.
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
  /// Named shards (the catch-all shard not included).
  [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }
  /// Routes in the shard named `key` ("" = the catch-all shard).
  [[nodiscard]] std::size_t shard_size(const std::string& key) const;
  /// Shards rebuilt by changes since construction.
  [[nodiscard]] std::uint64_t shards_rebuilt() const noexcept { return shards_rebuilt_; }
  /// Routes re-indexed by those rebuilds (a route counts once per shard).
  [[nodiscard]] std::uint64_t routes_reindexed() const noexcept { return routes_reindexed_; }

  [[nodiscard]] std::uint64_t cache_hits() const noexcept { return cache_.hits(); }
  [[nodiscard]] std::uint64_t cache_misses() const noexcept { return cache_.misses(); }
  [[nodiscard]] std::size_t cache_size() const noexcept { return cache_.size(); }
  [[nodiscard]] std::size_t cache_slots() const noexcept { return cache_.capacity(); }
  /// The cache itself (for tests: its storage address and counters).
  [[nodiscard]] const match_cache& cache() const noexcept { return cache_; }
  /// Empties the match cache (every change does this).
  void flush_cache() noexcept { cache_.flush(); }

  /// Estimated heap bytes (byte_estimates.hpp style): the global index, the
  /// shards and the cache. PCRE2's compiled code and JIT memory are not
  /// counted.
  [[nodiscard]] std::size_t bytes() const;

 private:
  struct shard {
    std::unordered_set<const route_index::record*> members;
    candidate_set candidates;
  };

  [[nodiscard]] shard* shard_of(const std::string& key);
  [[nodiscard]] const shard* shard_of(const std::string& key) const;
  void rebuild(const std::string& key);
  void join(const route_index::record& rec);
  void leave(const route_index::record& rec);
  void rebuild_all(const std::vector<std::string>& keys);
  [[nodiscard]] const route* find_route(match_context& ctx) const;

  route_index index_;
  std::unordered_map<std::string, shard> shards_;
  shard catch_all_;
  match_cache cache_;
  std::uint64_t shards_rebuilt_ = 0;
  std::uint64_t routes_reindexed_ = 0;
};

}  // namespace gwsim::router
