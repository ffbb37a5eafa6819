#pragma once
/// Kong 2.x's regex scan through ngx.re's cache of compiled patterns, per
/// worker.
///
/// On every miss of its match cache, Kong 2.x's traditional router tries
/// its regex paths in their sorted order with `ngx.re.find(path, regex,
/// "ajo")` before it looks at plain and prefix paths. The `o` flag keeps the
/// compiled pattern in a per-worker LRU cache of lua_regex_cache_max_entries
/// patterns (lua-resty-core's resty.core.regex). With R distinct regex paths
/// and a cache of C:
///  - R <= C: the first scan of a worker compiles every pattern; the cache
///    then holds them all and later scans compile nothing;
///  - R > C: a scan through R patterns in the same order is the worst case
///    of an LRU cache: each pattern has been evicted by the C others since
///    its last use, so every scan compiles all R, and each compile evicts
///    the least recent pattern (Kong #7482: a CPU and memory cliff once the
///    regex routes outnumber the cache).
/// An evicted pattern's Lua objects are garbage at once; its PCRE and JIT
/// code, outside the Lua heap, is freed by its cdata finalizer when a
/// collector cycle that found it dead ends (the worker keeps that account).
/// Compiles slow as that code piles up: PCRE's JIT allocator walks, first
/// fit, a free list with a leftover per chunk of code held (the worker
/// charges traffic.regex_compile_ns_per_native_mib per MiB it holds).
///
/// A request whose route has a regex path stops at the first pattern that
/// matches; the model lets every miss try all R (the regex routes are a
/// small share of a route set and of its traffic).

#include "models/gateway/scenario.hpp"
#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {

/// Whether a design's workers match through ngx.re's cache: those charged
/// the traditional router's costs (Kong 2.x's router.lua), when the route
/// set has regex paths. The in-place designs' routers (Kong 3.x's) compile
/// their own patterns.
[[nodiscard]] bool scans_regex_paths(const strategy_traits& design, const scenario& s) noexcept;
/// Whether such a scan is past the cache: every miss compiles every pattern.
[[nodiscard]] bool regex_scan_thrashes(const strategy_traits& design, const scenario& s) noexcept;

class regex_scan {
 public:
  /// `patterns` regex paths, a cache of `capacity` patterns (both >= 0); the
  /// cache starts empty.
  regex_scan(double patterns, double capacity) noexcept;

  /// What one match-cache miss does.
  struct result {
    double compiles = 0;  ///< patterns compiled
    double evicted = 0;   ///< patterns the cache dropped for them
  };
  result on_miss() noexcept;

  /// Patterns the cache holds.
  [[nodiscard]] double cached() const noexcept { return cached_; }
  /// The cache as a long-running worker has it: every pattern it can hold.
  void warm() noexcept;
  /// A new worker process: an empty cache.
  void reset() noexcept { cached_ = 0; }

 private:
  double patterns_;
  double capacity_;
  double cached_ = 0;
};

}  // namespace gwsim::gateway
