// Kong 2.x's regex scan through ngx.re's cache of compiled patterns: the
// cache model itself, then the cliff it gives a simulated gateway once the
// regex paths outnumber the cache (Kong #7482), and what stays the same
// below it or for a design that does not scan.

#include "models/gateway/regex_scan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "models/gateway/analysis.hpp"
#include "models/gateway/memory_bound_inputs.hpp"
#include "models/gateway/simulation.hpp"

namespace gwsim::gateway {
namespace {

constexpr double mib = 1024.0 * 1024.0;
constexpr double gib = 1024.0 * mib;

TEST(RegexScan, BelowTheCacheOnlyTheFirstScanCompiles) {
  regex_scan scan(1000, 1024);
  const auto first = scan.on_miss();
  EXPECT_EQ(first.compiles, 1000);
  EXPECT_EQ(first.evicted, 0);
  for (int i = 0; i < 3; ++i) {
    const auto later = scan.on_miss();
    EXPECT_EQ(later.compiles, 0);
    EXPECT_EQ(later.evicted, 0);
  }
  EXPECT_EQ(scan.cached(), 1000);
}

TEST(RegexScan, PastTheCacheEveryScanCompilesEveryPattern) {
  regex_scan scan(1500, 1024);
  const auto first = scan.on_miss();
  EXPECT_EQ(first.compiles, 1500);
  EXPECT_EQ(first.evicted, 1500 - 1024);  // the cache filled first
  const auto later = scan.on_miss();
  EXPECT_EQ(later.compiles, 1500);
  EXPECT_EQ(later.evicted, 1500);
  EXPECT_EQ(scan.cached(), 1024);
}

TEST(RegexScan, WarmResetAndAnEmptyCache) {
  regex_scan scan(800, 1024);
  scan.warm();
  EXPECT_EQ(scan.on_miss().compiles, 0);
  scan.reset();
  EXPECT_EQ(scan.on_miss().compiles, 800);

  regex_scan none(10, 0);  // lua_regex_cache_max_entries 0: nothing kept
  EXPECT_EQ(none.on_miss().compiles, 10);
  EXPECT_EQ(none.on_miss().evicted, 10);
  EXPECT_EQ(none.cached(), 0);

  regex_scan no_regex(0, 1024);
  EXPECT_EQ(no_regex.on_miss().compiles, 0);
}

/// One worker, every request a match-cache miss, no admin writes.
scenario misses(int regex_paths) {
  scenario s;
  s.name = "regex scan";
  s.strategy = "full_rebuild";
  s.cluster.workers_per_node = 1;
  s.cluster.pod_memory_limit_bytes = 64 * gib;
  s.routes.routes = s.routes.services = 4'000;
  s.routes.regex_paths = regex_paths;
  s.kong.regex_cache_entries = 1024;
  s.traffic.rate_per_s = 4;
  s.traffic.unique_key_fraction = 1;
  s.traffic.upstream_latency_s = 0.001;
  s.run.duration_s = 600;  // a few collector cycles of the misses' garbage
  s.run.sample_interval_s = 0.5;
  return s;
}

/// The largest fall of a worker's resident memory from one sample to the next.
double largest_release(const result& r) {
  double drop = 0;
  double previous = -1;
  for (std::size_t i = 0; i < r.series.rows(); ++i) {
    if (r.series.worker[i] != 0) continue;
    if (previous >= 0) drop = std::max(drop, previous - r.series.resident_bytes[i]);
    previous = r.series.resident_bytes[i];
  }
  return drop;
}

TEST(GatewayRegexScan, PastTheCacheEveryMissPaysForEveryPatternAndNativeCodeWaitsForFinalizers) {
  const result none = run(misses(0));
  const result below = run(misses(1000));
  const result past = run(misses(2000));
  const scenario s = misses(2000);

  // CPU: every miss compiles 2,000 patterns (120 ms at 60 us each).
  const double per_miss = 2000 * s.traffic.regex_compile_cpu_s;
  EXPECT_GE(past.totals.latency_p50_s, per_miss);
  // Below the cache only a worker's first scan compiles.
  EXPECT_LT(below.totals.latency_p50_s, 0.1 * per_miss);
  EXPECT_NEAR(below.totals.latency_p50_s, none.totals.latency_p50_s, 0.002);

  // Memory: each miss leaves 2,000 patterns' native code (2 MB) that only
  // a finished collector cycle frees, while their Lua objects pace it.
  EXPECT_GT(past.totals.peak_pod_memory_bytes, none.totals.peak_pod_memory_bytes + 100 * mib);
  EXPECT_GT(largest_release(past), 50 * mib);
  // Below the cache: only the cached patterns' code, a fixed ~1 MiB.
  EXPECT_LT(below.totals.peak_pod_memory_bytes, none.totals.peak_pod_memory_bytes + 8 * mib);
  EXPECT_GT(past.totals.gc_cycles, 0u);
}

TEST(GatewayRegexScan, CompilesSlowAsThePileOfPatternCodeGrows) {
  scenario s = misses(2000);
  s.traffic.rate_per_s = 1;  // light: the latencies are the service, hardly any queue
  s.run.duration_s = 120;
  const result flat = run(s);
  s.traffic.regex_compile_ns_per_native_mib = 100;
  const result slowing = run(s);
  // No cycle finishes in these two minutes, so nothing is freed: the k-th
  // miss finds the 1 MiB the cache holds plus 2,000 evicted patterns of
  // 1 KiB from each miss before it. Over the ~120 misses the pile averages
  // about 1 + 1.95 * 60 = 118 MiB: 11.8 us more per compile, 24 ms per miss.
  EXPECT_EQ(slowing.totals.gc_cycles, 0u);
  const double extra_per_miss = 2000 * 100e-9 * (1.0 + 2000.0 * 1024 / mib * 60);
  const double extra = slowing.totals.latency_mean_s - flat.totals.latency_mean_s;
  EXPECT_GT(extra, 0.8 * extra_per_miss);
  EXPECT_LT(extra, 1.3 * extra_per_miss);
  // Later misses pay more: the slowest are slower by more than the median.
  EXPECT_GT(slowing.totals.latency_p99_s - flat.totals.latency_p99_s,
            slowing.totals.latency_p50_s - flat.totals.latency_p50_s);
  // Without the pile, the knob changes nothing.
  scenario none = misses(0);
  const result base = run(none);
  none.traffic.regex_compile_ns_per_native_mib = 20;
  EXPECT_DOUBLE_EQ(run(none).totals.latency_mean_s, base.totals.latency_mean_s);
}

TEST(GatewayRegexScan, AnIncrementalRouterDoesNotScanThroughNgxRe) {
  scenario s = misses(2000);
  s.strategy = "incremental";
  const result r = run(s);
  scenario plain = misses(0);
  plain.strategy = "incremental";
  const result base = run(plain);
  EXPECT_NEAR(r.totals.latency_p50_s, base.totals.latency_p50_s, 0.002);
  EXPECT_DOUBLE_EQ(r.totals.peak_pod_memory_bytes, base.totals.peak_pod_memory_bytes);
}

TEST(GatewayRegexScan, TheSteadyStateAnalysisChargesTheCliff) {
  const double below = workload_of(misses(1000)).mean_service_s;
  const double past = workload_of(misses(2000)).mean_service_s;
  const scenario s = misses(2000);
  // Every request misses: each one compiles 2,000 patterns, plus collector work.
  EXPECT_GE(past - below, 2000 * s.traffic.regex_compile_cpu_s);
  EXPECT_LT(past - below, 1.5 * 2000 * s.traffic.regex_compile_cpu_s);
}

TEST(GatewayRegexScan, PastTheCacheThePodHasNoBoundAndBelowItTheCacheIsCounted) {
  const scenario past = misses(2000);
  EXPECT_TRUE(regex_native_unbounded(past));
  EXPECT_TRUE(std::isinf(memory_bounds_of(past).pod_bytes));
  const memory_prediction m = predict_memory(past);
  EXPECT_TRUE(std::isinf(m.pod_bound_bytes));
  EXPECT_EQ(m.safe_concurrent_rebuilds, -1);
  // The worker heap bound still holds: it counts every miss's pattern objects.
  EXPECT_TRUE(std::isfinite(m.worker_heap_bound_bytes));
  EXPECT_DOUBLE_EQ(memory_bound_inputs(past).request_garbage_bytes,
                   past.traffic.request_garbage_bytes + 2000 * past.memory.regex_object_bytes);
  EXPECT_FALSE(regex_native_unbounded(misses(1000)));
  const auto none = memory_bound_inputs(misses(0));
  const auto below = memory_bound_inputs(misses(1000));
  const scenario s = misses(1000);
  EXPECT_DOUBLE_EQ(below.baseline_heap_bytes - none.baseline_heap_bytes, 1000 * s.memory.regex_object_bytes);
  EXPECT_DOUBLE_EQ(below.non_heap_bytes - none.non_heap_bytes, 1000 * s.memory.regex_native_bytes);
  scenario incremental = misses(2000);
  incremental.strategy = "incremental";
  EXPECT_FALSE(regex_native_unbounded(incremental));
  EXPECT_TRUE(std::isfinite(memory_bounds_of(incremental).pod_bytes));
}

}  // namespace
}  // namespace gwsim::gateway
