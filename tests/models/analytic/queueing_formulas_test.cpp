// Closed forms against hand-computed values and against each other.

#include "models/analytic/queueing_formulas.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace gwsim::analytic {
namespace {

TEST(QueueingFormulas, MM1) {
  queue_metrics m = mm1(0.8, 1.0);
  EXPECT_DOUBLE_EQ(m.mean_sojourn, 5.0);
  EXPECT_DOUBLE_EQ(m.mean_in_system, 4.0);
  EXPECT_DOUBLE_EQ(m.mean_queue_length, 3.2);
  EXPECT_DOUBLE_EQ(m.wait_probability, 0.8);
  EXPECT_NEAR(mm1_sojourn_quantile(0.8, 1.0, 0.99), 5.0 * std::log(100.0), 1e-12);
}

TEST(QueueingFormulas, ErlangBAndCKnownValues) {
  // Against the textbook sums, B = (a^c/c!) / sum_{k<=c} a^k/k! and
  // C = (a^c/c!) c/(c-a) / (sum_{k<c} a^k/k! + (a^c/c!) c/(c-a)).
  auto direct_b = [](int c, double a) {
    double term = 1.0, sum = 1.0;
    for (int k = 1; k <= c; ++k) sum += (term *= a / k);
    return term / sum;
  };
  auto direct_c = [](int c, double a) {
    double term = 1.0, sum = 1.0;
    for (int k = 1; k < c; ++k) sum += (term *= a / k);
    const double top = term * a / c * c / (c - a);
    return top / (sum + top);
  };
  EXPECT_NEAR(erlang_b(10, 8.0), direct_b(10, 8.0), 1e-12);
  EXPECT_NEAR(erlang_b(10, 8.0), 0.12166, 1e-5);  // published tables
  EXPECT_NEAR(erlang_c(4, 3.2), direct_c(4, 3.2), 1e-12);
  EXPECT_NEAR(erlang_c(16, 12.8), direct_c(16, 12.8), 1e-12);
  EXPECT_DOUBLE_EQ(erlang_b(1, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(erlang_c(1, 0.7), 0.7);  // M/M/1: P(wait) = rho
  EXPECT_DOUBLE_EQ(erlang_c(4, 4.0), 1.0);
}

TEST(QueueingFormulas, MMcReducesToMM1) {
  queue_metrics a = mmc(0.6, 1.0, 1);
  queue_metrics b = mg1(0.6, 1.0, 1.0);
  EXPECT_NEAR(a.mean_wait, b.mean_wait, 1e-12);
  EXPECT_NEAR(a.mean_in_system, 1.5, 1e-12);
}

TEST(QueueingFormulas, PollaczekKhinchineScalesWithVariability) {
  // Wq(M/D/1) is half of Wq(M/M/1); scv 4 gives 2.5 times M/M/1.
  const double md1 = mg1(0.7, 1.0, 0.0).mean_wait;
  const double mm1w = mg1(0.7, 1.0, 1.0).mean_wait;
  EXPECT_NEAR(md1 * 2.0, mm1w, 1e-12);
  EXPECT_NEAR(mg1(0.7, 1.0, 4.0).mean_wait, 2.5 * mm1w, 1e-12);
  EXPECT_NEAR(mm1w, 0.7 / 0.3, 1e-12);
}

TEST(QueueingFormulas, MM1KMatchesDirectSumAndHandlesRhoOne) {
  queue_metrics m = mm1k(1.0, 1.0, 4);
  EXPECT_NEAR(m.blocking_probability, 0.2, 1e-12);
  EXPECT_NEAR(m.mean_in_system, 2.0, 1e-12);
  // rho = 0.5, K = 2: P = (4, 2, 1)/7.
  queue_metrics h = mm1k(0.5, 1.0, 2);
  EXPECT_NEAR(h.blocking_probability, 1.0 / 7.0, 1e-12);
  EXPECT_NEAR(h.mean_in_system, 4.0 / 7.0, 1e-12);
  EXPECT_NEAR(h.wait_probability, (1.0 - 4.0 / 7.0 - 1.0 / 7.0) / (1.0 - 1.0 / 7.0), 1e-12);
  // Heavy overload with a big buffer stays finite.
  queue_metrics o = mm1k(100.0, 1.0, 5'000);
  EXPECT_TRUE(std::isfinite(o.mean_in_system));
  EXPECT_NEAR(o.blocking_probability, 0.99, 1e-9);
}

TEST(QueueingFormulas, UnstableQueuesAreReportedNotNaN) {
  for (queue_metrics m : {mm1(1.0, 1.0), mmc(5.0, 1.0, 4), mg1(2.0, 0.5, 1.0)}) {
    EXPECT_FALSE(m.stable);
    EXPECT_TRUE(std::isinf(m.mean_sojourn));
    EXPECT_FALSE(std::isnan(m.mean_wait));
  }
  EXPECT_TRUE(std::isinf(mm1_sojourn_quantile(2.0, 1.0, 0.5)));
  std::vector<double> mus{0.5, 2.0};
  EXPECT_FALSE(mm1_tandem(1.0, mus).stable);
}

TEST(QueueingFormulas, InvalidParametersNameTheField) {
  EXPECT_THROW(mm1(-1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(mm1(1.0, std::nan("")), std::invalid_argument);
  EXPECT_THROW(mmc(1.0, 1.0, 0), std::invalid_argument);
  EXPECT_THROW(mg1(0.5, 1.0, -1.0), std::invalid_argument);
  EXPECT_THROW(mm1k(0.5, 1.0, 0), std::invalid_argument);
  EXPECT_THROW(mm1_sojourn_quantile(0.5, 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(mm1_tandem(0.5, {}), std::invalid_argument);
  try {
    mg1(0.5, 1.0, -1.0);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("scv"), std::string::npos);
  }
}

}  // namespace
}  // namespace gwsim::analytic
