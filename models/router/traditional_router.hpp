#pragma once
/// Kong 2.x's traditional router (`kong/router.lua`, Router.new + exec) with
/// its real data structures, returning exactly what reference_matcher returns.
///
/// Build: routes are split per path (one entry per path), sorted as Kong's
/// sort_routes sorts them, grouped into categories by the bit set of fields
/// they match on, and the categories ordered as Kong orders them. Indexes:
///  - global "hit" indexes used to classify a request: a hash set of plain
///    hosts, a list of wildcard hosts (sorted route order), a rank table of
///    header names, hash sets of methods and SNIs, and a path_host_index in
///    place of Kong's linear regex list, plain-path set and longest-first
///    prefix list (it gives the same uri hit: the first matching regex in
///    sorted order, else the longest prefix);
///  - per category: the lengths of Kong's routes_by_* lists (by host value,
///    header name, path value, method and SNI) feeding the "reduce
///    candidates" step, kept in one table keyed by (category, field, key);
///    whether a route is in such a list is read off the route itself (it
///    has a rule with that key), so the lists are not materialised.
///
/// Match: classify the request (its category bits and its host / header / uri
/// hits), then per category in order try the reduced candidate list and then
/// the whole category. Both scans return the first (sorted order) entry that
/// matches, so they are answered from the entries path_host_index selects by
/// path and host, filtered by the shared predicate: the lowest such entry of
/// the category that is in the reduced list, else the lowest of the
/// category. Categories that cannot contain a matching route (a bit the
/// request cannot satisfy) are skipped, as Kong skips the categories before
/// the request's own one. The index runs each group of regexes sharing a
/// literal prefix as one alternation, which settles them up to the first
/// match (enough for Kong's uri hit); the regexes after it are run only when
/// a candidate needs them, and a path the index already checked is not
/// checked again.
///
/// Match cache: a match_cache of Kong's MATCH_LRUCACHE_SIZE (5,000) slots
/// by default, keyed as match_cache.hpp documents. Both results and "no
/// route" are cached. A slot count of 0 disables the cache. A request that
/// carries no header some route looks at has its key built straight from
/// the request, so a cache hit allocates nothing.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/router/route.hpp"

namespace gwsim::router {

class traditional_router {
 public:
  static constexpr std::size_t MATCH_LRUCACHE_SIZE = 5000;

  /// Throws std::invalid_argument on the same routes reference_matcher
  /// rejects (no matching field; a regex path or wildcard host that does not
  /// compile), with the same message.
  explicit traditional_router(std::vector<route> routes, std::size_t cache_slots = MATCH_LRUCACHE_SIZE);
  ~traditional_router();
  traditional_router(traditional_router&&) noexcept;
  traditional_router& operator=(traditional_router&&) noexcept;
  traditional_router(const traditional_router&) = delete;
  traditional_router& operator=(const traditional_router&) = delete;

  /// The route Kong 2.8 would select, or nullptr. Consults and fills the
  /// match cache.
  [[nodiscard]] const route* match(const request& req);
  /// The same answer without touching the cache or its counters.
  [[nodiscard]] const route* match_uncached(const request& req) const;

  [[nodiscard]] std::uint64_t cache_hits() const noexcept;
  [[nodiscard]] std::uint64_t cache_misses() const noexcept;
  /// Entries currently cached.
  [[nodiscard]] std::size_t cache_size() const noexcept;
  [[nodiscard]] std::size_t cache_slots() const noexcept;
  /// Empties the cache (lrucache:flush_all()); storage and counters are kept.
  void flush_cache() noexcept;

  /// Estimated bytes held: for every vector its capacity times the element
  /// size, for every hash container its bucket array plus one node (value,
  /// next pointer, cached hash) per element, for every string its heap
  /// buffer when it is longer than the small-string buffer, plus the routes
  /// themselves and the cache slots with their keys. The marshalled rules
  /// and indexes view the routes' strings, which are counted once, with the
  /// routes. PCRE2's compiled code and JIT memory are not visible here and
  /// are not counted (each compiled pattern is counted as its object and
  /// pattern string only); a pattern is counted by every router holding it,
  /// even while the process-wide cache of compiled patterns (Kong's per-worker
  /// `ngx.re` cache, see compiled_regex()) shares it with other routers.
  [[nodiscard]] std::size_t bytes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace gwsim::router
