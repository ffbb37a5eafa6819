// Each mechanism of the gateway model acts, shown on small scenarios.

#include "models/gateway/simulation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace gwsim::gateway {
namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

scenario small() {
  scenario s;
  s.name = "test";
  s.cluster.workers_per_node = 2;
  s.cluster.pod_memory_limit_bytes = 64 * gib;
  s.routes.routes = s.routes.services = 3000;
  s.traffic.rate_per_s = 100;
  s.run.duration_s = 60;
  return s;
}

void expect_conservation(const result& r) {
  const summary& t = r.totals;
  EXPECT_EQ(t.requests, t.completed + t.errors + t.in_flight)
      << "requests " << t.requests << " completed " << t.completed << " errors " << t.errors << " in flight "
      << t.in_flight;
}

/// A pod limit between the pod's peak without writes and its peak with the
/// scenario's writes, both measured on the model without a limit: the
/// deployment of the incident, where the quiet pod fits and a write does not.
double limit_between_quiet_and_writes(scenario s) {
  s.cluster.pod_memory_limit_bytes = 1024 * gib;
  const double with_writes = run(s).totals.peak_pod_memory_bytes;
  s.admin = admin_config{};
  const double quiet = run(s).totals.peak_pod_memory_bytes;
  EXPECT_GT(with_writes, quiet * 1.1) << "the writes must raise the peak for the test to mean anything";
  return 0.5 * (quiet + with_writes);
}

std::size_t count_events(const result& r, const std::string& kind) {
  return static_cast<std::size_t>(std::count(r.events.kind.begin(), r.events.kind.end(), kind));
}

