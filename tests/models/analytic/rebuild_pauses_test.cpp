#include "models/analytic/rebuild_pauses.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "models/analytic/queueing_formulas.hpp"

namespace gwsim::analytic {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

void expect_unstable(const queue_metrics& m) {
  EXPECT_FALSE(m.stable);
  EXPECT_EQ(m.mean_wait, inf);
  EXPECT_EQ(m.mean_sojourn, inf);
  EXPECT_EQ(m.mean_queue_length, inf);
  EXPECT_EQ(m.mean_in_system, inf);
  EXPECT_FALSE(std::isnan(m.utilisation));
}

template <class F>
void expect_invalid(F f, const std::string& parameter) {
  try {
    f();
    ADD_FAILURE() << "no exception for " << parameter;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(parameter), std::string::npos) << e.what();
  }
}

TEST(RebuildPausesTest, NoRebuildsReduceToPollaczekKhinchine) {
  for (double scv : {0.0, 1.0, 4.0}) {
    const queue_metrics pk = mg1(0.7, 1.0, scv);
    for (const queue_metrics& m : {preemptive_priority(0.7, 1.0, scv, 0.0, 2.0, 1.0),
                                   nonpreemptive_priority(0.7, 1.0, scv, 0.0, 2.0, 1.0),
                                   preemptive_priority(0.7, 1.0, scv, 3.0, 0.0, 1.0),
                                   nonpreemptive_priority(0.7, 1.0, scv, 3.0, 0.0, 1.0),
                                   rebuild_when_idle(0.7, 1.0, scv, 0.0, 1.0),
                                   periodic_light_load(0.7, 1.0, scv, 10.0, 0.0, 1.0)}) {
      EXPECT_TRUE(m.stable);
      EXPECT_DOUBLE_EQ(m.mean_wait, pk.mean_wait);
      EXPECT_DOUBLE_EQ(m.mean_sojourn, pk.mean_sojourn);
    }
  }
}

TEST(RebuildPausesTest, ShortRebuildsApproachPollaczekKhinchine) {
  const queue_metrics pk = mg1(0.5, 1.0, 1.0);
  for (double d : {1e-3, 1e-6}) {
    // Same rebuild rate, vanishing duration: the load and E[D^2] vanish.
    EXPECT_NEAR(preemptive_priority(0.5, 1.0, 1.0, 1.0, d, 1.0).mean_sojourn, pk.mean_sojourn, 10 * d);
    EXPECT_NEAR(nonpreemptive_priority(0.5, 1.0, 1.0, 1.0, d, 1.0).mean_wait, pk.mean_wait, 10 * d);
    EXPECT_NEAR(rebuild_when_idle(0.5, 1.0, 1.0, d, 1.0).mean_wait, pk.mean_wait, 10 * d);
    EXPECT_NEAR(periodic_light_load(0.5, 1.0, 1.0, 1.0, d, 1.0).mean_wait, pk.mean_wait, 10 * d);
  }
}

TEST(RebuildPausesTest, HandComputedPriorityValues) {
  // lambda 0.4, S ~ exp(1): E[S^2] = 2, r = 0.4; v 0.2, D ~ exp(1): E[D^2] = 2,
  // r_d = 0.2. Workload U = (0.8 + 0.4) / (2 * 0.4) = 1.5; Wq = U / 0.8 = 1.875.
  const queue_metrics pre = preemptive_priority(0.4, 1.0, 1.0, 0.2, 1.0, 1.0);
  EXPECT_DOUBLE_EQ(pre.mean_wait, 1.875);
  EXPECT_DOUBLE_EQ(pre.mean_sojourn, 1.875 + 1.25);  // + E[S] / (1 - r_d)
  EXPECT_DOUBLE_EQ(pre.utilisation, 0.6);
  const queue_metrics non = nonpreemptive_priority(0.4, 1.0, 1.0, 0.2, 1.0, 1.0);
  EXPECT_DOUBLE_EQ(non.mean_wait, 1.875);
  EXPECT_DOUBLE_EQ(non.mean_sojourn, 2.875);
  EXPECT_DOUBLE_EQ(non.mean_queue_length, 0.4 * 1.875);

  // Constant S = 0.5 at 0.8/s (r = 0.4, E[S^2] = 0.25); constant D = 4 at
  // 0.05/s (r_d = 0.2, E[D^2] = 16): U = (0.2 + 0.8) / 0.8 = 1.25.
  EXPECT_DOUBLE_EQ(nonpreemptive_priority(0.8, 0.5, 0.0, 0.05, 4.0, 0.0).mean_wait, 1.5625);
  EXPECT_DOUBLE_EQ(preemptive_priority(0.8, 0.5, 0.0, 0.05, 4.0, 0.0).mean_sojourn, 1.5625 + 0.625);
}

