#pragma once
/// A router that selects exactly what Kong 2.8's traditional router selects
/// (what reference_matcher returns) but is changed route by route, in the
/// style of Kong 3.x's incremental router rebuilds: add, remove and update
/// touch only the changed route's entries instead of rebuilding the whole
/// structure in every worker on every admin write.
///
/// State: one route_index (routes, marshalled entries, compiled patterns,
/// global classification indexes, regex literal groups, per-category count
/// tables and one global candidate_set, all updatable per entry) and a
/// match_cache.
///
/// Costs, for a route with d paths among N routes: add/remove/update are
/// O(d (log N + L + k)) with L the length of the route's strings (hash
/// updates, ordered-set updates, trie walks) and k the entries or regex
/// values sharing one of the flat sorted lists or literal groups it joins
/// or leaves (a binary search and a move of the list's tail), plus the
/// compile of any regex not yet held; a literal group the change touches
/// drops its alternation, compiled again on its first use by a match. The
/// match cache is flushed (O(cached keys) to clear its hash map, at most the
/// slot count, which is independent of N). Nothing else is O(N) per change.
/// The constructor is a full build: N additions.
///
/// Match (no heap allocation once the thread's buffers are warm, except for
/// request headers some route looks at and for a literal group's first
/// use after a change, which compiles its alternation): one walk
/// down the global trie collects the candidate lists of the keys the path
/// starts with (prefix keys and regex literals, each split by plain host, so
/// only the request's host's lists and the general ones) and the path-less
/// list, all flat vectors in precedence order; route_index::pick() runs the
/// literal groups on the path (one alternation each), merges the lists
/// lazily, rejects most candidates from the filters copied into their
/// slots, and stops at Kong's winner, computing Kong's hits only as far as
/// the winner needs them.
///
/// Route ids identify routes: a route set with a repeated id is rejected.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/router/match_cache.hpp"
#include "models/router/route.hpp"
#include "models/router/route_index.hpp"

namespace gwsim::router {

class incremental_router {
 public:
  /// Kong's MATCH_LRUCACHE_SIZE default.
  static constexpr std::size_t MATCH_LRUCACHE_SIZE = match_cache::default_slots;

  /// Full build from `routes`. Throws std::invalid_argument on the first
  /// route (in the given order) reference_matcher rejects, with the same
  /// message, or naming a repeated route id. `cache_slots` = 0 disables the
  /// match cache.
  explicit incremental_router(const std::vector<route>& routes = {},
                              std::size_t cache_slots = MATCH_LRUCACHE_SIZE);

  /// Adds `r`. Throws std::invalid_argument (and changes nothing) when its
  /// id is already held or reference_matcher would reject it.
  void add(const route& r);
  /// Removes the route with id `id`. Throws std::invalid_argument when no
  /// route has that id.
  void remove(std::uint32_t id);
  /// Replaces the route with r's id by `r`. Throws std::invalid_argument (and
  /// changes nothing) when no route has that id or `r` would be rejected.
  void update(const route& r);

  /// The route Kong 2.8 would select, or nullptr. Consults and fills the
  /// match cache. The pointer stays valid until the next change.
  [[nodiscard]] const route* match(const request& req);
  /// The same answer without touching the cache or its counters.
  [[nodiscard]] const route* match_uncached(const request& req) const;

  /// The route with id `id`, or nullptr.
  [[nodiscard]] const route* find(std::uint32_t id) const;
  /// Routes held.
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }

  [[nodiscard]] std::uint64_t cache_hits() const noexcept { return cache_.hits(); }
  [[nodiscard]] std::uint64_t cache_misses() const noexcept { return cache_.misses(); }
  /// Keys currently cached.
  [[nodiscard]] std::size_t cache_size() const noexcept { return cache_.size(); }
  [[nodiscard]] std::size_t cache_slots() const noexcept { return cache_.capacity(); }
  /// The cache itself (for tests: its storage address and counters).
  [[nodiscard]] const match_cache& cache() const noexcept { return cache_; }
  /// Empties the match cache (every change does this); storage and counters
  /// are kept.
  void flush_cache() noexcept { cache_.flush(); }

  /// Estimated heap bytes (byte_estimates.hpp style): the route index and
  /// the cache. PCRE2's compiled code and JIT memory are not counted.
  [[nodiscard]] std::size_t bytes() const { return sizeof(*this) + index_.bytes() + cache_.bytes(); }

 private:
  route_index index_;
  match_cache cache_;
};

}  // namespace gwsim::router
