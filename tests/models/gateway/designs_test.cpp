// The router designs other than Kong 2.x's full rebuild, each shown to act
// through the mechanism that defines it (strategy.hpp): where builds run,
// what starts them, when the old version's memory goes, and the coalescing
// modifier.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <filesystem>

#include "models/gateway/calibrated_cost.hpp"
#include "models/gateway/simulation.hpp"
#include "models/gateway/strategy.hpp"

namespace gwsim::gateway {
namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

scenario base(const std::string& strategy) {
  scenario s;
  s.name = "design";
  s.strategy = strategy;
  s.cluster.workers_per_node = 4;
  s.cluster.pod_memory_limit_bytes = 64 * gib;
  s.routes.routes = s.routes.services = 20'000;
  s.traffic.rate_per_s = 200;
  s.run.duration_s = 120;
  return s;
}

std::vector<double> times_of(const result& r, const std::string& kind) {
  std::vector<double> t;
  for (std::size_t i = 0; i < r.events.rows(); ++i) {
    if (r.events.kind[i] == kind) t.push_back(r.events.time_s[i]);
  }
  return t;
}

TEST(Designs, EveryRegisteredStrategyRunsAndConservesRequests) {
  for (const std::string& name : strategy_names()) {
    scenario s = base(name);
    s.admin.script = {admin_op{20.0, admin_kind::update_route, 1}, admin_op{60.0, admin_kind::create_route, 3}};
    const result r = run(s);
    EXPECT_EQ(r.totals.requests, r.totals.completed + r.totals.errors + r.totals.in_flight) << name;
    EXPECT_GT(r.totals.rebuilds, 0u) << name;
    EXPECT_EQ(r.totals.oom_kills, 0u) << name;
  }
}

TEST(Designs, LazyBuildsOnlyWhenARequestComesAndReadsNoPages) {
  scenario s = base("lazy");
  s.admin.script = {admin_op{20.0, admin_kind::update_route, 1}};
  const result busy = run(s);
  EXPECT_EQ(busy.totals.rebuilds, 4u);  // each worker, at its first request after the change
  s.strategy = "full_rebuild";
  const result kong = run(s);
  // Kong pages every route out of the database per worker; lazy has them.
  EXPECT_GT(kong.totals.db_queries, busy.totals.db_queries + 4u * 19u);

  s.strategy = "lazy";
  s.traffic.rate_per_s = 0;  // nobody asks: nobody builds
  EXPECT_EQ(run(s).totals.rebuilds, 0u);
  s.kong.worker_consistency = consistency::eventual;  // no timer builds for lazy either
  EXPECT_EQ(run(s).totals.rebuilds, 0u);
}

TEST(Designs, SharedTablesBuildOncePerPodOffTheWorkers) {
  scenario s = base("shared_rcu");
  s.admin.script = {admin_op{20.0, admin_kind::update_route, 1}, admin_op{60.0, admin_kind::update_route, 1}};
  const result shared = run(s);
  EXPECT_EQ(shared.totals.rebuilds, 2u);  // one per change for the pod, not one per worker
  s.strategy = "full_rebuild";
  const result per_worker = run(s);
  EXPECT_EQ(per_worker.totals.rebuilds, 8u);
  // Four builds instead of one (the workers' builds also carry the collector
  // work their garbage causes).
  EXPECT_GT(per_worker.totals.rebuild_cpu_s, 3.9 * shared.totals.rebuild_cpu_s);
  EXPECT_LT(per_worker.totals.rebuild_cpu_s, 6.0 * shared.totals.rebuild_cpu_s);
  // The workers' heaps hold no router: one copy per pod instead of four.
  const double router = s.routes.routes * s.memory.router_bytes_per_route;
  EXPECT_LT(shared.totals.peak_worker_heap_bytes, per_worker.totals.peak_worker_heap_bytes - router);
  EXPECT_LT(shared.totals.peak_pod_memory_bytes, per_worker.totals.peak_pod_memory_bytes - 2 * router);
  // Requests never wait for a build: the latency tail is the quiet one.
  s.strategy = "shared_rcu";
  s.admin.script.clear();
  EXPECT_NEAR(shared.totals.latency_p99_s, run(s).totals.latency_p99_s, 0.005);
}

TEST(Designs, RcuKeepsOldTablesWhileLongRequestsHoldThemDoubleBufferFreesAtCommit) {
  scenario s = base("shared_rcu");
  s.traffic.upstream_latency_s = 20.0;  // mean 20 s: versions stay referenced
  s.traffic.client_timeout_s = 600.0;
  s.admin.loops = {admin_loop{10.0, 100.0, 5.0}};
  const result rcu = run(s);
  s.strategy = "double_buffer";
  const result buffer = run(s);
  const double table = s.routes.routes * s.memory.router_bytes_per_route;
  // Double buffer: at most the active and the next version.
  const double fixed = s.cluster.master_memory_bytes + s.cluster.mem_cache_dicts * s.cluster.mem_cache_size_bytes +
                       s.cluster.fixed_zones_bytes;
  EXPECT_LE(buffer.totals.peak_pod_memory_bytes - fixed, 2 * table + 4 * (buffer.totals.peak_worker_heap_bytes + s.memory.non_heap_bytes));
  // RCU: requests started on older versions keep several alive at once.
  EXPECT_GT(rcu.totals.peak_pod_memory_bytes, buffer.totals.peak_pod_memory_bytes + 2 * table);
  EXPECT_EQ(rcu.totals.rebuilds, buffer.totals.rebuilds);
}

TEST(Designs, RcuVersionsStackWithLongLivedStreamsButOnlyTheTables) {
  // Envoy snapshots the table per stream: long-lived streams pin retired
  // versions as long connections pin old worker generations under reload,
  // but only the table stays, not whole workers.
  scenario s = base("shared_rcu");
  s.admin.loops = {admin_loop{10.0, 60.0, 5.0}};
  s.design.long_streams_per_worker = 0;
  const result quick = run(s);
  s.design.long_connection_s = 1e4;  // streams outlive the run, one starting per second per worker
  s.design.long_streams_per_worker = 1e4;
  const result pinned = run(s);
  const double table = s.routes.routes * s.memory.router_bytes_per_route;
  EXPECT_EQ(quick.totals.rebuilds, pinned.totals.rebuilds);
  ASSERT_GE(pinned.totals.rebuilds, 5u);
  // Every retired version stays: one table per rebuild on top of the quiet pod.
  EXPECT_GT(pinned.totals.peak_pod_memory_bytes,
            quick.totals.peak_pod_memory_bytes + (static_cast<double>(pinned.totals.rebuilds) - 2) * table);
  s.strategy = "reload";
  const result reload = run(s);
  EXPECT_GT(reload.totals.peak_pod_memory_bytes, pinned.totals.peak_pod_memory_bytes);
  // Streams of a few seconds let versions go again.
  s.strategy = "shared_rcu";
  s.design.long_connection_s = 2.0;
  s.design.long_streams_per_worker = 2.0;
  const result short_streams = run(s);
  EXPECT_LT(short_streams.totals.peak_pod_memory_bytes, pinned.totals.peak_pod_memory_bytes - 3 * table);
  EXPECT_LT(short_streams.totals.final_pod_memory_bytes, quick.totals.final_pod_memory_bytes + table / 2);
}

TEST(Designs, ReloadStacksGenerationsWhileLongConnectionsDrain) {
  scenario s = base("reload");
  s.admin.loops = {admin_loop{10.0, 60.0, 5.0}};
  s.design.long_streams_per_worker = 0;
  const result quick = run(s);
  s.design.long_connection_s = 1e6;  // old workers outlive the run
  s.design.long_streams_per_worker = 50;
  const result stacked = run(s);
  EXPECT_EQ(quick.totals.oom_kills, 0u);
  // Every generation of 4 workers, each with its own router copy, stays.
  EXPECT_GT(stacked.totals.peak_pod_memory_bytes, quick.totals.peak_pod_memory_bytes * 3);
  EXPECT_EQ(times_of(quick, "generation").size(), times_of(stacked, "generation").size());
  const std::size_t generations = times_of(quick, "generation").size();
  ASSERT_GE(generations, 5u);
  EXPECT_EQ(times_of(quick, "worker_exit").size(), 4u * generations);
  EXPECT_TRUE(times_of(stacked, "worker_exit").empty());
  // nginx's worker_shutdown_timeout bounds how long a generation lingers.
  s.design.worker_shutdown_timeout_s = 2.0;
  const result bounded = run(s);
  EXPECT_LT(bounded.totals.peak_pod_memory_bytes, stacked.totals.peak_pod_memory_bytes / 2);
  EXPECT_EQ(times_of(bounded, "worker_exit").size(), 4u * generations);
}

TEST(Designs, ShardedRebuildsOnlyTheTouchedShard) {
  scenario s = base("sharded");
  s.design.shards = 20;
  s.admin.script = {admin_op{20.0, admin_kind::update_route, 1}};
  const result sharded = run(s);
  s.strategy = "full_rebuild";
  const result full = run(s);
  EXPECT_EQ(sharded.totals.rebuilds, full.totals.rebuilds);
  // One shard of 20: about a twentieth of the CPU (page processing is linear,
  // sorting a shard is a little cheaper than a twentieth of the whole sort).
  EXPECT_LT(sharded.totals.rebuild_cpu_s, full.totals.rebuild_cpu_s / 15);
  EXPECT_GT(sharded.totals.rebuild_cpu_s, full.totals.rebuild_cpu_s / 30);
}

TEST(Designs, DebounceCoalescesABurstIntoOneRebuild) {
  scenario s = base("full_rebuild");
  s.kong.worker_consistency = consistency::eventual;
  s.kong.worker_state_update_frequency_s = 0.1;
  // Ten writes 0.5 s apart.
  for (int k = 0; k < 10; ++k) s.admin.script.push_back(admin_op{20.0 + 0.5 * k, admin_kind::update_route, 1});
  const result eager = run(s);
  s.design.debounce_s = 1.0;
  const result debounced = run(s);
  EXPECT_GT(eager.totals.rebuilds, 4u * 5u);
  EXPECT_EQ(debounced.totals.rebuilds, 4u);
  // The version is released a quiet second after the last write.
  for (double t : times_of(debounced, "rebuild_start")) EXPECT_GE(t, 20.0 + 4.5 + 0.5 + 1.0 - 1e-9);
  EXPECT_GT(debounced.totals.max_staleness_s, 5.5);
  // debounce_max_s caps the wait when writes never stop.
  s.design.debounce_max_s = 2.0;
  const result capped = run(s);
  EXPECT_GE(capped.totals.rebuilds, 4u * 2u);
  EXPECT_LT(capped.totals.max_staleness_s, debounced.totals.max_staleness_s);
}

TEST(Designs, MinIntervalSpacesReleasedVersions) {
  scenario s = base("shared_rcu");
  s.admin.loops = {admin_loop{10.0, 70.0, 1.0}};
  s.design.min_interval_s = 10.0;
  const result r = run(s);
  const std::vector<double> starts = times_of(r, "rebuild_start");
  ASSERT_GE(starts.size(), 5u);
  EXPECT_LE(starts.size(), 8u);
  for (std::size_t i = 1; i < starts.size(); ++i) EXPECT_GE(starts[i] - starts[i - 1], 10.0 - 1e-9);
}

}  // namespace
}  // namespace gwsim::gateway

