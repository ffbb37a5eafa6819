// Validation of the rebuild-pause closed forms (models/analytic/rebuild_pauses)
// against the simulated worker, 30 replications per parameter point.

#include "models/queueing/rebuild_server.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "models/analytic/rebuild_pauses.hpp"
#include "tests/models/queueing/validation.hpp"

namespace gwsim::queueing {
namespace {

using testing::level;
using testing::replications;

constexpr double rel_tol = 0.02;

void expect_matches(const rebuild_experiment_result& r, const std::string& measure, double exact) {
  ASSERT_TRUE(r.measures.contains(measure)) << measure;
  const sim::confidence_interval& ci = r.measures.at(measure);
  const double rel = std::abs(ci.mean - exact) / std::abs(exact);
  EXPECT_TRUE(ci.contains(exact)) << measure << ": exact " << exact << " outside 99% CI [" << ci.lower << ", "
                                  << ci.upper << "] (mean " << ci.mean << ")";
  EXPECT_LE(rel, rel_tol) << measure << ": simulated " << ci.mean << " vs exact " << exact << ", relative error "
                          << rel;
  EXPECT_LE(ci.half_width / std::abs(exact), rel_tol) << measure << ": CI too wide (half-width " << ci.half_width
                                                      << ")";
  std::printf("  %-14s simulated %.5f +- %.5f  analytic %.5f  (rel err %.4f)\n", measure.c_str(), ci.mean,
              ci.half_width, exact, rel);
}

rebuild_server_config base(double lambda, sim::distribution service, sim::distribution rebuild, double run_s) {
  rebuild_server_config c;
  c.lambda = lambda;
  c.service = std::move(service);
  c.rebuild = std::move(rebuild);
  c.warmup_s = run_s / 50.0;
  c.run_length_s = run_s;
  return c;
}

/// Runs `c` and checks mean wait and sojourn against `exact`.
void validate(const rebuild_server_config& c, const analytic::queue_metrics& exact, std::uint64_t seed) {
  ASSERT_TRUE(exact.stable);
  const rebuild_experiment_result r = run_rebuild_experiment(c, replications, seed, level);
  expect_matches(r, "mean_wait", exact.mean_wait);
  expect_matches(r, "mean_sojourn", exact.mean_sojourn);
}

// (a) Multiple vacations: W_PK + E[D^2] / (2 E[D]).
TEST(RebuildServerValidation, WhenIdleExponential) {
  auto c = base(0.5, sim::exponential(1.0), sim::exponential(2.0), 200'000);
  c.policy = rebuild_policy::when_idle;
  validate(c, analytic::rebuild_when_idle(0.5, 1.0, 1.0, 0.5, 1.0), 101);
}

TEST(RebuildServerValidation, WhenIdleDeterministic) {
  auto c = base(0.6, sim::deterministic(1.0), sim::deterministic(2.0), 100'000);
  c.policy = rebuild_policy::when_idle;
  validate(c, analytic::rebuild_when_idle(0.6, 1.0, 0.0, 2.0, 0.0), 102);
}

// (b) Poisson rebuilds, preemptive-resume priority.
TEST(RebuildServerValidation, PreemptiveExponential) {
  auto c = base(0.4, sim::exponential(1.0), sim::exponential(1.0), 400'000);
  c.policy = rebuild_policy::preemptive;
  c.rebuild_rate = 0.2;
  validate(c, analytic::preemptive_priority(0.4, 1.0, 1.0, 0.2, 1.0, 1.0), 201);
}

TEST(RebuildServerValidation, PreemptiveLongConstantRebuilds) {
  auto c = base(0.8, sim::deterministic(0.5), sim::deterministic(4.0), 400'000);
  c.policy = rebuild_policy::preemptive;
  c.rebuild_rate = 0.05;
  validate(c, analytic::preemptive_priority(0.8, 0.5, 0.0, 0.05, 4.0, 0.0), 202);
}

// (c) Poisson rebuilds, non-preemptive priority (Cobham).
TEST(RebuildServerValidation, NonpreemptiveExponential) {
  auto c = base(0.4, sim::exponential(1.0), sim::exponential(1.0), 400'000);
  c.policy = rebuild_policy::nonpreemptive;
  c.rebuild_rate = 0.2;
  validate(c, analytic::nonpreemptive_priority(0.4, 1.0, 1.0, 0.2, 1.0, 1.0), 301);
}

TEST(RebuildServerValidation, NonpreemptiveLongConstantRebuilds) {
  auto c = base(0.8, sim::deterministic(0.5), sim::deterministic(4.0), 400'000);
  c.policy = rebuild_policy::nonpreemptive;
  c.rebuild_rate = 0.05;
  validate(c, analytic::nonpreemptive_priority(0.8, 0.5, 0.0, 0.05, 4.0, 0.0), 302);
}

// (d) A rebuild every T = 10 s at light load (r = 0.001).
TEST(RebuildServerValidation, PeriodicLightLoadConstant) {
  auto c = base(1.0, sim::exponential(1000.0), sim::deterministic(1.0), 40'000);
  c.policy = rebuild_policy::nonpreemptive;
  c.arrivals = rebuild_arrivals::periodic;
  c.rebuild_period_s = 10.0;
  validate(c, analytic::periodic_light_load(1.0, 0.001, 1.0, 10.0, 1.0, 0.0), 401);
}

TEST(RebuildServerValidation, PeriodicLightLoadExponential) {
  auto c = base(1.0, sim::exponential(1000.0), sim::exponential(1.0), 200'000);
  c.policy = rebuild_policy::preemptive;
  c.arrivals = rebuild_arrivals::periodic;
  c.rebuild_period_s = 10.0;
  validate(c, analytic::periodic_light_load(1.0, 0.001, 1.0, 10.0, 1.0, 1.0, true), 402);
}

TEST(RebuildServerTest, TimeFractionsMatchTheLoads) {
  auto c = base(0.4, sim::exponential(1.0), sim::exponential(1.0), 20'000);
  c.policy = rebuild_policy::preemptive;
  c.rebuild_rate = 0.2;
  const rebuild_replication_result r = run_rebuild_replication(c, 7);
  EXPECT_NEAR(r.measures.at("request_fraction"), 0.4, 0.03);
  EXPECT_NEAR(r.measures.at("rebuild_fraction"), 0.2, 0.03);
  EXPECT_NEAR(r.measures.at("rebuilds") / c.run_length_s, 0.2, 0.02);
}

TEST(RebuildServerTest, SameSeedSameResult) {
  auto c = base(0.5, sim::exponential(1.0), sim::exponential(2.0), 2'000);
  c.policy = rebuild_policy::when_idle;
  EXPECT_EQ(run_rebuild_replication(c, 5).measures, run_rebuild_replication(c, 5).measures);
}

TEST(RebuildServerTest, InvalidConfigNamesTheField) {
  auto c = base(0.5, sim::exponential(1.0), sim::exponential(2.0), 2'000);
  c.rebuild_rate = 0.0;
  EXPECT_THROW((void)run_rebuild_replication(c, 1), std::invalid_argument);
  try {
    (void)run_rebuild_replication(c, 1);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rebuild_rate"), std::string::npos) << e.what();
  }
  c = base(0.0, sim::exponential(1.0), sim::exponential(2.0), 2'000);
  EXPECT_THROW((void)run_rebuild_replication(c, 1), std::invalid_argument);
  c = base(0.5, sim::exponential(1.0), sim::deterministic(0.0), 2'000);
  c.policy = rebuild_policy::when_idle;
  EXPECT_THROW((void)run_rebuild_replication(c, 1), std::invalid_argument);
  EXPECT_THROW((void)run_rebuild_experiment(base(0.5, sim::exponential(1.0), sim::exponential(1.0), 100), 1, 1),
               std::invalid_argument);
}

}  // namespace
}  // namespace gwsim::queueing