TEST(RebuildPausesTest, FifoRebuildsAreAnMG1OnTheMergedStream) {
  // The same numbers as HandComputedPriorityValues: U = 1.5, and FIFO waits
  // just U (no rebuild overtakes a waiting request).
  const queue_metrics fifo = fifo_rebuilds(0.4, 1.0, 1.0, 0.2, 1.0, 1.0);
  EXPECT_DOUBLE_EQ(fifo.mean_wait, 1.5);
  EXPECT_DOUBLE_EQ(fifo.mean_sojourn, 2.5);
  EXPECT_DOUBLE_EQ(fifo.utilisation, 0.6);
  // Written as one M/G/1: arrivals 0.6/s whose service is a mixture.
  const double l = 0.3, s = 0.8, cs = 2.5, v = 0.07, d = 3.0, cd = 0.3;
  const double rate = l + v;
  const double ex = (l * s + v * d) / rate;
  const double scv = ((l * (1 + cs) * s * s + v * (1 + cd) * d * d) / rate) / (ex * ex) - 1.0;
  EXPECT_NEAR(fifo_rebuilds(l, s, cs, v, d, cd).mean_wait, mg1(rate, ex, scv).mean_wait, 1e-12);
  // Never more than the priority rule, equal without rebuilds.
  EXPECT_LT(fifo_rebuilds(l, s, cs, v, d, cd).mean_wait, nonpreemptive_priority(l, s, cs, v, d, cd).mean_wait);
  EXPECT_DOUBLE_EQ(fifo_rebuilds(l, s, cs, 0.0, d, cd).mean_wait, mg1(l, s, cs).mean_wait);
  expect_unstable(fifo_rebuilds(0.5, 1.0, 1.0, 0.5, 1.0, 1.0));
  expect_invalid([] { (void)fifo_rebuilds(0.5, 1.0, 1.0, -1.0, 1.0, 1.0); }, "rebuild_rate");
}

