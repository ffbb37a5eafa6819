// The pod's CPU as a processor-sharing server (cpu_share), on its own and in
// the gateway model (cluster.cpu_cores).

#include "models/gateway/cpu_share.hpp"

#include <gtest/gtest.h>

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
  probe(sim::simulator& sim_in, cpu_share& cpu_in, double cpu_s_in)
      : sim(sim_in), cpu(cpu_in), cpu_s(cpu_s_in), done(sim_in, [this] { finish(); }), begin(sim_in, [this] { go(); }) {}
  void go() { cpu.start(done, cpu_s); }
  void finish() {
    cpu.stop(done);
    end = sim.now_seconds();
  }
  sim::simulator& sim;
  cpu_share& cpu;
  double cpu_s;
  double end = -1;
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

}  // namespace
}  // namespace gwsim::gateway
