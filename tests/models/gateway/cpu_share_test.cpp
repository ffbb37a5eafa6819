// The pod's CPU as a processor-sharing server (cpu_share), on its own and in
// the gateway model (cluster.cpu_cores, cluster.build_contention).

#include "models/gateway/cpu_share.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "models/gateway/simulation.hpp"
#include "sim/simulator.hpp"
#include "sim/timer.hpp"

namespace gwsim::gateway {
namespace {

/// One slice: starts at `start_s` with `cpu_s` of work, records its end.
struct probe {
  probe(sim::simulator& sim_in, cpu_share& cpu_in, double cpu_s_in, bool build_in = false)
      : sim(sim_in),
        cpu(cpu_in),
        cpu_s(cpu_s_in),
        build(build_in),
        done(sim_in, [this] { finish(); }),
        begin(sim_in, [this] { go(); }) {}
  void go() { cpu.start(done, cpu_s, build); }
  void finish() {
    extra = cpu.stop(done);
    end = sim.now_seconds();
  }
  sim::simulator& sim;
  cpu_share& cpu;
  double cpu_s;
  bool build;
  double end = -1;
  double extra = -1;
  sim::timer done;
  sim::timer begin;
};

/// Starts slices of (start s, CPU s) on a pod of `cores`; when each ended, in seconds.
std::vector<double> ends(double cores, const std::vector<std::pair<double, double>>& slices) {
  sim::simulator sim;
  cpu_share cpu(sim, cores);
  std::vector<std::unique_ptr<probe>> probes;
  for (const auto& [start, work] : slices) {
    probes.push_back(std::make_unique<probe>(sim, cpu, work));
    probes.back()->begin.arm_at(sim::from_seconds(start));
  }
  sim.run();
  std::vector<double> out;
  for (const auto& p : probes) out.push_back(p->end);
  return out;
}

TEST(CpuShare, EverySliceAtFullSpeedWithACorePerWorker) {
  const auto e = ends(0, {{0, 1.0}, {0, 1.0}, {0.5, 0.25}});
  EXPECT_NEAR(e[0], 1.0, 1e-9);
  EXPECT_NEAR(e[1], 1.0, 1e-9);
  EXPECT_NEAR(e[2], 0.75, 1e-9);
}

TEST(CpuShare, SlicesShareTheCoresEqually) {
  // One core, two slices of 1 s: each runs at half speed, both end at 2 s.
  auto e = ends(1, {{0, 1.0}, {0, 1.0}});
  EXPECT_NEAR(e[0], 2.0, 1e-6);
  EXPECT_NEAR(e[1], 2.0, 1e-6);
  // One core, 1 s and 0.5 s: the short one ends at 1 s (half speed), the
  // long one has 0.5 s left and runs alone: it ends at 1.5 s.
  e = ends(1, {{0, 1.0}, {0, 0.5}});
  EXPECT_NEAR(e[1], 1.0, 1e-6);
  EXPECT_NEAR(e[0], 1.5, 1e-6);
  // Two cores, three slices of 1 s: each at 2/3 speed, all end at 1.5 s.
  e = ends(2, {{0, 1.0}, {0, 1.0}, {0, 1.0}});
  for (double t : e) EXPECT_NEAR(t, 1.5, 1e-6);
  // A late arrival slows the running slice only from its start on.
  e = ends(1, {{0, 1.0}, {0.5, 1.0}});
  EXPECT_NEAR(e[0], 1.5, 1e-6);  // 0.5 s alone, then 0.5 s of work at half speed
  EXPECT_NEAR(e[1], 2.0, 1e-6);
  // Fractional cores: 1.5 cores, two slices: each at 0.75.
  e = ends(1.5, {{0, 0.75}, {0, 0.75}});
  EXPECT_NEAR(e[0], 1.0, 1e-6);
}

TEST(CpuShare, RejectsNegativeCores) {
  sim::simulator sim;
  EXPECT_THROW(cpu_share(sim, -1), std::invalid_argument);
  EXPECT_THROW(cpu_share(sim, 2, -0.1), std::invalid_argument);
  EXPECT_THROW(cpu_share(sim, 2, std::nan("")), std::invalid_argument);
}

struct slice_spec {
  double start_s;
  double cpu_s;
  bool build;
};

/// Slices on a pod of `cores` with build contention `c`: each one's (end s, extra CPU s).
std::vector<std::pair<double, double>> contended(double cores, double c, const std::vector<slice_spec>& slices) {
  sim::simulator sim;
  cpu_share cpu(sim, cores, c);
  std::vector<std::unique_ptr<probe>> probes;
  for (const slice_spec& s : slices) {
    probes.push_back(std::make_unique<probe>(sim, cpu, s.cpu_s, s.build));
    probes.back()->begin.arm_at(sim::from_seconds(s.start_s));
  }
  sim.run();
  std::vector<std::pair<double, double>> out;
  for (const auto& p : probes) out.emplace_back(p->end, p->extra);
  return out;
}

TEST(CpuShare, BuildsOnDifferentCoresSlowEachOther) {
  // A core each, contention 0.25: two builds of 1 s side by side each take
  // 1.25 s of CPU, and end at 1.25 s.
  auto e = contended(0, 0.25, {{0, 1.0, true}, {0, 1.0, true}});
  for (const auto& [end, extra] : e) {
    EXPECT_NEAR(end, 1.25, 1e-6);
    EXPECT_NEAR(extra, 0.25, 1e-6);
  }
  // A build beside a request slice: neither slows down.
  e = contended(0, 0.25, {{0, 1.0, true}, {0, 1.0, false}});
  EXPECT_NEAR(e[0].first, 1.0, 1e-6);
  EXPECT_NEAR(e[1].first, 1.0, 1e-6);
  EXPECT_NEAR(e[0].second, 0.0, 1e-9);
  // Contention 0.5; a second build of 0.25 s joins at 0.5 s: both progress
  // at 2/3 until it ends at 0.875 s (0.125 s of extra CPU each); the first
  // then does its last 0.25 s alone: it ends at 1.125 s.
  e = contended(0, 0.5, {{0, 1.0, true}, {0.5, 0.25, true}});
  EXPECT_NEAR(e[1].first, 0.875, 1e-6);
  EXPECT_NEAR(e[1].second, 0.125, 1e-6);
  EXPECT_NEAR(e[0].first, 1.125, 1e-6);
  EXPECT_NEAR(e[0].second, 0.125, 1e-6);
}

TEST(CpuShare, BuildsTakingTurnsOnOneCoreDoNotContend) {
  // One core: the two builds never run at the same moment; each runs at
  // half speed and uses no more CPU than its own.
  auto e = contended(1, 0.25, {{0, 1.0, true}, {0, 1.0, true}});
  for (const auto& [end, extra] : e) {
    EXPECT_NEAR(end, 2.0, 1e-6);
    EXPECT_NEAR(extra, 0.0, 1e-9);
  }
  // Two cores, three builds: each has 2/3 of a core and, at any moment, one
  // other build beside it: 1 s of work takes 1.25 s of CPU, 1.875 s of time.
  e = contended(2, 0.25, {{0, 1.0, true}, {0, 1.0, true}, {0, 1.0, true}});
  for (const auto& [end, extra] : e) {
    EXPECT_NEAR(end, 1.875, 1e-6);
    EXPECT_NEAR(extra, 0.25, 1e-6);
  }
}

scenario loaded(double cores) {
  scenario s;
  s.name = "cpu cores";
  s.cluster.workers_per_node = 4;
  s.cluster.pod_memory_limit_bytes = 64.0 * (1 << 30);
  s.cluster.cpu_cores = cores;
  s.routes.routes = s.routes.services = 2'000;
  s.traffic.rate_per_s = 1'000;
  s.traffic.plugin_cpu_s = 0.0015;  // 1.5 cores of work: 37.5% of four cores
  s.traffic.upstream_latency_s = 0;  // latency is CPU time and waiting for CPU only
  s.run.duration_s = 60;
  return s;
}

TEST(CpuShare, FewerCoresThanWorkersSlowTheGatewayDown) {
  const result four = run(loaded(0));
  const result as_many = run(loaded(4));
  const result two = run(loaded(2));
  // As many cores as workers: no sharing, the same answers (up to the
  // nanosecond rounding of rescheduled ends).
  EXPECT_NEAR(as_many.totals.latency_p99_s, four.totals.latency_p99_s, 0.02 * four.totals.latency_p99_s);
  EXPECT_EQ(as_many.totals.requests, four.totals.requests);
  // Two cores for four workers (75% busy): requests wait for CPU.
  EXPECT_GT(two.totals.latency_mean_s, 1.3 * four.totals.latency_mean_s);
  EXPECT_GT(two.totals.latency_p99_s, four.totals.latency_p99_s);
}

TEST(CpuShare, ContentionAddsCpuToRebuildsThatRunTogether) {
  scenario s = loaded(0);
  s.admin.loops = {admin_loop{10.0, 50.0, 5.0}};
  const result apart = run(s);
  s.cluster.build_contention = 0.3;
  const result together = run(s);
  ASSERT_GE(apart.totals.rebuilds, 4u * 5u);
  EXPECT_EQ(together.totals.rebuilds, apart.totals.rebuilds);
  // Every write makes the four workers rebuild at about the same time (a
  // core each): a build beside up to three others takes up to 1.9 times
  // its own CPU.
  EXPECT_GT(together.totals.rebuild_cpu_s, 1.1 * apart.totals.rebuild_cpu_s);
  EXPECT_LT(together.totals.rebuild_cpu_s, 1.9 * apart.totals.rebuild_cpu_s);
  // A lone worker has no build beside its own.
  s.cluster.workers_per_node = 1;
  s.traffic.rate_per_s = 250;
  const result lone = run(s);
  s.cluster.build_contention = 0;
  EXPECT_NEAR(lone.totals.rebuild_cpu_s, run(s).totals.rebuild_cpu_s, 1e-3 * lone.totals.rebuild_cpu_s);
}

}  // namespace
}  // namespace gwsim::gateway
