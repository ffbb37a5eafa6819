#include "models/analytic/memory_bounds.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace gwsim::analytic {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

template <class F>
void expect_invalid(F f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no exception for " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

/// Small numbers that are easy to follow by hand: L = 1000 + 10 x 110 +
/// 4 x 12 = 2148, f_request = 10 / (10 + 90) = 0.1, s = 2, p = 2,
/// c / s = (10/64) / 2 = 0.078125, step = 1.
memory_bound_params hand() {
  memory_bound_params p;
  p.routes = 10;
  p.router_bytes_per_route = 100;
  p.build_garbage_per_route_bytes = 50;
  p.entity_cache_bytes_per_route = 10;
  p.baseline_heap_bytes = 1000;
  p.cache_slots = 4;
  p.cache_slot_bytes = 2;
  p.cache_value_bytes = 10;
  p.request_garbage_bytes = 90;
  p.routes_per_build_step = 1000;
  p.gc_pause = 200;
  p.gc_stepmul = 200;
  p.gc_step_bytes = 1;
  p.gc_mean_object_bytes = 64;
  p.workers = 3;
  p.non_heap_bytes = 7;
  p.pod_fixed_bytes = 11;
  p.table_versions = 3;
  return p;
}

TEST(MemoryBoundsTest, PacingBoundOnHandComputedCases) {
  // T* = max(2 x 100, 101, (100 + 0.078125 x 50 + 1) / 0.921875) = 200;
  // H = T* + L/s + step = 200 + 50 + 1.
  EXPECT_DOUBLE_EQ(gc_peak_heap_bytes(100, 100, 200, 200, 1, 64), 251.0);
  // pause 100: the sweep's run-ahead sets the cycle start, 104.90625 / 0.921875.
  EXPECT_NEAR(gc_peak_heap_bytes(100, 100, 100, 200, 1, 64), 104.90625 / 0.921875 + 51.0, 1e-9);
  // A sweep paced no faster than allocation (c = 10/8, s = 1): no bound.
  EXPECT_EQ(gc_peak_heap_bytes(100, 100, 200, 100, 1, 8), inf);
}

TEST(MemoryBoundsTest, EstimateBoundTakesTheSmallerOfShareAndPacingCap) {
  EXPECT_DOUBLE_EQ(gc_estimate_bytes(100, 0.1, 2, 200), 107.0);  // 100 + min(50, 5 + 2)
  EXPECT_DOUBLE_EQ(gc_estimate_bytes(100, 1.0, 0, 200), 150.0);  // 100 + min(50, 50)
  EXPECT_DOUBLE_EQ(gc_estimate_bytes(100, 0.0, 0, 1000), 100.0);
}

TEST(MemoryBoundsTest, InPlaceWorkerOnHandComputedCase) {
  const memory_bound b = memory_bounds(hand(), rebuild_kind::in_place_per_worker);
  EXPECT_DOUBLE_EQ(b.live_bytes, 2148.0);
  EXPECT_DOUBLE_EQ(b.peak_live_bytes, 2148.0);
  EXPECT_DOUBLE_EQ(b.live_share, 0.1);
  EXPECT_DOUBLE_EQ(b.estimate_bytes, 2148.0 + 107.4 + 10.0);
  EXPECT_NEAR(b.worker_heap_bytes, 2.0 * 2265.4 + 1074.0 + 1.0, 1e-9);
  EXPECT_NEAR(b.cycle_start_bytes, 2.0 * 2265.4, 1e-9);
  EXPECT_EQ(b.shared_bytes, 0.0);
  EXPECT_NEAR(b.pod_bytes, 11.0 + 3.0 * (7.0 + b.worker_heap_bytes), 1e-9);
}

TEST(MemoryBoundsTest, ReplacingWorkerHoldsTwoRoutersAndAllocatesMostlyLiveBytes) {
  // A build from memory: each step allocates its share of the router.
  memory_bound_params p = hand();
  p.router_after_reads = false;
  const memory_bound b = memory_bounds(p, rebuild_kind::replace_per_worker);
  EXPECT_DOUBLE_EQ(b.peak_live_bytes, 2148.0 + 1000.0);
  EXPECT_DOUBLE_EQ(b.live_share, 1008.0 / 1508.0);  // (router + slot array) / (that + N b)
  EXPECT_DOUBLE_EQ(b.slack_bytes, 2.0 * 100 * 10 + 8 + 10);
  // The slack exceeds the pacing cap: E* = L* (1 + 1/s).
  EXPECT_DOUBLE_EQ(b.estimate_bytes, 3148.0 * 1.5);
  EXPECT_DOUBLE_EQ(b.worker_heap_bytes, 2.0 * 4722.0 + 1574.0 + 1.0);
}

TEST(MemoryBoundsTest, ARouterBuiltAfterItsReadsPutsItsUnsharedPartAtAWindowEdge) {
  // Kong's order: the pages (here garbage only), then the router and the
  // slot array, all live. A window starting where the router starts takes
  // (1 - f)(R + S) more live bytes than the share f allows.
  const memory_bound b = memory_bounds(hand(), rebuild_kind::replace_per_worker);
  const double f = 1008.0 / 1508.0;
  EXPECT_DOUBLE_EQ(b.live_share, f);
  EXPECT_DOUBLE_EQ(b.slack_bytes, (1.0 - f) * 1008.0 + 10.0);
  // Below the pacing cap L*/s = 1574 this time: E* = L* + f L*/s + slack.
  EXPECT_DOUBLE_EQ(b.estimate_bytes, 3148.0 + f * 1574.0 + b.slack_bytes);
  EXPECT_LT(b.estimate_bytes, 3148.0 * 1.5);
  EXPECT_DOUBLE_EQ(b.worker_heap_bytes, 2.0 * b.estimate_bytes + 1574.0 + 1.0);
}

TEST(MemoryBoundsTest, RouteCountChangesAddTheInPlaceGrowth) {
  memory_bound_params p = hand();
  p.route_count_changes = true;
  p.max_routes_added_per_update = 2;
  const memory_bound b = memory_bounds(p, rebuild_kind::in_place_per_worker);
  EXPECT_DOUBLE_EQ(b.live_share, 100.0 / 250.0);  // r / (2 r + b)
  EXPECT_DOUBLE_EQ(b.slack_bytes, 10.0 + 200.0);
  EXPECT_DOUBLE_EQ(b.estimate_bytes, 2148.0 + std::min(1074.0, 0.4 * 1074.0 + 210.0));
}

TEST(MemoryBoundsTest, SharedTablesLeaveOnlyTheCacheInTheWorkers) {
  const memory_bound rcu = memory_bounds(hand(), rebuild_kind::shared_table);
  EXPECT_DOUBLE_EQ(rcu.peak_live_bytes, 1000.0 + 8.0 + 40.0);
  EXPECT_NEAR(rcu.estimate_bytes, 1048.0 + 52.4 + 10.0, 1e-9);
  EXPECT_NEAR(rcu.worker_heap_bytes, 2.0 * 1110.4 + 524.0 + 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(rcu.shared_bytes, (3.0 + 1.0) * 1000.0);  // versions alive + the one being built
  const memory_bound db = memory_bounds(hand(), rebuild_kind::double_buffer);
  EXPECT_DOUBLE_EQ(db.worker_heap_bytes, rcu.worker_heap_bytes);
  EXPECT_DOUBLE_EQ(db.shared_bytes, 2000.0);
  EXPECT_LT(db.pod_bytes, rcu.pod_bytes);
}

TEST(MemoryBoundsTest, GenerationsMultiplyTheWorkers) {
  memory_bound_params p = hand();
  p.generations = 2;
  const memory_bound b = memory_bounds(p, rebuild_kind::process_generation);
  EXPECT_DOUBLE_EQ(b.peak_live_bytes, 2148.0);
  EXPECT_DOUBLE_EQ(b.pod_bytes, 11.0 + 2000.0 + 2.0 * 3.0 * (7.0 + b.worker_heap_bytes));
  p.generations = inf;
  EXPECT_EQ(pod_memory_bound(p, rebuild_kind::process_generation), inf);
  EXPECT_DOUBLE_EQ(worker_heap_bound(p, rebuild_kind::process_generation), b.worker_heap_bytes);
}

TEST(MemoryBoundsTest, OrderOfDesignsAndMonotonicity) {
  const memory_bound_params p = hand();
  EXPECT_GT(worker_heap_bound(p, rebuild_kind::replace_per_worker),
            worker_heap_bound(p, rebuild_kind::in_place_per_worker));
  EXPECT_GT(worker_heap_bound(p, rebuild_kind::in_place_per_worker), worker_heap_bound(p, rebuild_kind::double_buffer));
  for (rebuild_kind k : {rebuild_kind::replace_per_worker, rebuild_kind::in_place_per_worker,
                         rebuild_kind::shared_table, rebuild_kind::double_buffer, rebuild_kind::process_generation}) {
    memory_bound_params q = p;
    q.routes *= 2;
    EXPECT_GE(worker_heap_bound(q, k), worker_heap_bound(p, k)) << to_string(k);
    q = p;
    q.gc_pause = 300;
    EXPECT_GT(worker_heap_bound(q, k), worker_heap_bound(p, k)) << to_string(k);
    q = p;
    q.gc_stepmul = 400;  // a faster collector runs less far ahead
    EXPECT_LT(worker_heap_bound(q, k), worker_heap_bound(p, k)) << to_string(k);
  }
}

TEST(MemoryBoundsTest, ArgumentErrorsNameTheParameterAndRange) {
  memory_bound_params p = hand();
  p.routes = -1;
  expect_invalid([&] { (void)memory_bounds(p, rebuild_kind::in_place_per_worker); },
                 "routes = -1 is invalid: must be finite and >= 0");
  p = hand();
  p.gc_pause = 50;
  expect_invalid([&] { (void)worker_heap_bound(p, rebuild_kind::replace_per_worker); },
                 "gc_pause = 50 is invalid: must be in [100, 1000]");
  p = hand();
  p.gc_stepmul = std::nan("");
  expect_invalid([&] { (void)worker_heap_bound(p, rebuild_kind::replace_per_worker); }, "gc_stepmul = nan is invalid");
  p = hand();
  p.workers = 0;
  expect_invalid([&] { (void)pod_memory_bound(p, rebuild_kind::double_buffer); }, "workers = 0 is invalid");
  p = hand();
  p.table_versions = 0.5;
  expect_invalid([&] { (void)pod_memory_bound(p, rebuild_kind::shared_table); }, "table_versions = 0.5 is invalid");
  p = hand();
  p.routes_per_build_step = 0;
  expect_invalid([&] { validate(p); }, "routes_per_build_step = 0 is invalid: must be finite and > 0");
  expect_invalid([] { (void)gc_estimate_bytes(1, 1.5, 0, 200); }, "live_share = 1.5 is invalid: must be in [0, 1]");
  expect_invalid([] { (void)gc_peak_heap_bytes(-1, 1, 200, 200); }, "peak_live = -1 is invalid");
  expect_invalid([] { (void)gc_peak_heap_bytes(1, 1, 200, 200, 0); }, "gc_step_bytes = 0 is invalid");
}

}  // namespace
}  // namespace gwsim::analytic