namespace gwsim::gateway {
namespace {

TEST(Designs, StrategiesRunOnTheCostsMeasuredForTheirRouterDesign) {
  const std::string file =
      (std::filesystem::path(__FILE__).parent_path() / "../../../scenarios/calibration/default.toml").string();
  scenario s = base("full_rebuild");
  s.admin.script = {admin_op{20.0, admin_kind::update_route, 1}};
  s.cost.calibration = file;
  const result measured = run(s);
  const calibrated_cost_model traditional = load_calibrated_cost(file, "traditional");
  // The measured route sets have p0 paths per route; the modelled routes
  // have paths_per_route: the cost is that of as many measured routes as
  // carry the same number of paths.
  const double routes = s.routes.routes * s.routes.paths_per_route / traditional.calibrated_paths_per_route();
  // Four builds, each charged the measured build of this many routes (the
  // workers' rebuild CPU also carries the collector work they cause).
  EXPECT_GE(measured.totals.rebuild_cpu_s, 4 * traditional.build_cpu_s(routes) * 0.999);
  EXPECT_LT(measured.totals.rebuild_cpu_s, 4 * traditional.build_cpu_s(routes) + 1.0);
  s.strategy = "incremental";
  const result incremental = run(s);
  const calibrated_cost_model atc = load_calibrated_cost(file, "incremental");
  ASSERT_TRUE(atc.change_cpu_s(routes).has_value());
  EXPECT_LT(incremental.totals.rebuild_cpu_s, measured.totals.rebuild_cpu_s / 100);
  s.cost.calibration = "no/such/calibration.toml";
  try {
    (void)run(s);
    ADD_FAILURE() << "a missing calibration file must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cost.calibration"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gwsim::gateway