TEST(GatewayConservation, ArrivalsEqualAnsweredPlusFailedPlusInFlight) {
  for (consistency c : {consistency::strict, consistency::eventual}) {
    for (const char* strategy : {"full_rebuild", "incremental"}) {
      scenario s = small();
      s.kong.worker_consistency = c;
      s.strategy = strategy;
      s.admin.poisson_rate_per_s = 0.2;
      result r = run(s);
      SCOPED_TRACE(std::string(strategy));
      EXPECT_GT(r.totals.requests, 5'000u);
      expect_conservation(r);
    }
  }
  scenario oom = small();
  oom.routes.routes = 20'000;
  oom.admin.poisson_rate_per_s = 0.5;
  oom.cluster.pod_memory_limit_bytes = limit_between_quiet_and_writes(oom);
  result r = run(oom);
  EXPECT_GT(r.totals.oom_kills, 0u);
  expect_conservation(r);
}

TEST(GatewayDatabase, EachWorkerReadsCeilRoutesOverPageSizePagesPerRebuild) {
  scenario quiet = small();
  quiet.routes.routes = 2'500;
  quiet.database.page_size = 1'000;
  scenario write = quiet;
  write.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  const result a = run(quiet);
  const result b = run(write);
  EXPECT_EQ(b.totals.rebuilds, 2u);
  // Same seed, same polls: the difference is the rebuilds' page reads.
  EXPECT_EQ(b.totals.db_queries - a.totals.db_queries, 2u * 3u);
  EXPECT_GT(b.totals.db_utilization, a.totals.db_utilization);
}

TEST(GatewayStrict, RequestsWaitForTheRebuild) {
  scenario s = small();
  s.routes.routes = s.routes.services = 50'000;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  s.kong.worker_consistency = consistency::strict;
  const result strict = run(s);
  s.kong.worker_consistency = consistency::eventual;
  const result eventual = run(s);
  // A full build of 50k routes costs over a second of CPU; under strict
  // consistency requests wait for all of it.
  const double build_s = strict.totals.rebuild_cpu_s / static_cast<double>(strict.totals.rebuilds);
  EXPECT_GT(build_s, 0.5);
  EXPECT_GT(strict.totals.latency_max_s, build_s);
  EXPECT_LT(eventual.totals.latency_max_s, strict.totals.latency_max_s);
  expect_conservation(strict);
}

TEST(GatewayYield, AYieldingBuildBoundsTheLongestStall) {
  scenario s = small();
  s.routes.routes = s.routes.services = 50'000;
  s.kong.worker_consistency = consistency::eventual;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  s.kong.build_yield_every = 0;
  const result blocking = run(s);
  s.kong.build_yield_every = 1'000;
  const result yielding = run(s);
  EXPECT_EQ(blocking.totals.rebuilds, yielding.totals.rebuilds);
  // The blocking build holds the event loop for its whole finishing phase;
  // yielding every 1,000 routes lets requests through between slices.
  EXPECT_LT(yielding.totals.latency_max_s * 3, blocking.totals.latency_max_s);
}

/// 50,000 routes, one route update at 10 s, builds that yield every 1,000 routes.
scenario one_write_yielding_builds() {
  scenario s = small();
  s.routes.routes = s.routes.services = 50'000;
  s.kong.worker_consistency = consistency::eventual;
  s.kong.build_yield_every = 1'000;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  return s;
}

TEST(GatewayYield, TheSortOfEveryPathIsOneSliceEvenWhenTheLoopsYield) {
  scenario s = one_write_yielding_builds();
  const double paths = s.routes.routes * s.routes.paths_per_route;
  const double sort_s = s.cost.build_ns_per_path_log * paths * std::log2(paths) * 1e-9;
  const result with_sort = run(s);
  // Some request arrives while the sort runs and waits for it.
  EXPECT_GT(with_sort.totals.latency_max_s, 0.5 * sort_s);
  // The same CPU in the per-route loops, which yield: no such stall.
  s.cost.build_ns_per_path += sort_s * 1e9 / paths;
  s.cost.build_ns_per_path_log = 0;
  const result loops_only = run(s);
  EXPECT_NEAR(with_sort.totals.rebuild_cpu_s, loops_only.totals.rebuild_cpu_s, 0.05 * loops_only.totals.rebuild_cpu_s);
  EXPECT_LT(loops_only.totals.latency_max_s * 3, with_sort.totals.latency_max_s);
}

TEST(GatewayYield, ThePrefixSortIsASecondSliceAtTheEndOfTheBuild) {
  scenario s = one_write_yielding_builds();
  const double paths = s.routes.routes * s.routes.paths_per_route;
  s.cost.build_ns_per_path_log = 0;
  const result without = run(s);
  s.cost.prefix_sort_ns_per_path_log = 500;
  const double sort_s = 500 * paths * std::log2(paths) * 1e-9;
  const result with_sort = run(s);
  // Two workers rebuild once each: the sort's CPU is in every build ...
  EXPECT_NEAR(with_sort.totals.rebuild_cpu_s - without.totals.rebuild_cpu_s, 2 * sort_s, 0.05 * 2 * sort_s);
  // ... and some request waits for it, which the yielding loops alone never make one do.
  EXPECT_GT(with_sort.totals.latency_max_s, 0.5 * sort_s);
  EXPECT_LT(without.totals.latency_max_s * 3, with_sort.totals.latency_max_s);
}

/// When each worker's (node 0) first rebuild ended.
std::vector<double> rebuild_ends(const result& r) {
  std::vector<double> ends(2, 0.0);
  for (std::size_t i = 0; i < r.events.rows(); ++i) {
    const int w = r.events.worker[i];
    if (r.events.kind[i] != "rebuild_end" || r.events.node[i] != 0 || w < 0 || w > 1) continue;
    double& end = ends[static_cast<std::size_t>(w)];
    if (end == 0) end = r.events.time_s[i];
  }
  return ends;
}

TEST(GatewayYield, EachYieldDelaysTheBuildButNotTheRequests) {
  scenario s = one_write_yielding_builds();
  s.traffic.rate_per_s = 1e-3;  // no requests in the way: the build's own timing
  const result at_once = run(s);
  s.kong.yield_delay_s = 0.002;
  const result delayed = run(s);
  // Same CPU; each build ends 50 yields x 2 ms later (every slice but the
  // last yields after it: 50 loop slices and the sort's, 51 in all).
  EXPECT_NEAR(delayed.totals.rebuild_cpu_s, at_once.totals.rebuild_cpu_s, 1e-9);
  const double yields = s.routes.routes / s.kong.build_yield_every;
  for (std::size_t w = 0; w < 2; ++w) {
    EXPECT_NEAR(rebuild_ends(delayed)[w] - rebuild_ends(at_once)[w], yields * 0.002, 1e-6) << "worker " << w;
  }
  // With traffic the loop serves requests while the build waits: no longer
  // stall than without the delay.
  s = one_write_yielding_builds();
  const result busy = run(s);
  s.kong.yield_delay_s = 0.002;
  const result busy_delayed = run(s);
  EXPECT_LE(busy_delayed.totals.latency_max_s, busy.totals.latency_max_s * 1.1);
}

TEST(GatewayYield, DecodingPagesNeverBlocksRequestsForLongerThanAPage) {
  scenario s = small();
  s.routes.routes = s.routes.services = 50'000;
  s.kong.worker_consistency = consistency::eventual;
  s.kong.build_yield_every = 0;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  s.cost.build_ns_per_path = 0;
  s.cost.build_ns_per_path_log = 0;
  s.cost.read_ns_per_route = 40'000;  // 2 s of decoding, 40 ms a page
  const result r = run(s);
  EXPECT_GT(r.totals.rebuild_cpu_s, 2 * 2.0);  // two workers, 2 s each
  EXPECT_LT(r.totals.latency_max_s, 0.25);
}

TEST(GatewayMemory, HeapRisesAfterAWriteAndFallsOnceACycleCompletes) {
  scenario s = small();
  s.run.duration_s = 300;
  s.run.sample_interval_s = 1;
  s.admin.script = {admin_op{20.0, admin_kind::update_route, 1}};
  const result r = run(s);
  double before = 0, peak = 0, last = 0;
  double peak_at = 0;
  for (std::size_t i = 0; i < r.series.rows(); ++i) {
    if (r.series.node[i] != 0 || r.series.worker[i] != 0) continue;
    const double t = r.series.time_s[i];
    const double h = r.series.heap_bytes[i];
    if (t < 20) before = std::max(before, h);
    if (t >= 20 && h > peak) {
      peak = h;
      peak_at = t;
    }
    last = h;
  }
  EXPECT_GT(peak, before * 1.3) << "the new router and its garbage are allocated on top of the old";
  EXPECT_LT(last, peak) << "a completed cycle frees the old router (peak at " << peak_at << " s)";
  EXPECT_GT(r.totals.gc_cycles, 0u);
  EXPECT_GT(r.totals.gc_cpu_s, 0.0);
}

TEST(GatewayOom, TheKillerFailsTheVictimsRequestsAndTheMasterRespawnsIt) {
  scenario s = small();
  s.routes.routes = s.routes.services = 20'000;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  s.cluster.pod_memory_limit_bytes = limit_between_quiet_and_writes(s);
  scenario quiet = s;
  quiet.admin = admin_config{};
  EXPECT_EQ(run(quiet).totals.oom_kills, 0u);
  const result r = run(s);
  ASSERT_GT(r.totals.oom_kills, 0u);
  EXPECT_EQ(count_events(r, "oom_kill"), r.totals.oom_kills);
  EXPECT_GT(r.totals.errors, 0u);
  EXPECT_GT(r.totals.worker_restarts, 0u);
  EXPECT_LE(r.totals.worker_restarts, r.totals.oom_kills);
  expect_conservation(r);
}

TEST(GatewayRespawn, BuildingBeforeServingAvoidsTheErrorsOfAnUnbuiltWorker) {
  scenario s = small();
  s.routes.routes = s.routes.services = 20'000;
  s.kong.worker_consistency = consistency::eventual;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  s.cluster.pod_memory_limit_bytes = limit_between_quiet_and_writes(s);
  s.cluster.respawn = respawn_policy::serve_errors_until_built;
  const result lazy = run(s);
  s.cluster.respawn = respawn_policy::build_before_serving;
  const result eager = run(s);
  ASSERT_GT(lazy.totals.oom_kills, 0u);
  ASSERT_GT(eager.totals.oom_kills, 0u);
  EXPECT_GT(lazy.totals.errors, eager.totals.errors);
  // The eager worker starts its build the moment it is respawned.
  for (std::size_t i = 0; i < eager.events.rows(); ++i) {
    if (eager.events.kind[i] != "respawn") continue;
    bool build_follows = false;
    for (std::size_t j = i + 1; j < eager.events.rows() && eager.events.time_s[j] == eager.events.time_s[i]; ++j) {
      build_follows |= eager.events.kind[j] == "rebuild_start" && eager.events.worker[j] == eager.events.worker[i];
    }
    EXPECT_TRUE(build_follows) << "respawn at " << eager.events.time_s[i];
  }
}

TEST(GatewayPropagation, RemoteNodesLearnByPollingLaterThanTheLocalNode) {
  scenario s = small();
  s.kong.worker_consistency = consistency::eventual;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  const result one = run(s);
  s.cluster.nodes = 3;
  const result three = run(s);
  const double bound =
      s.kong.db_update_frequency_s + s.kong.worker_event_delay_s + s.kong.worker_state_update_frequency_s + 1.0;
  EXPECT_GT(three.totals.max_staleness_s, one.totals.max_staleness_s);
  EXPECT_LE(three.totals.max_staleness_s, bound);
  EXPECT_EQ(three.totals.rebuilds, 6u);
}

TEST(GatewayIncremental, AppliesOnlyTheChangesAndFlushesTheCache) {
  scenario s = small();
  s.routes.routes = s.routes.services = 50'000;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  const result full = run(s);
  s.strategy = "incremental";
  const result inc = run(s);
  EXPECT_EQ(full.totals.rebuilds, inc.totals.rebuilds);
  EXPECT_LT(inc.totals.rebuild_cpu_s * 100, full.totals.rebuild_cpu_s);
  EXPECT_LT(inc.totals.peak_worker_heap_bytes, full.totals.peak_worker_heap_bytes);
  EXPECT_LT(inc.totals.db_queries, full.totals.db_queries);
}

TEST(GatewayDeterminism, SameSeedSameResults) {
  scenario s = small();
  s.admin.poisson_rate_per_s = 0.1;
  result a = run(s);
  result b = run(s);
  EXPECT_EQ(a.totals.requests, b.totals.requests);
  EXPECT_EQ(a.totals.latency_p99_s, b.totals.latency_p99_s);
  EXPECT_EQ(a.totals.peak_pod_memory_bytes, b.totals.peak_pod_memory_bytes);
  EXPECT_EQ(a.series.heap_bytes, b.series.heap_bytes);
  EXPECT_EQ(a.events.time_s, b.events.time_s);
  s.run.seed = 2;
  const result c = run(s);
  EXPECT_NE(a.totals.latency_p99_s, c.totals.latency_p99_s);
}

}  // namespace
}  // namespace gwsim::gateway
