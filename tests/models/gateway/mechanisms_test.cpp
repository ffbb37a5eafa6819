// Smaller mechanisms of the gateway model, each shown to act: bursts,
// client timeouts, no-op writes, database contention, shared zones, load
// balancing, delayed release of freed memory and a just-started pod's heap.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/gateway/simulation.hpp"

namespace gwsim::gateway {
namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

scenario base() {
  scenario s;
  s.name = "mechanism";
  s.cluster.workers_per_node = 2;
  s.cluster.pod_memory_limit_bytes = 64 * gib;
  s.routes.routes = s.routes.services = 2'000;
  s.traffic.rate_per_s = 100;
  s.run.duration_s = 120;
  return s;
}

TEST(GatewayTraffic, OnOffBurstsCarryTrafficOnlyWhileOn) {
  scenario s = base();
  s.run.duration_s = 2'000;
  s.traffic.mode = arrival_mode::on_off;
  s.traffic.on_s = 10;
  s.traffic.off_s = 30;
  s.traffic.off_rate_per_s = 0;
  const result bursts = run(s);
  const double expected = s.traffic.rate_per_s * s.run.duration_s * 10.0 / 40.0;
  // 50 on-periods: the count is within a few standard deviations of the
  // on-fraction of the Poisson count.
  EXPECT_NEAR(static_cast<double>(bursts.totals.requests), expected, 0.25 * expected);
  s.traffic.mode = arrival_mode::poisson;
  EXPECT_GT(run(s).totals.requests, 2 * bursts.totals.requests);
}

TEST(GatewayTraffic, PeriodicArrivalsComeOnTheBeatAndQueueLessThanPoissonOnes) {
  scenario s = base();
  s.cluster.workers_per_node = 1;
  s.traffic.mode = arrival_mode::periodic;
  s.traffic.rate_per_s = 50;
  s.traffic.upstream_latency_s = 0;
  s.traffic.plugin_cpu_s = 0.015;  // 75% load: 15 ms of CPU every 20 ms
  s.traffic.match_miss_cpu_s = s.traffic.match_hit_cpu_s = 0;
  s.traffic.request_garbage_bytes = 0;
  const result beat = run(s);
  // One arrival every 20 ms: exactly rate x duration of them (the last one
  // at the end of the run or just after it).
  EXPECT_NEAR(static_cast<double>(beat.totals.requests), 50.0 * s.run.duration_s, 1.0);
  // Each request is served before the next arrives: no request waits.
  EXPECT_NEAR(beat.totals.latency_p99_s, 0.015, 0.001);
  s.traffic.mode = arrival_mode::poisson;
  const result poisson = run(s);
  // M/D/1 at 75% load: requests do wait, several service times at the tail.
  EXPECT_GT(poisson.totals.latency_p99_s, 3 * beat.totals.latency_p99_s);
}

TEST(GatewayTraffic, ClientTimeoutTurnsSlowAnswersIntoErrors) {
  scenario s = base();
  s.traffic.upstream_latency_s = 0.5;  // exponential, mean 0.5 s
  s.traffic.client_timeout_s = 1.0;
  const result r = run(s);
  // P(upstream > 1 s) = exp(-2) = 13.5%.
  const double rate = static_cast<double>(r.totals.errors) / static_cast<double>(r.totals.requests);
  EXPECT_NEAR(rate, std::exp(-2.0), 0.02);
  EXPECT_LE(r.totals.latency_max_s, s.traffic.client_timeout_s);
}

/// Two workers, light periodic traffic answered in about a millisecond, and
/// no-op writes every 2 s whose builds do not yield (100 ms slices).
scenario upstream_case() {
  scenario s = base();
  s.run.duration_s = 200;
  s.traffic.mode = arrival_mode::periodic;
  s.traffic.rate_per_s = 40;
  s.traffic.upstream_latency_s = 0.001;
  s.traffic.request_garbage_bytes = 0;
  s.kong.worker_consistency = consistency::eventual;
  s.kong.worker_state_update_frequency_s = 0.1;
  s.kong.build_yield_every = 0;
  s.cost.build_ns_per_path = 50'000;  // 2,000 routes: 100 ms
  s.cost.build_ns_per_path_log = 0;
  s.admin.loops = {admin_loop{0.5, 0.0, 2.0}};
  return s;
}

TEST(GatewayTraffic, AnUpstreamOnTheWorkersWaitsForTheirEventLoops) {
  scenario s = upstream_case();
  const result external = run(s);
  s.traffic.upstream_on_workers = true;
  const result on_workers = run(s);
  // A request now needs a worker's loop three times (its match, its
  // upstream leg on a worker drawn at random, its response), each of which
  // may fall inside a 100 ms build: more requests wait, and the slowest
  // wait behind two builds.
  ASSERT_GT(external.totals.rebuilds, 100u);
  EXPECT_GT(on_workers.totals.latency_mean_s, 1.1 * external.totals.latency_mean_s);
  EXPECT_GT(on_workers.totals.latency_p999_s, external.totals.latency_p999_s + 0.01);
  for (const result* r : {&external, &on_workers}) {
    EXPECT_EQ(r->totals.errors, 0u);
    EXPECT_EQ(r->totals.requests, r->totals.completed + r->totals.errors + r->totals.in_flight);
  }
  // Without writes the loops are free when a leg comes: nothing to wait for.
  s.admin.loops.clear();
  const result quiet_on = run(s);
  s.traffic.upstream_on_workers = false;
  const result quiet_off = run(s);
  EXPECT_NEAR(quiet_on.totals.latency_mean_s, quiet_off.totals.latency_mean_s, 1e-4);
  // The leg's CPU is on the request's path.
  s.traffic.upstream_on_workers = true;
  s.traffic.upstream_cpu_s = 0.004;
  EXPECT_NEAR(run(s).totals.latency_mean_s - quiet_on.totals.latency_mean_s, 0.004, 0.0005);
}

TEST(GatewayTraffic, AnUpstreamLegOnAKilledWorkerFailsItsRequestOnce) {
  // Legs 100 ms long on two workers under a pod limit that kills: a worker
  // dies holding its own requests and other workers' legs. Every request is
  // counted once: answered, failed, or still in flight at the end.
  scenario s = upstream_case();
  s.traffic.upstream_on_workers = true;
  s.traffic.upstream_cpu_s = 0.02;
  s.traffic.request_garbage_bytes = 256 * 1024;
  s.memory.gc_pause = 400;
  s.admin.loops.clear();
  s.cluster.pod_memory_limit_bytes = run(s).totals.peak_pod_memory_bytes * 0.9;
  const result r = run(s);
  ASSERT_GT(r.totals.oom_kills, 0u);
  EXPECT_GT(r.totals.errors, 0u);
  EXPECT_EQ(r.totals.requests, r.totals.completed + r.totals.errors + r.totals.in_flight);
}

TEST(GatewayAdmin, NoOpWritesStillBumpTheVersionAndTriggerRebuilds) {
  scenario s = base();
  s.admin.script = {admin_op{10.0, admin_kind::noop, 1}, admin_op{40.0, admin_kind::noop, 3}};
  const result r = run(s);
  EXPECT_EQ(r.totals.admin_writes, 4u);
  // Each worker rebuilds once per burst of writes it sees.
  EXPECT_EQ(r.totals.rebuilds, 2u * 2u);
}

TEST(GatewayDatabase, FewerConnectionsMakeConcurrentRebuildsWait) {
  scenario s = base();
  s.cluster.workers_per_node = 8;
  s.routes.routes = s.routes.services = 50'000;
  s.database.page_latency_s = 0.02;
  s.kong.worker_consistency = consistency::strict;
  s.admin.script = {admin_op{10.0, admin_kind::update_route, 1}};
  s.database.connections = 16;
  const result wide = run(s);
  s.database.connections = 1;
  const result narrow = run(s);
  EXPECT_EQ(wide.totals.db_queries, narrow.totals.db_queries);
  // 8 workers x 50 pages x 20 ms through one connection: 8 s of reads, so
  // the last worker serves its stale router (strict: holds its requests on
  // the mutex, past its 5 s timeout) for seconds longer.
  EXPECT_GT(narrow.totals.max_staleness_s, wide.totals.max_staleness_s + 4.0);
  EXPECT_GT(narrow.totals.errors, wide.totals.errors);
  EXPECT_GT(narrow.totals.db_utilization, wide.totals.db_utilization * 8);
}

TEST(GatewayPod, SharedZonesCountOncePerPodWhateverTheWorkers) {
  for (int workers : {1, 4}) {
    scenario s = base();
    s.cluster.workers_per_node = workers;
    const double small = run(s).totals.peak_pod_memory_bytes;
    s.cluster.mem_cache_size_bytes += gib;
    const double big = run(s).totals.peak_pod_memory_bytes;
    EXPECT_NEAR(big - small, s.cluster.mem_cache_dicts * gib, 1.0) << workers << " workers";
  }
}

TEST(GatewayBalancing, RandomBalancingQueuesMoreThanRoundRobin) {
  scenario s = base();
  s.traffic.rate_per_s = 1'000;
  s.traffic.plugin_cpu_s = 0.0016;  // 80% of two workers' CPU
  s.traffic.balance = balancing::round_robin;
  const result even = run(s);
  s.traffic.balance = balancing::random;
  const result random = run(s);
  EXPECT_GT(random.totals.latency_p99_s, even.totals.latency_p99_s);
}

/// Per worker of node 0: its highest heap over the run, less its first.
std::vector<double> heap_growth(const result& r, int workers) {
  std::vector<double> first(static_cast<std::size_t>(workers), -1.0);
  std::vector<double> high(static_cast<std::size_t>(workers), 0.0);
  for (std::size_t i = 0; i < r.series.rows(); ++i) {
    if (r.series.node[i] != 0 || r.series.worker[i] < 0) continue;
    const auto w = static_cast<std::size_t>(r.series.worker[i]);
    if (first[w] < 0) first[w] = r.series.heap_bytes[i];
    high[w] = std::max(high[w], r.series.heap_bytes[i]);
  }
  for (std::size_t w = 0; w < high.size(); ++w) high[w] -= first[w];
  return high;
}

/// Workers of node 0 whose heap grew by more than a MB: those that served
/// requests (each leaves 64 KiB or more of garbage).
long serving_workers(const result& r, int workers) {
  const std::vector<double> growth = heap_growth(r, workers);
  return std::count_if(growth.begin(), growth.end(), [](double g) { return g > 1e6; });
}

/// A pod of `workers` fed through a client's persistent connections, each
/// request leaving `garbage` bytes and waiting `upstream_s` for its upstream.
scenario on_connections(int workers, double rate_per_s, double upstream_s, double garbage) {
  scenario s = base();
  s.cluster.workers_per_node = workers;
  s.traffic.rate_per_s = rate_per_s;
  s.traffic.upstream_latency_s = upstream_s;
  s.traffic.request_garbage_bytes = garbage;
  s.traffic.balance = balancing::connections;
  s.run.duration_s = 60;
  return s;
}

TEST(GatewayBalancing, PersistentConnectionsPutLightTrafficOnOneWorker) {
  // Every answer comes back before the next request is due, so the client
  // reuses the connection it has just freed: one worker serves everything
  // and only its heap gathers the requests' garbage.
  scenario s = on_connections(4, 10, 0.001, 64 * 1024);
  s.traffic.mode = arrival_mode::periodic;
  EXPECT_EQ(serving_workers(run(s), 4), 1);
  // Spread at random, every worker serves some.
  s.traffic.balance = balancing::random;
  EXPECT_EQ(serving_workers(run(s), 4), 4);
}

TEST(GatewayBalancing, NewConnectionsGoToTheFirstIdleWorker) {
  // A worker waiting for upstreams is idle: with I/O-bound requests the
  // connections the client opens land on the first worker, on the second
  // only when a request's CPU slice happens to occupy the first.
  scenario s = on_connections(4, 200, 0.05, 64 * 1024);  // about ten requests in flight
  s.traffic.client_connections = 2;
  EXPECT_LE(serving_workers(run(s), 4), 2);
  // CPU-bound requests (1.6 cores of work): the first worker is busy when
  // the client needs more connections, and the next ones take them.
  s.traffic.upstream_latency_s = 0.001;
  s.traffic.plugin_cpu_s = 0.008;
  const result r = run(s);
  EXPECT_GE(serving_workers(r, 4), 2);
  EXPECT_EQ(r.totals.errors, 0u);
}

TEST(GatewayBalancing, ARequestOnAConnectionToAKilledWorkerFails) {
  // A pod limit below the run's peak kills the one busy worker: the
  // client's idle connections to it die with it, and the next request
  // written on one fails, although no request was in flight (each is
  // answered in about a millisecond, 50 ms before the next).
  scenario s = on_connections(2, 20, 0.001, 512 * 1024);
  s.traffic.mode = arrival_mode::periodic;
  s.memory.gc_pause = 400;
  s.run.duration_s = 120;
  s.cluster.pod_memory_limit_bytes = run(s).totals.peak_pod_memory_bytes * 0.95;
  const result r = run(s);
  ASSERT_GT(r.totals.oom_kills, 0u);
  EXPECT_GE(r.totals.errors, r.totals.oom_kills);
}

TEST(GatewayMemory, DelayedReleaseKeepsFreedPagesResident) {
  scenario s = base();
  s.routes.routes = s.routes.services = 20'000;
  s.run.duration_s = 600;
  s.admin.poisson_rate_per_s = 0.1;
  s.memory.release_delay_s = 0;
  const result at_once = run(s);
  s.memory.release_delay_s = 120;
  const result delayed = run(s);
  EXPECT_EQ(at_once.totals.peak_worker_heap_bytes, delayed.totals.peak_worker_heap_bytes);
  EXPECT_GT(delayed.totals.mean_pod_memory_bytes, at_once.totals.mean_pod_memory_bytes);
}

TEST(GatewayMemory, MemoryTouchedForTheFirstTimeCostsTheRebuildThatGrowsIntoIt) {
  // One worker, the pages it frees kept for the run: the first rebuild
  // grows the heap past anything it held (the new router beside the old,
  // the build's garbage) and pays for every new page; the second, once a
  // collector cycle has freed the first router (a short pause and a brisk
  // collector, the requests allocating little), grows into the pages it
  // left behind.
  scenario s = base();
  s.cluster.workers_per_node = 1;
  s.memory.gc_pause = 120;
  s.memory.gc_stepmul = 1000;
  s.routes.routes = s.routes.services = 20'000;
  s.memory.release_delay_s = 3600;
  s.run.duration_s = 100;
  const auto rebuild_cpu = [&s](double ns_per_byte, int writes) {
    scenario t = s;
    t.memory.first_touch_ns_per_byte = ns_per_byte;
    for (int k = 0; k < writes; ++k) t.admin.script.push_back(admin_op{20.0 + 40.0 * k, admin_kind::update_route, 1});
    const result r = run(t);
    EXPECT_EQ(r.totals.rebuilds, static_cast<std::uint64_t>(writes));
    return r.totals.rebuild_cpu_s;
  };
  const double first = rebuild_cpu(2.0, 1) - rebuild_cpu(0.0, 1);
  const double second = rebuild_cpu(2.0, 2) - rebuild_cpu(0.0, 2) - first;
  // The new router alone is 20,000 x 6 KiB: at 2 ns per byte, 0.25 s.
  const double router = 2e-9 * 20'000 * s.memory.router_bytes_per_route;
  EXPECT_GT(first, 0.5 * router);
  EXPECT_LT(first, 2.0 * 2e-9 * 20'000 * (s.memory.router_bytes_per_route + s.memory.build_garbage_per_route_bytes));
  EXPECT_LT(second, 0.25 * first);
  // Pages given back at once: every rebuild touches new ones.
  s.memory.release_delay_s = 0;
  const double again = rebuild_cpu(2.0, 2) - rebuild_cpu(0.0, 2) - (rebuild_cpu(2.0, 1) - rebuild_cpu(0.0, 1));
  EXPECT_GT(again, 0.5 * router);
}

/// Heap of worker 0 of node 0 at the first sample.
double first_heap(const result& r) {
  for (std::size_t i = 0; i < r.series.rows(); ++i) {
    if (r.series.node[i] == 0 && r.series.worker[i] == 0) return r.series.heap_bytes[i];
  }
  ADD_FAILURE() << "no sample of worker 0";
  return 0;
}

TEST(GatewayMemory, AJustStartedPodStillHoldsItsFirstBuildsGarbage) {
  scenario s = base();
  s.run.duration_s = 5;
  s.traffic.request_garbage_bytes = 0;
  // No cycle starts while the first build runs (the heap stays below ten
  // times the baseline): all of its garbage is still there.
  s.memory.gc_pause = 1000;
  const result collected = run(s);
  s.cluster.start_heap = initial_heap::just_built;
  const result just_built = run(s);
  const double garbage = s.routes.routes * s.memory.build_garbage_per_route_bytes;
  EXPECT_NEAR(first_heap(just_built) - first_heap(collected), garbage, 1.0);

  // With the default pause the collector runs during a build of 20 pages.
  // The router, allocated after the last page (Kong's Router.new), drives
  // it through the pages' garbage; what the build held until its end dies
  // only then and is still there.
  s.routes.routes = s.routes.services = 20'000;
  s.memory.gc_pause = 200;
  s.memory.baseline_heap_bytes = 1 << 20;
  s.memory.build_held_per_route_bytes = s.memory.build_garbage_per_route_bytes / 4;
  const double all_garbage = s.routes.routes * s.memory.build_garbage_per_route_bytes;
  const double held = s.routes.routes * s.memory.build_held_per_route_bytes;
  const double left = first_heap(run(s));
  s.cluster.start_heap = initial_heap::collected;
  const double live = first_heap(run(s));
  EXPECT_GE(left, live + held - 1.0);
  EXPECT_LT(left, live + all_garbage);
}

TEST(GatewayMemory, AJustStartedPodsNextRebuildMeetsTheCollectorMidCycle) {
  // Long-running workers start a rebuild with their collector paused at
  // twice a clean heap, so a build's allocation barely starts a cycle; a
  // pod that has just started is paced from its first build and collects
  // during the next one.
  scenario s = base();
  s.routes.routes = s.routes.services = 20'000;
  s.run.duration_s = 30;
  s.memory.baseline_heap_bytes = 1 << 20;
  s.admin.script = {admin_op{5.0, admin_kind::noop, 1}};
  const result collected = run(s);
  s.cluster.start_heap = initial_heap::just_built;
  const result just_built = run(s);
  EXPECT_EQ(collected.totals.rebuilds, just_built.totals.rebuilds);
  // 0.21 against 0.13 s when written.
  EXPECT_GT(just_built.totals.gc_cpu_s, 1.4 * collected.totals.gc_cpu_s);
  EXPECT_GT(just_built.totals.rebuild_cpu_s, collected.totals.rebuild_cpu_s);
}

TEST(GatewayMemory, WhatABuildHoldsUntilItEndsSurvivesTheCycleThatMarksMeanwhile) {
  // A build reads every route before it builds from them and holds the
  // decoded routes until it ends. The bytes allocated are the same either
  // way; the collector tells them apart: a cycle that marks during the build
  // reaches them and keeps them one cycle more, and paces the next cycle
  // from a heap that held them (the testbed's peaks under continuous writes).
  scenario s = base();
  s.cluster.workers_per_node = 1;
  s.routes.routes = s.routes.services = 20'000;
  s.run.duration_s = 30;
  s.traffic.rate_per_s = 10;
  s.memory.baseline_heap_bytes = 1 << 20;
  s.admin.loops = {admin_loop{2.0, 0.0, 0.5}};
  s.memory.build_held_per_route_bytes = 0;
  const result transient = run(s);
  s.memory.build_held_per_route_bytes = s.memory.build_garbage_per_route_bytes;
  const result held = run(s);
  EXPECT_EQ(transient.totals.rebuilds, held.totals.rebuilds);
  EXPECT_GT(held.totals.peak_worker_heap_bytes,
            transient.totals.peak_worker_heap_bytes + 0.5 * s.routes.routes * s.memory.build_held_per_route_bytes);
}

}  // namespace
}  // namespace gwsim::gateway