TEST(RebuildPausesTest, BlockingBuildsAddTheResidualOfTheBuildAndItsBacklog) {
  // lambda 0.1, S = 1 constant (r = 0.1, W_PK = 0.1 / 1.8); builds of 2 s
  // constant at 0.05/s (blocked 10% of the time): a request in a build waits
  // 1 s of build plus 0.1 s of backlog.
  const double w_pk = 0.1 / 1.8;
  const queue_metrics m = blocking_builds(0.1, 1.0, 0.0, 0.05, 2.0, 0.0);
  EXPECT_NEAR(m.mean_wait, 0.9 * w_pk + 0.05 * 4.0 * 1.1 / 2.0, 1e-12);
  EXPECT_NEAR(m.mean_sojourn, m.mean_wait + 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(blocking_builds(0.1, 1.0, 0.0, 0.0, 2.0, 0.0).mean_wait, mg1(0.1, 1.0, 0.0).mean_wait);
  expect_unstable(blocking_builds(0.1, 1.0, 0.0, 0.5, 2.0, 0.0));
  expect_unstable(blocking_builds(1.0, 1.0, 0.0, 0.0, 2.0, 0.0));
  expect_invalid([] { (void)blocking_builds(0.1, 1.0, 0.0, -1.0, 2.0, 0.0); }, "build_rate");
}

TEST(RebuildPausesTest, MatchesTheTextbookPriorityForm) {
  // Sojourn of the low class under preemptive-resume priority, as usually
  // written: E[S]/(1-s1) + sum_i lambda_i E[S_i^2] / (2 (1-s1)(1-s2)).
  const double l = 0.3, s = 0.8, cs = 2.5, v = 0.07, d = 3.0, cd = 0.3;
  const double r = l * s, rd = v * d;
  const double expected = s / (1 - rd) + (l * (1 + cs) * s * s + v * (1 + cd) * d * d) / (2 * (1 - rd) * (1 - rd - r));
  EXPECT_NEAR(preemptive_priority(l, s, cs, v, d, cd).mean_sojourn, expected, 1e-12);
}

TEST(RebuildPausesTest, HandComputedVacationAndPeriodicValues) {
  // lambda 0.5, S ~ exp(1): W_PK = 1; D ~ exp(0.5): E[D^2]/(2E[D]) = 0.5.
  const queue_metrics v = rebuild_when_idle(0.5, 1.0, 1.0, 0.5, 1.0);
  EXPECT_DOUBLE_EQ(v.mean_wait, 1.5);
  EXPECT_DOUBLE_EQ(v.mean_sojourn, 2.5);
  EXPECT_DOUBLE_EQ(v.wait_probability, 1.0);
  // Constant S = 1 at 0.6/s: W_PK = 0.75; constant D = 2: residual 1.
  EXPECT_DOUBLE_EQ(rebuild_when_idle(0.6, 1.0, 0.0, 2.0, 0.0).mean_wait, 1.75);

  // Constant D = 1 every 10 s: extra wait D^2 / (2T) = 0.05.
  const queue_metrics p = periodic_light_load(1.0, 0.001, 1.0, 10.0, 1.0, 0.0);
  EXPECT_NEAR(p.mean_wait - mg1(1.0, 0.001, 1.0).mean_wait, 0.05, 1e-15);
  EXPECT_NEAR(p.mean_sojourn - p.mean_wait, 0.001, 1e-15);
  // Preemptive: the request in service is hit with probability E[S]/T.
  const queue_metrics pp = periodic_light_load(1.0, 0.001, 1.0, 10.0, 1.0, 0.0, true);
  EXPECT_DOUBLE_EQ(pp.mean_wait, p.mean_wait);
  EXPECT_NEAR(pp.mean_sojourn - pp.mean_wait, 0.001 * 1.1, 1e-15);
  // Exponential D: E[D^2] = 2 doubles the extra wait.
  EXPECT_NEAR(periodic_light_load(1.0, 0.001, 1.0, 10.0, 1.0, 1.0).mean_wait - p.mean_wait, 0.05, 1e-12);
}

TEST(RebuildPausesTest, WaitGrowsWithRebuildLoad) {
  double last = 0.0;
  for (double v : {0.0, 0.05, 0.1, 0.2, 0.3, 0.4}) {
    const double w = nonpreemptive_priority(0.5, 1.0, 1.0, v, 1.0, 1.0).mean_wait;
    EXPECT_GT(w, last);
    last = w;
  }
}

TEST(RebuildPausesTest, UnstableWhenRequestsPlusRebuildsSaturate) {
  EXPECT_DOUBLE_EQ(rebuild_worker_load(0.5, 1.0, 0.25, 2.0), 1.0);
  expect_unstable(preemptive_priority(0.5, 1.0, 1.0, 0.25, 2.0, 1.0));     // exactly 1
  expect_unstable(nonpreemptive_priority(0.5, 1.0, 1.0, 0.3, 2.0, 1.0));   // 1.1
  expect_unstable(periodic_light_load(0.5, 1.0, 1.0, 2.0, 1.0, 0.0));      // 0.5 + 0.5
  expect_unstable(rebuild_when_idle(1.0, 1.0, 1.0, 0.5, 1.0));             // r = 1
  expect_unstable(rebuild_when_idle(2.0, 1.0, 0.0, 0.0, 0.0));
  // Just below the limit: finite, positive, not NaN.
  const queue_metrics m = nonpreemptive_priority(0.5, 1.0, 1.0, 0.2499, 2.0, 1.0);
  EXPECT_TRUE(m.stable);
  EXPECT_TRUE(std::isfinite(m.mean_wait));
  EXPECT_GT(m.mean_wait, 1000.0);
  // Rebuilds taken when idle do not count against stability.
  EXPECT_TRUE(rebuild_when_idle(0.9, 1.0, 1.0, 50.0, 1.0).stable);
}

TEST(RebuildPausesTest, InvalidInputsNameTheParameter) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  expect_invalid([] { (void)preemptive_priority(0.0, 1.0, 1.0, 0.1, 1.0, 1.0); }, "lambda");
  expect_invalid([&] { (void)preemptive_priority(nan, 1.0, 1.0, 0.1, 1.0, 1.0); }, "lambda");
  expect_invalid([] { (void)nonpreemptive_priority(0.5, -1.0, 1.0, 0.1, 1.0, 1.0); }, "mean_service");
  expect_invalid([] { (void)nonpreemptive_priority(0.5, 1.0, -0.1, 0.1, 1.0, 1.0); }, "service_scv");
  expect_invalid([] { (void)nonpreemptive_priority(0.5, 1.0, 1.0, -0.1, 1.0, 1.0); }, "rebuild_rate");
  expect_invalid([] { (void)preemptive_priority(0.5, 1.0, 1.0, 0.1, -1.0, 1.0); }, "mean_rebuild");
  expect_invalid([&] { (void)preemptive_priority(0.5, 1.0, 1.0, 0.1, 1.0, inf); }, "rebuild_scv");
  expect_invalid([] { (void)rebuild_when_idle(0.5, 1.0, 1.0, -2.0, 1.0); }, "mean_rebuild");
  expect_invalid([] { (void)periodic_light_load(0.5, 1.0, 1.0, 0.0, 1.0, 1.0); }, "period");
  expect_invalid([] { (void)rebuild_worker_load(0.5, 1.0, inf, 1.0); }, "rebuild_rate");
}

}  // namespace
}  // namespace gwsim::analytic
